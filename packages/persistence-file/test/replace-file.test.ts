import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPersistenceError, PersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { type AtomicFileSystem, nodeFileSystem, writeFileAtomic } from '../src/index.js';
import { tempSpacePerTest } from './helpers.js';

// Windows refuses a rename onto a file another handle has open (EPERM) until it closes; the Windows
// lane (test/windows) shows it for real under node.exe. Here the refusal is injected through the seam.
const refused = (code: string) => Object.assign(new Error(`${code}: operation not permitted, rename`), { code });

/** A file system whose first `times` renames are refused with `code`. */
function refusingRenames(times: number, code = 'EPERM'): { fs: AtomicFileSystem; attempts: () => number } {
  let attempts = 0;
  const fs: AtomicFileSystem = {
    ...nodeFileSystem,
    rename: async (from, to) => {
      attempts++;
      if (attempts <= times) throw refused(code);
      return nodeFileSystem.rename(from, to);
    },
  };
  return { fs, attempts: () => attempts };
}

describe('writeFileAtomic: a replace refused while another handle has the file open', () => {
  const space = tempSpacePerTest();

  it.each(['EPERM', 'EACCES', 'EBUSY'])('retries a rename refused with %s and replaces the file', async (code) => {
    writeFileSync(space.cachePath, 'old');
    const { fs, attempts } = refusingRenames(3, code);
    await writeFileAtomic(space.cachePath, new TextEncoder().encode('new'), { fs, replaceRetryMs: 5_000 });
    expect(readFileSync(space.cachePath, 'utf8')).toBe('new');
    expect(attempts()).toBe(4);
  });

  it('gives up once the retry time is spent: typed error, old content intact, no temp file left', async () => {
    writeFileSync(space.cachePath, 'old');
    const { fs, attempts } = refusingRenames(Number.POSITIVE_INFINITY);
    const error = await writeFileAtomic(space.cachePath, new TextEncoder().encode('new'), {
      fs,
      replaceRetryMs: 100,
    }).catch((caught: unknown) => caught);
    expect(isPersistenceError(error, 'AccessDenied')).toBe(true);
    expect(attempts()).toBeGreaterThan(1);
    expect(readFileSync(space.cachePath, 'utf8')).toBe('old');
    expect(readdirSync(space.dir)).toEqual(['msal.json']);
  });

  it('does not retry without a retry time (the default off Windows), nor other errors', async () => {
    writeFileSync(space.cachePath, 'old');
    const off = refusingRenames(1);
    await expect(
      writeFileAtomic(space.cachePath, new Uint8Array([1]), { fs: off.fs, replaceRetryMs: 0 }),
    ).rejects.toThrow(PersistenceError);
    expect(off.attempts()).toBe(1);
    const full = refusingRenames(1, 'ENOSPC');
    await expect(
      writeFileAtomic(space.cachePath, new Uint8Array([1]), { fs: full.fs, replaceRetryMs: 5_000 }),
    ).rejects.toThrow(/no space left/);
    expect(full.attempts()).toBe(1);
  });

  it('runs beforeReplace again before every retry, and stops when it throws', async () => {
    writeFileSync(space.cachePath, 'old');
    const { fs, attempts } = refusingRenames(Number.POSITIVE_INFINITY);
    let checks = 0;
    const lost = new PersistenceError('LockLost', 'lost', { backend: 'test' });
    const error = await writeFileAtomic(space.cachePath, new Uint8Array([1]), {
      fs,
      replaceRetryMs: 5_000,
      beforeReplace: () => {
        checks++;
        if (checks === 3) throw lost;
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBe(lost);
    expect(attempts()).toBe(2);
    expect(readFileSync(join(space.dir, 'msal.json'), 'utf8')).toBe('old');
  });
});
