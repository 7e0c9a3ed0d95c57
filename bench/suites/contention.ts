// Contention: N processes writing to one cache file through FileLock, against the serial floor —
// the same number of writes by one process with a naive plugin (read on every access, write on
// every change, no lock, no fsync). Every writer process loads first; the clock starts when all
// are ready (a ready/go barrier), so process start-up is not counted (it is printed apart).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Race, race } from '../lib/race.js';
import { type Row, ratioRow, type Suite } from '../lib/suite.js';

/**
 * Writes each worker makes per app, two apps, before a warmed race: enough for V8 to optimize the
 * paths a race takes (bench/README.md, "Short-lived processes").
 */
const WARM = 100;

/**
 * The grid: [processes, writes each, target ratio or undefined for information]. The targets are
 * issue 25's: what short-lived processes on two cores can reach while V8 warms up in each of them
 * (bench/README.md, "Short-lived processes").
 */
const GRID: Array<[number, number, number | undefined]> = [
  [1, 400, undefined],
  [4, 100, undefined],
  [8, 50, 0.75],
  [16, 25, 0.55],
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
      const warmNaive = new Map<number, Race>();
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
        if (min !== undefined) {
          // The naive plugin in the same shape, for information only: with no lock it acknowledges
          // only some of its calls and loses many of those, so its rate is no floor to compare with.
          const naiveShape = await race(fresh(), procs, count, 'naive');
          rows.push({
            metric: `  naive plugin, ${procs} procs x ${count} (no lock; information)`,
            value: naiveShape.writesPerSec,
            unit: 'writes/s',
            target: 'info only',
            note:
              `acknowledged ${naiveShape.acknowledged} of ${total}, lost ${naiveShape.lost} of those` +
              `${naiveShape.corrupt ? ' (the file left behind does not parse)' : ''}, ` +
              `failed ${naiveShape.failures}${naiveShape.stalled > 0 ? ` (${naiveShape.stalled} writers stalled)` : ''}; CPU ${naiveShape.cpuMsPerWrite.toFixed(1)} ms/write`,
          });
          // The same race with every process warmed up first, ours and the naive baseline's: what
          // is left once V8 has optimized the code in each short-lived process.
          if (!warmNaive.has(total)) warmNaive.set(total, await race(fresh(), 1, total, 'naive', WARM));
          const warmBaseline = warmNaive.get(total) as Race; // set just above
          const warmed = await race(fresh(), procs, count, 'file', WARM);
          const warmClean = warmed.lost === 0 && warmed.failures === 0 && warmed.acknowledged === total;
          rows.push({
            ...ratioRow(
              `  same, every process warmed up first (${2 * WARM} writes each)`,
              'writes/s',
              warmed.writesPerSec,
              `1 proc x ${total}, naive plugin, warmed up alike`,
              warmBaseline.writesPerSec,
              { min },
              `lost ${warmed.lost}, failed ${warmed.failures}; CPU ${warmed.cpuMsPerWrite.toFixed(1)} ms/write (naive ${warmBaseline.cpuMsPerWrite.toFixed(1)})`,
            ),
            target: '0 lost (ratio: info)',
            pass: warmClean,
          });
        }
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
