import { PersistenceError } from '@msal-persist/core';
import { loadNative } from '@msal-persist/persistence-file';
import { ASK_LIBSECRET, lookupOverBus } from './bus-lookup.js';
import { LibsecretCallError, type LibsecretNative, type SecretItem } from './libsecret-native.js';
import { libsecretReadsOverBus } from './read-path.js';
import { missingSessionBus } from './session-bus.js';

type Koffi = typeof import('koffi');
type Pointer = unknown;
type Operation = LibsecretCallError['operation'];

/**
 * Options for {@link KoffiLibsecretNative}.
 *
 * @example
 * ```ts
 * const options: KoffiLibsecretNativeOptions = { library: 'libsecret-1.so.0' };
 * ```
 */
export interface KoffiLibsecretNativeOptions {
  /** The libsecret shared object to load. Default `libsecret-1.so.0` (Debian/Ubuntu package `libsecret-1-0`). */
  library?: string;
  /** The environment to look for a session bus in. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

const BACKEND = 'libsecret';
const SECRET_SEARCH_ALL = 1 << 1;
/** `SECRET_ERROR_IS_LOCKED` in the `secret-error` domain: what libsecret reports for a locked collection. */
const SECRET_ERROR_IS_LOCKED = 2;
const LIBRARY = 'libsecret-1.so.0';

interface Binding {
  call(operation: Operation, item: SecretItem, data: Uint8Array | undefined, signal?: AbortSignal): Promise<unknown>;
}

function loadKoffi(): Promise<Koffi> {
  return loadNative<Koffi>(() => import('koffi'), {
    module: 'koffi',
    backend: BACKEND,
    purpose: 'the FFI library libsecret is called through',
  });
}

function isUtf8Text(data: Uint8Array): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

function bind(koffi: Koffi, library: string): Binding {
  let secret: ReturnType<Koffi['load']>;
  try {
    secret = koffi.load(library);
  } catch (cause) {
    throw new PersistenceError(
      'NotAvailable',
      `Cannot load ${library}: libsecret is not installed. Install it (Debian/Ubuntu: \`apt-get install libsecret-1-0\`; ` +
        'Fedora, Arch, Alpine: `libsecret`), or use another backend.',
      { backend: BACKEND, cause },
    );
  }
  // libsecret links these; loading them by soname finds the same copies.
  const glib = koffi.load('libglib-2.0.so.0');
  const gobject = koffi.load('libgobject-2.0.so.0');
  const gio = koffi.load('libgio-2.0.so.0');
  // Anonymous type: a named koffi type can be declared once per process, and the ESM and CJS
  // builds of this package may both load.
  const GError = koffi.struct({ domain: 'uint32_t', code: 'int', message: 'const char *' });

  const g_hash_table_new_full = glib.func(
    'void *g_hash_table_new_full(void *hash, void *equal, void *kfree, void *vfree)',
  );
  const g_hash_table_insert = glib.func('int g_hash_table_insert(void *table, void *key, void *value)');
  const g_hash_table_unref = glib.func('void g_hash_table_unref(void *table)');
  const g_strdup = glib.func('void *g_strdup(const char *text)');
  const g_error_free = glib.func('void g_error_free(void *error)');
  const g_quark_to_string = glib.func('const char *g_quark_to_string(uint32_t quark)');
  const g_str_hash = glib.symbol('g_str_hash');
  const g_str_equal = glib.symbol('g_str_equal');
  const g_free = glib.symbol('g_free');
  const g_object_unref = gobject.func('void g_object_unref(void *object)');
  const g_cancellable_new = gio.func('void *g_cancellable_new()');
  const g_cancellable_cancel = gio.func('void g_cancellable_cancel(void *cancellable)');

  // The *v_binary variants (libsecret >= 0.19) take attribute tables and raw bytes, so any
  // schema, attributes and payload go through without varargs.
  const schema_newv = secret.func('void *secret_schema_newv(const char *name, int flags, void *attribute_types)');
  const schema_unref = secret.func('void secret_schema_unref(void *schema)');
  const value_new = secret.func(
    'void *secret_value_new(const uint8_t *data, intptr_t length, const char *content_type)',
  );
  const value_get = secret.func('const uint8_t *secret_value_get(void *value, _Out_ size_t *length)');
  const value_unref = secret.func('void secret_value_unref(void *value)');
  const lookup = secret.func(
    'void *secret_password_lookupv_binary_sync(void *schema, void *attributes, void *cancellable, _Out_ void **error)',
  );
  const store = secret.func(
    'int secret_password_storev_binary_sync(void *schema, void *attributes, const char *collection, const char *label, void *value, void *cancellable, _Out_ void **error)',
  );
  const clear = secret.func(
    'int secret_password_clearv_sync(void *schema, void *attributes, void *cancellable, _Out_ void **error)',
  );
  const service_get = secret.func('void *secret_service_get_sync(int flags, void *cancellable, _Out_ void **error)');
  const search = secret.func(
    'void *secret_service_search_sync(void *service, void *schema, void *attributes, int flags, void *cancellable, _Out_ void **error)',
  );
  const item_get_locked = secret.func('int secret_item_get_locked(void *item)');
  const g_list_free_full = glib.func('void g_list_free_full(void *list, void *free)');
  const GList = koffi.struct({ data: 'void *', next: 'void *', prev: 'void *' });
  const g_object_unref_symbol = gobject.symbol('g_object_unref');

  const table = (entries: Iterable<readonly [string, string | null]>): Pointer => {
    const created = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (const [key, value] of entries)
      g_hash_table_insert(created, g_strdup(key), value === null ? null : g_strdup(value));
    return created;
  };

  const readError = (operation: Operation, pointer: Pointer): LibsecretCallError => {
    const error = koffi.decode(pointer, GError) as { domain: number; code: number; message: string | null };
    const domain = g_quark_to_string(error.domain) as string | null;
    const result = new LibsecretCallError(operation, domain ?? 'unknown', error.code, error.message ?? '');
    g_error_free(pointer);
    return result;
  };

  const readValue = (value: Pointer): Uint8Array => {
    try {
      const length: [number | bigint] = [0];
      const bytes = value_get(value, length);
      const size = Number(length[0]);
      // decode copies into JS-owned memory; the value is freed right below.
      return size === 0
        ? new Uint8Array(0)
        : (koffi.decode(bytes, koffi.array('uint8_t', size, 'Typed')) as Uint8Array);
    } finally {
      value_unref(value);
    }
  };

  const run = (fn: typeof lookup, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      fn.async(...args, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)));
    });

  // libsecret's lookup and clear ask to unlock a locked item and, when no prompt can be shown
  // (no display) or the user dismisses it, answer "nothing there". Tell that apart from an
  // empty keyring: search again without unlocking and report a locked match as IS_LOCKED.
  const failIfLocked = async (operation: Operation, schema: Pointer, attributes: Pointer, cancellable: Pointer) => {
    const error: [Pointer] = [null];
    const service = await run(service_get, [0, cancellable, error]);
    if (error[0]) throw readError(operation, error[0]);
    let list: Pointer = null;
    try {
      list = await run(search, [service, schema, attributes, SECRET_SEARCH_ALL, cancellable, error]);
      if (error[0]) throw readError(operation, error[0]);
      for (let node = list; node; node = (koffi.decode(node, GList) as { next: Pointer }).next) {
        const { data } = koffi.decode(node, GList) as { data: Pointer };
        if (item_get_locked(data)) {
          throw new LibsecretCallError(
            operation,
            'secret-error',
            SECRET_ERROR_IS_LOCKED,
            'the item is in a locked collection and was not unlocked',
          );
        }
      }
    } finally {
      if (list) g_list_free_full(list, g_object_unref_symbol);
      g_object_unref(service);
    }
  };

  return {
    async call(operation, item, data, signal) {
      signal?.throwIfAborted();
      // Every attribute is a string (value 0 = SECRET_SCHEMA_ATTRIBUTE_STRING); flags 0 makes
      // lookups match xdg:schema, as keytar and the Python extension do.
      const types = table(Object.keys(item.attributes).map((name) => [name, null] as const));
      const schema = schema_newv(item.schema, 0, types);
      g_hash_table_unref(types);
      const attributes = table(Object.entries(item.attributes));
      const cancellable = g_cancellable_new();
      // A timeout aborts the signal: cancel the blocked D-Bus call so its thread is freed.
      const cancel = () => g_cancellable_cancel(cancellable);
      signal?.addEventListener('abort', cancel, { once: true });
      const error: [Pointer] = [null];
      let value: Pointer = null;
      try {
        if (operation === 'lookup') {
          const found = await run(lookup, [schema, attributes, cancellable, error]);
          if (error[0]) throw readError(operation, error[0]);
          if (found) return readValue(found);
          await failIfLocked(operation, schema, attributes, cancellable);
          return null;
        }
        if (operation === 'clear') {
          const removed = await run(clear, [schema, attributes, cancellable, error]);
          if (error[0]) throw readError(operation, error[0]);
          if (removed) return true;
          await failIfLocked(operation, schema, attributes, cancellable);
          return false;
        }
        const bytes = data ?? new Uint8Array(0);
        value = value_new(bytes, bytes.byteLength, isUtf8Text(bytes) ? 'text/plain' : 'application/octet-stream');
        const stored = await run(store, [
          schema,
          attributes,
          item.collection ?? null,
          item.label,
          value,
          cancellable,
          error,
        ]);
        if (error[0]) throw readError(operation, error[0]);
        if (!stored) throw new LibsecretCallError(operation, 'secret-error-quark', 0, 'the item was not stored');
        return undefined;
      } finally {
        // Remove the listener first: a late abort must never touch a freed cancellable.
        signal?.removeEventListener('abort', cancel);
        if (value) value_unref(value);
        g_object_unref(cancellable);
        g_hash_table_unref(attributes);
        schema_unref(schema);
      }
    },
  };
}

