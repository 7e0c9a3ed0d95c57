// Profiles one contention race: `BENCH_PROF=/tmp/prof taskset -c 0,1 node --import tsx
// bench/profile-contention.ts 16 25` writes one .cpuprofile per worker (open them in Chrome
// DevTools or VS Code); without BENCH_PROF it only prints writes/s and CPU per write.
// A third argument `naive` races the naive plugin instead of FileLock (`file`, the default); a
// fourth, N, first warms each worker up with 2 × N writes on a cache of its own (bench/lib/race.ts).
// With BENCH_TRACE=<dir> it also prints where each lock hold's time goes (bench/lib/hold-trace.ts).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeHolds } from './lib/hold-trace.js';
import { race } from './lib/race.js';

const [procs = 16, count = 25] = process.argv.slice(2, 4).map(Number);
const kind = process.argv[4] === 'naive' ? 'naive' : 'file';
const warm = Number(process.argv[5] ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'msal-bench-profile-'));
const traces = process.env.BENCH_TRACE;
if (traces) {
  mkdirSync(traces, { recursive: true });
  for (const name of readdirSync(traces)) if (name.endsWith('.json')) rmSync(join(traces, name));
}
try {
  const result = await race(join(dir, 'cache.json'), procs, count, kind, warm);
  console.log(
    `${procs} x ${count} (${kind}${warm > 0 ? `, warmed with ${2 * warm} writes` : ''}): ${result.writesPerSec.toFixed(1)} writes/s, ` +
      `CPU ${result.cpuMsPerWrite.toFixed(1)} ms/write, lost ${result.lost}`,
  );
  if (traces && kind === 'file') for (const line of summarizeHolds(traces)) console.log(line);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
