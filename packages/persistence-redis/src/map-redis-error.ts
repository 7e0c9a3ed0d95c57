import { isPersistenceError, PersistenceError } from '@msal-persist/core';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns whatever ioredis rejected with into a {@link PersistenceError} whose code is stable and
 * whose message says what to check. `where` names the server (`redis://host:port`);
 * `lastConnectionError` is the code of the client's last socket error (`ECONNREFUSED`), if known.
 *
 * @example
 * ```ts
 * try { await client.hget(key, 'v'); } catch (e) { throw mapRedisError(e, 'redis:cache', 'redis://127.0.0.1:6379', 2000); }
 * ```
 */
export function mapRedisError(
  error: unknown,
  backend: string,
  where: string,
  timeoutMs: number,
  lastConnectionError?: string,
): PersistenceError {
  if (isPersistenceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  const fail = (kind: PersistenceError['code'], text: string) =>
    new PersistenceError(kind, text, { backend, cause: error });

  if (message.startsWith('LOCKLOST')) {
    return fail(
      'LockLost',
      'The write was refused: this process no longer holds the cache lock (its lease expired, e.g. after a long pause) and another writer may have written since. Retry the token call.',
    );
  }
  if (message.startsWith('LOCKBUSY')) {
    return fail(
      'LockLost',
      'The write was refused: another process holds the cache lock. Acquire the lock before saving.',
    );
  }
  if (code === 'ETIMEDOUT' || /timed out|timeout/i.test(message)) {
    return fail(
      'Timeout',
      `Redis at ${where} did not answer within ${timeoutMs} ms. Check that the server is not paused or overloaded and the network path is healthy, or raise commandTimeoutMs.`,
    );
  }
  if (
    (code !== undefined && UNREACHABLE.has(code)) ||
    /Stream isn't writeable|Connection is closed|MaxRetriesPerRequest|connect E|Reached the max retries/i.test(message)
  ) {
    return fail(
      'NotAvailable',
      `Redis at ${where} is not reachable (${code ?? lastConnectionError ?? message}). Check that redis-server is running, and the host, port, TLS and firewall settings.`,
    );
  }
  if (/^(NOAUTH|WRONGPASS|NOPERM)/.test(message)) {
    return fail(
      'AccessDenied',
      `Redis at ${where} refused the credentials or command (${message}). Check username, password and ACLs.`,
    );
  }
  if (message.startsWith('READONLY')) {
    return fail('ReadOnly', `Redis at ${where} is a read-only replica. Point the client at the primary.`);
  }
  if (message.startsWith('OOM')) {
    return fail('NoSpace', `Redis at ${where} is out of memory (maxmemory reached). Free memory or raise maxmemory.`);
  }
  return fail('Io', `Redis at ${where} failed: ${message}. See the cause.`);
}
