import { expect } from 'vitest';
import { partitionKeys, type RedisPartitionedStore } from '../../src/index.js';
import { waitFor } from '../servers/processes.js';
import { decode, text } from './helpers.js';

/** More than one re-check batch (256 partitions a script on one server). */
const PARTITIONS = 300;

/**
 * The background re-check on any deployment. `store` (opened with `revalidateAfterMs: 600`) holds
 * 300 partitions that nobody asks for during 2.5 x revalidateAfterMs: every stamp is still served
 * from memory. A hand edit of one (`edit` writes `v` = 'hand-edit' and `d` = '{"v":2}' into the
 * cache hash it is given; it publishes nothing) is then seen by the re-check, not by a request.
 */
export async function expectHeldPartitionsRevalidated(
  store: RedisPartitionedStore,
  prefix: string,
  edit: (cacheKey: string) => Promise<void>,
): Promise<void> {
  const users = Array.from({ length: PARTITIONS }, (_, i) => `held-${i}`);
  const persistences = users.map((user) => store.partition(user).persistence);
  const saved = await Promise.all(persistences.map((p, i) => p.save(text(`{"v":${i}}`))));
  await waitFor('every stamp from memory', async () => {
    const stamps = persistences.map((p) => p.stamp());
    await Promise.all(stamps);
    return stamps.every((stamp, i) => stamp === saved[i]);
  });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(persistences.map((p) => p.stamp())).toEqual(saved);
  expect(store.stats().redis.revalidations).toBeGreaterThanOrEqual(PARTITIONS);

  const edited = PARTITIONS - 20;
  await edit(partitionKeys(prefix, users[edited] ?? '').cache);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const stamps = persistences.map((p) => p.stamp());
  expect(stamps[edited]).toBe('hand-edit');
  expect(stamps.filter((_, i) => i !== edited)).toEqual(saved.filter((_, i) => i !== edited));
  expect(decode((await persistences[edited]?.load()) ?? null)).toBe('{"v":2}');
}
