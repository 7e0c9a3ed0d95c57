// Profiles one contention race: `BENCH_PROF=/tmp/prof taskset -c 0,1 node --import tsx
// bench/profile-contention.ts 16 25` writes one .cpuprofile per worker (open them in Chrome
// DevTools or VS Code); without BENCH_PROF it only prints writes/s and CPU per write.
// A third argument `naive` races the naive plugin instead of FileLock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, nextLine, startWorker } from './lib/child.js';

const [procs = 16, count = 25] = process.argv.slice(2, 4).map(Number);
const kind = process.argv[4] === 'naive' ? 'naive' : 'file';
const dir = mkdtempSync(join(tmpdir(), 'msal-bench-profile-'));
const cache = join(dir, 'cache.json');
const workers = Array.from({ length: procs }, (_, i) => startWorker('writer', [cache, String(i), String(count), kind]));
await Promise.all(workers.map((child) => nextLine<{ ready: boolean }>(child, (v) => v.ready)));
const results = workers.map((child) => nextLine<{ done: boolean; ms: number; cpuMs: number }>(child, (v) => v.done));
const started = performance.now();
for (const child of workers) child.stdin?.write('go\n');
const done = await Promise.all(results);
const ms = performance.now() - started;
await Promise.all(workers.map(exited));
const writes = procs * count;
const cpu = done.reduce((sum, d) => sum + d.cpuMs, 0) / writes;
console.log(
  `${procs} x ${count} (${kind}): ${(writes / (ms / 1000)).toFixed(1)} writes/s, CPU ${cpu.toFixed(1)} ms/write`,
);
rmSync(dir, { recursive: true, force: true });
