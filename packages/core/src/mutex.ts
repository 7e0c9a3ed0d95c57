import { PersistenceError } from './errors.js';
import type { LockAcquireOptions } from './lock.js';

interface Waiter {
  grant(): void;
}

/**
 * A FIFO async mutex for one process, with timeout and abort: the wait `MemoryLock` is made of, and
 * the queue the cache plugin puts its own writers in, so they wait on a promise instead of polling
 * the cross-process lock against each other.
 */
export class Mutex {
  private held = false;
  private readonly queue: Waiter[] = [];

  /**
   * @param name - the backend named in errors.
   * @param busy - what a timed-out waiter was waiting behind, for the `LockTimeout` message.
   */
  constructor(
    private readonly name: string,
    private readonly busy = 'another writer holds it',
  ) {}

  /**
   * Resolves with a release function once every earlier caller has released. Rejects with
   * `LockTimeout` after `timeoutMs`, or `Aborted` when `signal` aborts (also when it already has).
   * Releasing twice releases once.
   */
  acquire(options: LockAcquireOptions = {}): Promise<() => void> {
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(this.aborted(signal.reason));
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        leave();
        reject(this.aborted(signal?.reason));
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          leave();
          reject(
            new PersistenceError('LockTimeout', `Timed out after ${timeoutMs} ms waiting for the lock; ${this.busy}.`, {
              backend: this.name,
            }),
          );
        }, timeoutMs);
      }
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand over directly so no newcomer can slip in between release and grant.
      const next = this.queue[0];
      if (next) next.grant();
      else this.held = false;
    };
  }

  private aborted(reason: unknown): PersistenceError {
    return new PersistenceError('Aborted', 'Stopped waiting for the lock: the operation was aborted.', {
      backend: this.name,
      cause: reason,
    });
  }
}
