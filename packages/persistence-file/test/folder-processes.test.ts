// Real processes sharing one FolderPartitionedStore: the partition lock excludes across processes,
// and core's singleFlight sends one token request for the whole group, also when a holder dies.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToText } from '@msal-persist/core';
import { describe, expect, it } from 'vitest';
import { FolderPartitionedStore } from '../src/index.js';
import { exited, startFixture, tempSpacePerTest, waitForLine } from './helpers.js';

interface FlightOutcome {
  values: string[];
  sources: ('cache' | 'fetch')[];
  joined: number;
}

/** Every JSON line a child prints, as they arrive. */
function record(child: ChildProcess): unknown[] {
  const lines: unknown[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at).trim();
      buffer = buffer.slice(at + 1);
      if (line.startsWith('{')) lines.push(JSON.parse(line));
    }
  });
  return lines;
}

function flight(dir: string, log: string, mode: 'fetch' | 'hang', calls: number) {
  const child = startFixture('folder-flight', [dir, 'user:ada', log, mode, String(calls)]);
  const lines = record(child);
  const ready = waitForLine<{ ready?: boolean }>(child, (line) => line.ready === true);
  const outcome = waitForLine<Partial<FlightOutcome>>(child, (line) => Array.isArray(line.values));
  // The holder of the dead-holder test is killed before it prints an outcome.
  outcome.catch(() => undefined);
  const send = (word: string) => child.stdin?.write(`${word}\n`);
  // Every call of the process has looked in the cache and missed (the first lookups, before any lock).
  const missed = () => lines.filter((line) => (line as { lookup?: string }).lookup === 'miss').length >= calls;
  const fetching = () => lines.some((line) => (line as { fetching?: number }).fetching !== undefined);
  return { child, ready, outcome: outcome as Promise<FlightOutcome>, send, missed, fetching };
}

const fetchLog = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

describe('FolderPartitionedStore across real processes', () => {
  const space = tempSpacePerTest();

  it('4 processes x 25 read-modify-writes of one partition under its lock: none lost', async () => {
    const dir = join(space.dir, 'partitions');
    const children = ['a', 'b', 'c', 'd'].map((tag) => startFixture('folder-writer', [dir, 'user:shared', tag, '25']));
    await Promise.all(children.map((child) => waitForLine<{ done?: boolean }>(child, (line) => line.done === true)));
    await Promise.all(children.map(exited));
    const bytes = await new FolderPartitionedStore({ dir }).partition('user:shared').persistence.load();
    const entries = JSON.parse(bytesToText(bytes ?? new Uint8Array())) as string[];
    expect(entries).toHaveLength(100);
    expect(new Set(entries).size).toBe(100);
  });

  it('singleFlight: 4 processes x 10 concurrent calls that all missed the cache send one token request', async () => {
    const dir = join(space.dir, 'partitions');
    const log = join(space.dir, 'fetches.log');
    const fleet = Array.from({ length: 4 }, () => flight(dir, log, 'fetch', 10));
    await Promise.all(fleet.map((p) => p.ready));
    for (const p of fleet) p.send('go');
    // Hold the first fetch until every process has looked in the cache and missed: all of them
    // now want the token, and only the lock stands between them and the token endpoint.
    await expect
      .poll(() => fleet.every((p) => p.missed()) && fleet.some((p) => p.fetching()), { timeout: 30_000 })
      .toBe(true);
    for (const p of fleet) p.send('finish');
    const outcomes = await Promise.all(fleet.map((p) => p.outcome));

    expect(fetchLog(log)).toHaveLength(1);
    const token = `token-from-${fetchLog(log)[0]}`;
    for (const outcome of outcomes) expect(outcome.values).toEqual([token]);
    const sources = outcomes.flatMap((o) => o.sources);
    expect(sources).toHaveLength(40);
    // The fetching process's ten calls share its one flight; the three others read the cache.
    expect(outcomes.filter((o) => o.sources.includes('fetch'))).toHaveLength(1);
    expect(outcomes.map((o) => o.joined).sort()).toEqual([9, 9, 9, 9]);
  });

  it('singleFlight: a holder killed mid-fetch blocks no one; exactly one waiter fetches instead', async () => {
    const dir = join(space.dir, 'partitions');
    const log = join(space.dir, 'fetches.log');
    const holder = flight(dir, log, 'hang', 1);
    await holder.ready;
    holder.send('go');
    await expect.poll(() => holder.fetching(), { timeout: 30_000 }).toBe(true);

    const waiters = Array.from({ length: 3 }, () => flight(dir, log, 'fetch', 5));
    await Promise.all(waiters.map((p) => p.ready));
    for (const p of waiters) p.send('go');
    await expect.poll(() => waiters.every((p) => p.missed()), { timeout: 30_000 }).toBe(true);
    holder.child.kill('SIGKILL');
    await exited(holder.child);
    for (const p of waiters) p.send('finish');
    const outcomes = await Promise.all(waiters.map((p) => p.outcome));

    // The dead holder's request and one more: the waiters did not each give up and fetch.
    const [dead, ...rest] = fetchLog(log);
    expect(dead).toBe(String(holder.child.pid));
    expect(rest).toHaveLength(1);
    for (const outcome of outcomes) expect(outcome.values).toEqual([`token-from-${rest[0]}`]);
  });
});
