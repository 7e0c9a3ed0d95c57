import { fileStamp } from './file-stamp.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * A small file whose stamp stands for a store that cannot be stat-ed cheaply (Keychain, Secret
 * Service): writers `touch()` it after every save, readers compare `stamp()`. Every touch
 * replaces the file atomically, so its stamp changes every time.
 *
 * @example
 * ```ts
 * const signal = new ChangeSignal('/home/me/.cache/my-app/msal.json.signal');
 * const stamp = await signal.touch(); // after saving to the keychain
 * signal.stamp() === stamp; // true until another writer touches it
 * ```
 */
export class ChangeSignal {
  /** Path of the signal file. */
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The signal file's stamp, `'absent'` before the first touch. */
  stamp(): string {
    return fileStamp(this.path);
  }

  /** Rewrites the signal file atomically (a new inode every time); resolves with its new stamp. */
  touch(): Promise<string> {
    return writeFileAtomic(this.path, new TextEncoder().encode(`${process.pid} ${Date.now()}\n`), {
      backend: `signal:${this.path}`,
    });
  }
}
