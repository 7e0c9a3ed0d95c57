import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client.js';

/**
 * A script argument.
 *
 * @example
 * ```ts
 * const args: ScriptArg[] = ['save', Buffer.from('{}'), 3600000];
 * ```
 */
export type ScriptArg = string | number | Buffer;

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the server does not know it yet
 * (first use, a restart flushed its script cache, a Cluster node or a new primary that never saw
 * it). Runs atomically on the server.
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
  async run(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** Like {@link LuaScript.run}, with bulk strings in the reply as `Buffer`s (binary-safe blobs). */
  async runBuffer(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return client.callBuffer('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script, then `WAIT replicas timeoutMs` on the same connection (a pipeline, so a
   * Cluster sends both to the node that owns the keys). Resolves with the script's reply and the
   * number of replicas that confirmed every write made so far on that connection.
   */
  async runThenWait(
    client: RedisClient,
    keys: readonly string[],
    args: readonly ScriptArg[],
    replicas: number,
    timeoutMs: number,
  ): Promise<[unknown, number]> {
    const attempt = async (bySha: boolean): Promise<[unknown, number]> => {
      const pipeline = client.pipeline();
      if (bySha) pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
      else pipeline.eval(this.source, keys.length, ...keys, ...args);
      pipeline.wait(replicas, timeoutMs);
      const results = (await pipeline.exec()) ?? [];
      const [scriptError, reply] = results[0] ?? [new Error('Connection is closed.'), null];
      if (scriptError) throw scriptError;
      const [waitError, acknowledged] = results[1] ?? [new Error('Connection is closed.'), null];
      if (waitError) throw waitError;
      return [reply, Number(acknowledged)];
    };
    try {
      return await attempt(true);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return attempt(false);
    }
  }
}
