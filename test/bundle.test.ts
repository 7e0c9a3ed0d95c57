// The examples bundled with esbuild, ESM and CommonJS, as an app ships them: our JavaScript in the
// bundle, the native packages (nativeExternals) external and installed beside it. They run offline
// on the kernel keyring (reached through koffi), and a second run is served from the cache.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nativeExternals } from '@msal-persist/msal-plugin/bundling';
import { KernelKeyringPersistence } from '@msal-persist/msal-plugin/kernel-keyring';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { noSecretService } from '@msal-persist/test-support';
import { build, type Format } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const app = mkdtempSync(join(tmpdir(), 'msal-persist-bundle-'));
const home = join(app, 'home');
mkdirSync(home);

afterAll(async () => {
  for (const file of readdirSync(home, { recursive: true, encoding: 'utf8' })) {
    if (file.endsWith('.kernel-keyring')) await new KernelKeyringPersistence(join(home, file)).delete();
  }
  rmSync(app, { recursive: true, force: true });
});

// The packages the app ships beside its bundle, as its package manager puts them in node_modules:
// exactly the externals, resolved from the packages that depend on them.
const dependents: Record<string, string> = {
  koffi: 'packages/persistence-kernel-keyring',
  '@napi-rs/keyring': 'packages/persistence-keychain',
};

/** Bundles an example into a fresh app folder whose node_modules holds exactly `external`. */
async function bundle(example: string, format: Format, external: readonly string[] = nativeExternals) {
  const dir = mkdtempSync(join(app, 'app-'));
  for (const name of external) {
    const entry = createRequire(join(root, dependents[name] ?? '', 'package.json')).resolve(name);
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(dirname(entry), join(dir, 'node_modules', name));
  }
  const outfile = join(dir, `${example.replace(/\W/g, '-')}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  await build({
    entryPoints: [join(root, 'examples', example)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    external: [...external],
    // Read the workspace's sources, as the other tests do.
    conditions: ['dev-source'],
    // CommonJS dependencies (msal-node's) call require(); an ES module bundle needs one.
    ...(format === 'esm'
      ? {
          banner: {
            js: "import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);",
          },
        }
      : {}),
    logLevel: 'error',
  });
  return outfile;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The app's environment: no NODE_PATH (pnpm sets one for scripts), so only node_modules resolves. */
const { NODE_PATH: _pnpmNodePath, ...shippedEnv } = process.env;

function runBundle(file: string, args: string[], env: NodeJS.ProcessEnv = noSecretService): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file, ...args],
      {
        cwd: dirname(file),
        env: { ...shippedEnv, ...env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const lastJson = (run: Run) => JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

describe.runIf(process.platform === 'linux').each<Format>(['esm', 'cjs'])('an esbuild %s bundle', (format) => {
  it('of examples/public-cli signs in, then a second process gets its token from the cache', async () => {
    const file = await bundle('public-cli/cli.ts', format);
    const signIn = await runBundle(file, ['sign-in']);
    expect(signIn.code, signIn.stderr).toBe(0);
    expect(lastJson(signIn)).toMatchObject({ backend: 'kernel-keyring', encrypted: true, source: 'identity provider' });
    const token = await runBundle(file, ['token']);
    expect(lastJson(token)).toMatchObject({ backend: 'kernel-keyring', source: 'cache', networkCalls: 0 });
    await runBundle(file, ['sign-out']);
  });

  it('of examples/daemon is served from the cache on its second run', async () => {
    const file = await bundle('daemon/daemon.ts', format);
    const first = await runBundle(file, [`api://bundle-${format}/.default`]);
    expect(first.code, first.stderr).toBe(0);
    const second = await runBundle(file, [`api://bundle-${format}/.default`]);
    expect(lastJson(second)).toMatchObject({ backend: 'kernel-keyring', encrypted: true, networkCalls: 0 });
  });

  it('of examples/identity is served from the cache on its second run', async () => {
    const file = await bundle('identity/identity.ts', format);
    const first = await runBundle(file, [`api://bundle-identity-${format}/.default`]);
    expect(first.code, first.stderr).toBe(0);
    const second = await runBundle(file, [`api://bundle-identity-${format}/.default`]);
    expect(lastJson(second)).toMatchObject({ networkCalls: 0 });
  });

  it('with koffi bundled in: one line saying koffi was bundled and must be external, not "not available"', async () => {
    const file = await bundle(
      'public-cli/cli.ts',
      format,
      nativeExternals.filter((name) => name !== 'koffi'),
    );
    const run = await runBundle(file, ['status']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toContain(
      "koffi, the FFI library the kernel keyring is called through, was bundled into this app's JavaScript",
    );
    expect(lines[0]).toContain('nativeExternals');
  });
});

// A Secret Service on the bus, and koffi reached through a symlink as pnpm (and any workspace)
// installs it. The bus read's check of the socket file once left Node's shared stat buffer
// describing a socket; Node 20's cached realpath then stopped at the first cached folder, so the
// next module loaded (koffi, to write the first secret) was loaded through its symlinked path,
// and koffi's relative path to its binary no longer existed: "koffi is not installed", no cache.
const secretService = secretServiceTestMode();
skippedNotice(secretService, 'esbuild bundles over a real Secret Service (2 tests)');
describe.runIf(secretService.run).each<Format>(['esm', 'cjs'])(
  'an esbuild %s bundle over a real Secret Service',
  (format) => {
    it('signs in to an empty keyring through koffi behind a symlink, then a second process reads the cache', async () => {
      const file = await bundle('public-cli/cli.ts', format);
      const env = { APP_NAME: `msal-persist-bundle-${format}-${process.pid}` };
      const status = await runBundle(file, ['status'], env);
      expect(status.code, status.stderr).toBe(0);
      expect(lastJson(status)).toMatchObject({ backend: 'libsecret' });
      try {
        const signIn = await runBundle(file, ['sign-in'], env);
        expect(signIn.code, signIn.stderr).toBe(0);
        expect(lastJson(signIn)).toMatchObject({ backend: 'libsecret', encrypted: true, source: 'identity provider' });
        const token = await runBundle(file, ['token'], env);
        expect(lastJson(token)).toMatchObject({ backend: 'libsecret', source: 'cache', networkCalls: 0 });
      } finally {
        await runBundle(file, ['sign-out'], env);
      }
    });
  },
);
