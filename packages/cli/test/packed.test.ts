import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../src/doctor.js';
import { SESSION_VARIABLES, scratch } from './run-cli.js';

// What a user gets from `npm install @msal-persist/cli` + `npx msal-persist`: the workspace
// packages the CLI needs, packed as they would be published, installed with npm from the tarballs
// (their other dependencies from the registry, the local npm cache first), and the bin run.
const run = promisify(execFile);
const packages = join(import.meta.dirname, '..', '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const folders = new Map<string, string>();
for (const folder of readdirSync(packages)) {
  const file = join(packages, folder, 'package.json');
  if (existsSync(file)) folders.set((JSON.parse(readFileSync(file, 'utf8')) as Manifest).name, join(packages, folder));
}

/** The CLI's folder and every workspace package it depends on, directly or not. */
function workspaceClosure(name: string, found = new Set<string>()): Set<string> {
  const folder = folders.get(name);
  if (!folder || found.has(folder)) return found;
  found.add(folder);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    workspaceClosure(dependency, found);
  }
  return found;
}

function newestSource(folder: string): number {
  const walk = (dir: string): number[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : [statSync(join(dir, entry.name)).mtimeMs],
    );
  return Math.max(...walk(join(folder, 'src')));
}

const needed = [...workspaceClosure('@msal-persist/cli')];
const stale = needed.filter((folder) => {
  const dist = join(folder, 'dist');
  return !existsSync(dist) || statSync(dist).mtimeMs < newestSource(folder);
});
if (stale.length > 0) {
  console.warn(
    `SKIPPED (not built, or built before the last change: run pnpm build): npx msal-persist from packed tarballs (${stale.join(', ')})`,
  );
}
const space = scratch('packed');
afterAll(space.cleanup);

describe.skipIf(stale.length > 0)('npx msal-persist from a packed install', () => {
  it('npm installs the packed tarballs and `npx msal-persist doctor --json` prints its report', async () => {
    const tarballs = join(space.dir, 'tarballs');
    const overrides: Record<string, string> = {};
    for (const folder of needed) {
      const { stdout } = await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: folder, timeout: 60_000 });
      const file = stdout.trim().split('\n').pop()?.trim() ?? '';
      const name = (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest).name;
      overrides[name] = `file:${file.startsWith('/') ? file : join(tarballs, file)}`;
    }
    const app = join(space.dir, 'app');
    mkdirSync(app);
    expect(readdirSync(tarballs)).toHaveLength(needed.length);
    // As a user installs it: the CLI is the one dependency, and npm picks the per-OS optional
    // backends itself (naming a foreign-OS tarball on the command line would be EBADPLATFORM).
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'packed-app',
        private: true,
        dependencies: { '@msal-persist/cli': overrides['@msal-persist/cli'] },
        overrides,
      }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, timeout: 120_000 });

    const env: NodeJS.ProcessEnv = { ...process.env, ...space.env };
    for (const name of SESSION_VARIABLES) delete env[name];
    const { stdout } = await run('npx', ['--no-install', 'msal-persist', 'doctor', '--json'], { cwd: app, env });
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report).toMatchObject({ command: 'doctor', ok: true, platform: process.platform });
    if (process.platform === 'linux') {
      expect(report.choice?.backend).toBe('kernel-keyring');
      // A Linux install carries no Windows or macOS backend.
      expect(existsSync(join(app, 'node_modules', '@msal-persist', 'persistence-dpapi'))).toBe(false);
      expect(existsSync(join(app, 'node_modules', '@msal-persist', 'persistence-keychain'))).toBe(false);
    }
  }, 180_000);
});
