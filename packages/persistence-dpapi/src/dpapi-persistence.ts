import type { BinaryInput } from '@msal-persist/core';
import { FilePersistence } from '@msal-persist/persistence-file';
import { DpapiCodec } from './dpapi-codec.js';
import type { DpapiNative, DpapiScope } from './dpapi-native.js';

/**
 * Options for {@link DpapiPersistence}.
 *
 * @example
 * ```ts
 * const options: DpapiPersistenceOptions = { entropy: 'my-app', scope: 'CurrentUser' };
 * ```
 */
export interface DpapiPersistenceOptions {
  /** Extra secret mixed into the encryption; the same value is needed to read the cache. Default: none. */
  entropy?: BinaryInput;
  /** `CurrentUser` (default): only this Windows user can read it. `LocalMachine`: any user of this machine. */
  scope?: DpapiScope;
  /** The DPAPI calls. Default: the real crypt32 through koffi. Tests pass a fake. */
  native?: DpapiNative;
  /** File mode on POSIX (ignored on Windows, where the file inherits its folder's ACL). Default `0o600`. */
  mode?: number;
  /** Backend name for messages. Default `dpapi:${path}`. */
  name?: string;
}

/**
 * A token cache file encrypted with Windows DPAPI: the file holds the raw DPAPI blob of the UTF-8
 * JSON, like the other MSAL extensions, so they can share it. Atomic saves, the change stamp and
 * keeping unreadable content aside come from {@link FilePersistence}; pair it with a `FileLock`.
 *
 * @example
 * ```ts
 * import { PersistenceCachePlugin } from '@msal-persist/core';
 * import { FileLock } from '@msal-persist/persistence-file';
 * import { DpapiPersistence } from '@msal-persist/persistence-dpapi';
 *
 * const path = `${process.env.LOCALAPPDATA}\\my-app\\msal.cache`;
 * const cachePlugin = new PersistenceCachePlugin({ persistence: new DpapiPersistence(path), lock: new FileLock(`${path}.lockfile`) });
 * ```
 */
export class DpapiPersistence extends FilePersistence {
  /** The DPAPI scope new saves are encrypted with. */
  readonly scope: DpapiScope;

  constructor(path: string, options: DpapiPersistenceOptions = {}) {
    const name = options.name ?? `dpapi:${path}`;
    const codec = new DpapiCodec({
      backend: name,
      ...(options.entropy === undefined ? {} : { entropy: options.entropy }),
      ...(options.scope === undefined ? {} : { scope: options.scope }),
      ...(options.native === undefined ? {} : { native: options.native }),
    });
    super(path, { name, codec, ...(options.mode === undefined ? {} : { mode: options.mode }) });
    this.scope = codec.scope;
  }
}
