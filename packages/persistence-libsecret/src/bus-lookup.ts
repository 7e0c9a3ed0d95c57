import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { PersistenceError } from '@msal-persist/core';
import { METHOD_RETURN, messageLength, methodCall, parseMessage, type WireMessage } from './dbus-wire.js';
import type { SecretItem } from './libsecret-native.js';
import { sessionBusSocket } from './session-bus.js';

/** What {@link lookupOverBus} returns when libsecret must answer instead (a case it does not handle). */
export const ASK_LIBSECRET = Symbol('ask libsecret');

const SECRETS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const SERVICE = 'org.freedesktop.Secret.Service';
const GDBUS_TIMEOUT_MS = 25_000;
/** Longer than any SASL line a bus sends (`OK <32 hex digits>`, `REJECTED <mechanisms>`). */
const MAX_AUTH_LINE = 4096;

/**
 * Whether the socket at `path` may be trusted with our secrets: a socket file owned by this uid
 * or by root. Why the file's owner, not the peer's credentials: `SO_PEERCRED` is out of reach of
 * Node's `net` without native code, and loading none is this module's reason to exist (koffi costs
 * about 19 ms); asking the bus (`GetConnectionUnixUser`) proves nothing when the bus itself is the
 * impostor. Only the owner of a socket file, or root, can have created it, and in a sticky folder
 * (/tmp) nobody else can replace it; we check before connecting and again after (same inode), so a
 * file swapped while we connect is caught too. A stale `DBUS_SESSION_BUS_ADDRESS` whose path another
 * user took over fails typed (AccessDenied), never hands libsecret the case: GLib would connect to
 * that same socket and believe it.
 */
async function trustedSocket(path: string): Promise<Stats | undefined> {
  let stats: Stats;
  try {
    // Never lstatSync: every synchronous stat fills one buffer Node shares with its cached
    // realpath, which (Node 20) stops resolving symlinks when that buffer last described a socket.
    // The next module loaded, koffi to store the first secret, then came in through its symlinked
    // path (pnpm, workspaces), where its relative path to its binary does not exist.
    stats = await lstat(path);
  } catch {
    return undefined; // nothing there: the connection fails and libsecret reports it
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
    throw new PersistenceError(
      'AccessDenied',
      `The session bus socket ${path} is owned by uid ${stats.uid}, not by this user (uid ${uid}) or root: the address ` +
        'in DBUS_SESSION_BUS_ADDRESS is stale or was taken over by another user, so no secret is read from it. Log in ' +
        'again or restart the session bus, or unset DBUS_SESSION_BUS_ADDRESS.',
      { backend: 'libsecret' },
    );
  }
  return stats;
}

/** One session-bus connection: authenticates, then matches replies to calls by serial. */
class BusConnection {
  private buffer = Buffer.alloc(0);
  private authenticated = false;
  private serial = 0;
  private readonly waiting = new Map<number, { resolve(message: WireMessage): void; reject(error: Error): void }>();
  private failure: Error | undefined;
  private onAuth: ((error?: Error) => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the session bus closed the connection')));
  }

  /** SASL EXTERNAL as this uid, as every D-Bus client on a Unix socket does. */
  authenticate(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    this.socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    return new Promise((resolve, reject) => {
      this.onAuth = (error) => (error ? reject(error) : resolve());
    });
  }

