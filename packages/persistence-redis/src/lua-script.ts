import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the server does not know it yet
 * (first use, or after a restart flushed its script cache). Runs atomically on the server.
 *
 * @example
 * ```ts
 * const getset = new LuaScript('return redis.call("GET", KEYS[1])');
 * await getset.run(client, ['k'], []);
 * ```
 */
export class LuaScript {
  /** SHA-1 of the source, as EVALSHA wants it. */
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keys` and `args` on `client`. */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
