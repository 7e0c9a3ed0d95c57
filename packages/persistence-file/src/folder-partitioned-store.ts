import { createHash } from 'node:crypto';
import { constants, type Dir } from 'node:fs';
import { type FileHandle, open, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BytesCodec,
  type CachePartition,
  checkNumberOption,
  checkPartitionKey,
  type Logger,
  type LoggerOptions,
  type PartitionedStore,
  resolveLogger,
} from '@msal-persist/core';
import { FileLock, type FileLockOptions } from './file-lock.js';
import { type FolderSweepResult, sweepFolder } from './folder-sweep.js';
import { MAX_PARTITION_HEADER_BYTES, PartitionCodec, readPartitionHeader } from './partition-codec.js';
import { PartitionPersistence } from './partition-persistence.js';
import { resolvePath } from './resolve-path.js';

/**
 * Options for {@link FolderPartitionedStore}.
 *
 * @example
 * ```ts
 * const options: FolderPartitionedStoreOptions = { dir: '/var/cache/my-api/msal', sweepEveryMs: 3_600_000 };
 * ```
 */
export interface FolderPartitionedStoreOptions {
  /** The folder holding one file per partition. Created (`0700`) on the first save. */
  dir: string;
  /**
   * Encrypts each partition's cache (one codec for the whole store, e.g. AES-GCM with a key in the
   * kernel keyring). With an encrypting codec each file is also bound to its partition. Default:
   * plaintext files, owner-only.
   */
  codec?: BytesCodec;
  /** How long a partition with a refresh token is kept after its last save (core's `cacheRetention`). Default 14 days. */
  refreshTokenIdleMs?: number;
  /** Runs {@link FolderPartitionedStore.sweep} this often (a timer that never keeps the process alive). Default: never. */
  sweepEveryMs?: number;
  /** Options of every partition's `FileLock`. */
  lock?: FileLockOptions;
  /** File mode on POSIX. Default `0o600`. */
  mode?: number;
  /** Store name for errors and logs. Default `folder:<dir>`. */
  name?: string;
  /** Where failed background sweeps are reported. Default: the console (warnings). */
  logger?: Logger | LoggerOptions;
  /** The clock retention times are computed and swept with, in epoch ms (simulations, tests). Default `Date.now`. */
  now?: () => number;
}

/** File name suffix of a partition's cache; its lock is `<file>.lockfile`, as every MSAL extension's. */
export const PARTITION_FILE_SUFFIX = '.cache';

/** How many partitions a store keeps built; each holds only names and options, no file or handle. */
const RECENT_PARTITIONS = 4_096;

const PARTITION_FILE = /^[0-9a-f]{64}\.cache$/;

async function readStart(path: string, limit: number): Promise<Uint8Array | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = new Uint8Array(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * The name of a key's partition file: SHA-256 hex of the key (lower case, so keys differing only in
 * case stay apart on case-insensitive file systems), never the key. A key that is not well-formed
 * UTF-16 is hashed from its UTF-16 code units, as UTF-8 would turn every lone surrogate into U+FFFD
 * and give two keys one file.
 *
 * @example
 * ```ts
 * partitionFileName('user:1234'); // '5c6f…e1.cache'
 * ```
 */