  call(call: Parameters<typeof methodCall>[1]): Promise<WireMessage> {
    if (this.failure) return Promise.reject(this.failure);
    const serial = ++this.serial;
    this.socket.write(methodCall(serial, call));
    return new Promise((resolve, reject) => this.waiting.set(serial, { resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    // Nothing more is read from a connection that failed.
    this.buffer = Buffer.alloc(0);
    this.socket.destroy();
    this.onAuth?.(error);
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }

  private receive(chunk: Buffer): void {
    if (this.failure) return;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.authenticated) {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) {
        // A SASL line is a few dozen bytes: one without end is not a bus, and must not fill our memory.
        if (this.buffer.length > MAX_AUTH_LINE)
          this.fail(new Error('the session bus sent an endless authentication line'));
        return;
      }
      const line = this.buffer.toString('ascii', 0, end);
      this.buffer = this.buffer.subarray(end + 2);
      if (!line.startsWith('OK ')) {
        this.fail(new Error(`the session bus refused authentication (${line.split(' ')[0]})`));
        return;
      }
      this.authenticated = true;
      this.socket.write('BEGIN\r\n');
      this.onAuth?.();
    }
    for (;;) {
      let length: number | undefined;
      try {
        length = messageLength(this.buffer);
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      if (length === undefined || this.buffer.length < length) return;
      const bytes = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      let message: WireMessage;
      try {
        // Only replies we wait for are read whole: a signal (NameAcquired) may carry any type.
        message = parseMessage(bytes, (replySerial) => replySerial !== undefined && this.waiting.has(replySerial));
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      if (message.replySerial === undefined) continue;
      this.waiting.get(message.replySerial)?.resolve(message);
      this.waiting.delete(message.replySerial);
    }
  }
}

/** The reply's body, or `undefined` for an error reply (the caller hands the case to libsecret). */
function bodyOf(message: WireMessage): WireMessage['body'] | undefined {
  return message.type === METHOD_RETURN ? message.body : undefined;
}

/**
 * Looks `item` up on the Secret Service over the session bus socket, without libsecret: Hello,
 * OpenSession (`plain`: the secret crosses this user's own bus, which only this user can read), SearchItems
 * with the item's attributes and `xdg:schema` (as libsecret's lookup matches), then GetSecrets
 * for the first unlocked match, which is the item libsecret's lookup returns. Resolves with its
 * bytes, or `null` when nothing matches. Resolves with {@link ASK_LIBSECRET} for every other case
 * (no Secret Service, a locked match that needs a prompt, an error reply, a bus it cannot reach),
 * so that libsecret answers those exactly as before. Loading no native code is the point: a CLI's
 * start reads its cache this way in about 2 ms, instead of loading koffi and libsecret (about 19 ms).
 */
export async function lookupOverBus(
  item: SecretItem,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Uint8Array | null | typeof ASK_LIBSECRET> {
  signal?.throwIfAborted();
  const path = sessionBusSocket(env);
  // An abstract socket has no file, so no owner to check (see trustedSocket): libsecret connects
  // to it as it always did, and we add no read path of our own.
  if (!path || path.startsWith('\0')) return ASK_LIBSECRET;
  const before = await trustedSocket(path);
  const socket = connect({ path });
  const bus = new BusConnection(socket);
  const abort = () => socket.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', abort, { once: true });
  // GDBus's own call timeout: without a signal, a frozen daemon must not hold the lookup forever.
  const cap = setTimeout(() => socket.destroy(new Error('no answer on the session bus')), GDBUS_TIMEOUT_MS);
  cap.unref();
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const after = await trustedSocket(path);
    if (!before || !after || before.ino !== after.ino || before.dev !== after.dev) return ASK_LIBSECRET;
    await bus.authenticate();
    const service = { destination: SECRETS, path: SERVICE_PATH, iface: SERVICE };
    // Pipelined: the bus answers in order, and nothing below depends on Hello's answer.
    const hello = bus.call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      iface: 'org.freedesktop.DBus',
      member: 'Hello',
    });
    const session = bus.call({ ...service, member: 'OpenSession', signature: 'sv', args: ['plain', ['s', '']] });
    const attributes = Object.entries({ ...item.attributes, 'xdg:schema': item.schema });
    const search = bus.call({ ...service, member: 'SearchItems', signature: 'a{ss}', args: [attributes] });
    // all(): a connection that fails rejects every pending call, and each rejection is handled.
    const replies = await Promise.all([hello, session, search]);
    const [welcomed, opened, found] = replies.map(bodyOf);
    if (!welcomed || !opened || !found) return ASK_LIBSECRET;
    const sessionPath = opened[1];
    const [unlocked, locked] = found as [string[], string[]];
    if (typeof sessionPath !== 'string' || !Array.isArray(unlocked) || !Array.isArray(locked)) return ASK_LIBSECRET;
    const first = unlocked[0];
    if (first === undefined) return locked.length === 0 ? null : ASK_LIBSECRET;
    const secrets = bodyOf(
      await bus.call({ ...service, member: 'GetSecrets', signature: 'aoo', args: [[first], sessionPath] }),
    );
    const entry = (secrets?.[0] as Array<[string, [string, Uint8Array, Uint8Array, string]]> | undefined)?.find(
      ([itemPath]) => itemPath === first,
    );
    const value = entry?.[1][2];
    return value instanceof Uint8Array ? value : ASK_LIBSECRET;
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof PersistenceError) throw error;
    // Unreachable bus, refused authentication, a protocol surprise: libsecret decides and reports.
    return ASK_LIBSECRET;
  } finally {
    clearTimeout(cap);
    signal?.removeEventListener('abort', abort);
    bus.close();
  }
}
