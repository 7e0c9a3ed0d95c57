// What is at the cache path is not always a cache file, and the path itself may be wrong: nothing
// may hang, nothing of the user's may be moved, and the error must say what is wrong.
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isPersistenceError } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { ChangeSignal, FileLock, FilePersistence } from '../src/index.js';
import { runFixture, tempSpacePerTest } from './helpers.js';

const space = tempSpacePerTest();
const bytes = (text: string) => new TextEncoder().encode(text);
const isPosix = process.platform !== 'win32';
const isRoot = process.getuid?.() === 0;

interface Outcome {
  code: string | null;
  message?: string;
}

describe.runIf(isPosix)('a FIFO where a file should be', () => {
  it('at the cache path: load fails at once as Corrupt instead of waiting forever for a writer', {
    timeout: 30_000,
  }, async () => {
    execFileSync('mkfifo', [space.cachePath]);
    const result = await runFixture<Outcome>('save-as', [space.cachePath, 'load'], { withinMs: 15_000 });
    expect(result.code).toBe('Corrupt');
    expect(result.message).toContain('FIFO');
  });

  it('at the cache path: keepAside leaves it alone (it is not ours), and a save replaces it', async () => {
    execFileSync('mkfifo', [space.cachePath]);
    const persistence = new FilePersistence(space.cachePath);
    expect(await persistence.keepAside()).toBeUndefined();
    expect(lstatSync(space.cachePath).isFIFO()).toBe(true);
    await persistence.save(bytes('{"ok":1}'));
    expect(readFileSync(space.cachePath, 'utf8')).toBe('{"ok":1}');
  });

  it('at the change-signal path: the stamp is read without opening it, and a touch replaces it', async () => {
    const path = join(space.dir, 'msal.cache');
    execFileSync('mkfifo', [path]);
    const signal = new ChangeSignal(path);
    const before = signal.stamp();
    const after = await signal.touch();
    expect(after).not.toBe(before);
    expect(lstatSync(path).isFile()).toBe(true);
  });
});

describe('a folder where the cache file should be', () => {
  it('is refused when the persistence is created, naming the folder', () => {
    mkdirSync(space.cachePath);
    expect(() => new FilePersistence(space.cachePath)).toThrow(TypeError);
    expect(() => new FilePersistence(space.cachePath)).toThrow(`cachePath ${space.cachePath} is a folder`);
  });

  it('that appears later is reported as Corrupt on load, never moved aside, and a save fails with a typed error', async () => {
    const persistence = new FilePersistence(space.cachePath);
    mkdirSync(space.cachePath);
    writeFileSync(join(space.cachePath, 'notes.txt'), 'the user’s own file');
    expect(isPersistenceError(await persistence.load().catch((e: unknown) => e), 'Corrupt')).toBe(true);
    expect(await persistence.keepAside()).toBeUndefined();
    const error = await persistence.save(bytes('{}')).catch((e: unknown) => e);
    expect(isPersistenceError(error, 'Io')).toBe(true);
    expect((error as Error).message).toContain(`${space.cachePath} is a directory`);
    expect(readFileSync(join(space.cachePath, 'notes.txt'), 'utf8')).toBe('the user’s own file');
  });
});

describe('relative paths', () => {
  it('are made absolute once, so a later chdir does not switch the app to another cache', async () => {
    const before = process.cwd();
    const elsewhere = join(space.dir, 'elsewhere');
    mkdirSync(elsewhere);
    process.chdir(space.dir);
    try {
      const persistence = new FilePersistence('msal.json');
      const lock = new FileLock('msal.json.lockfile');
      const signal = new ChangeSignal('msal.signal');
      expect(persistence.path).toBe(space.cachePath);
      expect(lock.path).toBe(`${space.cachePath}.lockfile`);
      expect(signal.path).toBe(join(space.dir, 'msal.signal'));
      await persistence.save(bytes('{"first":1}'));
      process.chdir(elsewhere);
      expect(relative(space.dir, persistence.path)).toBe('msal.json');
      expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe('{"first":1}');
      const handle = await lock.acquire();
      expect(lstatSync(`${space.cachePath}.lockfile`).isFile()).toBe(true);
      await handle.release();
    } finally {
      process.chdir(before);
    }
  });

  it.each([
    ['', /cachePath must be a non-empty file path/],
    ['dir/\u0000/msal.json', /cachePath must not contain a NUL character/],
  ])('%j is refused with a TypeError naming the option', (path, message) => {
    expect(() => new FilePersistence(path)).toThrow(message);
  });
});

describe.runIf(isPosix && isRoot)('a read-only folder (as uid 65534)', () => {
  it('a save names the folder, not the temp file it could not create', async () => {
    chmodSync(space.dir, 0o555);
    try {
      const result = await runFixture<Outcome>('save-as', [space.cachePath, 'save'], { uid: 65534, gid: 65534 });
      expect(result.code).toBe('AccessDenied');
      expect(result.message).toContain(`the folder ${space.dir}`);
      expect(result.message).not.toContain('.tmp');
    } finally {
      chmodSync(space.dir, 0o700);
    }
  });
});
