import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

function readQuietly(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return '';
  }
}

let cached: string | undefined;

/**
 * Who can interpret a pid written into a lock: the host (its name and, on Linux, its boot id) and
 * the pid namespace (`/proc/self/ns/pid`). Boot id and hostname alone do not tell two containers of
 * one host apart: each may run its app as pid 1, and a pid from one means nothing in the other.
 * Only when a lock's namespace equals ours may a waiter use the pid (a dead pid is broken at once);
 * otherwise the lock is judged by its refreshes alone.
 *
 * Computed once per process: these never change while it runs.
 */
export function currentLockNamespace(): string {
  if (cached === undefined) {
    const host = hostname() || 'unknown-host';
    const boot = readQuietly(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
    // "pid:[4026531836]": the namespace's inode.
    const pidNamespace = readQuietly(() => readlinkSync('/proc/self/ns/pid')).replace(/^pid:\[(\d+)\]$/, '$1');
    cached = [host, boot, pidNamespace]
      .filter(Boolean)
      .join('/')
      .replace(/[^\w.:/-]/g, '_');
  }
  return cached;
}
