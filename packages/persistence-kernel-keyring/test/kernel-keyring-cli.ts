import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach } from 'vitest';

const run = promisify(execFile);
export const packageDir = join(import.meta.dirname, '..');

/** A fresh temp folder per test of the calling file, removed after it. */
export function tempSpacePerTest(): { dir: string; path: string } {
  const space = { dir: '', path: '' };
  beforeEach(() => {
    space.dir = mkdtempSync(join(tmpdir(), 'msal-persist-kernel-keyring-'));
    space.path = join(space.dir, 'msal.cache.kernel-keyring');
  });
  afterEach(() => rmSync(space.dir, { recursive: true, force: true }));
  return space;
}

/** Where the key id sits in a file of each format version (v2 adds the 8-byte user namespace before it). */
export const KEY_ID_AT: Record<number, number> = { 1: 9, 2: 17 };

/** The description of the key the file at `path` was written with. */
export function keyDescriptionOf(path: string): string {
  const bytes = readFileSync(path);
  const at = KEY_ID_AT[bytes[4] ?? 0] ?? 9;
  return `msal-persist:aes-256-gcm:${bytes.subarray(at, at + 16).toString('hex')}`;
}

/**
 * Runs `keyctl` (keyutils) as an administrator would, inside a throwaway session keyring so
 * linking the persistent keyring leaves nothing behind. `$P` is the user's persistent keyring.
 */
export async function keyctl(script: string): Promise<string> {
  const { stdout } = await run('keyctl', ['session', '-', 'sh', '-c', `P=$(keyctl get_persistent @s) && ${script}`], {
    timeout: 10_000,
  });
  return stdout.trim();
}

/** The serial of the `user` key `description` in the persistent keyring, or `null`. */
export async function findKey(description: string): Promise<string | null> {
  const out = await keyctl(`keyctl search "$P" user '${description}' || true`);
  return /^\d+$/.test(out) ? out : null;
}

/** `keyctl unlink` of the `user` key `description` from the persistent keyring, when it is there. */
export async function unlinkKey(description: string): Promise<void> {
  await keyctl(`S=$(keyctl search "$P" user '${description}') && keyctl unlink "$S" "$P" || true`);
}

/** `keyctl unlink` of the key the file at `path` was written with. */
export async function unlinkKeyOf(path: string): Promise<void> {
  await unlinkKey(keyDescriptionOf(path));
}
