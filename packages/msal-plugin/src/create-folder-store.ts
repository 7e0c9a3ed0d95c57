import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type BytesCodec,
  checkNumberOption,
  isPersistenceError,
  type Logger,
  type LoggerOptions,
  PersistenceError,
  resolveLogger,
} from '@msal-persist/core';
import {
  clearedMarkerPath,
  type FileLockOptions,
  FolderPartitionedStore,
  type FolderPartitionedStoreOptions,
  partitionFileName,
} from '@msal-persist/persistence-file';
import { notInstalled } from './backends.js';
import { defaultCacheDirectory } from './default-paths.js';

/**
 * How a folder store's partitions are encrypted: AES-256-GCM with a key in the Linux kernel
 * keyring, DPAPI on Windows, or `none` (plaintext files, owner-only).
 *
 * @example
 * ```ts
 * const encryption: FolderStoreEncryption = 'kernel-keyring';
 * ```
 */
export type FolderStoreEncryption = 'kernel-keyring' | 'dpapi' | 'none';

/**
 * Options for {@link createFolderStore}.
 *
 * @example
 * ```ts
 * const options: CreateFolderStoreOptions = { dir: '/var/cache/my-api/msal', refreshTokenIdleMs: 7 * 86_400_000 };
 * ```
 */
export interface CreateFolderStoreOptions {
  /** The folder of partition files. Default: `<per-user cache dir>/<appName>/partitions`. */
  dir?: string;
  /** Names the default folder. Default `msal-persist`. */
  appName?: string;
  /** Use plaintext files (mode 0600) when no encryption works here. Default `false`. */
  allowPlaintextFallback?: boolean;
  /** Force one encryption instead of this OS's; `'none'` is plaintext, chosen explicitly. */
  encryption?: FolderStoreEncryption;
  /** Kernel keyring holding the key (Linux). Default `persistent`. */
  keyringScope?: 'persistent' | 'user';
  /** DPAPI scope (Windows). Default `CurrentUser`. */
  dataProtectionScope?: 'CurrentUser' | 'LocalMachine';
  /** DPAPI optional entropy (Windows). */
  entropy?: Uint8Array | string;
  /** How long a partition with a refresh token is kept after its last save. Default 14 days. */
  refreshTokenIdleMs?: number;
  /** How often expired partitions are swept, or `false` for never. Default one hour. */
  sweepEveryMs?: number | false;
  /** Options of every partition's `FileLock`. */
  lock?: FileLockOptions;
  /** Receives the plaintext-fallback warning and failed background sweeps. Default: the console. */
  logger?: Logger | LoggerOptions;
}

/**
 * The folder store {@link createFolderStore} opened: a `FolderPartitionedStore` that says how it
 * encrypts, and why it fell back when it did.
 *
 * @example
 * ```ts
 * const store: FolderStore = await createFolderStore({ dir: '/var/cache/my-api/msal' });
 * console.log(store.encryption, store.isEncrypted);
 * ```
 */
export class FolderStore extends FolderPartitionedStore {
  /** How the partitions are encrypted. */
  readonly encryption: FolderStoreEncryption;
  /** Why this OS's encryption was not used, when the store fell back to plaintext. */
  readonly fallbackReason: PersistenceError | undefined;

  constructor(
    options: FolderPartitionedStoreOptions & { encryption: FolderStoreEncryption; fallbackReason?: PersistenceError },
  ) {
    const { encryption, fallbackReason, ...rest } = options;
    super(rest);
    this.encryption = encryption;
    this.fallbackReason = fallbackReason;
  }
}

type Settings = Omit<FolderPartitionedStoreOptions, 'codec' | 'name'> & { dir: string };

function encryptionsFor(platform: NodeJS.Platform): FolderStoreEncryption[] {
  if (platform === 'linux') return ['kernel-keyring'];
  if (platform === 'win32') return ['dpapi'];
  return [];
}

function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined || choices.includes(value as T)) return value as T | undefined;
  throw new TypeError(
    `${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}; got ${JSON.stringify(value)}.`,
  );
}

// One kernel-keyring codec per folder in a process: stores opened over one folder share its key
// instead of each adding one (a key added by a second store and then dropped for the first one's
// would stay in the keyring, used by nothing).
const keyringCodecs = new Map<string, BytesCodec>();

/** Builds the store for one encryption. */
async function open(
  encryption: FolderStoreEncryption,
  settings: Settings,
  options: CreateFolderStoreOptions,
  fallbackReason?: PersistenceError,
): Promise<FolderStore> {
  const name = `folder(${encryption}):${settings.dir}`;
  let codec: BytesCodec | undefined;
  if (encryption === 'kernel-keyring') {
    const { KernelKeyringCodec } = await import('@msal-persist/persistence-kernel-keyring').catch(
      notInstalled('kernel-keyring', '@msal-persist/persistence-kernel-keyring'),
    );
    const scope = options.keyringScope ?? 'persistent';
    const shared = `${scope}\u0000${settings.dir}`;
    codec = keyringCodecs.get(shared);
    if (codec === undefined) {
      const sampler = new FolderPartitionedStore({ dir: settings.dir });
      codec = new KernelKeyringCodec({
        backend: `folder(${encryption}):${settings.dir}`,
        // One key for the whole folder, found again from any partition's header by a new process.
        binding: settings.dir,
        storedHeader: () => sampler.storedBodySample(256),
        scope,
      });
      keyringCodecs.set(shared, codec);
    }
  } else if (encryption === 'dpapi') {
    const { DpapiCodec } = await import('@msal-persist/persistence-dpapi').catch(
      notInstalled('dpapi', '@msal-persist/persistence-dpapi'),
    );
    codec = new DpapiCodec({
      backend: name,
      ...(options.dataProtectionScope === undefined ? {} : { scope: options.dataProtectionScope }),
      ...(options.entropy === undefined ? {} : { entropy: options.entropy }),
    });
  }
  return new FolderStore({
    ...settings,
    name,
    encryption,
    ...(codec ? { codec } : {}),
    ...(fallbackReason ? { fallbackReason } : {}),
  });
}

