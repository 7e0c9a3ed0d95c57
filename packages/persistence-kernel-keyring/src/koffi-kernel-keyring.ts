import { statSync } from 'node:fs';
import { PersistenceError } from '@msal-persist/core';
import { loadNative } from '@msal-persist/persistence-file';
import { type KernelKeyring, KeyctlError, type KeyringScope } from './kernel-keyring.js';

type Koffi = typeof import('koffi');

const BACKEND = 'kernel-keyring';

/** `add_key` and `keyctl` syscall numbers per `process.arch` (the kernel's unistd tables). */
const SYSCALLS: Partial<Record<NodeJS.Architecture, { addKey: number; keyctl: number }>> = {
  x64: { addKey: 248, keyctl: 250 },
  arm64: { addKey: 217, keyctl: 219 },
  riscv64: { addKey: 217, keyctl: 219 },
  loong64: { addKey: 217, keyctl: 219 },
  arm: { addKey: 309, keyctl: 311 },
  ia32: { addKey: 286, keyctl: 288 },
  ppc64: { addKey: 269, keyctl: 271 },
  s390x: { addKey: 278, keyctl: 280 },
};

const KEYCTL_SETPERM = 5;
const KEYCTL_UNLINK = 9;
const KEYCTL_SEARCH = 10;
const KEYCTL_READ = 11;
const KEYCTL_GET_PERSISTENT = 22;
const KEY_SPEC_PROCESS_KEYRING = -2;
const KEY_SPEC_USER_KEYRING = -4;
/** Possessor: everything; the owning uid: view, read, write, search, link, setattr; nobody else. */
const KEY_PERMISSIONS = 0x3f3f0000;
const KEY_BYTES_MAX = 64;

function loadKoffi(): Promise<Koffi> {
  return loadNative<Koffi>(() => import('koffi'), {
    module: 'koffi',
    backend: BACKEND,
    purpose: 'the FFI library the kernel keyring is called through',
  });
}

/**
 * The real {@link KernelKeyring}: the `add_key` and `keyctl` syscalls through libc's `syscall()`
 * (koffi, prebuilt: no compiler, no `libkeyutils`). They run in the kernel in microseconds and
 * never wait, so they are called synchronously. Load it with {@link KoffiKernelKeyring.load}:
 * koffi is imported then, never when this package is imported.
 *
 * @example
 * ```ts
 * const kernel = await KoffiKernelKeyring.load();
 * const { id } = kernel.keyring('persistent');
 * ```
 */
export class KoffiKernelKeyring implements KernelKeyring {
  private readonly call: (...args: unknown[]) => number;
  private readonly errno: () => number;
  private readonly errnoNames: Map<number, string>;
  private readonly numbers: { addKey: number; keyctl: number };

  private constructor(koffi: Koffi, numbers: { addKey: number; keyctl: number }) {
    // The program itself: its libc exports syscall() whether it is glibc or musl.
    const libc = koffi.load(null);
    const syscall = libc.func('long syscall(long number, ...)');
    this.call = (...args) => Number(syscall(...args));
    this.errno = () => koffi.errno();
    this.errnoNames = new Map(Object.entries(koffi.os.errno).map(([name, value]) => [Number(value), name]));
    this.numbers = numbers;
  }

  /**
   * Loads koffi and binds `syscall()`. Rejects with `PersistenceError` `NotAvailable` off Linux,
   * on an architecture without a known syscall table, or when koffi cannot load.
   */
  static async load(): Promise<KoffiKernelKeyring> {
    if (process.platform !== 'linux') {
      throw new PersistenceError(
        'NotAvailable',
        `The kernel keyring is Linux-only (this is ${process.platform}); @msal-persist/msal-plugin picks the backend for each OS.`,
        { backend: BACKEND },
      );
    }
    const numbers = SYSCALLS[process.arch];
    if (!numbers) {
      throw new PersistenceError('NotAvailable', `No keyring syscall numbers are known for ${process.arch}.`, {
        backend: BACKEND,
      });
    }
    const koffi = await loadKoffi();
    try {
      return new KoffiKernelKeyring(koffi, numbers);
    } catch (cause) {
      throw new PersistenceError('NotAvailable', 'Cannot bind syscall() from libc; see the cause.', {
        backend: BACKEND,
        cause,
      });
    }
  }

  keyring(scope: KeyringScope): { id: number; scope: KeyringScope } {
    if (scope === 'persistent') {
      // Also resets the persistent keyring's expiry timer, and links it into this process's
      // keyring so the keys found through it are possessed.
      const id = this.keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING);
      if (id >= 0) return { id, scope };
      const code = this.lastError();
      // Kernels without CONFIG_PERSISTENT_KEYRINGS: the user keyring is the closest scope.
      if (code !== 'EOPNOTSUPP') throw new KeyctlError('keyctl(GET_PERSISTENT)', code);
    }
    return { id: KEY_SPEC_USER_KEYRING, scope: 'user' };
  }

  search(keyring: number, description: string): number | null {
    const serial = this.keyctl(KEYCTL_SEARCH, keyring, 'user', description, 0);
    if (serial >= 0) return serial;
    const code = this.lastError();
    if (code === 'ENOKEY' || code === 'EKEYEXPIRED' || code === 'EKEYREVOKED') return null;
    throw new KeyctlError('keyctl(SEARCH)', code);
  }

  read(serial: number): Uint8Array {
    const buffer = new Uint8Array(KEY_BYTES_MAX);
    const length = this.keyctl(KEYCTL_READ, serial, buffer, buffer.byteLength);
    if (length < 0) throw new KeyctlError('keyctl(READ)', this.lastError());
    return buffer.slice(0, Math.min(length, KEY_BYTES_MAX));
  }

  add(keyring: number, description: string, payload: Uint8Array): number {
    const { addKey } = this.numbers;
    const serial = this.call(
      addKey,
      'const char *',
      'user',
      'const char *',
      description,
      'void *',
      payload,
      'long',
      payload.byteLength,
      'long',
      keyring,
    );
    if (serial < 0) throw new KeyctlError('add_key', this.lastError());
    // The default lets only possessors read; other processes of the same user reach the key
    // through a keyring they may not possess (another session), so grant the uid too.
    if (this.keyctl(KEYCTL_SETPERM, serial, KEY_PERMISSIONS) < 0) {
      throw new KeyctlError('keyctl(SETPERM)', this.lastError());
    }
    return serial;
  }

  unlink(keyring: number, serial: number): void {
    if (this.keyctl(KEYCTL_UNLINK, serial, keyring) < 0) {
      const code = this.lastError();
      if (code !== 'ENOENT' && code !== 'ENOKEY') throw new KeyctlError('keyctl(UNLINK)', code);
    }
  }

  uid(): number {
    return process.getuid?.() ?? -1;
  }

  userNamespace(): bigint {
    // The namespace file's inode names the namespace (namespaces(7)); the initial one's is a
    // constant, so a reboot does not make a host's own files look foreign.
    try {
      return statSync('/proc/self/ns/user', { bigint: true }).ino;
    } catch {
      return 0n;
    }
  }

  private keyctl(operation: number, ...args: Array<number | string | Uint8Array>): number {
    const typed: unknown[] = [];
    for (const arg of args) {
      if (typeof arg === 'number') typed.push('long', arg);
      else if (typeof arg === 'string') typed.push('const char *', arg);
      else typed.push('void *', arg);
    }
    return this.call(this.numbers.keyctl, 'long', operation, ...typed);
  }

  private lastError(): string {
    const errno = this.errno();
    return this.errnoNames.get(errno) ?? `errno ${errno}`;
  }
}
