import { PersistenceError } from './errors.js';
import type { Lock, LockAcquireOptions, LockHandle } from './lock.js';
import { Mutex } from './mutex.js';

/**
 * A real in-process {@link Lock}: FIFO, with timeout and abort. Pair it with
 * `MemoryPersistence`; it does not exclude other processes.
 *
 * @example
 * ```ts
 * const lock = new MemoryLock();
 * const handle = await lock.acquire({ timeoutMs: 1000 });
 * try { /* exclusive *\/ } finally { await handle.release(); }
 * ```
 */
export class MemoryLock implements Lock {
  /** Name used in error messages. */
  readonly name: string;
  private readonly mutex: Mutex;

  constructor(name = 'memory-lock') {
    this.name = name;
    this.mutex = new Mutex(name);
  }

  async acquire(options: LockAcquireOptions = {}): Promise<LockHandle> {
    const release = await this.mutex.acquire(options);
    let held = true;
    return {
      release: async () => {
        held = false;
        release();
      },
      verify: () => {
        if (held) return;
        throw new PersistenceError(
          'LockLost',
          `This hold of ${this.name} was already released; take the lock again before writing.`,
          { backend: this.name },
        );
      },
    };
  }
}
