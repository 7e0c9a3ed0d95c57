import { describe, expect, it } from 'vitest';
import { isPersistenceError } from './errors.js';
import { Mutex } from './mutex.js';

const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'granted',
    (error: unknown) => error,
  );

describe('Mutex', () => {
  it('serves waiters first come, first served', async () => {
    const mutex = new Mutex('test');
    const order: number[] = [];
    const release = await mutex.acquire();
    const waiting = [1, 2, 3].map(async (n) => {
      const done = await mutex.acquire();
      order.push(n);
      done();
    });
    release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });

  it('gives up after timeoutMs with LockTimeout naming what it waited for, and the queue moves on', async () => {
    const mutex = new Mutex('memory:cache', 'another token call of this process is writing');
    const release = await mutex.acquire();
    const timedOut = settle(mutex.acquire({ timeoutMs: 20 }));
    const patient = mutex.acquire();
    const error = await timedOut;
    expect(isPersistenceError(error, 'LockTimeout')).toBe(true);
    expect((error as Error).message).toContain('another token call of this process is writing');
    expect((error as { backend?: string }).backend).toBe('memory:cache');
    release();
    (await patient)();
  });

  it('stops waiting with Aborted when the signal aborts, also when it already has', async () => {
    const mutex = new Mutex('test');
    expect(isPersistenceError(await settle(mutex.acquire({ signal: AbortSignal.abort() })), 'Aborted')).toBe(true);
    const release = await mutex.acquire();
    const controller = new AbortController();
    const waiting = settle(mutex.acquire({ signal: controller.signal }));
    controller.abort(new Error('shutting down'));
    const error = await waiting;
    expect(isPersistenceError(error, 'Aborted')).toBe(true);
    expect((error as Error).cause).toEqual(new Error('shutting down'));
    release();
    (await mutex.acquire({ timeoutMs: 20 }))();
  });

  it('hands over to a waiter, so a newcomer cannot slip in between; a second release frees nothing', async () => {
    const mutex = new Mutex('test');
    const first = await mutex.acquire();
    const second = mutex.acquire();
    first();
    first();
    const newcomer = settle(mutex.acquire({ timeoutMs: 20 }));
    const releaseSecond = await second;
    expect(isPersistenceError(await newcomer, 'LockTimeout')).toBe(true);
    releaseSecond();
  });
});
