/**
 * What {@link KeyringPersistence} needs from a change signal: a cheap synchronous stamp and a way
 * to move it. A secret store cannot be watched cheaply, so every save rewrites a small file and
 * readers compare its stamp. `ChangeSignal` from `@msal-persist/persistence-file` fits.
 *
 * @example
 * ```ts
 * import { ChangeSignal } from '@msal-persist/persistence-file';
 * const signal: ChangeSignalLike = new ChangeSignal('/home/me/.cache/app/msal.cache');
 * ```
 */
export interface ChangeSignalLike {
  /** Where the signal lives, for messages. */
  readonly path: string;
  /** The current stamp; changes whenever `touch` ran, in this process or another. */
  stamp(): string;
  /** Moves the stamp and resolves with the new one. */
  touch(): Promise<string>;
}
