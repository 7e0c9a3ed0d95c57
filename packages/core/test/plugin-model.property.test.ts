import { type AccountInfo, AuthError, type AuthenticationResult, type PublicClientApplication } from '@azure/msal-node';
import { propertyRuns, propertyTimeoutMs } from '@msal-persist/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { homeAccountIds } from '../src/account-tracker.js';
import {
  type CacheChangedEvent,
  isPersistenceError,
  type Lock,
  type LockAcquireOptions,
  type LockHandle,
  MemoryLock,
  MemoryPersistence,
  PersistenceCachePlugin,
  PersistenceError,
} from '../src/index.js';
import { FakeTokenEndpoint, type FakeUser } from '../src/testing/index.js';
import { ADA, BO, CY, publicApp } from './support/msal-apps.js';

// A model-based test of the plugin: several simulated processes (each a real msal-node app with its
// own plugin) share one store and one lock, and interleave sign-ins, silent calls, new tokens for
// new scopes, sign-outs, clear(), lock timeouts and failed saves. After every step the store, what
// each process is served and the cachechanged events each heard are checked against a small model.

const PROCESSES = 3;
const USERS: Record<string, FakeUser> = { ada: ADA, bo: BO, cy: CY };
const SCOPE_NAMES = ['User.Read', 'Mail.Read', 'Files.Read'] as const;

/** A MemoryPersistence whose saves fail (`Io`) while `failing` is set, as a full disk would. */
class FlakyPersistence extends MemoryPersistence {
  failing = false;
  override async save(...args: Parameters<MemoryPersistence['save']>): Promise<string> {
    if (this.failing) throw new PersistenceError('Io', 'Simulated failed save.', { backend: this.name });
    return super.save(...args);
  }
}

interface Process {
  readonly idp: FakeTokenEndpoint;
  readonly app: PublicClientApplication;
  readonly plugin: PersistenceCachePlugin;
  /** Home account ids as the process's cachechanged events tell them. */
  readonly heard: Set<string>;
}

/**
 * A real MemoryLock, with two faults on demand: while `timesOut` is set, acquiring fails with
 * `LockTimeout` at once (as behind a holder that never lets go, without the wait); while `lost` is
 * set, a hold fails its last check before a save with `LockLost` (as one broken by a writer on
 * another host does).
 */
class FaultyLock implements Lock {
  timesOut = false;
  lost = false;
  private readonly inner = new MemoryLock('model-lock');
  async acquire(options?: LockAcquireOptions): Promise<LockHandle> {
    if (this.timesOut) {
      throw new PersistenceError('LockTimeout', 'Simulated: another writer holds the lock.', { backend: 'model-lock' });
    }
    const handle = await this.inner.acquire(options);
    return {
      release: () => handle.release(),
      verify: () => {
        if (this.lost)
          throw new PersistenceError('LockLost', 'Simulated: the hold was broken.', { backend: 'model-lock' });
        return handle.verify?.();
      },
    };
  }
}

interface Real {
  readonly persistence: FlakyPersistence;
  readonly lock: FaultyLock;
  readonly processes: Process[];
}

type Outcome<T> = { ok: T } | { error: unknown };

/** What the model knows of one user in the store. `unsure`: a failed save left a change in some process's memory. */
interface UserModel {
  account: 'in' | 'out' | 'unsure';
  /** Acknowledged access tokens by scope; `unsure` where a failed save may yet replace it. */
  tokens: Map<string, string | 'unsure'>;
}

interface Model {
  readonly users: Map<string, UserModel>;
  /** The AccountInfo of each user who signed in once (the same for every later sign-in). */
  readonly accounts: Map<string, AccountInfo>;
}

/** How a step is run: normally, with the lock timing out, with failing saves, or with its hold lost. */
type Fault = 'none' | 'lock times out' | 'saves fail' | 'hold lost';

function userModel(model: Model, user: string): UserModel {
  let entry = model.users.get(user);
  if (!entry) {
    entry = { account: 'out', tokens: new Map() };
    model.users.set(user, entry);
  }
  return entry;
}

async function storedJson(persistence: MemoryPersistence): Promise<string> {
  const data = await persistence.load();
  return data === null ? '' : new TextDecoder().decode(data);
}

/** The access token secrets in the store, by `<home account id> <scope>`. */
function storedTokens(text: string): Map<string, string> {
  const tokens = new Map<string, string>();
  if (!text) return tokens;
  const json = JSON.parse(text) as {
    AccessToken?: Record<string, { home_account_id: string; target: string; secret: string }>;
  };
  for (const entry of Object.values(json.AccessToken ?? {})) {
    for (const scope of entry.target.split(' '))
      tokens.set(`${entry.home_account_id} ${scope.toLowerCase()}`, entry.secret);
  }
  return tokens;
}

