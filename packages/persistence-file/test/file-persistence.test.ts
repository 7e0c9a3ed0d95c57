import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BytesCodec, isPersistenceError, PersistenceError } from '@msal-persist/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStamp } from '../src/file-stamp.js';
import { type AtomicFileSystem, ChangeSignal, FilePersistence, nodeFileSystem, writeFileAtomic } from '../src/index.js';
import { runFixture, tempDir } from './helpers.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null) => new TextDecoder().decode(data ?? undefined);
const isPosix = process.platform !== 'win32';
const isRoot = process.getuid?.() === 0;

let temp: ReturnType<typeof tempDir>;
beforeEach(() => {
  temp = tempDir();
});
afterEach(() => {
  // A test may have removed permissions; give them back so the folder can be removed.
  if (isPosix) chmodSync(temp.dir, 0o700);
  temp.remove();
});

const failWith = (code: string) => async () => {
  throw Object.assign(new Error(`${code}: injected`), { code });
};

describe('FilePersistence', () => {
  it.runIf(isPosix)('creates missing folders 0700 and the file 0600', async () => {
    const path = join(temp.dir, 'a', 'b', 'msal.json');
    await new FilePersistence(path).save(bytes('{}'));
    expect(statSync(join(temp.dir, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(join(temp.dir, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('stamps with inode, size and nanosecond mtime, and "absent" without a file', async () => {
    const path = join(temp.dir, 'msal.json');
    const persistence = new FilePersistence(path);
    expect(persistence.stamp()).toBe('absent');
    const stamp = await persistence.save(bytes('{"a":1}'));
    const stats = statSync(path, { bigint: true });
    expect(stamp).toBe(`${stats.ino}:${stats.size}:${stats.mtimeNs}`);
    expect(fileStamp(path)).toBe(stamp);
  });

  it('gives every save a distinct stamp, even same-size saves in a burst that reuse inodes', async () => {
    const persistence = new FilePersistence(join(temp.dir, 'msal.json'));
    const stamps = new Set<string>();
    for (let i = 0; i < 200; i++) stamps.add(await persistence.save(bytes('{"same":"size"}')));
    expect(stamps.size).toBe(200);
  });

  it('is not encrypted by itself, and names itself after the path unless told', () => {
    const path = join(temp.dir, 'msal.json');
    expect(new FilePersistence(path).isEncrypted).toBe(false);
    expect(new FilePersistence(path).name).toBe(`file:${path}`);
    expect(new FilePersistence(path, { name: 'my cache' }).name).toBe('my cache');
  });

  describe('with a codec', () => {
    const xor: BytesCodec = {
      name: 'xor',
      isEncrypted: true,
      encode: async (plain) => plain.map((b) => b ^ 0x5a),
      decode: async (stored) => {
        if (stored[0] === 0) throw new Error('not mine');
        return stored.map((b) => b ^ 0x5a);
      },
    };

    it('encodes on save, decodes on load, and reports isEncrypted', async () => {
      const path = join(temp.dir, 'msal.json');
      const persistence = new FilePersistence(path, { codec: xor });
      expect(persistence.isEncrypted).toBe(true);
      await persistence.save(bytes('{"secret":1}'));
      expect(readFileSync(path).toString()).not.toContain('secret');
      expect(text(await persistence.load())).toBe('{"secret":1}');
    });

    it('never decodes a 0-byte file (an empty cache), and reports decode failures as Corrupt', async () => {
      const path = join(temp.dir, 'msal.json');
      const persistence = new FilePersistence(path, { codec: xor });
      writeFileSync(path, '');
      expect((await persistence.load())?.byteLength).toBe(0);
      writeFileSync(path, Buffer.from([0, 1, 2]));
      const error = await persistence.load().catch((e: unknown) => e);
      expect(isPersistenceError(error, 'Corrupt')).toBe(true);
      expect((error as Error).message).toContain('xor');
      const typed: BytesCodec = {
        ...xor,
        decode: async () => {
          throw new PersistenceError('Corrupt', 'tampered', { backend: 'x' });
        },
      };
      writeFileSync(path, 'abc');
      const passed = await new FilePersistence(path, { codec: typed }).load().catch((e: unknown) => e);
      expect((passed as Error).message).toContain('tampered');
    });
  });

  it('keeps each unreadable file aside under its own name, bytes untouched', async () => {
    const path = join(temp.dir, 'msal.json');
    const persistence = new FilePersistence(path);
    const kept: string[] = [];
    for (const garbage of ['\u0000garbage', '{"trunc', 'x']) {
      writeFileSync(path, garbage);
      kept.push((await persistence.keepAside()) ?? '');
      expect(readFileSync(kept.at(-1) ?? '', 'utf8')).toBe(garbage);
    }
    expect(new Set(kept).size).toBe(3);
    expect(await persistence.load()).toBeNull();
  });

  describe('failed saves leave the previous content intact', () => {
    const leftovers = () => readdirSync(temp.dir).filter((name) => name.endsWith('.tmp'));

    it.each([
      ['rename', 'ENOSPC', 'NoSpace'],
      ['rename', 'EXDEV', 'Io'],
      ['open', 'EROFS', 'ReadOnly'],
      ['open', 'EACCES', 'AccessDenied'],
    ] as const)('%s failing with %s → %s', async (call, errnoCode, expected) => {
      const path = join(temp.dir, 'msal.json');
      await new FilePersistence(path).save(bytes('{"previous":true}'));
      const before = fileStamp(path);
      const fs: AtomicFileSystem = { ...nodeFileSystem, [call]: failWith(errnoCode) };
      const error = await new FilePersistence(path, { fs }).save(bytes('{"next":true}')).catch((e: unknown) => e);
      expect(isPersistenceError(error, expected)).toBe(true);
      expect((error as PersistenceError).backend).toBe(`file:${path}`);
      expect(readFileSync(path, 'utf8')).toBe('{"previous":true}');
      expect(fileStamp(path)).toBe(before);
      expect(leftovers()).toEqual([]);
    });

    it('creating a missing folder failing with EDQUOT → NoSpace, nothing created', async () => {
      const path = join(temp.dir, 'missing', 'msal.json');
      const fs: AtomicFileSystem = { ...nodeFileSystem, mkdir: failWith('EDQUOT') };
      const error = await new FilePersistence(path, { fs }).save(bytes('{"next":true}')).catch((e: unknown) => e);
      expect(isPersistenceError(error, 'NoSpace')).toBe(true);
      expect((error as PersistenceError).backend).toBe(`file:${path}`);
      expect(readdirSync(temp.dir)).toEqual([]);
    });

    it('a disk that fills up while writing → NoSpace, temp file removed', async () => {
      const path = join(temp.dir, 'msal.json');
      await writeFileAtomic(path, bytes('{"previous":true}'));
      const fs: AtomicFileSystem = {
        ...nodeFileSystem,
        open: async (file, flags, mode) =>
          Object.assign(await nodeFileSystem.open(file, flags, mode), { writeFile: failWith('ENOSPC') }),
      };
      const error = await writeFileAtomic(path, bytes('{"next":true}'), { fs }).catch((e: unknown) => e);
      expect(isPersistenceError(error, 'NoSpace')).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('{"previous":true}');
      expect(leftovers()).toEqual([]);
    });

    it('a real failure: the target became a non-empty directory → Io, nothing lost', async () => {
      const path = join(temp.dir, 'msal.json');
      const persistence = new FilePersistence(path);
      mkdirSync(path);
      writeFileSync(join(path, 'keep'), 'x');
      const error = await persistence.save(bytes('{}')).catch((e: unknown) => e);
      expect(isPersistenceError(error, 'Io')).toBe(true);
      expect(readFileSync(join(path, 'keep'), 'utf8')).toBe('x');
      expect(leftovers()).toEqual([]);
    });
  });

  describe.runIf(isPosix)('permission denied', () => {
    // chmod does not deny root; as root the check runs in a child process that drops to "nobody".
    it(`maps a folder without permissions to AccessDenied${isRoot ? ' (as uid 65534)' : ''}`, async () => {
      const locked = join(temp.dir, 'locked');
      mkdirSync(locked);
      writeFileSync(join(locked, 'msal.json'), '{}');
      chmodSync(locked, 0o000);
      chmodSync(temp.dir, 0o755);
      const path = join(locked, 'msal.json');
      if (isRoot) {
        const asNobody = { uid: 65534, gid: 65534 };
        const saved = await runFixture<{ code: string | null }>('save-as', [path, 'save'], asNobody);
        const loaded = await runFixture<{ code: string | null }>('save-as', [path, 'load'], asNobody);
        expect(saved.code).toBe('AccessDenied');
        expect(loaded.code).toBe('AccessDenied');
      } else {
        const persistence = new FilePersistence(path);
        expect(isPersistenceError(await persistence.save(bytes('{}')).catch((e: unknown) => e), 'AccessDenied')).toBe(
          true,
        );
        expect(isPersistenceError(await persistence.load().catch((e: unknown) => e), 'AccessDenied')).toBe(true);
      }
      chmodSync(locked, 0o700);
    });
  });
});

describe('ChangeSignal', () => {
  it('is absent until touched, then changes its stamp (a new inode) on every touch', async () => {
    const signal = new ChangeSignal(join(temp.dir, 'sub', 'msal.json.signal'));
    expect(signal.stamp()).toBe('absent');
    const stamps = new Set<string>();
    const inodes = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const stamp = await signal.touch();
      expect(signal.stamp()).toBe(stamp);
      stamps.add(stamp);
      inodes.add(stamp.split(':')[0] ?? '');
    }
    expect(stamps.size).toBe(20);
    expect(inodes.size).toBeGreaterThan(1);
    expect(new ChangeSignal(signal.path).stamp()).toBe(signal.stamp());
  });
});
