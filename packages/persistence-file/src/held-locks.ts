import { removeIfOwnedSync } from './exclusive-file.js';

interface HeldLock {
  path: string;
  ino: bigint;
}

const held = new Set<HeldLock>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeAll(): void {
  for (const lock of held) removeIfOwnedSync(lock.path, lock.ino);
  held.clear();
}

function onExit(): void {
  removeAll();
  uninstall();
}

const onSignal = (signal: NodeJS.Signals) => {
  // Step aside either way, so a later listener like signal-exit sees ours gone and can re-raise.
  removeSignalHandlers();
  if (process.listenerCount(signal) > 0) {
    // The app handles this signal and may go on running, even in the middle of a save: its locks
    // stay until released or until exit. Should it die of the signal instead, the locks name a
    // dead pid, which every waiter breaks at once.
    return;
  }
  // Nobody else handles it: clean up and die of it, as the default action would.
  removeAll();
  uninstall();
  process.kill(process.pid, signal);
};

let installed = false;
let signalHandlers = false;

function install(): void {
  if (!installed) {
    installed = true;
    process.on('exit', onExit);
  }
  if (!signalHandlers) {
    signalHandlers = true;
    // Prepended so that a later listener like signal-exit sees ours already gone and re-raises.
    for (const signal of SIGNALS) process.prependListener(signal, onSignal);
  }
}

function removeSignalHandlers(): void {
  if (!signalHandlers) return;
  signalHandlers = false;
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

function uninstall(): void {
  removeSignalHandlers();
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
}

/**
 * Records a lock this process holds, so it is removed on exit and on SIGINT/SIGTERM/SIGHUP.
 * Handlers are installed only while at least one lock is held. Returns the function that forgets it.
 */
export function trackHeldLock(path: string, ino: bigint): () => void {
  const entry: HeldLock = { path, ino };
  held.add(entry);
  install();
  return () => {
    held.delete(entry);
    if (held.size === 0) uninstall();
  };
}

/** Whether exit/signal handlers are installed now (for tests). */
export function heldLockHandlersInstalled(): boolean {
  return installed;
}

/**
 * Whether this process holds the lock file `path` with inode `ino`. A lock naming our own pid
 * that we do not hold was left by a dead predecessor that had the same pid (a restarted
 * container's pid 1, say).
 */
export function isHeldHere(path: string, ino: bigint): boolean {
  for (const lock of held) if (lock.path === path && lock.ino === ino) return true;
  return false;
}
