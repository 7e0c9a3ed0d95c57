import type { SecretStore, SecretStoreCallOptions } from '@msal-persist/persistence-keyring';
import type { LibsecretNative, SecretItem } from './libsecret-native.js';

/**
 * Options for {@link LibsecretStore}.
 *
 * @example
 * ```ts
 * const options: LibsecretStoreOptions = {
 *   schema: 'org.freedesktop.Secret.Generic', attributes: { service: 'my-app', account: 'MSALCache' },
 *   label: 'my-app/MSALCache', native: new KoffiLibsecretNative(),
 * };
 * ```
 */
export interface LibsecretStoreOptions {
  /** The cache item's schema name. */
  schema: string;
  /** The cache item's attributes. */
  attributes: Readonly<Record<string, string>>;
  /** The cache item's label. */
  label: string;
  /** Collection alias or object path to create items in; default: the default collection. */
  collection?: string;
  /** The libsecret calls. */
  native: LibsecretNative;
}

/**
 * The {@link SecretStore} over libsecret that `LibsecretPersistence` uses. Its keys are schema
 * names over one fixed set of attributes: the cache is the item of the configured schema, and
 * content kept aside gets a schema of its own (`<schema>.corrupt-<time>`), so a lookup of the
 * cache, ours or another library's, never matches it.
 *
 * @example
 * ```ts
 * const store = new LibsecretStore({ schema, attributes, label, native });
 * await store.set(schema, new TextEncoder().encode('{}'));
 * ```
 */
export class LibsecretStore implements SecretStore {
  private readonly options: LibsecretStoreOptions;

  constructor(options: LibsecretStoreOptions) {
    this.options = options;
  }

  get(schema: string, options: SecretStoreCallOptions = {}): Promise<Uint8Array | null> {
    return this.options.native.lookup(this.item(schema), options.signal);
  }

  set(schema: string, data: Uint8Array, options: SecretStoreCallOptions = {}): Promise<void> {
    return this.options.native.store(this.item(schema), data, options.signal);
  }

  delete(schema: string, options: SecretStoreCallOptions = {}): Promise<boolean> {
    return this.options.native.clear(this.item(schema), options.signal);
  }

  private item(schema: string): SecretItem {
    const { attributes, label, collection } = this.options;
    return {
      schema,
      attributes,
      label: schema === this.options.schema ? label : `${label} (unreadable, kept aside as ${schema})`,
      ...(collection === undefined ? {} : { collection }),
    };
  }
}
