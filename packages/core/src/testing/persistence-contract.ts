import { afterEach, describe, expect, it } from 'vitest';
import type { Persistence } from '../persistence.js';

/** Options for {@link persistenceContract}. */
export interface PersistenceContractOptions {
  /**
   * Opens a second instance over the same store as `persistence` (another process would). Enables
   * the tests that a change made through one instance moves the other's stamp.
   */
  reopen?: (persistence: Persistence) => Persistence | Promise<Persistence>;
  /** Called after each test with the instance it used, to remove what it stored. */
  cleanup?: (persistence: Persistence) => void | Promise<void>;
  /** Size of the large payload. Default 1 MiB. */
  largeBytes?: number;
  /** Expected `isEncrypted`. Checked when set. */
  isEncrypted?: boolean;
  /**
   * Tests to skip, each with the reason the backend cannot do it: `{ binary: 'stores text only' }`.
   * A backend without the optional `keepAside` must declare `keepAside` here.
   */
  skip?: Partial<Record<'binary' | 'large' | 'concurrentSaves' | 'keepAside', string>>;
}

function filled(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}

const text = (value: string) => new TextEncoder().encode(value);

// vitest's deep equality walks a 1 MB array element by element (seconds); compare directly.
function sameBytes(actual: Uint8Array | null, expected: Uint8Array): boolean {
  if (actual === null || actual.byteLength !== expected.byteLength) return false;
  for (let i = 0; i < expected.byteLength; i++) if (actual[i] !== expected[i]) return false;
  return true;
}

/**
 * The definition of a backend: registers vitest tests every {@link Persistence} must pass.
 * `factory` returns a fresh instance over an empty store.
 *
 * @example
 * ```ts
 * import { persistenceContract } from '@msal-persist/core/testing';
 * persistenceContract('FilePersistence', () => new FilePersistence(tempPath()), {
 *   reopen: (p) => new FilePersistence((p as FilePersistence).path),
 * });
 * ```
 */
