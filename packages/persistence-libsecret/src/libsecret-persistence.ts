import { ChangeSignal } from '@msal-persist/persistence-file';
import { KeyringPersistence, type SecretStore } from '@msal-persist/persistence-keyring';
import { KoffiLibsecretNative } from './koffi-libsecret-native.js';
import type { LibsecretNative } from './libsecret-native.js';
import { LibsecretStore } from './libsecret-store.js';
import { mapSecretServiceError } from './secret-service-errors.js';

/**
 * Options for {@link LibsecretPersistence}. The item is found by `schema` + `attributes`. The
 * defaults are keytar's layout, what `@azure/msal-node-extensions` and
 * `@azure/identity-cache-persistence` wrote: schema `org.freedesktop.Secret.Generic`, attributes
 * `{ service, account }`, label `service/account`. The Python extension's
 * `LibsecretPersistence(location, schema_name, attributes)` maps to `schema` + `attributes`.
 *
 * @example
 * ```ts
 * // keytar layout (msal-node-extensions)
 * const keytar: LibsecretPersistenceOptions = { signalPath: '/home/me/.cache/my-app/msal.cache', service: 'my-app' };
 * // the Python extension's layout
 * const python: LibsecretPersistenceOptions = {
 *   signalPath: '/home/me/.cache/my-app/msal.cache',
 *   schema: 'my.app.cache',
 *   attributes: { MsalClientID: 'my-client-id', 'Microsoft.Developer.IdentityService': '1.0.0.0' },
 * };
 * ```
 */
export interface LibsecretPersistenceOptions {
  /**
   * The signal file rewritten after every save; its stamp tells other processes to reload. Put the
   * cache plugin's `FileLock` at `${signalPath}.lockfile`. To share a cache with another MSAL
   * extension, use the file location it uses.
   */
  signalPath: string;
  /** keytar's `service` attribute (msal-node-extensions' `serviceName`). Required unless `attributes` is given. */
  service?: string;
  /** keytar's `account` attribute (msal-node-extensions' `accountName`). Default `MSALCache`. */
  account?: string;
  /** The schema name (`xdg:schema` attribute), matched on lookup. Default `org.freedesktop.Secret.Generic`. */
  schema?: string;
  /** The attributes that find the item, instead of `{ service, account }`. Strings only. */
  attributes?: Readonly<Record<string, string>>;
  /** The label a keyring viewer shows. Default `service/account` (keytar's), or the schema name with `attributes`. */
  label?: string;
  /** Where new items go: a collection alias (`default`, `session`) or object path. Default: the default collection. */
  collection?: string;
  /** Longest wait for one Secret Service call before failing with `Timeout`. Default 5 000. */
  timeoutMs?: number;
  /** Replaces the libsecret calls (tests). */
  native?: LibsecretNative;
  /** Replaces the whole secret store (tests). */
  store?: SecretStore;
}

let shared: LibsecretNative | undefined;

/** One libsecret binding per module copy, so its calls are serialised across persistences. */
function defaultNative(): LibsecretNative {
  shared ??= new KoffiLibsecretNative();
  return shared;
}

/** keytar's schema, also the Secret Service spec's generic one. */
const GENERIC_SCHEMA = 'org.freedesktop.Secret.Generic';

interface Layout {
  schema: string;
  attributes: Readonly<Record<string, string>>;
  label: string;
  name: string;
}

function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new TypeError(`${name} must be a non-empty string without NUL characters, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function resolveLayout(options: LibsecretPersistenceOptions): Layout {
  const schema = checkText('schema', options.schema ?? GENERIC_SCHEMA);
  if (options.attributes !== undefined) {
    if (options.service !== undefined || options.account !== undefined) {
      throw new TypeError('Pass either service/account (keytar layout) or attributes, not both.');
    }
    const entries = Object.entries(options.attributes);
    if (entries.length === 0 || entries.length > 32) {
      throw new TypeError(`attributes must have 1 to 32 entries (libsecret's limit), got ${entries.length}.`);
    }
    for (const [key, value] of entries) {
      checkText('An attribute name', key);
      if (key.startsWith('xdg:'))
        throw new TypeError(`Attribute ${key} is reserved for libsecret; use the schema option.`);
      checkText(`attributes.${key}`, value);
    }
    const shown = entries.map(([key, value]) => `${key}=${value}`).join(',');
    return {
      schema,
      attributes: Object.fromEntries(entries),
      label: checkText('label', options.label ?? schema),
      name: `libsecret:${schema}{${shown}}`,
    };
  }
  if (options.service === undefined) {
    throw new TypeError('LibsecretPersistence needs service (keytar layout) or attributes.');
  }
  const service = checkText('service', options.service);
  const account = checkText('account', options.account ?? 'MSALCache');
  return {
    schema,
    attributes: { service, account },
    label: checkText('label', options.label ?? `${service}/${account}`),
    name: `libsecret:${service}/${account}`,
  };
}

/**
 * The msal token cache as one item in the Linux Secret Service (GNOME Keyring, KWallet,
 * KeePassXC), through libsecret (`libsecret-1.so.0`, called through koffi: no compiler). Items
 * carry the schema, attributes and label you choose; the defaults are keytar's, so a cache written
 * by `@azure/msal-node-extensions` is read here and the other way round. The secret is the cache's
 * UTF-8 JSON as `text/plain`, as keytar and the Python extension store it.
 *
 * @example
 * ```ts
 * const persistence = new LibsecretPersistence({ signalPath: `${dir}/msal.cache`, service: 'my-app' });
 * const lock = new FileLock(`${dir}/msal.cache.lockfile`);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export class LibsecretPersistence extends KeyringPersistence {
  /** The item's schema name. */
  readonly schema: string;
  /** The item's attributes (without `xdg:schema`). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The item's label. */
  readonly label: string;

  constructor(options: LibsecretPersistenceOptions) {
    const layout = resolveLayout(options);
    const store =
      options.store ??
      new LibsecretStore({
        ...layout,
        native: options.native ?? defaultNative(),
        ...(options.collection === undefined ? {} : { collection: checkText('collection', options.collection) }),
      });
    super({
      name: layout.name,
      account: layout.schema,
      keyKind: 'schema',
      store,
      signal: new ChangeSignal(options.signalPath),
      mapError: (error, context) => mapSecretServiceError(error, context),
      storeLabel: 'The Secret Service',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.schema = layout.schema;
    this.attributes = layout.attributes;
    this.label = layout.label;
  }
}
