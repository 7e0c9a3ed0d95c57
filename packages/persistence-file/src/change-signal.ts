import { fileStamp } from './file-stamp.js';
import { type AtomicFileSystem, nodeFileSystem } from './file-system.js';
import { resolveFilePath } from './resolve-path.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * A small file whose stamp stands for a store that cannot be stat-ed cheaply (Keychain, Secret
 * Service): writers `touch()` it after every save, readers compare `stamp()`. Every touch
 * replaces the file atomically with a later time than the file it replaces, so its stamp changes
 * every time. The path is made absolute once, at construction, and must not be a folder; a folder
 * that appears there later is never moved: the touch fails with a typed error naming it.
 *
 * @example
 * ```ts
 * const signal = new ChangeSignal('/home/me/.cache/my-app/msal.json.signal');
 * const stamp = await signal.touch(); // after saving to the keychain
 * signal.stamp() === stamp; // true until another writer touches it
 * ```
 */
export class ChangeSignal {
  /** Absolute path of the signal file. */
  readonly path: string;
  private readonly fs: AtomicFileSystem;

  constructor(path: string, options: { fs?: AtomicFileSystem } = {}) {
    this.path = resolveFilePath(path, 'signalPath');
    this.fs = options.fs ?? nodeFileSystem;
  }

  /** The signal file's stamp, `'absent'` before the first touch. */
  stamp(): string {
    return fileStamp(this.path, this.fs);
  }

  /** Rewrites the signal file atomically (a new inode every time); resolves with its new stamp. */
  touch(): Promise<string> {
    return writeFileAtomic(this.path, new TextEncoder().encode(`${process.pid} ${Date.now()}\n`), {
      backend: `signal:${this.path}`,
      fs: this.fs,
    });
  }
}
