// Where the bench runs: pinned to CPUs 0 and 1 with `taskset` (the size of our users' laptops and
// small VMs; contention on 2 cores is the figure that matters), and on Linux inside one private
// Secret Service session (scripts/with-secret-service.sh), so the start-up suite can measure the
// real libsecret backend. The current process re-runs itself that way and exits with its code.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PINNED = 'MSAL_BENCH_PINNED';
const withSecretService = fileURLToPath(new URL('../../scripts/with-secret-service.sh', import.meta.url));

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** How this run is pinned, for charts and tables (set by {@link benchEnvironment}). */
export function runDescription(): string {
  return process.env[PINNED] ?? 'not pinned';
}

/** What the run is pinned to, for the table. Re-execs (and never returns) when not pinned yet. */
export function benchEnvironment(): { description: string } {
  if (process.env[PINNED]) return { description: process.env[PINNED] };
  if (process.platform !== 'linux' || !has('taskset')) {
    return { description: `not pinned (no taskset on ${process.platform}): ${navigatorCpus()} CPUs available` };
  }
  const secretService = has('gnome-keyring-daemon') && has('dbus-run-session');
  const description = `pinned to CPUs 0,1 (taskset -c 0,1)${secretService ? ', one private Secret Service session' : ', no Secret Service'}${tlbNote()}`;
  const command = [
    'taskset',
    '-c',
    '0,1',
    ...(secretService ? [withSecretService] : []),
    process.execPath,
    ...process.execArgv,
    ...process.argv.slice(1),
  ];
  const [program = '', ...args] = command;
  const result = spawnSync(program, args, { stdio: 'inherit', env: { ...process.env, [PINNED]: description } });
  process.exit(result.status ?? 1);
}

/**
 * Page-table isolation on a CPU without PCID flushes the TLB on every system call and context
 * switch, and the code that runs next pays to refill it; rows that pay one per call or many
 * switches per write (hot, contention) move with it, so the table says so.
 */
function tlbNote(): string {
  let flags: string[];
  try {
    flags = (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/);
  } catch {
    return '';
  }
  return flags.includes('pti') && !flags.includes('pcid')
    ? '; kernel page-table isolation without PCID (every system call and context switch flushes the TLB)'
    : '';
}

function navigatorCpus(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 0;
}
