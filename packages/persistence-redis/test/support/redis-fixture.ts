import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createRedisCache, type RedisCache, type RedisCacheOptions } from '../../src/index.js';
import { type RedisServer, startRedisServer } from '../servers/redis-server.js';

/**
 * One redis-server for a test file (started before its tests, stopped after them), an admin client
 * that survives the server's restarts quietly, and caches on it closed at the end.
 */
export function useRedisServer() {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  const closing: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url).on('error', () => undefined);
  });
  afterAll(async () => {
    for (const item of closing) await item.close();
    admin?.disconnect();
    await server?.stop();
  });
  const started = () => {
    if (!server || !admin) throw new Error('redis-server is not started yet (use it inside a test)');
    return { server, admin };
  };
  return {
    get server(): RedisServer {
      return started().server;
    },
    get admin(): Redis {
      return started().admin;
    },
    /** Closes `item` once the file's tests are done. */
    closeLater<T extends { close(): Promise<void> }>(item: T): T {
      closing.push(item);
      return item;
    },
    /** A fenced cache on this server (a fresh partition unless given), closed at the end. */
    async cache(options: RedisCacheOptions = {}): Promise<RedisCache> {
      return this.closeLater(
        await createRedisCache({ url: started().server.url, partition: randomUUID(), ...options }),
      );
    },
  };
}
