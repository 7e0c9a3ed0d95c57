// Where a lock hold's time goes, per phase, across every writer of a race (BENCH_TRACE=<dir> with
// bench/profile-contention.ts). A writer wraps the built FileLock, FilePersistence and plugin
// methods to stamp each step with the wall clock shared by all processes, and writes its events to
// <dir>/<pid>.json at exit; the summary reads them all. A diagnostic: the wrappers cost µs per hold.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { core, file } from './deps.js';

type Step = 'got' | 'before<' | 'after>' | 'save>' | 'save<' | 'released';
/**
 * What a process used while holding: CPU ms of all its threads and of its main thread, context
 * switches, and the ms its handle's `verify()` took (the lock check right before the save's rename).
 */
type Usage = 'cpu' | 'mainCpu' | 'voluntary' | 'involuntary' | 'verify';
/** [step, wall-clock ms] or [usage, amount during the hold]. */
type Event = [Step | Usage, number];
const USAGES: Usage[] = ['cpu', 'mainCpu', 'voluntary', 'involuntary', 'verify'];

/** The phases of one hold, between consecutive steps (a write's own reload is inside the first). */
const PHASES: Array<[string, Step, Step]> = [
  ['stamp check and reload', 'got', 'before<'],
  ["msal's change (its save scan)", 'before<', 'after>'],
  ["msal's serialize", 'after>', 'save>'],
  ['save (write, fsync, rename)', 'save>', 'save<'],
  ['release', 'save<', 'released'],
];

const now = () => performance.timeOrigin + performance.now();

/** CPU ms the main thread has used (Linux: its schedstat), or NaN where that is not readable. */
function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

function usageNow(): Record<Exclude<Usage, 'verify'>, number> {
  const cpu = process.cpuUsage();
  const { voluntaryContextSwitches, involuntaryContextSwitches } = process.resourceUsage();
  return {
    cpu: (cpu.user + cpu.system) / 1000,
    mainCpu: mainThreadCpuMs(),
    voluntary: voluntaryContextSwitches,
    involuntary: involuntaryContextSwitches,
  };
}

function around<T extends object>(target: T, name: keyof T & string, before?: Step, after?: Step, events?: Event[]) {
  const original = target[name] as (...args: unknown[]) => Promise<unknown>;
  Object.assign(target, {
    async [name](this: unknown, ...args: unknown[]) {
      if (before) events?.push([before, now()]);
      const result = await original.apply(this, args);
      if (after) events?.push([after, now()]);
      return result;
    },
  });
}

/** Makes this writer record its holds into `<dir>/<pid>.json` at exit. Call before building the app. */
export function traceHolds(dir: string): void {
  const events: Event[] = [];
  const lock = file.FileLock.prototype as { acquire: (...args: unknown[]) => Promise<core.LockHandle> };
  const acquire = lock.acquire;
  lock.acquire = async function (this: unknown, ...args: unknown[]) {
    const handle = await acquire.apply(this, args);
    events.push(['got', now()]);
    const before = usageNow();
    let verifyMs = 0;
    return {
      // Passed through, timed: a wrapper without it would measure saves that skip the lock check.
      verify() {
        const started = now();
        try {
          handle.verify?.();
        } finally {
          verifyMs += now() - started;
        }
      },
      async release() {
        await handle.release();
        const after = usageNow();
        for (const usage of USAGES) events.push([usage, usage === 'verify' ? verifyMs : after[usage] - before[usage]]);
        events.push(['released', now()]);
      },
    };
  };
  around(file.FilePersistence.prototype, 'save', 'save>', 'save<', events);
  around(core.PersistenceCachePlugin.prototype, 'beforeCacheAccess', undefined, 'before<', events);
  around(core.PersistenceCachePlugin.prototype, 'afterCacheAccess', 'after>', undefined, events);
  process.on('exit', () => writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(events)));
}

/**
 * One line per figure: holds, hold and gap per write, CPU while holding (the main thread's apart:
 * the rest is V8's compiler and GC threads and the thread pool), context switches per hold, and
 * each phase's mean.
 */
export function summarizeHolds(dir: string): string[] {
  const holds: Array<{ start: number; end: number; used: Map<Usage, number>; steps: Map<string, number> }> = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const events = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Event[];
    let current: (typeof holds)[number] | undefined;
    for (const [step, value] of events) {
      if (step === 'got') current = { start: value, end: value, used: new Map(), steps: new Map([['got', value]]) };
      if (!current) continue;
      if ((USAGES as string[]).includes(step)) current.used.set(step as Usage, value);
      else if (!current.steps.has(step)) current.steps.set(step, value);
      if (step === 'released') {
        current.end = value;
        holds.push(current);
        current = undefined;
      }
    }
  }
  if (holds.length === 0) return ['no holds recorded'];
  holds.sort((a, b) => a.start - b.start);
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  const gaps = holds.slice(1).map((hold, i) => Math.max(0, hold.start - (holds[i]?.end ?? hold.start)));
  const used = (usage: Usage) => mean(holds.map((h) => h.used.get(usage) ?? Number.NaN));
  const lines = [
    `${holds.length} holds: ${mean(holds.map((h) => h.end - h.start)).toFixed(2)} ms held per write, ` +
      `${mean(gaps).toFixed(2)} ms between holds, ${used('cpu').toFixed(2)} ms CPU while holding ` +
      `(main thread ${used('mainCpu').toFixed(2)} ms), ${used('voluntary').toFixed(1)} voluntary and ` +
      `${used('involuntary').toFixed(1)} involuntary context switches per hold`,
  ];
  for (const [label, from, to] of PHASES) {
    const spans = holds.flatMap((h) => {
      const a = h.steps.get(from);
      const b = h.steps.get(to);
      return a === undefined || b === undefined ? [] : [b - a];
    });
    lines.push(`  ${label}: ${mean(spans).toFixed(2)} ms`);
  }
  lines.push(`    of the save, the lock check (verify): ${used('verify').toFixed(3)} ms`);
  return lines;
}
