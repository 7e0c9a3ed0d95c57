/**
 * Which of the user's kernel keyrings holds the cache keys.
 *
 * - `persistent` (default): the user's persistent keyring (`keyctl get_persistent`). It outlives
 *   logouts, so cron jobs and CLIs run between sessions find the key, and it is dropped after
 *   `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds (default 3 days) without use; every
 *   cache access resets that timer. Kernels built without persistent keyrings use `user` instead.
 * - `user`: the user keyring (`@u`). It lives while the user has a process, so the key goes at the
 *   last logout when nothing of the user keeps running.
 *
 * Both are shared by every process of the same user (uid) in the same user namespace: other SSH
 * sessions, terminals and containers sharing the kernel and the uid. Both are emptied at reboot.
 *
 * @example
 * ```ts
 * const scope: KeyringScope = 'user';
 * ```
 */
export type KeyringScope = 'persistent' | 'user';

/**
 * The seam around the kernel keyring syscalls (`add_key`, `keyctl`). The real one is
 * {@link KoffiKernelKeyring}; tests pass a fake to simulate a refusing kernel. Calls throw a
 * {@link KeyctlError} carrying the errno.
 *
 * @example
 * ```ts
 * const keyring = await kernel.keyring('persistent');
 * const serial = kernel.search(keyring, 'msal-persist:aes-256-gcm:00ff…');
 * ```
 */
export interface KernelKeyring {
  /** The keyring of `scope`, ready for the other calls; says which it really is (see {@link KeyringScope}). */
  keyring(scope: KeyringScope): { id: number; scope: KeyringScope };
  /** The serial of the `user` key with this description in `keyring`, or `null` when there is none. */
  search(keyring: number, description: string): number | null;
  /** The payload of a key. */
  read(serial: number): Uint8Array;
  /** Adds a `user` key to `keyring`, readable by its owner's processes only; returns its serial. */
  add(keyring: number, description: string, payload: Uint8Array): number;
  /** Removes a key from `keyring`. */
  unlink(keyring: number, serial: number): void;
  /** The uid keys are checked against (`getuid()`). */
  uid(): number;
  /**
   * Which user namespace's keyrings this process sees: the inode of `/proc/self/ns/user`, `0n`
   * when it cannot tell. Each user namespace has keyrings of its own (a rootless container).
   */
  userNamespace(): bigint;
}

/**
 * A keyring syscall that failed, with its errno name (`EPERM`, `ENOKEY`, `EDQUOT`…).
 *
 * @example
 * ```ts
 * throw new KeyctlError('add_key', 'EDQUOT');
 * ```
 */
export class KeyctlError extends Error {
  override readonly name = 'KeyctlError';
  /** The call that failed. */
  readonly operation: string;
  /** The errno name. */
  readonly code: string;

  constructor(operation: string, code: string) {
    super(`${operation} failed: ${code}`);
    this.operation = operation;
    this.code = code;
  }
}