export function partitionFileName(key: string): string {
  return `${partitionHash(key).toString('hex')}${PARTITION_FILE_SUFFIX}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function partitionHash(key: string): Buffer {
  const hash = createHash('sha256');
  if (!LONE_SURROGATE.test(key)) hash.update('msal-persist partition\u0000utf8\u0000').update(key, 'utf8');
  else hash.update('msal-persist partition\u0000utf16le\u0000').update(key, 'utf16le');
  return hash.digest();
}

/**
 * A partitioned store in one folder, for a web app or API on one server: one file per partition
 * (named by a hash of the key, never the key), atomic saves and the change stamp of
 * `FilePersistence`, a `FileLock` per partition, a retention time in each file's header so that
 * `sweep()` drops partitions nobody needs any more without decrypting anything. Several processes
 * on the machine share it by opening the same `dir`.
 *
 * @example
 * ```ts
 * import { PersistenceCachePlugin } from '@msal-persist/core';
 * import { FolderPartitionedStore } from '@msal-persist/persistence-file';
 *
 * const store = new FolderPartitionedStore({ dir: '/var/cache/my-api/msal', sweepEveryMs: 3_600_000 });
 * const { persistence, lock } = store.partition(homeAccountId);
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock });
 * ```
 */
export class FolderPartitionedStore implements PartitionedStore {
  /** Absolute path of the folder. */
  readonly dir: string;
  readonly name: string;
  readonly isEncrypted: boolean;
  private readonly codec: BytesCodec | undefined;
  private readonly refreshTokenIdleMs: number | undefined;
  private readonly lockOptions: FileLockOptions;
  private readonly mode: number | undefined;
  private readonly logger: Logger;
  /** For the partitions' files: each warns about an unsafe folder; they share one folder, so say it once. */
  private readonly partitionLogger: Logger;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Recently used partitions: building one (hash, path checks, lock options) costs ~10-40 µs. */
  private readonly recent = new Map<string, CachePartition>();
  private sweeping: Promise<FolderSweepResult> | undefined;

  constructor(options: FolderPartitionedStoreOptions) {
    this.dir = resolvePath(options.dir, 'dir');
    this.name = options.name ?? `folder:${this.dir}`;
    this.codec = options.codec;
    this.isEncrypted = options.codec?.isEncrypted ?? false;
    this.refreshTokenIdleMs =
      options.refreshTokenIdleMs === undefined
        ? undefined
        : checkNumberOption('refreshTokenIdleMs', options.refreshTokenIdleMs, 0, { min: 0 });
    this.lockOptions = options.lock ?? {};
    this.mode = options.mode;
    this.logger = resolveLogger(options.logger);
    let warned = false;
    this.partitionLogger = {
      warn: (message) => {
        if (warned) return;
        warned = true;
        this.logger.warn?.(message);
      },
    };
    this.now = options.now ?? Date.now;
    if (options.sweepEveryMs !== undefined) {
      const every = checkNumberOption('sweepEveryMs', options.sweepEveryMs, 0, { min: 1_000 });
      this.timer = setInterval(() => {
        this.sweep().catch((error: unknown) => {
          this.logger.warn?.(`${this.name}: the periodic sweep failed; it runs again later. ${String(error)}`);
        });
      }, every);
      this.timer.unref?.();
    }
  }

  partition(key: string): CachePartition {
    checkPartitionKey(key, this.name);
    const known = this.recent.get(key);
    if (known !== undefined) {
      // Map order is insertion order: moving a hit to the end makes the first entry the least recent.
      this.recent.delete(key);
      this.recent.set(key, known);
      return known;
    }
    const partition = this.createPartition(key);
    if (this.recent.size >= RECENT_PARTITIONS) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, partition);
    return partition;
  }

  private createPartition(key: string): CachePartition {
    const hash = partitionHash(key);
    const file = `${hash.toString('hex')}${PARTITION_FILE_SUFFIX}`;
    const path = join(this.dir, file);
    // Names carry the hash, which is already the file name, and never the key.
    const name = `${this.name}#${file}`;
    const codec = new PartitionCodec({
      inner: this.codec,
      binding: hash,
      backend: name,
      refreshTokenIdleMs: this.refreshTokenIdleMs,
      now: this.now,
    });
    return {
      key,
      persistence: new PartitionPersistence(path, {
        codec,
        name,
        logger: this.partitionLogger,
        ...(this.mode === undefined ? {} : { mode: this.mode }),
      }),
      lock: new FileLock(`${path}.lockfile`, this.lockOptions),
    };
  }

  /**
   * The first `limit` bytes of some partition's stored body (after its header), or `undefined` when
   * the folder holds none. For a codec that finds its key from what is stored (the kernel-keyring
   * codec's `storedHeader`), so a new process reuses the store's key instead of adding one.
   *
   * @example
   * ```ts
   * const codec = new KernelKeyringCodec({ backend, storedHeader: () => store.storedBodySample(256) });
   * ```
   */
  async storedBodySample(limit: number): Promise<Uint8Array | undefined> {
    let folder: Dir;
    try {
      folder = await opendir(this.dir);
    } catch {
      return undefined;
    }
    try {
      for await (const entry of folder) {
        if (!entry.isFile() || !PARTITION_FILE.test(entry.name)) continue;
        const start = await readStart(join(this.dir, entry.name), MAX_PARTITION_HEADER_BYTES + limit);
        const header = start && readPartitionHeader(start);
        if (header && start.byteLength > header.bodyStart) {
          return start.subarray(header.bodyStart, header.bodyStart + limit);
        }
      }
    } catch {
      // Unreadable entries only mean no sample: the codec then starts a key of its own.
    }
    return undefined;
  }

  /**
   * Deletes the partitions past their retention (core's `cacheRetention`, read from each file's
   * header: nothing is decrypted), each under its lock and only if no one holds it; also locks left
   * by crashed processes, temp files of interrupted saves older than an hour, and kept-aside copies
   * older than the refresh-token idle window. Concurrent calls share one run.
   *
   * @example
   * ```ts
   * const { deleted, kept } = await store.sweep();
   * ```
   */
  sweep(options: { now?: number } = {}): Promise<FolderSweepResult> {
    this.sweeping ??= sweepFolder({
      dir: this.dir,
      now: options.now ?? this.now(),
      lock: this.lockOptions,
      refreshTokenIdleMs: this.refreshTokenIdleMs,
    }).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping?.catch(() => undefined);
  }
}
