import { PersistenceError } from './errors.js';
import type { Lock, LockAcquireOptions, LockHandle } from './lock.js';

interface Waiter {
  grant(): void;
}

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
  private held = false;
  private readonly queue: Waiter[] = [];

  constructor(name = 'memory-lock') {
    this.name = name;
  }

  acquire(options: LockAcquireOptions = {}): Promise<LockHandle> {
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(this.aborted(signal.reason));
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.handle());
    }
    return new Promise<LockHandle>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve(this.handle());
        },
      };
      const onAbort = () => {
        cleanup();
        reject(this.aborted(signal?.reason));
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          reject(
            new PersistenceError(
              'LockTimeout',
              `Timed out after ${timeoutMs} ms waiting for the lock; another writer holds it.`,
              {
                backend: this.name,
              },
            ),
          );
        }, timeoutMs);
      }
    });
  }

  private handle(): LockHandle {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const next = this.queue[0];
        // Hand over directly so no newcomer can slip in between release and grant.
        if (next) next.grant();
        else this.held = false;
      },
    };
  }

  private aborted(reason: unknown): PersistenceError {
    return new PersistenceError('Aborted', 'Stopped waiting for the lock: the operation was aborted.', {
      backend: this.name,
      cause: reason,
    });
  }
}
