import { describe, expect, it } from 'vitest';
import { LazyPromise } from './lazy-promise.js';

describe('LazyPromise', () => {
  it('runs nothing until awaited, then once for every waiter', async () => {
    let runs = 0;
    const lazy = new LazyPromise(async () => ++runs);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs).toBe(0);
    expect(await Promise.all([lazy, lazy])).toEqual([1, 1]);
    expect(await lazy).toBe(1);
  });

  it('a failure reaches only whoever waits, and the next await tries again', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let attempt = 0;
      const lazy = new LazyPromise(async () => {
        attempt++;
        if (attempt === 1) throw new Error('locked');
        return 'ok';
      });
      await expect(lazy).rejects.toThrow('locked');
      expect(await lazy).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('is a Promise, so it satisfies identity’s factory type', () => {
    expect(new LazyPromise(async () => 1)).toBeInstanceOf(Promise);
  });
});
