// Bench worker. `writer <cache> <proc> <count> <file|naive> [warm]`: builds a daemon app, prints
// {"ready":true}, waits for "go" on stdin, acquires <count> client-credential tokens for distinct
// scopes, prints {"done":true,"ms","tokens","failures"}. With `warm` > 0 it first warms V8 up: two
// apps with the same plugin take turns on a cache of the worker's own, `warm` writes each, so every
// write reloads as in a race; that cache is removed before "ready".
// With BENCH_TRACE=<dir>, records where each lock hold's time goes (bench/lib/hold-trace.ts).
// `writer <cache> hold`: takes the FileLock, prints {"holding":true}, and waits to be killed.
import { rmSync } from 'node:fs';
import { daemon, filePlugin, naivePlugin } from '../lib/apps.js';
import { file } from '../lib/deps.js';
import { traceHolds } from '../lib/hold-trace.js';
import { writerLoop } from '../lib/writer-loop.js';

const [cachePath = '', proc = '0', countArg = '25', kind = 'file', warmArg = '0'] = process.argv.slice(2);
const pluginFor = (path: string) => (kind === 'naive' ? naivePlugin(path) : filePlugin(path));

/** Two apps taking turns on a cache of this worker's own, `writes` each: every write reloads. */
async function warmUp(writes: number): Promise<void> {
  const own = `${cachePath}.warm-${proc}`;
  const apps = [daemon(pluginFor(own)).app, daemon(pluginFor(own)).app];
  for (let i = 0; i < writes; i++) {
    for (const [n, app] of apps.entries()) {
      await app.acquireTokenByClientCredential({ scopes: [`api://warm${proc}-${n}-${i}/.default`] });
    }
  }
  for (const leftover of [own, `${own}.lockfile`]) rmSync(leftover, { force: true });
}

if (proc === 'hold') {
  await new file.FileLock(`${cachePath}.lockfile`).acquire();
  process.stdout.write(`${JSON.stringify({ holding: true })}\n`);
  setInterval(() => {}, 60_000);
} else {
  await warmUp(Number(warmArg));
  if (process.env.BENCH_TRACE && kind === 'file') traceHolds(process.env.BENCH_TRACE);
  const { app } = daemon(pluginFor(cachePath));
  await writerLoop(app, proc, Number(countArg));
  // After stdout has taken the whole report: a 1 × 1600 writer's line is larger than a pipe holds,
  // and an exit at once dropped its end (the race then saw the worker exit without a report).
  process.stdout.write('', () => process.exit(0));
}
