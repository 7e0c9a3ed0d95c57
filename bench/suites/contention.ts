// Contention: N processes writing to one cache file through FileLock, against the serial floor —
// the same number of writes by one process with a naive plugin (read on every access, write on
// every change, no lock, no fsync). Every writer process loads first; the clock starts when all
// are ready (a ready/go barrier), so process start-up is not counted (it is printed apart).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, nextLine, startWorker } from '../lib/child.js';
import { type Row, ratioRow, type Suite } from '../lib/suite.js';

interface Done {
  done: true;
  ms: number;
  /** CPU time the worker used during its writes. */
  cpuMs: number;
  tokens: string[];
  failures: number;
}

interface Race {
  writesPerSec: number;
  lost: number;
  failures: number;
  acknowledged: number;
  startupMs: number;
  /** CPU time of all workers per acknowledged write: what the 2 cores are busy with. */
  cpuMsPerWrite: number;
}

/** Starts the workers, waits until all are ready, then lets them go at once; wall time of the writes. */
async function race(cachePath: string, procs: number, count: number, kind: 'file' | 'naive'): Promise<Race> {
  const spawned = performance.now();
  const children = Array.from({ length: procs }, (_, i) =>
    startWorker('writer', [cachePath, String(i), String(count), kind]),
  );
  await Promise.all(children.map((child) => nextLine<{ ready: boolean }>(child, (v) => v.ready)));
  const startupMs = performance.now() - spawned;
  const results = children.map((child) => nextLine<Done>(child, (v) => v.done));
  const started = performance.now();
  for (const child of children) child.stdin?.write('go\n');
  const done = await Promise.all(results);
  const ms = performance.now() - started;
  await Promise.all(children.map(exited));
  const stored = JSON.parse(readFileSync(cachePath, 'utf8')) as { AccessToken: Record<string, { secret: string }> };
  const secrets = new Set(Object.values(stored.AccessToken).map((t) => t.secret));
  const acknowledged = done.flatMap((d) => d.tokens);
  return {
    writesPerSec: acknowledged.length / (ms / 1000),
    lost: acknowledged.filter((t) => !secrets.has(t)).length,
    failures: done.reduce((sum, d) => sum + d.failures, 0),
    acknowledged: acknowledged.length,
    startupMs,
    cpuMsPerWrite: done.reduce((sum, d) => sum + d.cpuMs, 0) / Math.max(1, acknowledged.length),
  };
}

/** The grid of issue 12: [processes, writes each, target ratio or undefined for information]. */
const GRID: Array<[number, number, number | undefined]> = [
  [1, 400, undefined],
  [4, 100, undefined],
  [8, 50, 0.8],
  [16, 25, 0.65],
  [16, 100, undefined],
];

const suite: Suite = {
  name: 'contention',
  async run(): Promise<Row[]> {
    const dir = mkdtempSync(join(tmpdir(), 'msal-bench-contention-'));
    let round = 0;
    const fresh = () => join(dir, `cache-${round++}.json`);
    try {
      const naive = new Map<number, Race>();
      const rows: Row[] = [];
      for (const [procs, count, min] of GRID) {
        const total = procs * count;
        if (!naive.has(total)) naive.set(total, await race(fresh(), 1, total, 'naive'));
        const baseline = naive.get(total) as Race; // set just above
        const ours = await race(fresh(), procs, count, 'file');
        const clean = ours.lost === 0 && ours.failures === 0 && ours.acknowledged === total;
        const note =
          `acknowledged ${ours.acknowledged}, lost ${ours.lost}, failed ${ours.failures}; ` +
          `CPU ${ours.cpuMsPerWrite.toFixed(1)} ms/write (naive ${baseline.cpuMsPerWrite.toFixed(1)})`;
        const row = ratioRow(
          `writes/s, ${procs} proc${procs > 1 ? 's' : ''} x ${count} (FileLock)`,
          'writes/s',
          ours.writesPerSec,
          `1 proc x ${total}, naive plugin (serial floor)`,
          baseline.writesPerSec,
          { min: min ?? 0 },
          note,
        );
        rows.push(
          min === undefined
            ? { ...row, target: '0 lost (ratio: info)', pass: clean }
            : { ...row, pass: row.pass === true && clean },
        );
        if (procs === 16 && count === 25) {
          rows.push({
            metric: '  start-up of those 16 processes (not counted above)',
            value: ours.startupMs,
            unit: 'ms',
            target: 'info only',
            note: 'spawn to ready: node, msal-node, our packages loaded',
          });
        }
      }
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
