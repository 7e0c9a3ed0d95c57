// Several real processes over one FolderPartitionedStore: what one process stores, the others
// serve; a token missing in all of them is requested once for all.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import { runNodeFixture } from '@msal-persist/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../persistence-redis/test/servers/redis-server.js';
import { incomingToken } from './support/web-setup.js';

const worker = join(import.meta.dirname, 'fixtures', 'web-worker.ts');
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'msal-persist-web-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Burst {
  tokenRequests: number;
  accessTokens: string[];
}

async function burst(store: string): Promise<Burst[]> {
  const barrier = tempDir();
  const incoming = incomingToken(new FakeTokenEndpoint(), 'ada');
  const runs = [0, 1, 2, 3].map((id) =>
    runNodeFixture<Burst>(worker, ['obo-burst', store, incoming, '50', barrier, String(id)], { timeoutMs: 90_000 }),
  );
  while (![0, 1, 2, 3].every((id) => existsSync(join(barrier, `ready-${id}`)))) await delay(20);
  writeFileSync(join(barrier, 'go'), '');
  return (await Promise.all(runs)).map((run) => run.result);
}

describe('processes sharing a FolderPartitionedStore', { timeout: 120_000 }, () => {
  it('4 processes x 50 concurrent on-behalf-of calls for one caller with nothing cached: 1 token request for all', async () => {
    const bursts = await burst(tempDir());
    expect(bursts.reduce((sum, burst) => sum + burst.tokenRequests, 0)).toBe(1);
    expect(new Set(bursts.flatMap((burst) => burst.accessTokens)).size).toBe(1);
  });

  it('a user signed in by one process is served silently by another with 0 network calls; unknown accounts resolve null', async () => {
    const dir = tempDir();
    const { result: signedIn } = await runNodeFixture<{ homeAccountId: string }>(worker, ['sign-in', dir, 'ada']);
    const { result: silent } = await runNodeFixture<{ fromCache: boolean; name: string; networkCalls: number }>(
      worker,
      ['silent', dir, signedIn.homeAccountId],
    );
    expect(silent).toEqual({ fromCache: true, name: 'ada', networkCalls: 0 });
    const { result: unknown } = await runNodeFixture<{ fromCache: null }>(worker, ['silent', dir, 'nobody.tenant']);
    expect(unknown.fromCache).toBeNull();
  });
});

describe('processes sharing a Redis partitioned store (real redis-server)', { timeout: 120_000 }, () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('4 processes x 50 concurrent on-behalf-of calls for one caller with nothing cached: 1 token request for all', async () => {
    const bursts = await burst(server.url);
    expect(bursts.reduce((sum, b) => sum + b.tokenRequests, 0)).toBe(1);
    expect(new Set(bursts.flatMap((b) => b.accessTokens)).size).toBe(1);
  });

  it('a user signed in by one process is served silently by another with 0 network calls', async () => {
    const { result: signedIn } = await runNodeFixture<{ homeAccountId: string }>(worker, [
      'sign-in',
      server.url,
      'ada',
    ]);
    const { result: silent } = await runNodeFixture<{ fromCache: boolean; name: string; networkCalls: number }>(
      worker,
      ['silent', server.url, signedIn.homeAccountId],
    );
    expect(silent).toEqual({ fromCache: true, name: 'ada', networkCalls: 0 });
  });
});
