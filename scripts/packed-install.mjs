#!/usr/bin/env node
// Installs the packed packages the way users get them, and measures what each OS downloads:
// `pnpm pack` of every published package, then a clean `npm install @msal-persist/msal-plugin`
// per OS (npm's --os/--cpu pick the optional, per-OS dependencies as on that OS) into a temp
// folder, with our other packages taken from their tarballs. Prints the size of node_modules and
// the packages in it. With --smoke it also loads the Linux install in plain Node (ESM and CJS):
// the chain picks an encrypted backend, and the absent DPAPI backend is a typed NotAvailable.
//
//   pnpm build && node scripts/packed-install.mjs [--smoke] [--os linux,darwin,win32]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const osIndex = args.indexOf('--os');
const targets = osIndex >= 0 ? (args[osIndex + 1] ?? '').split(',') : ['linux', 'darwin', 'win32'];

const work = mkdtempSync(join(tmpdir(), 'msal-persist-packed-'));
const packs = join(work, 'packs');
let failed = false;

/** Bytes of every file under a folder (apparent size, symlinks not followed). */
function sizeOf(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

/** The packages installed in a node_modules folder (scoped ones as @scope/name). */
function packagesIn(nodeModules) {
  return readdirSync(nodeModules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(nodeModules, name)).map((inner) => `${name}/${inner}`) : [name],
    )
    .sort();
}

try {
  const tarballs = {};
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    if (manifest.private) continue;
    if (!existsSync(join(root, 'packages', dir, 'dist')))
      throw new Error(`packages/${dir} is not built: run pnpm build`);
    const out = execFileSync('pnpm', ['pack', '--pack-destination', packs], {
      cwd: join(root, 'packages', dir),
      encoding: 'utf8',
    });
    const file = out.trim().split('\n').pop()?.trim() ?? '';
    tarballs[manifest.name] = file.startsWith('/') ? file : join(packs, file);
  }

  const results = [];
  for (const os of targets) {
    const app = join(work, `app-${os}`);
    execFileSync('mkdir', ['-p', app]);
    const overrides = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: `packed-install-${os}`,
        version: '1.0.0',
        private: true,
        dependencies: { '@msal-persist/msal-plugin': overrides['@msal-persist/msal-plugin'] },
        overrides,
      }),
    );
    const install = spawnSync(
      'npm',
      ['install', `--os=${os}`, '--cpu=x64', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
      { cwd: app, encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`npm install --os=${os} failed:\n${install.stderr}`);
    const nodeModules = join(app, 'node_modules');
    const packages = packagesIn(nodeModules);
    results.push({ os, bytes: sizeOf(nodeModules), packages });
    console.log(
      `${os.padEnd(6)} ${(sizeOf(nodeModules) / 1e6).toFixed(1).padStart(5)} MB, ${packages.length} packages: ${packages.join(', ')}`,
    );
  }

  if (smoke && targets.includes('linux') && process.platform === 'linux') {
    const app = join(work, 'app-linux');
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/msal-persist-no-bus' };
    delete env.NODE_PATH;
    const check = `
      const plugin = MODULE;
      const cachePath = ${JSON.stringify(join(work, 'smoke', 'msal.cache'))};
      const chosen = await plugin.createPersistence({ cachePath, logger: {} });
      await chosen.persistence.delete();
      const dpapi = await plugin.createPersistence({ cachePath, backend: 'dpapi', logger: {} }).then(
        () => ({ code: 'none' }),
        (error) => ({ code: error.code, message: error.message }),
      );
      console.log(JSON.stringify({ backend: chosen.backend, encrypted: chosen.isEncrypted, dpapi }));
    `;
    for (const [kind, file, module] of [
      ['esm', 'smoke.mjs', "await import('@msal-persist/msal-plugin')"],
      ['cjs', 'smoke.cjs', "require('@msal-persist/msal-plugin')"],
    ]) {
      const source =
        kind === 'esm' ? check.replace('MODULE', module) : `(async () => {${check.replace('MODULE', module)}})();`;
      writeFileSync(join(app, file), source);
      const run = spawnSync(process.execPath, [file], { cwd: app, env, encoding: 'utf8' });
      const line = run.stdout.trim().split('\n').pop() ?? '';
      const result = run.status === 0 && line.startsWith('{') ? JSON.parse(line) : undefined;
      const ok =
        result?.encrypted === true &&
        result.dpapi.code === 'NotAvailable' &&
        result.dpapi.message.includes('@msal-persist/persistence-dpapi is not installed');
      console.log(`smoke ${kind}: ${ok ? 'OK' : 'FAILED'} ${line || run.stderr}`);
      if (!ok) failed = true;
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
