import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPersistence } from '../src/index.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { runFixture } from './support/children.js';

const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-00000000f1ee';

interface ChildReport {
  tokens: string[];
  fromCache: number;
  network: number;
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const runChild = (partition: string, scopes: string[]) =>
  runFixture<ChildReport>('daemon-child', {
    REDIS_URL: server.url,
    PARTITION: partition,
    CLIENT_ID,
    SCOPES: scopes.join(','),
  });

describe('a fleet of 16 daemon processes sharing one Redis cache', () => {
  it('loses no acknowledged token, and a new replica is served from the cache with zero network calls', async () => {
    const partition = randomUUID();
    const scopesOf = (i: number) => [0, 1, 2].map((j) => `api://resource-${i}-${j}/.default`);
    const reports = await Promise.all(Array.from({ length: 16 }, (_, i) => runChild(partition, scopesOf(i))));
    const acknowledged = reports.flatMap((report) => report.tokens);
    expect(acknowledged).toHaveLength(48);
    expect(reports.every((report) => report.network === 3)).toBe(true);

    const persistence = await RedisPersistence.create({ url: server.url, partition });
    const blob = JSON.parse(new TextDecoder().decode((await persistence.load()) ?? undefined)) as {
      AccessToken: Record<string, { secret: string }>;
    };
    await persistence.close();
    const stored = new Set(Object.values(blob.AccessToken).map((entry) => entry.secret));
    for (const token of acknowledged) expect(stored.has(token)).toBe(true);

    const newcomer = await runChild(partition, Array.from({ length: 16 }, (_, i) => scopesOf(i)).flat());
    expect(newcomer.network).toBe(0);
    expect(newcomer.fromCache).toBe(48);
    expect(new Set(newcomer.tokens)).toEqual(new Set(acknowledged));
    // 17 Node processes starting on a shared 2-CPU machine: their startup alone can take most of the default 30 s.
  }, 120_000);
});
