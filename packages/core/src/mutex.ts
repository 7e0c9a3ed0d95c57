/**
 * A FIFO async mutex for one process. The plugin queues its own writers here first, so they wait
 * on a promise instead of polling the cross-process lock against each other.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with a release function once every earlier caller has released. */
  acquire(): Promise<() => void> {
    let release!: () => void; // assigned synchronously by the Promise executor below
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
