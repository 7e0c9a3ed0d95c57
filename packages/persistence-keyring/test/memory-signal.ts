import type { ChangeSignalLike } from '../src/index.js';

let signals = 0;

/** A change signal in memory, shared between persistences like a file would be. */
export class MemorySignal implements ChangeSignalLike {
  readonly path = `memory-signal:${++signals}`;
  failTouch: Error | undefined;
  private version = 0;

  stamp(): string {
    return `s${this.version}`;
  }

  async touch(): Promise<string> {
    if (this.failTouch) throw this.failTouch;
    this.version++;
    return this.stamp();
  }
}