const homeId = (user: FakeUser) => `${user.oid}.00000000-0000-4000-8000-0000000000aa`;

/** Runs `call` under `fault`; resolves with its result or the error it rejected with. */
async function underFault<T>(real: Real, fault: Fault, call: () => Promise<T>): Promise<Outcome<T>> {
  real.lock.timesOut = fault === 'lock times out';
  real.persistence.failing = fault === 'saves fail';
  real.lock.lost = fault === 'hold lost';
  try {
    return await settled(call());
  } finally {
    real.persistence.failing = false;
    real.lock.lost = false;
    real.lock.timesOut = false;
  }
}

function settled<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
}

/** What a write that did not complete means for the model: nothing (lock) or a change left in memory (save). */
function failedWrite(error: unknown, fault: Fault): 'nothing changed' | 'left in memory' {
  if (fault === 'lock times out' && isPersistenceError(error, 'LockTimeout')) return 'nothing changed';
  if (fault === 'saves fail' && isPersistenceError(error, 'Io')) return 'left in memory';
  if (fault === 'hold lost' && isPersistenceError(error, 'LockLost')) return 'left in memory';
  throw new Error(`unexpected failure under fault "${fault}": ${String(error)}`);
}

/** After every step: acknowledged writes are stored, sign-outs stick, each process heard the store's accounts. */
async function checkInvariants(model: Model, real: Real, listened: Process[]): Promise<void> {
  const text = await storedJson(real.persistence);
  const stored = new Set(homeAccountIds(text));
  const tokens = storedTokens(text);
  for (const [name, user] of model.users) {
    const id = homeId(USERS[name] as FakeUser);
    if (user.account === 'in') expect(stored, `${name}'s account is stored`).toContain(id);
    if (user.account === 'out') expect(stored, `${name}'s account stays signed out`).not.toContain(id);
    if (user.account !== 'in') continue;
    for (const [scope, token] of user.tokens) {
      if (token === 'unsure') continue;
      expect(tokens.get(`${id} ${scope.toLowerCase()}`), `${name}'s acknowledged ${scope} token is stored`).toBe(token);
    }
  }
  for (const process of listened) {
    expect([...process.heard].sort(), 'the accounts cachechanged told a process about are the stored ones').toEqual(
      [...stored].sort(),
    );
  }
}

abstract class Step implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly process: number,
    readonly fault: Fault,
  ) {}
  check(_model: Readonly<Model>): boolean {
    return true;
  }
  /** Makes the call in the real processes, with no fault set up. */
  abstract perform(model: Readonly<Model>, real: Real): Promise<Outcome<unknown>>;
  /** Checks the outcome against the model, then makes the model follow it. */
  abstract settle(model: Model, outcome: Outcome<unknown>): void;
  abstract describe(): string;
  async run(model: Model, real: Real): Promise<void> {
    const outcome = await underFault(real, this.fault, async () => {
      const inner = await this.perform(model, real);
      if ('error' in inner) throw inner.error;
      return inner.ok;
    });
    this.settle(model, outcome);
    await checkInvariants(model, real, this.listened(real, outcome));
  }
  toString(): string {
    return `p${this.process}.${this.describe()}${this.fault === 'none' ? '' : ` [${this.fault}]`}`;
  }
  protected proc(real: Real): Process {
    return real.processes[this.process] as Process;
  }
  /** The processes whose last access saw the store: this one, unless its lock wait timed out. */
  protected listened(real: Real, outcome: Outcome<unknown>): Process[] {
    const timedOut = 'error' in outcome && isPersistenceError(outcome.error, 'LockTimeout');
    return timedOut ? [] : [this.proc(real)];
  }
}

class SignIn extends Step {
  constructor(
    process: number,
    fault: Fault,
    readonly user: string,
    readonly scope: string,
  ) {
    super(process, fault);
  }
  describe(): string {
    return `signIn(${this.user}, ${this.scope})`;
  }
  perform(_model: Readonly<Model>, real: Real): Promise<Outcome<unknown>> {
    const p = this.proc(real);
    p.idp.user = USERS[this.user] as FakeUser;
    return settled(p.app.acquireTokenByDeviceCode({ scopes: [this.scope], deviceCodeCallback: () => {} }));
  }
  settle(model: Model, outcome: Outcome<unknown>): void {
    const user = userModel(model, this.user);
    if ('ok' in outcome) {
      const result = outcome.ok as AuthenticationResult | null;
      if (!result?.account) throw new Error('the sign-in returned no account');
      model.accounts.set(this.user, result.account);
      user.account = 'in';
      user.tokens.set(this.scope, result.accessToken);
    } else if (failedWrite(outcome.error, this.fault) === 'left in memory') {
      if (user.account === 'out') user.account = 'unsure';
      user.tokens.set(this.scope, 'unsure');
    }
  }
}