export function persistenceContract(
  name: string,
  factory: () => Persistence | Promise<Persistence>,
  options: PersistenceContractOptions = {},
): void {
  const largeBytes = options.largeBytes ?? 1024 * 1024;
  const used: Persistence[] = [];
  const make = async () => {
    const persistence = await factory();
    used.push(persistence);
    return persistence;
  };
  const skipIf = (key: keyof NonNullable<PersistenceContractOptions['skip']>) => Boolean(options.skip?.[key]);

  describe(`${name} — Persistence contract`, () => {
    afterEach(async () => {
      for (const persistence of used.splice(0)) await options.cleanup?.(persistence);
    });

    it('describes itself', async () => {
      const persistence = await make();
      expect(typeof persistence.name).toBe('string');
      expect(persistence.name.length).toBeGreaterThan(0);
      expect(typeof persistence.isEncrypted).toBe('boolean');
      if (options.isEncrypted !== undefined) expect(persistence.isEncrypted).toBe(options.isEncrypted);
    });

    it('loads null from an empty store, with a stable stamp', async () => {
      const persistence = await make();
      expect(await persistence.load()).toBeNull();
      const first = await persistence.stamp();
      expect(typeof first).toBe('string');
      expect(await persistence.stamp()).toBe(first);
    });

    it('round-trips bytes, and save resolves with the current stamp', async () => {
      const persistence = await make();
      const stamp = await persistence.save(text('{"Account":{}}'));
      expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe('{"Account":{}}');
      expect(await persistence.stamp()).toBe(stamp);
    });

    it('changes the stamp on every save, also of identical bytes, and only then', async () => {
      const persistence = await make();
      const before = await persistence.stamp();
      const first = await persistence.save(text('same'));
      await persistence.load();
      expect(await persistence.stamp()).toBe(first);
      const second = await persistence.save(text('same'));
      const third = await persistence.save(text('other'));
      expect(new Set([before, first, second, third]).size).toBe(4);
      expect(await persistence.stamp()).toBe(third);
    });

    it('replaces the previous content completely', async () => {
      const persistence = await make();
      await persistence.save(text('a much longer first payload'));
      await persistence.save(text('short'));
      expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe('short');
    });

    it('keeps a snapshot: mutating the saved buffer afterwards changes nothing', async () => {
      const persistence = await make();
      const bytes = text('{"x":1}');
      await persistence.save(bytes);
      bytes.fill(0);
      expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe('{"x":1}');
    });

    it('treats an empty save as an empty cache', async () => {
      const persistence = await make();
      await persistence.save(new Uint8Array(0));
      const loaded = await persistence.load();
      expect(loaded === null || loaded.byteLength === 0).toBe(true);
    });

    it.skipIf(skipIf('binary'))(
      `is binary-safe${options.skip?.binary ? ` (skipped: ${options.skip.binary})` : ''}`,
      async () => {
        const persistence = await make();
        const all = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
        await persistence.save(all);
        expect(sameBytes(await persistence.load(), all)).toBe(true);
      },
    );

    it.skipIf(skipIf('large'))(
      `round-trips a ${largeBytes}-byte payload${options.skip?.large ? ` (skipped: ${options.skip.large})` : ''}`,
      async () => {
        const persistence = await make();
        const payload = text(`{"blob":"${'x'.repeat(largeBytes - 11)}"}`);
        expect(payload.byteLength).toBe(largeBytes);
        await persistence.save(payload);
        const loaded = await persistence.load();
        expect(loaded?.byteLength).toBe(largeBytes);
        expect(sameBytes(loaded, payload)).toBe(true);
      },
    );

    it('deletes, moving the stamp; deleting nothing is fine', async () => {
      const persistence = await make();
      await persistence.delete();
      const saved = await persistence.save(text('gone soon'));
      await persistence.delete();
      expect(await persistence.load()).toBeNull();
      expect(await persistence.stamp()).not.toBe(saved);
      await persistence.delete();
      expect(await persistence.load()).toBeNull();
    });

    it.skipIf(skipIf('concurrentSaves'))('never mixes concurrent saves, and readers see whole payloads', async () => {
      const persistence = await make();
      const payloads = Array.from({ length: 6 }, (_, i) => filled(64 * 1024 + i * 1000, i + 1));
      const reads: Promise<Uint8Array | null>[] = [];
      await Promise.all(
        payloads.map(async (payload) => {
          reads.push(persistence.load());
          await persistence.save(payload);
          reads.push(persistence.load());
        }),
      );
      const isWhole = (bytes: Uint8Array | null) => bytes === null || payloads.some((p) => sameBytes(bytes, p));
      for (const read of await Promise.all(reads)) expect(isWhole(read)).toBe(true);
      const final = await persistence.load();
      expect(final).not.toBeNull();
      expect(isWhole(final)).toBe(true);
    });

    it.skipIf(skipIf('keepAside'))(
      `keeps unreadable content aside${options.skip?.keepAside ? ` (skipped: ${options.skip.keepAside})` : ''}`,
      async () => {
        const persistence = await make();
        if (!persistence.keepAside) {
          throw new Error(
            `${name} has no keepAside(): implement it, or declare skip: { keepAside: '<why this store cannot> ' }.`,
          );
        }
        expect(await persistence.keepAside()).toBeUndefined();
        const saved = await persistence.save(text('not json at all'));
        const where = await persistence.keepAside();
        expect(typeof where).toBe('string');
        expect(await persistence.load()).toBeNull();
        expect(await persistence.stamp()).not.toBe(saved);
        await persistence.save(text('{}'));
        expect(new TextDecoder().decode((await persistence.load()) ?? undefined)).toBe('{}');
      },
    );

    describe.runIf(options.reopen)('seen from a second instance over the same store', () => {
      it("sees the other instance's saves and deletes in load and stamp", async () => {
        const one = await make();
        const reopen = options.reopen;
        if (!reopen) return;
        const two = await reopen(one);
        const before = await two.stamp();
        const saved = await one.save(text('from one'));
        expect(await two.stamp()).toBe(saved);
        expect(await two.stamp()).not.toBe(before);
        expect(new TextDecoder().decode((await two.load()) ?? undefined)).toBe('from one');
        const again = await two.save(text('from two'));
        expect(await one.stamp()).toBe(again);
        await one.delete();
        expect(await two.load()).toBeNull();
        expect(await two.stamp()).not.toBe(again);
      });
    });
  });
}
