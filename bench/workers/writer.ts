// Bench worker. `writer <cache> <proc> <count> <file|naive>`: builds a daemon app, prints
// {"ready":true}, waits for "go" on stdin, acquires <count> client-credential tokens for distinct
// scopes, prints {"done":true,"ms","tokens","failures"}.
// With BENCH_TRACE=<dir>, records where each lock hold's time goes (bench/lib/hold-trace.ts).
// `writer <cache> hold`: takes the FileLock, prints {"holding":true}, and waits to be killed.
import { daemon, filePlugin, naivePlugin } from '../lib/apps.js';
import { file } from '../lib/deps.js';
import { traceHolds } from '../lib/hold-trace.js';
import { writerLoop } from '../lib/writer-loop.js';

const [cachePath = '', proc = '0', countArg = '25', kind = 'file'] = process.argv.slice(2);

if (proc === 'hold') {
  await new file.FileLock(`${cachePath}.lockfile`).acquire();
  process.stdout.write(`${JSON.stringify({ holding: true })}\n`);
  setInterval(() => {}, 60_000);
} else {
  if (process.env.BENCH_TRACE && kind === 'file') traceHolds(process.env.BENCH_TRACE);
  const { app } = daemon(kind === 'naive' ? naivePlugin(cachePath) : filePlugin(cachePath));
  await writerLoop(app, proc, Number(countArg));
  process.exit(0);
}
