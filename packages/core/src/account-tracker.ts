import { CacheChangedEvent, type CacheChangeSource } from './cache-changed-event.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The distinct home account ids of a serialized msal cache, sorted; none for empty or unreadable
 * content (msal then has no accounts either).
 *
 * @example
 * ```ts
 * homeAccountIds('{"Account":{"k":{"home_account_id":"uid.utid"}}}'); // ['uid.utid']
 * ```
 */
export function homeAccountIds(text: string): string[] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const section = isRecord(parsed) ? parsed.Account : undefined;
  if (!isRecord(section)) return [];
  const ids = new Set<string>();
  for (const entry of Object.values(section)) {
    const id = isRecord(entry) ? entry.home_account_id : undefined;
    if (typeof id === 'string' && id !== '') ids.add(id);
  }
  return [...ids].sort();
}

/**
 * What one plugin last saw of its store, and the accounts it last reported. Accounts are worked
 * out only when an event is due and someone listens (or asks): without listeners the plugin keeps
 * a reference to the text it already holds and parses nothing.
 */
export class AccountTracker {
  /** Moves at every observation taken; a read that started before another observation is not taken (it may be older). */
  generation = 0;
  /** What made the last untaken observation, or `undefined` when there is none. */
  pending: CacheChangeSource | undefined;
  private latest: { stamp: string | undefined; text: string } = { stamp: undefined, text: '' };
  // The baseline starts empty: the first load after subscribing reports the stored accounts as added.
  private reported: { text: string; ids?: readonly string[] } = { text: '', ids: [] };
  private subscribed = false;

  /** The stamp of the latest content seen, `undefined` before the first. */
  get stamp(): string | undefined {
    return this.latest.stamp;
  }

  /** Someone listens from now on: work out the accounts at each change. */
  subscribe(): void {
    this.subscribed = true;
  }

  /**
   * Records the store's content (`''` when empty or unusable) at `stamp`. `since` is the
   * generation a read started at: a read overtaken by another observation is dropped.
   */
  observe(stamp: string | undefined, text: string, source: CacheChangeSource, since?: number): void {
    if (since !== undefined && since !== this.generation) return;
    this.generation++;
    this.latest = { stamp, text };
    this.pending = source;
  }

  /**
   * The change since the last event, if any, and makes the latest content the new baseline.
   * Nothing is parsed unless someone listens or `always` is set.
   */
  take(always = false): CacheChangedEvent | undefined {
    const source = this.pending;
    if (source === undefined) return undefined;
    this.pending = undefined;
    const { text } = this.latest;
    if (!this.subscribed && !always) {
      this.reported = { text };
      return undefined;
    }
    if (text === this.reported.text) return undefined;
    const before = this.reported.ids ?? homeAccountIds(this.reported.text);
    const accounts = homeAccountIds(text);
    this.reported = { text, ids: accounts };
    const had = new Set(before);
    const has = new Set(accounts);
    const accountsAdded = accounts.filter((id) => !had.has(id));
    const accountsRemoved = before.filter((id) => !has.has(id));
    if (accountsAdded.length === 0 && accountsRemoved.length === 0) return undefined;
    return new CacheChangedEvent({ accountsAdded, accountsRemoved, accounts, source });
  }
}