/**
 * The real {@link LibsecretNative}: libsecret's `secret_password_*v_binary_sync` calls from
 * `libsecret-1.so.0` through koffi (prebuilt, no compiler), each run on a libuv worker thread so
 * the event loop never waits on D-Bus, one at a time, and cancelled through a `GCancellable` when
 * the caller's signal aborts. Lookups go to the Secret Service over the bus socket first (no
 * native code; libsecret answers whatever that does not handle), so nothing is loaded before the
 * first write, and nothing at all when no session bus exists; every failure to load is a
 * `PersistenceError` `NotAvailable` naming what is missing.
 *
 * @example
 * ```ts
 * const native = new KoffiLibsecretNative();
 * const bytes = await native.lookup({ schema: 'org.freedesktop.Secret.Generic', attributes: { service: 'my-app', account: 'MSALCache' }, label: '' });
 * ```
 */
export class KoffiLibsecretNative implements LibsecretNative {
  private binding: Promise<Binding> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private overBus: boolean | undefined;
  private readonly library: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: KoffiLibsecretNativeOptions = {}) {
    this.library = options.library ?? LIBRARY;
    this.env = options.env ?? process.env;
  }

  async lookup(item: SecretItem, signal?: AbortSignal): Promise<Uint8Array | null> {
    return (await this.enqueue('lookup', item, undefined, signal)) as Uint8Array | null;
  }

  async store(item: SecretItem, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.enqueue('store', item, data, signal);
  }

  async clear(item: SecretItem, signal?: AbortSignal): Promise<boolean> {
    return (await this.enqueue('clear', item, undefined, signal)) as boolean;
  }

  private enqueue(operation: Operation, item: SecretItem, data: Uint8Array | undefined, signal?: AbortSignal) {
    // One call at a time: libsecret's sync calls are not documented as safe to run in parallel,
    // and a lookup queued after a store must see it.
    const result = this.queue.then(async () => {
      this.checkPlatformAndBus();
      if (operation === 'lookup' && this.readsOverBus()) {
        // Reads go straight to the bus socket, so a process that only reads (a CLI's start) never
        // loads koffi and libsecret; whatever that lookup does not handle, libsecret answers.
        const found = await lookupOverBus(item, this.env, signal);
        if (found !== ASK_LIBSECRET) return found;
      }
      return (await this.bound()).call(operation, item, data, signal);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async bound(): Promise<Binding> {
    this.binding ??= loadKoffi().then((koffi) => bind(koffi, this.library));
    return this.binding;
  }

  /** Decided once: see {@link libsecretReadsOverBus}; never for a `library` other than the default. */
  private readsOverBus(): boolean {
    this.overBus ??= this.library === LIBRARY && libsecretReadsOverBus(LIBRARY);
    return this.overBus;
  }

  /** Checked on every call, before anything is loaded or connected. */
  private checkPlatformAndBus(): void {
    if (process.platform !== 'linux') {
      throw new PersistenceError(
        'NotAvailable',
        `The Secret Service backend is for Linux, not ${process.platform}. Use @msal-persist/persistence-keychain on macOS ` +
          'or @msal-persist/persistence-dpapi on Windows (@msal-persist/msal-plugin picks for you).',
        { backend: BACKEND },
      );
    }
    // Checked on every call and before loading anything: without a bus libsecret would try to
    // autolaunch one through X11, which only prints noise, and the check costs microseconds.
    const noBus = missingSessionBus(this.env);
    if (noBus) throw new PersistenceError('NotAvailable', noBus, { backend: BACKEND });
  }
}
