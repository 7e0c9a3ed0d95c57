// The web examples as a load test drives them: real processes on one cache folder, the exact
// endpoints the issue specifies, checked for what they answer (not only that they run).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noSecretService } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForServer } from '../examples/web-api/wait-for-server.js';

const root = join(import.meta.dirname, '..');
const servers: ChildProcess[] = [];
const dirs: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts `pnpm --filter <example> start` in its own process group; resolves once it answers. */
async function start(example: string, env: Record<string, string>): Promise<string> {
  const port = String(await freePort());
  const server = spawn('pnpm', ['--filter', `@msal-persist/example-${example}`, 'start'], {
    cwd: root,
    env: { ...process.env, ...noSecretService, ALLOW_PLAINTEXT: '1', ...env, PORT: port },
    detached: true,
    stdio: 'ignore',
  });
  servers.push(server);
  await waitForServer(port);
  return `http://localhost:${port}`;
}

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'msal-persist-web-example-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(
    servers.map(async (server) => {
      if (server.exitCode !== null || server.pid === undefined) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }),
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

describe.runIf(process.platform === 'linux')('examples/web-api', { timeout: 120_000 }, () => {
  it('two processes on one CACHE_DIR: 40 concurrent GET /me per process for one caller, each answer names the caller, 1 token request for both', async () => {
    const dir = cacheDir();
    const [a, b] = await Promise.all([
      start('web-api', { CACHE_DIR: dir, IDP_LATENCY_MS: '50' }),
      start('web-api', { CACHE_DIR: dir, IDP_LATENCY_MS: '50' }),
    ]);
    const { body: issued } = await json<{ token: string }>(`${a}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'grace' }),
    });
    const answers = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        json<{ user: string; downstreamFor: string; fromCache: boolean }>(`${i % 2 ? a : b}/me`, {
          headers: { authorization: `Bearer ${issued.token}` },
        }),
      ),
    );
    for (const answer of answers)
      expect(answer).toMatchObject({ status: 200, body: { user: 'grace', downstreamFor: 'grace' } });
    const metrics = await Promise.all(
      [a, b].map((base) => json<{ tokenRequests: number; cacheHits: number }>(`${base}/metrics`)),
    );
    expect(metrics.reduce((sum, m) => sum + m.body.tokenRequests, 0)).toBe(1);
    expect(metrics.every((m) => typeof m.body.cacheHits === 'number')).toBe(true);

    const second = await json<{ fromCache: boolean }>(`${b}/me`, {
      headers: { authorization: `Bearer ${issued.token}` },
    });
    expect(second.body.fromCache).toBe(true);
  });

  it('callers never get each other’s downstream tokens; no or a foreign token: 401', async () => {
    const base = await start('web-api', { CACHE_DIR: cacheDir() });
    const names = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const tokens = await Promise.all(
      names.map(
        async (user) =>
          (
            await json<{ token: string }>(`${base}/dev/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ user }),
            })
          ).body.token,
      ),
    );
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        json<{ downstreamFor: string }>(`${base}/me`, { headers: { authorization: `Bearer ${tokens[i % 5]}` } }),
      ),
    );
    for (const [i, answer] of answers.entries()) expect(answer.body.downstreamFor).toBe(names[i % 5]);
    expect((await json(`${base}/me`)).status).toBe(401);
    expect((await json(`${base}/me`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    expect((await json(`${base}/dev/token`, { method: 'POST' })).status).toBe(400);
  });
});

describe.runIf(process.platform === 'linux')('examples/web-app', { timeout: 120_000 }, () => {
  it('sign in through one process, pages from the cache on another, sign out there: signed out everywhere', async () => {
    const dir = cacheDir();
    const [a, b] = await Promise.all([start('web-app', { CACHE_DIR: dir }), start('web-app', { CACHE_DIR: dir })]);
    let cookie = '';
    const browse = async (base: string, path: string) => {
      let url = new URL(path, base);
      for (;;) {
        const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
        const set = response.headers.get('set-cookie');
        if (set) cookie = set.split(';')[0] ?? '';
        const location = response.headers.get('location');
        if (!location) return (await response.json()) as Record<string, unknown>;
        url = new URL(location, url);
      }
    };
    expect(await browse(a, '/')).toMatchObject({ signedIn: false });
    expect(await browse(a, '/sign-in?user=ada')).toMatchObject({ signedIn: true, user: 'ada' });
    expect(await browse(b, '/')).toMatchObject({ signedIn: true, user: 'ada', fromCache: true });
    const session = cookie;
    expect(await browse(b, '/sign-out')).toEqual({ signedOut: true });
    cookie = session;
    expect(await browse(a, '/')).toMatchObject({ signedIn: false });
    cookie = `${session.slice(0, -2)}xx`; // a forged cookie is no session
    expect(await browse(a, '/')).toMatchObject({ signedIn: false });
  });
});
