import { describe, expect, it } from 'vitest';
import { isPersistenceError } from '../errors.js';
import type { Lock } from '../lock.js';

/** Options for {@link lockContract}. */
export interface LockContractOptions {
  /** A second instance guarding the same resource (as another process would). Enables the cross-instance tests. */
  peer?: (lock: Lock) => Lock | Promise<Lock>;
  /** Timeout used where a test expects `LockTimeout`. Default 150 ms. */
  shortTimeoutMs?: number;
  /**
   * The handles have `verify()` (see `LockHandle.verify`): enables its tests. Leave it off for a
   * lock whose store fences writes itself (Redis); those tests are then reported as skipped.
   */
  verify?: boolean;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * Registers vitest tests every {@link Lock} must pass. `factory` returns a fresh lock over a
 * resource nobody holds.
 *
 * @example
 * ```ts
 * import { lockContract } from '@msal-persist/core/testing';
 * lockContract('FileLock', () => new FileLock(tempPath()), { peer: (l) => new FileLock((l as FileLock).path) });
 * ```
 */
export function lockContract(
  name: string,
  factory: () => Lock | Promise<Lock>,
  options: LockContractOptions = {},
): void {
  const short = options.shortTimeoutMs ?? 150;

  describe(`${name} — Lock contract`, () => {
    it('acquires, releases, and acquires again', async () => {
      const lock = await factory();
      const first = await lock.acquire({ timeoutMs: 5_000 });
      await first.release();
      const second = await lock.acquire({ timeoutMs: 5_000 });
      await second.release();
    });

    it('excludes: never two holders at once, every waiter served', async () => {
      const lock = await factory();
      let holders = 0;
      let maxHolders = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const handle = await lock.acquire({ timeoutMs: 20_000 });
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          await tick();
          holders--;
          done++;
          await handle.release();
        }),
      );
      expect(maxHolders).toBe(1);
      expect(done).toBe(8);
    });

    it('times out with LockTimeout while another holds it, and recovers after release', async () => {
      const lock = await factory();
      const holder = await lock.acquire({ timeoutMs: 5_000 });
      const error = await lock.acquire({ timeoutMs: short }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
      await holder.release();
      const next = await lock.acquire({ timeoutMs: 5_000 });
      await next.release();
    });

    it('rejects with Aborted for an already-aborted signal and when aborted while waiting', async () => {
      const lock = await factory();
      const early = await lock.acquire({ signal: AbortSignal.abort() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPersistenceError(early, 'Aborted')).toBe(true);

      const holder = await lock.acquire({ timeoutMs: 5_000 });
      const controller = new AbortController();
      const waiting = lock.acquire({ signal: controller.signal, timeoutMs: 10_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      setTimeout(() => controller.abort(), 20);
      expect(isPersistenceError(await waiting, 'Aborted')).toBe(true);
      await holder.release();
      const next = await lock.acquire({ timeoutMs: 5_000 });
      await next.release();
    });

    it("makes release idempotent: a second release never frees someone else's hold", async () => {
      const lock = await factory();
      const a = await lock.acquire({ timeoutMs: 5_000 });
      await a.release();
      const b = await lock.acquire({ timeoutMs: 5_000 });
      await a.release();
      const error = await lock.acquire({ timeoutMs: short }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
      await b.release();
      await b.release();
    });

    const noVerify = options.verify ? '' : ' (skipped: this adapter declares no LockHandle.verify)';
    it.skipIf(!options.verify)(`verify() passes while held and throws LockLost once released${noVerify}`, async () => {
      const lock = await factory();
      const handle = await lock.acquire({ timeoutMs: 5_000 });
      expect(handle.verify).toBeTypeOf('function');
      await handle.verify?.();
      await handle.verify?.();
      await handle.release();
      const error = await Promise.resolve()
        .then(() => handle.verify?.())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isPersistenceError(error, 'LockLost')).toBe(true);
    });

    it.skipIf(!options.verify)(
      `an old hold's verify() throws LockLost while the next hold's passes${noVerify}`,
      async () => {
        const lock = await factory();
        const other = options.peer ? await options.peer(lock) : lock;
        const old = await lock.acquire({ timeoutMs: 5_000 });
        await old.release();
        const next = await other.acquire({ timeoutMs: 5_000 });
        await next.verify?.();
        const error = await Promise.resolve()
          .then(() => old.verify?.())
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(isPersistenceError(error, 'LockLost')).toBe(true);
        await next.release();
      },
    );

    describe.runIf(options.peer)('across instances over the same resource', () => {
      it('excludes a peer instance, which gets in after release', async () => {
        const lock = await factory();
        const peer = options.peer;
        if (!peer) return;
        const other = await peer(lock);
        const held = await lock.acquire({ timeoutMs: 5_000 });
        const error = await other.acquire({ timeoutMs: short }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
        const waiting = other.acquire({ timeoutMs: 10_000 });
        await tick();
        await held.release();
        const got = await waiting;
        await got.release();
      });
    });
  });
}
