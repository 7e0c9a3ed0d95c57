// Contention: 16 processes x 25 writes on one cache file through FileLock, against the serial
// floor: the same 400 writes by one process with a naive plugin (read on every access, write on
// every change, no lock, no fsync). Target >= 0.6x, zero lost.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, nextLine, startWorker } from '../lib/child.js';
import { type Row, ratioRow, type Suite } from '../lib/suite.js';

interface Done {
  done: true;
  ms: number;
  tokens: string[];
  failures: number;
}

/** Starts the workers, waits until all are ready, then lets them go at once; wall time of the writes. */
async function race(cachePath: string, workers: { proc: string; count: number; kind: 'file' | 'naive' }[]) {
  const children = workers.map((w) => startWorker('writer', [cachePath, w.proc, String(w.count), w.kind]));
  await Promise.all(children.map((child) => nextLine<{ ready: boolean }>(child, (v) => v.ready)));
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
  };
}

const suite: Suite = {
  name: 'contention',
  async run(): Promise<Row[]> {
    const dir = mkdtempSync(join(tmpdir(), 'msal-bench-contention-'));
    try {
      const ours = await race(
        join(dir, 'file.json'),
        Array.from({ length: 16 }, (_, i) => ({ proc: String(i), count: 25, kind: 'file' as const })),
      );
      const naive = await race(join(dir, 'naive.json'), [{ proc: 'serial', count: 400, kind: 'naive' }]);
      const row = ratioRow(
        'writes/s, 16 procs x 25 (FileLock)',
        'writes/s',
        ours.writesPerSec,
        '1 proc x 400, naive plugin (serial floor)',
        naive.writesPerSec,
        { min: 0.6 },
        `acknowledged ${ours.acknowledged}, lost ${ours.lost}, failed ${ours.failures}`,
      );
      return [
        { ...row, pass: row.pass === true && ours.lost === 0 && ours.failures === 0 && ours.acknowledged === 400 },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
