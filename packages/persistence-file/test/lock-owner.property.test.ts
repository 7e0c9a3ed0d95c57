import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { propertyRuns, withAllocationLimit } from '@msal-persist/test-support';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLockContent, parseLockContent, readLockOwner } from '../src/lock-owner.js';

// The lock file is foreign input: any MSAL extension (or anything else) may have written it, and
// every waiter reads it at each handoff. Python and Go write "<pid> <argv0>" with no newline; .NET's
// CrossPlatLock writes "<pid> <processName>" with StreamWriter.WriteLine in UTF-8, so a UTF-8 BOM
// first and Environment.NewLine ("\r\n" on Windows) last.

const pid = fc.integer({ min: 1, max: 2 ** 31 - 1 });
/** A program name or path as argv0 or a process name may be: any text on one line. */
const program = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .map((text) => text.replace(/[\r\n]/g, ''))
  .filter((text) => text.trim() === text && !/^\d/.test(text));
/** Our holder tokens and namespaces: the characters FileLock allows. */
const token = fc.stringMatching(/^[\w.:/-]{1,40}$/);

describe('parseLockContent, properties', () => {
  it('never throws, and reports a positive safe-integer pid exactly when the kind is owner', () => {
    const content = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
      fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })).map(([a, b]) => `${a}\n${b}`),
    );
    fc.assert(
      fc.property(content, (text) => {
        const owner = parseLockContent(text);
        expect(owner.kind).toBe(text.length === 0 ? 'empty' : owner.pid === undefined ? 'garbage' : 'owner');
        if (owner.pid !== undefined) {
          expect(Number.isSafeInteger(owner.pid) && owner.pid > 0).toBe(true);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('reads back what formatLockContent writes: pid, program, holder and namespace', () => {
    fc.assert(
      fc.property(pid, fc.string({ unit: 'grapheme', maxLength: 40 }), token, token, (p, name, holder, ns) => {
        const owner = parseLockContent(formatLockContent(p, name, holder, ns));
        expect(owner).toMatchObject({ kind: 'owner', pid: p, holder, namespace: ns });
        // The first line is the other extensions' and carries the program on one line.
        expect(owner.program).toBe(name.replace(/[\r\n]+/g, ' ').trim());
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('reads the pid and program of every other MSAL extension’s lock, on every OS', () => {
    const writers: Record<string, (p: number, name: string) => string> = {
      'Python, Go': (p, name) => `${p} ${name}`,
      '.NET on Linux and macOS': (p, name) => `\uFEFF${p} ${name}\n`,
      '.NET on Windows': (p, name) => `\uFEFF${p} ${name}\r\n`,
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(writers)), pid, program, (writer, p, name) => {
        const content = writers[writer]?.(p, name) ?? '';
        expect(parseLockContent(content)).toMatchObject({ kind: 'owner', pid: p, program: name });
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

describe('readLockOwner, properties', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-owner-property-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads any file content, however long, with a fixed-size buffer and without throwing', async () => {
    const path = join(dir, 'any.lockfile');
    // Long runs of digits and spaces are what a pid parser could spend its time on.
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 9000 }),
      fc
        .tuple(fc.nat({ max: 20_000 }), fc.constantFrom('1', ' ', '\r', '\uFEFF'), fc.string({ maxLength: 20 }))
        .map(([count, unit, tail]) => Buffer.from(unit.repeat(count) + tail)),
    );
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        writeFileSync(path, bytes);
        const { result, exceeded } = await withAllocationLimit(64 * 1024, () => readLockOwner(path));
        expect(exceeded).toEqual([]);
        expect(result?.kind).toBe(bytes.length === 0 ? 'empty' : result?.pid === undefined ? 'garbage' : 'owner');
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});

describe('parseLockContent, the cases the properties found', () => {
  it('reads the pid and program of a lock .NET wrote on Windows (UTF-8 BOM, CRLF line end)', () => {
    expect(parseLockContent('\uFEFF4242 MyDesktopApp\r\n')).toMatchObject({
      kind: 'owner',
      pid: 4242,
      program: 'MyDesktopApp',
    });
  });

  it('reads back its own lock when the program path holds a Unicode line separator', () => {
    const owner = parseLockContent(formatLockContent(4242, '/opt/app\u2028x/cli.js', 'h1', 'ns1'));
    expect(owner).toMatchObject({ kind: 'owner', pid: 4242, program: '/opt/app\u2028x/cli.js', holder: 'h1' });
  });
});
