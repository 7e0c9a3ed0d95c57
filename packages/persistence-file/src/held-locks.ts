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
  removeAll();
  uninstall();
  // Do not swallow the signal: if nobody else handles it, die of it as the default action would.
  // Libraries like signal-exit re-raise by themselves once they are the only listener left.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
};

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  // Prepended so that a later listener like signal-exit sees ours already gone and re-raises.
  for (const signal of SIGNALS) process.prependListener(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
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
