import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the key id sits in a kernel-keyring blob of each format version (after `MPKK` + version). */
const KEY_ID_AT: Record<number, number> = { 1: 9, 2: 17 };

/** The kernel-keyring key descriptions the partition files in `dir` were written with. */
export function keyDescriptionsIn(dir: string): Set<string> {
  const found = new Set<string>();
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    if (!/^[0-9a-f]{64}\.cache$/.test(name)) continue;
    const stored = readFileSync(join(dir, name));
    const body = stored.subarray(stored.indexOf(0x0a) + 1);
    if (body.subarray(0, 4).toString() !== 'MPKK') continue;
    const at = KEY_ID_AT[body[4] ?? 0] ?? 9;
    found.add(`msal-persist:aes-256-gcm:${body.subarray(at, at + 16).toString('hex')}`);
  }
  return found;
}

/** `keyctl unlink` of the `user` key `description` from this user's persistent keyring, when it is there. */
export async function unlinkKey(description: string): Promise<void> {
  await run(
    'keyctl',
    [
      'session',
      '-',
      'sh',
      '-c',
      `P=$(keyctl get_persistent @s) && S=$(keyctl search "$P" user '${description}') && keyctl unlink "$S" "$P" || true`,
    ],
    { timeout: 10_000 },
  );
}
