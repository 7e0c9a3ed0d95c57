// Issue 16, case 9: numeric options were taken as given (a lease of 0, a timeout of -1, NaN), failing
// later and obscurely or not at all. Each is now checked before anything connects, with an error
// that names it.
import { describe, expect, it } from 'vitest';
import { createRedisCache, fastFailRedisOptions, RedisConnection, RedisLock, RedisPersistence } from '../src/index.js';

// Nothing listens here: an option checked only after connecting would fail with NotAvailable instead.
const url = 'redis://127.0.0.1:1';

const invalid: ReadonlyArray<[string, unknown]> = [
  ['connectTimeoutMs', 0],
  ['connectTimeoutMs', Number.NaN],
  ['commandTimeoutMs', -1],
  ['commandTimeoutMs', 2 ** 31],
  ['failoverTimeoutMs', -5],
  ['leaseMs', 0],
  ['leaseMs', 99],
  ['leaseMs', 1.5],
  ['defaultTimeoutMs', -1],
  ['defaultTimeoutMs', Number.POSITIVE_INFINITY],
  ['ttlMs', 0],
  ['ttlMs', '3600000'],
  ['keepAsideTtlMs', 0],
  ['maxStalenessMs', -1],
  ['minReplicas', -1],
  ['minReplicas', 0.5],
  ['replicaTimeoutMs', 0],
  ['replicaTimeoutMs', 5_000],
];

describe('numeric options', () => {
  it.each(invalid)(
    'createRedisCache rejects %s = %s with an error naming it, before connecting',
    async (name, value) => {
      const error = await createRedisCache({ url, [name]: value }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toMatch(/^(TypeError|RangeError)$/);
      expect((error as Error).message).toMatch(new RegExp(`^${name} must be `));
    },
  );

  it('RedisPersistence.create, RedisConnection.open, RedisLock and fastFailRedisOptions check theirs too', async () => {
    const rejection = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(await rejection(RedisPersistence.create({ url, maxStalenessMs: -1 }))).toBeInstanceOf(RangeError);
    expect(await rejection(RedisConnection.open({ url, commandTimeoutMs: 0 }))).toBeInstanceOf(RangeError);
    expect(() => fastFailRedisOptions({ connectTimeoutMs: Number.NaN })).toThrow(/connectTimeoutMs must be/);
    const connection = await RedisConnection.open({ url, connectTimeoutMs: 1 }).catch(() => undefined);
    expect(connection).toBeUndefined();
    const { Redis } = await import('ioredis');
    const lazy = new RedisConnection(new Redis({ lazyConnect: true }));
    expect(() => new RedisLock(lazy, { leaseMs: 50 })).toThrow(/leaseMs must be an integer from 100/);
    expect(() => new RedisPersistence(lazy, { ttlMs: -1 })).toThrow(/ttlMs must be/);
  });

  it('refuses two ways to connect at once', async () => {
    const error = await createRedisCache({ url, sentinel: { name: 'm', sentinels: [{ host: 'h', port: 1 }] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/one of client, url, sentinel and cluster/);
  });
});
