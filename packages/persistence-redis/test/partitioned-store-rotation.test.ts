// Key rotation with no downtime, across two real processes of a fleet: each step of the rollout
// restarts one process with its new key list while the other keeps serving with its old one,
// and every request of every step succeeds and reads the last write. Then: what happens without
// the first step, and a blob copied to another user's partition.
import { randomUUID } from 'node:crypto';
import { isPersistenceError } from '@msal-persist/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AesGcmCodec, createRedisPartitionedStore, partitionKeys } from '../src/index.js';
import { failure, text } from './support/helpers.js';
import { type PartitionWorker, startPartitionWorker } from './support/partition-worker.js';
import { useRedisServer } from './support/redis-fixture.js';

const redis = useRedisServer();
const workers = new Set<PartitionWorker>();
afterEach(async () => {
  for (const worker of workers) await worker.stop();
  workers.clear();
});

const k1 = Buffer.from(AesGcmCodec.generateKey()).toString('base64');
const k2 = Buffer.from(AesGcmCodec.generateKey()).toString('base64');
const ring = (...ids: ('k1' | 'k2')[]) => ids.map((id) => `${id}:${id === 'k1' ? k1 : k2}`).join(',');
const USERS = ['alice', 'bob', 'carol', 'dave'];

async function start(prefix: string, keys: string): Promise<PartitionWorker> {
  const worker = await startPartitionWorker({ REDIS_URL: redis.server.url, PREFIX: prefix, KEYS: keys });
  workers.add(worker);
  return worker;
}

async function restart(worker: PartitionWorker, prefix: string, keys: string): Promise<PartitionWorker> {
  await worker.stop();
  workers.delete(worker);
  return start(prefix, keys);
}

/** Requests in turn: one process writes every user's partition, the other reads them all back. */
async function traffic(a: PartitionWorker, b: PartitionWorker, step: string, failures: string[]): Promise<void> {
  for (let round = 0; round < 6; round++) {
    const [writer, reader] = round % 2 === 0 ? [a, b] : [b, a];
    for (const user of USERS) {
      const value = `{"user":"${user}","step":"${step}","round":${round}}`;
      try {
        await writer.write(user, value);
        const seen = await reader.read(user);
        if (seen !== value) failures.push(`${step} round ${round} ${user}: read ${seen}`);
      } catch (error) {
        failures.push(`${step} round ${round} ${user}: ${(error as Error).message}`);
      }
    }
  }
}

/** The key id in the header of `user`'s stored blob. */
async function sealedWith(prefix: string, user: string): Promise<string> {
  const blob = await redis.admin.hgetBuffer(partitionKeys(prefix, user).cache, 'd');
  if (blob?.[0] !== 2) return `format ${blob?.[0]}`;
  return blob.subarray(2, 2 + (blob[1] ?? 0)).toString();
}

describe('RedisPartitionedStore, encryption key rotation', () => {
  it('rolls k1 -> k2 through two processes, one restart at a time, with no failed request', async () => {
    const prefix = `rotation-${randomUUID()}`;
    const failures: string[] = [];
    let a = await start(prefix, ring('k1'));
    let b = await start(prefix, ring('k1'));
    await traffic(a, b, 'k1 everywhere', failures);
    // Step 1: every process learns k2, still sealing with k1.
    a = await restart(a, prefix, ring('k1', 'k2'));
    await traffic(a, b, 'a knows k2', failures);
    b = await restart(b, prefix, ring('k1', 'k2'));
    await traffic(a, b, 'both know k2', failures);
    // Step 2: k2 seals; the other process can already open it.
    a = await restart(a, prefix, ring('k2', 'k1'));
    await traffic(a, b, 'a seals with k2', failures);
    b = await restart(b, prefix, ring('k2', 'k1'));
    await traffic(a, b, 'both seal with k2', failures);
    for (const user of USERS) expect(await sealedWith(prefix, user)).toBe('k2');
    // Step 3: every blob was rewritten with k2, so k1 can go.
    a = await restart(a, prefix, ring('k2'));
    b = await restart(b, prefix, ring('k2'));
    await traffic(a, b, 'k1 retired', failures);
    expect(failures).toEqual([]);
  }, 120_000);

  it('skipping step 1 fails: a process that does not know k2 cannot read what k2 sealed', async () => {
    const prefix = `rotation-skip-${randomUUID()}`;
    const a = await start(prefix, ring('k2', 'k1'));
    const b = await start(prefix, ring('k1'));
    await a.write('alice', '{"user":"alice"}');
    const error = (await failure(b.read('alice'))) as Error;
    expect(error.message).toMatch(/^PersistenceError: .*key id that is not among/);
  }, 60_000);

  it('binds each blob to its partition: a blob copied to another user does not decode', async () => {
    const prefix = `binding-${randomUUID()}`;
    const open = async () =>
      redis.closeLater(
        await createRedisPartitionedStore({
          url: redis.server.url,
          prefix,
          codec: new AesGcmCodec({ keys: [{ id: 'k1', key: Buffer.from(k1, 'base64') }] }),
        }),
      );
    const store = await open();
    expect(store.isEncrypted).toBe(true);
    await store.partition('alice').persistence.save(text('{"user":"alice"}'));
    await store.partition('mallory').persistence.save(text('{"user":"mallory"}'));
    const alices = await redis.admin.hgetBuffer(partitionKeys(prefix, 'alice').cache, 'd');
    await redis.admin.hset(partitionKeys(prefix, 'mallory').cache, 'd', alices ?? '', 'v', 'copied');
    // A hand edit publishes nothing, so the writer's L1 may still serve what it saved: read as a
    // new process does.
    const reader = await open();
    const error = await failure(reader.partition('mallory').persistence.load());
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
  });
});
