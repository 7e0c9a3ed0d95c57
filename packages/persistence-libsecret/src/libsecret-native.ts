/**
 * One Secret Service item as libsecret addresses it: a schema name (stored as the `xdg:schema`
 * attribute and matched on lookup), string attributes, and, for writes, a label and a collection.
 *
 * @example
 * ```ts
 * const item: SecretItem = {
 *   schema: 'org.freedesktop.Secret.Generic',
 *   attributes: { service: 'my-app', account: 'MSALCache' },
 *   label: 'my-app/MSALCache',
 * };
 * ```
 */
export interface SecretItem {
  /** The schema name (`xdg:schema`). */
  schema: string;
  /** The attributes the item is found by; all string-typed. */
  attributes: Readonly<Record<string, string>>;
  /** What a keyring viewer shows (seahorse); written by `store`, not used to find the item. */
  label: string;
  /** A collection alias (`default`, `session`) or D-Bus object path; `undefined` is the default collection. */
  collection?: string;
}

/**
 * The seam around libsecret's password calls. The real one is {@link KoffiLibsecretNative}
 * (`libsecret-1.so.0` through koffi, off the main thread); tests may pass a fake. Calls reject
 * with {@link LibsecretCallError} for a `GError`, or a `PersistenceError` when libsecret cannot be
 * used at all.
 *
 * @example
 * ```ts
 * const secret = await native.lookup(item, AbortSignal.timeout(5_000));
 * ```
 */
export interface LibsecretNative {
  /** The secret of the item matching `item`'s schema and attributes, or `null` when there is none. */
  lookup(item: SecretItem, signal?: AbortSignal): Promise<Uint8Array | null>;
  /** Creates or replaces the item; `text/plain` when the bytes are UTF-8 text, as keytar and Python store it. */
  store(item: SecretItem, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** Removes every item matching `item`'s schema and attributes; `false` when there was none. */
  clear(item: SecretItem, signal?: AbortSignal): Promise<boolean>;
}

/**
 * A libsecret call that failed with a `GError`: its domain (`g-dbus-error-quark`,
 * `g-io-error-quark`, `secret-error-quark`...), code and message.
 *
 * @example
 * ```ts
 * throw new LibsecretCallError('lookup', 'secret-error-quark', 2, 'Cannot get secret of a locked object');
 * ```
 */
export class LibsecretCallError extends Error {
  override readonly name = 'LibsecretCallError';
  /** The call that failed. */
  readonly operation: 'lookup' | 'store' | 'clear';
  /** The `GError` domain as a string. */
  readonly domain: string;
  /** The `GError` code within its domain. */
  readonly code: number;

  constructor(operation: 'lookup' | 'store' | 'clear', domain: string, code: number, message: string) {
    super(`libsecret ${operation} failed: ${message} (${domain} ${code})`);
    this.operation = operation;
    this.domain = domain;
    this.code = code;
  }
}