class Silent extends Step {
  constructor(
    process: number,
    fault: Fault,
    readonly user: string,
    readonly scope: string,
  ) {
    super(process, fault);
  }
  override check(model: Readonly<Model>): boolean {
    return model.accounts.has(this.user);
  }
  describe(): string {
    return `silent(${this.user}, ${this.scope})`;
  }
  perform(model: Readonly<Model>, real: Real): Promise<Outcome<unknown>> {
    const account = model.accounts.get(this.user) as AccountInfo; // check() ran first
    return settled(this.proc(real).app.acquireTokenSilent({ scopes: [this.scope], account }));
  }
  settle(model: Model, outcome: Outcome<unknown>): void {
    const user = userModel(model, this.user);
    const known = user.tokens.get(this.scope);
    if (user.account === 'out') {
      // A signed-out account is never served, whichever process still had it in memory.
      expect('error' in outcome && outcome.error instanceof AuthError, `${this} is refused`).toBe(true);
    } else if ('ok' in outcome) {
      const result = outcome.ok as AuthenticationResult;
      if (user.account === 'in' && known !== undefined && known !== 'unsure') {
        // Served from the latest acknowledged save, never from an older cache.
        expect({ token: result.accessToken, fromCache: result.fromCache }, `${this} is served`).toEqual({
          token: known,
          fromCache: true,
        });
      }
      // A token that did not come from the cache was redeemed with the refresh token and saved.
      if (!result.fromCache) {
        user.account = 'in';
        user.tokens.set(this.scope, result.accessToken);
      }
    } else if (!(outcome.error instanceof AuthError && user.account === 'unsure')) {
      expect(
        user.account === 'in' && known !== 'unsure' && known !== undefined,
        `${this} failed: ${outcome.error}`,
      ).toBe(false);
      if (failedWrite(outcome.error, this.fault) === 'left in memory') user.tokens.set(this.scope, 'unsure');
    }
  }
}

class SignOut extends Step {
  constructor(
    process: number,
    fault: Fault,
    readonly user: string,
  ) {
    super(process, fault);
  }
  describe(): string {
    return `signOut(${this.user})`;
  }
  perform(_model: Readonly<Model>, real: Real): Promise<Outcome<unknown>> {
    const cache = this.proc(real).app.getTokenCache();
    const username = (USERS[this.user] as FakeUser).username;
    return settled(
      (async () => {
        const account = (await cache.getAllAccounts()).find((a) => a.username === username);
        if (account) await cache.removeAccount(account);
        return account !== undefined;
      })(),
    );
  }
  settle(model: Model, outcome: Outcome<unknown>): void {
    const user = userModel(model, this.user);
    if ('ok' in outcome) {
      // Every process finds a stored account (its read reloads what another process saved).
      if (user.account === 'in') expect(outcome.ok, `${this} finds ${this.user}'s stored account`).toBe(true);
      if (outcome.ok || user.account !== 'unsure') {
        user.account = 'out';
        user.tokens.clear();
      }
    } else if (failedWrite(outcome.error, this.fault) === 'left in memory') {
      user.account = 'unsure';
      for (const scope of user.tokens.keys()) user.tokens.set(scope, 'unsure');
    }
  }
}

class Clear extends Step {
  describe(): string {
    return 'clear()';
  }
  perform(_model: Readonly<Model>, real: Real): Promise<Outcome<unknown>> {
    return settled(this.proc(real).plugin.clear());
  }
  settle(model: Model, outcome: Outcome<unknown>): void {
    if ('ok' in outcome) {
      // Every process finds the store empty at its next access, and its next write starts from empty.
      for (const user of model.users.values()) {
        user.account = 'out';
        user.tokens.clear();
      }
    } else {
      // Refused before anything was deleted: the lock was not taken, or the hold was no longer ours.
      const expected = this.fault === 'hold lost' ? 'LockLost' : 'LockTimeout';
      expect(isPersistenceError(outcome.error, expected), `${this} failed: ${outcome.error}`).toBe(true);
    }
  }
  /** clear() reads nothing: only one that deleted has shown this process the store (empty). */
  protected override listened(real: Real, outcome: Outcome<unknown>): Process[] {
    return 'ok' in outcome ? [this.proc(real)] : [];
  }
}

/**
 * Two sign-ins in two processes at once, for different users or scopes: each must land on top of
 * the other (no lost update), whichever takes the lock first.
 */
class Together implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly first: SignIn,
    readonly second: SignIn,
  ) {}
  check(): boolean {
    const { first, second } = this;
    return first.process !== second.process && (first.user !== second.user || first.scope !== second.scope);
  }
  async run(model: Model, real: Real): Promise<void> {
    const [a, b] = await Promise.all([this.first.perform(model, real), this.second.perform(model, real)]);
    this.first.settle(model, a);
    this.second.settle(model, b);
    // Which process saw the store last is not known, so no process's events are compared here.
    await checkInvariants(model, real, []);
  }
  toString(): string {
    return `together(${this.first}, ${this.second})`;
  }
}

