import { toBytes } from './bytes.js';
import type { Persistence, SaveOptions } from './persistence.js';

let instances = 0;

/**
 * A real in-process {@link Persistence}: share one instance between several msal applications in
 * a process, or use it in tests. Nothing survives the process.
 *
 * @example
 * ```ts
 * const persistence = new MemoryPersistence();
 * const cachePlugin = new PersistenceCachePlugin({ persistence, lock: new MemoryLock() });
 * ```
 */
export class MemoryPersistence implements Persistence {
  readonly name: string;
  readonly isEncrypted = false;
  /** Content moved aside by {@link MemoryPersistence.keepAside}, oldest first. */
  readonly keptAside: Uint8Array[] = [];
  private data: Uint8Array | null = null;
  private version = 0;

  constructor(name = `memory:${++instances}`) {
    this.name = name;
  }

  async load(): Promise<Uint8Array | null> {
    return this.data === null ? null : this.data.slice();
  }

  async save(data: Uint8Array, options: SaveOptions = {}): Promise<string> {
    // Copy: the caller may reuse its buffer, and a save must be a snapshot.
    const copy = toBytes(data).slice();
    await options.lock?.verify?.();
    this.data = copy;
    return this.bump();
  }

  async delete(): Promise<void> {
    // The stamp moves on every delete, also of nothing: a process holding tokens its failed save
    // left in memory must see clear() and drop them.
    this.data = null;
    this.bump();
  }

  stamp(): string {
    return this.data === null ? `absent:${this.version}` : `v${this.version}`;
  }

  async keepAside(): Promise<string | undefined> {
    if (this.data === null) return undefined;
    this.keptAside.push(this.data);
    this.data = null;
    this.bump();
    return `${this.name}#keptAside[${this.keptAside.length - 1}]`;
  }

  private bump(): string {
    this.version++;
    return this.stamp();
  }
}
