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

// Node's certificate verification codes, and OpenSSL alerts (`ERR_SSL_…`, e.g. a server that wants
// a client certificate) or a TLS client talking to a plain port (`ERR_SSL_WRONG_VERSION_NUMBER`).
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A server failing over or resharding: a command sent a moment later reaches the new owner. */
const SWITCHING = /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

const CONNECTION =
  /Stream isn't writeable|Connection is closed|Command aborted due to connection close|MaxRetriesPerRequest|connect E|Reached the max retries|None of startup nodes is available|Failed to refresh slots cache|Cluster is (disconnected|ended|disconnecting)|Too many Cluster redirections/i;

/**
 * What the client last saw go wrong on its socket, for a command that only says "closed".
 *
 * @example
 * ```ts
 * const last: ConnectionProblem = { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6379' };
 * ```
 */
export interface ConnectionProblem {
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

// ioredis, when no sentinel answered or none knows the name (then without a "Last error").
const ALL_SENTINELS = /^All sentinels are unreachable/;

/** The monitored name in a `redis-sentinel://<name>@…` description. */
function sentinelName(where: string): string | undefined {
  return /^redis-sentinel:\/\/([^@]*)@/.exec(where)?.[1];
}

function noSentinelAnswer(where: string): string {
  return `No sentinel of ${where} named a primary for ${sentinelName(where)}`;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A connect that timed out (ioredis's `connect ETIMEDOUT`, ours `connect timed out`), not a command. */
function isConnectTimeout(cause: unknown): boolean {
  const message = cause instanceof Error ? cause.message : '';
  return /^connect (ETIMEDOUT|timed out)/.test(message);
}

function isTlsCode(code: string | undefined): code is string {
  return code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'));
}

/**
 * A copy of a driver error with only its name, code and message. ioredis attaches the failed
 * command, arguments included, to its errors (`error.command.args`): for a save that is the whole
 * token cache, so the original must never travel as a `cause`.
 */
function driverCause(error: unknown, code = codeOf(error)): Error {
  const source = error instanceof Error ? error : undefined;
  const copy = new Error(source ? source.message : typeof error === 'string' ? error : 'unknown error');
  copy.name = source?.name ?? 'Error';
  if (code !== undefined) Object.defineProperty(copy, 'code', { value: code, enumerable: true });
  return copy;
}

/**
 * Turns whatever ioredis rejected with into a {@link PersistenceError} whose code is stable and
 * whose message says what to check. `where` names the server (`redis://host:port`); `last` is what
 * the client's socket last failed with (`ECONNREFUSED`, a certificate error), if known. The cause
 * is a payload-free copy of the driver's error.
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
  last?: ConnectionProblem,
): PersistenceError {
  if (isPersistenceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  const fail = (kind: PersistenceError['code'], text: string, causeCode?: string) =>
    new PersistenceError(kind, text, { backend, cause: driverCause(error, causeCode ?? code) });

  if (message.startsWith('LOCKLOST')) {
    return fail(
      'LockLost',
      'The write was refused: this process no longer holds the cache lock (its lease expired, e.g. after a long pause, or a failover lost it) and another writer may have written since. Retry the token call.',
    );
  }
  if (message.startsWith('LOCKBUSY')) {
    return fail(
      'LockLost',
      'The write was refused: another process holds the cache lock. Acquire the lock before saving.',
    );
  }
  if (message.startsWith('WRONGTYPE')) {
    return fail(
      'Corrupt',
      `A key of this cache at ${where} holds a value of another type than this package writes. It is moved aside at the next save.`,
    );
  }
  if (ALL_SENTINELS.test(message)) {
    const lastError = /Last error: (.*?)\.?$/.exec(message)?.[1];
    return fail(
      'NotAvailable',
      `${noSentinelAnswer(where)}${lastError ? ` (last error: ${lastError})` : ''}. Check that the sentinels run and are reachable, ` +
        `and that they monitor ${sentinelName(where)} (SENTINEL GET-MASTER-ADDR-BY-NAME ${sentinelName(where)}).`,
    );
  }
  const tlsCode = isTlsCode(code) ? code : isTlsCode(last?.code) ? last.code : undefined;
  if (tlsCode !== undefined) {
    return fail(
      'NotAvailable',
      `The TLS connection to Redis at ${where} failed (${tlsCode}). Pass the CA that signed the server certificate as tls.ca, ` +
        'tls.servername when the certificate names a host other than the one you connect to, and tls.cert/tls.key when the server requires client certificates.',
      tlsCode,
    );
  }
  if (code === 'ETIMEDOUT' || /timed out|timeout/i.test(message)) {
    const connecting = /connect/i.test(message);
    return fail(
      'Timeout',
      `Redis at ${where} did not ${connecting ? 'accept a connection' : 'answer'} within ${timeoutMs} ms. Check that the server is not paused or overloaded and the network path is healthy, or raise ${connecting ? 'connectTimeoutMs' : 'commandTimeoutMs'}.`,
    );
  }
  if ((code !== undefined && UNREACHABLE.has(code)) || CONNECTION.test(message) || SWITCHING.test(message)) {
    const shown = code ?? last?.code ?? message;
    // A TLS server that wants a client certificate may reset the socket before its alert is read.
    const reset = where.startsWith('rediss://') && (shown === 'ECONNRESET' || shown === 'EPIPE');
    return fail(
      'NotAvailable',
      `Redis at ${where} is not reachable (${shown}). Check that redis-server is running, and the host, port, TLS and firewall settings.` +
        (reset
          ? ' A TLS server that requires client certificates closes the connection without one: pass tls.cert and tls.key.'
          : ''),
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

/**
 * True when `error` (a mapped one) is what a failover or a resharding looks like from the client:
 * no connection — refused, or a connect that timed out because the primary's machine is gone —, a
 * replica that was the primary, a server loading or electing. A call that waits a moment reaches
 * the new primary. Certificate problems and commands that timed out never heal by waiting.
 *
 * @example
 * ```ts
 * if (isSwitchingOver(mapped)) await delay(100);
 * ```
 */
export function isSwitchingOver(error: PersistenceError): boolean {
  if (error.code === 'ReadOnly') return true;
  if (error.code === 'Timeout') return isConnectTimeout(error.cause);
  if (error.code !== 'NotAvailable') return false;
  return !isTlsCode(codeOf(error.cause));
}

/**
 * The error for a wait for a new primary that ran out: `error` is how the last attempt failed
 * (`NotAvailable` or `ReadOnly`, kept with its cause), `limit` names what bounded the wait. The
 * message says what to check on the topology `where` names, and which option to raise.
 *
 * @example
 * ```ts
 * throw failoverOutlasted(mapped, 'redis-sentinel://mymaster@s1:26379', 'failoverTimeoutMs (15000 ms)');
 * ```
 */
export function failoverOutlasted(
  error: PersistenceError,
  where: string,
  limit: string,
  last?: ConnectionProblem,
): PersistenceError {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const causeCode = codeOf(cause);
  const shown =
    error.code === 'ReadOnly'
      ? 'READONLY'
      : ALL_SENTINELS.test(cause?.message ?? '')
        ? noSentinelAnswer(where).replace(` of ${where}`, '').toLowerCase()
        : (causeCode ?? last?.code ?? cause?.message ?? error.message);
  const name = sentinelName(where);
  const check = name
    ? `Check that the sentinels run, monitor ${name} and name a primary that runs (SENTINEL GET-MASTER-ADDR-BY-NAME ${name}), and have a replica to promote, ` +
      "or raise failoverTimeoutMs above the sentinels' down-after-milliseconds plus an election."
    : where.startsWith('redis-cluster://')
      ? 'Check that every slot has a primary that runs (CLUSTER INFO says cluster_state:ok; a failed primary needs a replica to take over), ' +
        'or raise failoverTimeoutMs above cluster-node-timeout plus an election.'
      : 'Check that redis-server is running, and the host, port, TLS and firewall settings, or raise failoverTimeoutMs.';
  // A connect that timed out on every try is no primary either: NotAvailable, like a refused one.
  return new PersistenceError(
    error.code === 'ReadOnly' ? 'ReadOnly' : 'NotAvailable',
    `Redis at ${where} had no ${error.code === 'ReadOnly' ? 'writable ' : ''}primary within ${limit}; the last attempt failed with ${shown}. ${check}`,
    { backend: error.backend, cause: error.cause },
  );
}

/**
 * True when `error` (a mapped one) is a command that got no answer in time: on a Sentinel or
 * Cluster connection the primary may be hung (a frozen VM keeps its sockets open) and replaced.
 *
 * @example
 * ```ts
 * if (isCommandTimeout(mapped)) client.disconnect(true);
 * ```
 */
export function isCommandTimeout(error: PersistenceError): boolean {
  return error.code === 'Timeout' && error.cause instanceof Error && /^Command timed out/.test(error.cause.message);
}