/** Saves, loads and deletes a random value in a partition of its own: proves the folder and the encryption. */
async function probe(store: FolderStore): Promise<void> {
  const key = `\u0000probe\u0000${process.pid}\u0000${randomBytes(8).toString('hex')}`;
  const { persistence } = store.partition(key);
  const value = randomBytes(32);
  try {
    await persistence.save(value);
    const back = await persistence.load();
    if (!back || Buffer.compare(Buffer.from(back), value) !== 0) {
      throw new PersistenceError('Io', 'The probe read back different bytes than it wrote.', { backend: store.name });
    }
  } finally {
    await persistence.delete().catch(() => undefined);
    // And the `.cleared` marker of that delete: the probe's partition is never used again.
    await rm(clearedMarkerPath(join(store.dir, partitionFileName(key))), { force: true }).catch(() => undefined);
  }
}

/**
 * The embedded partitioned store for a web app or API on one machine: a `FolderPartitionedStore`
 * encrypted where the machine allows — AES-256-GCM with one key in the Linux kernel keyring (the
 * kernel-keyring backend's codec), DPAPI on Windows — proven by a save/load/delete probe before it
 * is returned. Plaintext files only with `allowPlaintextFallback` (or `encryption: 'none'`),
 * reported by `isEncrypted` and `fallbackReason`. Sweeps expired partitions every hour by default.
 *
 * On Linux the key lives in the kernel keyring only: after a reboot the partitions cannot be
 * decrypted, so they are deleted on first use and users sign in again (their sessions usually did
 * not survive the reboot either).
 *
 * @example
 * ```ts
 * import { PersistenceCachePlugin } from '@msal-persist/core';
 * import { createFolderStore } from '@msal-persist/msal-plugin';
 *
 * const store = await createFolderStore({ dir: '/var/cache/my-api/msal' });
 * const { persistence, lock } = store.partition(homeAccountId);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export async function createFolderStore(options: CreateFolderStoreOptions = {}): Promise<FolderStore> {
  const forced = checkChoice('encryption', options.encryption, ['kernel-keyring', 'dpapi', 'none'] as const);
  checkChoice('keyringScope', options.keyringScope, ['persistent', 'user'] as const);
  checkChoice('dataProtectionScope', options.dataProtectionScope, ['CurrentUser', 'LocalMachine'] as const);
  const dir = resolve(options.dir ?? join(defaultCacheDirectory(options.appName ?? 'msal-persist'), 'partitions'));
  const sweepEveryMs =
    options.sweepEveryMs === false
      ? undefined
      : checkNumberOption('sweepEveryMs', options.sweepEveryMs, 3_600_000, { min: 1_000 });
  const settings: Settings = {
    dir,
    ...(sweepEveryMs === undefined ? {} : { sweepEveryMs }),
    ...(options.refreshTokenIdleMs === undefined ? {} : { refreshTokenIdleMs: options.refreshTokenIdleMs }),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
  if (forced === 'none') {
    const store = await open('none', settings, options);
    await probe(store).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    return store;
  }

  const failures: PersistenceError[] = [];
  for (const encryption of forced ? [forced] : encryptionsFor(process.platform)) {
    let store: FolderStore | undefined;
    try {
      store = await open(encryption, settings, options);
      await probe(store);
      return store;
    } catch (error) {
      await store?.close();
      failures.push(
        isPersistenceError(error)
          ? error
          : new PersistenceError('NotAvailable', `The ${encryption} encryption failed its probe; see the cause.`, {
              backend: `folder(${encryption}):${dir}`,
              cause: error,
            }),
      );
    }
  }
  const [first] = failures;
  const reason =
    first ??
    new PersistenceError('NotAvailable', `No encryption for a folder store exists on ${process.platform}.`, {
      backend: `folder:${dir}`,
    });
  if (!options.allowPlaintextFallback || forced) {
    throw new PersistenceError(
      reason.code,
      `${reason.message.replace(`[${reason.backend}] `, '')} Fix that, or pass allowPlaintextFallback: true to accept plaintext partition files.`,
      { backend: reason.backend, cause: failures.length > 1 ? new AggregateError(failures) : reason },
    );
  }
  const store = await open('none', settings, options, reason);
  await probe(store).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  resolveLogger(options.logger).warn?.(
    `the folder store cannot encrypt here (${reason.message}); using PLAINTEXT partition files in ${dir} (mode 0600) because allowPlaintextFallback is set.`,
  );
  return store;
}
