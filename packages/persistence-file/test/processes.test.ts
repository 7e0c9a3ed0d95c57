import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLockOwner } from '../src/lock-owner.js';
import { daemonApp } from './fixtures/apps.js';
import {
  exited,
  PYTHON,
  packageDir,
  runFixture,
  type StoredCache,
  secretsOf,
  startFixture,
  tempSpacePerTest,
  waitForLine,
} from './helpers.js';

const space = tempSpacePerTest();

interface WriterResult {
  done: boolean;
  tokens: string[];
  failures: number;
  errors: string[];
}

const readCache = () => JSON.parse(readFileSync(space.cachePath, 'utf8')) as StoredCache;

describe('many real processes on one cache file', () => {
  it('16 processes x 25 client-credential tokens: nothing acknowledged is lost, no call fails', {
    timeout: 120_000,
  }, async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, proc) =>
        runFixture<WriterResult>('cc-writer', [space.cachePath, String(proc), '25']),
      ),
    );
    const secrets = secretsOf(readCache());
    const acknowledged = results.flatMap((r) => r.tokens);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(results.reduce((sum, r) => sum + r.failures, 0)).toBe(0);
    expect(acknowledged).toHaveLength(400);
    expect(acknowledged.filter((token) => !secrets.has(token))).toEqual([]);
    expect(secrets.size).toBe(400);
  });

  it('Node and Python (msal-extensions) writers on one cache: nothing either acknowledged is lost', {
    timeout: 120_000,
  }, async () => {
    const python = (proc: number) =>
      new Promise<{ tokens: string[] }>((resolve, reject) => {
        execFile(
          PYTHON,
          [join(packageDir, 'test', 'fixtures', 'py-writer.py'), space.cachePath, String(proc), '20'],
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
        );
      });
    const results = await Promise.all([
      ...Array.from({ length: 3 }, (_, proc) =>
        runFixture<WriterResult>('cc-writer', [space.cachePath, String(proc), '20']),
      ),
      python(0),
      python(1),
    ]);
    const secrets = secretsOf(readCache());
    const acknowledged = results.flatMap((r) => r.tokens);
    expect(acknowledged).toHaveLength(100);
    expect(acknowledged.filter((token) => !secrets.has(token))).toEqual([]);
  });

  it('writers SIGKILLed mid-flight: the file always parses and a fresh writer gets in (dead owner detected by pid)', {
    timeout: 120_000,
  }, async () => {
    let proc = 0;
    let locksLeftBehind = 0;
    for (let round = 0; round < 6; round++) {
      const writers = Array.from({ length: 4 }, () =>
        startFixture('cc-writer', [space.cachePath, String(proc++), '0', 'forever', String(10 * 60_000)]),
      );
      const pids = writers.map((child) => child.pid);
      await Promise.all(writers.map((child) => waitForLine<{ writing: boolean }>(child, (v) => v.writing)));
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 40));
      // The last round kills a writer known to hold the lock, so the pid path is always exercised.
      if (round === 5) {
        const holder = startFixture('lock-holder', [`${space.cachePath}.lockfile`, 'wait']);
        pids.push(holder.pid);
        writers.push(holder);
        await waitForLine<{ holding: boolean }>(holder, (v) => v.holding);
      }
      for (const child of writers) child.kill('SIGKILL');
      await Promise.all(writers.map(exited));

      expect(() => readCache()).not.toThrow();
      const left = await readLockOwner(`${space.cachePath}.lockfile`);
      // staleMs is ten minutes here: a lock left behind can only be broken through its dead pid.
      const { app } = daemonApp(space.cachePath, { staleMs: 10 * 60_000 });
      const fresh = await app.acquireTokenByClientCredential({ scopes: [`api://fresh-${round}/.default`] });
      expect(secretsOf(readCache()).has(fresh?.accessToken ?? '')).toBe(true);
      if (left) {
        locksLeftBehind++;
        expect(pids).toContain(left.pid);
      }
    }
    expect(locksLeftBehind).toBeGreaterThan(0);
  });
});
