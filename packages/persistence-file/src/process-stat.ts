import { readFileSync } from 'node:fs';

/**
 * What Linux says about a running process in `/proc/<pid>/stat`: enough to tell a live lock holder
 * from a process that merely got its pid later, and a stopped one from a busy one.
 *
 * @example
 * ```ts
 * const stat = readProcessStat(pid);
 * if (stat?.state === 'T') console.log(`${pid} is stopped`);
 * ```
 */
export interface ProcessStat {
  /** The state letter (field 3): `R` running, `S`/`D` sleeping, `T` stopped, `t` stopped by a debugger, `Z` zombie. */
  state: string;
  /**
   * When the process started, in clock ticks after boot (field 22), as written: the same pid with
   * another start time is another process.
   */
  startTicks: string;
}

/**
 * Reads `/proc/<pid>/stat` in this process's pid namespace. `undefined` where there is no such
 * process, no `/proc` (macOS, Windows) or it is hidden from us (`hidepid`); callers then fall
 * back to what they did without it. Synchronous: a read of a few hundred bytes from procfs.
 */
export function readProcessStat(pid: number | 'self'): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Field 2 is the program name in parentheses, which may itself hold spaces and parentheses:
  // the fields we want come after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[22 - 3];
  if (!state || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
  return { state, startTicks };
}

let own: string | null | undefined;

/**
 * This process's start time as {@link readProcessStat} reports it, read once. `undefined` without
 * `/proc`, and when `/proc` numbers processes in another pid namespace than ours (`unshare -p`
 * without a new `/proc` mount): `/proc/<our pid>` is then another process, and so would be every
 * pid we read there. Callers use other processes' stats only when this is defined.
 */
export function ownStartTicks(): string | undefined {
  if (own === undefined) {
    const self = readProcessStat('self')?.startTicks;
    own = self !== undefined && readProcessStat(process.pid)?.startTicks === self ? self : null;
  }
  return own ?? undefined;
}
