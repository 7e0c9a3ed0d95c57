import { removeLockIfHeld } from './lock-owner.js';

interface HeldLock {
  path: string;
  ino: bigint;
  holder: string;
}

interface Registry {
  held: Set<HeldLock>;
  exitInstalled: boolean;
  signalsInstalled: boolean;
  onExit: () => void;
  onSignal: (signal: NodeJS.Signals) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// One record per JavaScript realm, shared by every copy of this module in it: an app and a library
// may load different builds (ESM `index.js` and CJS `index.cjs`), and each must see the other's
// locks as held, and install the exit and signal handlers once. Versioned: a future layout gets
// its own key rather than misreading this one.
const KEY = Symbol.for('@msal-persist/persistence-file/held-locks@1');

function createRegistry(): Registry {
  const registry: Registry = {
    held: new Set(),
    exitInstalled: false,
    signalsInstalled: false,
    onExit: () => {
      removeAll(registry);
      uninstall(registry);
    },
    onSignal: (signal) => {
      // Step aside either way, so a later listener like signal-exit sees ours gone and can re-raise.
      removeSignalHandlers(registry);
      if (process.listenerCount(signal) > 0) {
        // The app handles this signal and may go on running, even in the middle of a save: its locks
        // stay until released or until exit. Should it die of the signal instead, the locks name a
        // dead pid, which every waiter on this host breaks at once.
        return;
      }
      // Nobody else handles it: clean up and die of it, as the default action would.
      removeAll(registry);
      uninstall(registry);
      process.kill(process.pid, signal);
    },
  };
  return registry;
}

function registry(): Registry {
  const scope = globalThis as typeof globalThis & { [KEY]?: Registry };
  scope[KEY] ??= createRegistry();
  return scope[KEY];
}

function removeAll(state: Registry): void {
  for (const lock of state.held) removeLockIfHeld(lock.path, lock.ino, lock.holder);
  state.held.clear();
}

function install(state: Registry): void {
  if (!state.exitInstalled) {
    state.exitInstalled = true;
    process.on('exit', state.onExit);
  }
  if (!state.signalsInstalled) {
    state.signalsInstalled = true;
    // Prepended so that a later listener like signal-exit sees ours already gone and re-raises.
    for (const signal of SIGNALS) process.prependListener(signal, state.onSignal);
  }
}

function removeSignalHandlers(state: Registry): void {
  if (!state.signalsInstalled) return;
  state.signalsInstalled = false;
  for (const signal of SIGNALS) process.removeListener(signal, state.onSignal);
}

function uninstall(state: Registry): void {
  removeSignalHandlers(state);
  if (!state.exitInstalled) return;
  state.exitInstalled = false;
  process.removeListener('exit', state.onExit);
}

/**
 * Records a lock this realm holds, so it is removed on exit and on SIGINT/SIGTERM/SIGHUP.
 * Handlers are installed only while at least one lock is held. Returns the function that forgets it.
 */
export function trackHeldLock(path: string, ino: bigint, holder: string): () => void {
  const state = registry();
  const entry: HeldLock = { path, ino, holder };
  state.held.add(entry);
  install(state);
  return () => {
    state.held.delete(entry);
    if (state.held.size === 0) uninstall(state);
  };
}

/** Whether exit/signal handlers are installed now (for tests). */
export function heldLockHandlersInstalled(): boolean {
  return registry().exitInstalled;
}

/** Whether a holder in this realm (any copy of this module) holds the lock at `path` with this token. */
export function isHeldHere(path: string, holder: string | undefined): boolean {
  if (holder === undefined) return false;
  for (const lock of registry().held) if (lock.path === path && lock.holder === holder) return true;
  return false;
}
