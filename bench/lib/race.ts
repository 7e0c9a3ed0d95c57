// The one race every multi-writer measurement runs: N writer processes on one cache file, each
// loaded first; the clock starts when all are ready (a ready/go barrier over stdin), so process
// start-up is measured apart. Then what was acknowledged is checked against what was stored.
import { readFileSync } from 'node:fs';
import { exited, nextLine, startWorker } from './child.js';

interface Done {
  done: true;
  ms: number;
  /** CPU time the worker used during its writes. */
  cpuMs: number;
  tokens: string[];
  failures: number;
  /** The worker's loop stopped with a call that never settled; its remaining calls count as failures. */
  stalled: boolean;
}

/** What one race measured. */
export interface Race {
  writesPerSec: number;
  lost: number;
  failures: number;
  acknowledged: number;
  startupMs: number;
  /** Workers whose loop stopped on a call that never settled (counted in `failures`). */
  stalled: number;
  /** Whether the file left behind does not parse (naive writers racing unlocked): every write is then lost. */
  corrupt: boolean;
  /** CPU time of all workers per acknowledged write: what the 2 cores are busy with. */
  cpuMsPerWrite: number;
}

/**
 * Starts `procs` writers of `count` tokens each (bench/workers/writer.ts) and lets them go at once.
 * With `warm` > 0 each writer first makes 2 × `warm` writes on a cache of its own (counted in
 * `startupMs`, not in the race), so the race runs on code V8 has already optimized.
 */
export async function race(
  cachePath: string,
  procs: number,
  count: number,
  kind: 'file' | 'naive',
  warm = 0,
): Promise<Race> {
  const spawned = performance.now();
  const children = Array.from({ length: procs }, (_, i) =>
    startWorker('writer', [cachePath, String(i), String(count), kind, String(warm)]),
  );
  const named = (error: unknown) => {
    throw new Error(`race ${procs} x ${count} ${kind}${warm > 0 ? ` warmed ${warm}` : ''}: ${String(error)}`);
  };
  await Promise.all(children.map((child) => nextLine<{ ready: boolean }>(child, (v) => v.ready))).catch(named);
  const startupMs = performance.now() - spawned;
  const results = children.map((child) => nextLine<Done>(child, (v) => v.done));
  const started = performance.now();
  for (const child of children) child.stdin?.write('go\n');
  const done = await Promise.all(results).catch(named);
  const ms = performance.now() - started;
  await Promise.all(children.map(exited));
  const secrets = storedSecrets(cachePath);
  const acknowledged = done.flatMap((d) => d.tokens);
  return {
    corrupt: secrets === undefined,
    stalled: done.filter((d) => d.stalled).length,
    writesPerSec: acknowledged.length / (ms / 1000),
    lost: acknowledged.filter((t) => !secrets?.has(t)).length,
    failures: done.reduce((sum, d) => sum + d.failures, 0),
    acknowledged: acknowledged.length,
    startupMs,
    cpuMsPerWrite: done.reduce((sum, d) => sum + d.cpuMs, 0) / Math.max(1, acknowledged.length),
  };
}

/** The access-token secrets the cache file holds, or `undefined` when it does not parse. */
function storedSecrets(cachePath: string): Set<string> | undefined {
  let stored: { AccessToken?: Record<string, { secret: string }> };
  try {
    stored = JSON.parse(readFileSync(cachePath, 'utf8')) as typeof stored;
  } catch {
    return undefined;
  }
  return new Set(Object.values(stored.AccessToken ?? {}).map((t) => t.secret));
}