/** Like a file that does not exist: the stamp of an empty store is always the same. */
class FileLikePersistence extends FlakyPersistence {
  override stamp(): string {
    const stamp = super.stamp();
    return stamp.startsWith('absent') ? 'absent' : stamp;
  }
}

function setup(persistence: FlakyPersistence = new FlakyPersistence()): { model: Model; real: Real } {
  const lock = new FaultyLock();
  const processes = Array.from({ length: PROCESSES }, (): Process => {
    const idp = new FakeTokenEndpoint();
    const plugin = new PersistenceCachePlugin({ persistence, lock, logger: {} });
    const heard = new Set<string>();
    plugin.on('cachechanged', (event: CacheChangedEvent) => {
      for (const id of event.accountsAdded) {
        expect(heard, 'an added account was not there').not.toContain(id);
        heard.add(id);
      }
      for (const id of event.accountsRemoved) {
        expect(heard, 'a removed account was there').toContain(id);
        heard.delete(id);
      }
    });
    return { idp, app: publicApp(idp, plugin), plugin, heard };
  });
  return { model: { users: new Map(), accounts: new Map() }, real: { persistence, lock, processes } };
}

const process = fc.integer({ min: 0, max: PROCESSES - 1 });
const user = fc.constantFrom(...Object.keys(USERS));
const scope = fc.constantFrom(...SCOPE_NAMES);
const fault = fc.constantFrom<Fault>('none', 'none', 'none', 'none', 'lock times out', 'saves fail', 'hold lost');
const signIn = fc.tuple(process, fault, user, scope).map(([p, f, u, s]) => new SignIn(p, f, u, s));
const silent = fc.tuple(process, fault, user, scope).map(([p, f, u, s]) => new Silent(p, f, u, s));
// Repeated entries weigh more: silent calls dominate, as in real use; clear() resets everything, so it is rare.
const steps = [
  signIn,
  signIn,
  silent,
  silent,
  silent,
  silent,
  fc.tuple(process, fault, user).map(([p, f, u]) => new SignOut(p, f, u)),
  fc.tuple(process, fault).map(([p, f]) => new Clear(p, f)),
  fc
    .tuple(process, user, scope, process, user, scope)
    .map(([p, u, s, q, v, t]) => new Together(new SignIn(p, 'none', u, s), new SignIn(q, 'none', v, t))),
];

describe('PersistenceCachePlugin, model-based (real msal-node, offline)', () => {
  it(
    'processes interleaving sign-ins, silent calls, new scopes, sign-outs, clear(), lock timeouts and failed saves agree with the model',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(steps, { size: 'medium', maxCommands: 40 }), (commands) =>
          fc.asyncModelRun(setup, commands),
        ),
        { numRuns: propertyRuns(25) },
      );
    },
    propertyTimeoutMs(60_000),
  );
});

describe('PersistenceCachePlugin, the cases the model found', () => {
  /** Ada signs in in `p` while saves fail: her tokens live in p's memory only, and the store stays empty. */
  async function signedInInMemoryOnly(persistence?: FlakyPersistence) {
    const { real } = setup(persistence);
    const [p, q] = real.processes as [Process, Process];
    real.persistence.failing = true;
    const failed = await p.app
      .acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} })
      .catch((e: unknown) => e);
    real.persistence.failing = false;
    expect(isPersistenceError(failed, 'Io')).toBe(true);
    const [account] = await p.app.getTokenCache().getAllAccounts();
    if (!account) throw new Error('the failed save did not keep the account in memory');
    return { real, p, q, account };
  }

  it('clear() signs out the tokens the clearing process kept in memory after a failed save', async () => {
    const { p, account } = await signedInInMemoryOnly();
    await p.plugin.clear();
    const silent = await p.app.acquireTokenSilent({ scopes: ['User.Read'], account }).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(AuthError);
  });

  it('clear() signs out what the clearing process kept in memory, also where an empty store’s stamp never moves (no file)', async () => {
    const { p, account } = await signedInInMemoryOnly(new FileLikePersistence());
    await p.plugin.clear();
    const silent = await p.app.acquireTokenSilent({ scopes: ['User.Read'], account }).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(AuthError);
  });

  it('clear() in another process signs out the tokens a process kept in memory after a failed save', async () => {
    const { p, q, account } = await signedInInMemoryOnly();
    await q.plugin.clear();
    const silent = await p.app.acquireTokenSilent({ scopes: ['User.Read'], account }).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(AuthError);
  });
});
