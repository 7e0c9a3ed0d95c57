/**
 * What this process knows about one cache's version, kept current by push: every write publishes
 * the new version on the cache's channel, and a message that names a version other than the known
 * one makes the knowledge unusable until the next round trip settles it again. The known version
 * is served without a round trip only while it is subscribed, younger than the staleness bound, and
 * not past the cache's expiry (an expiry publishes nothing).
 *
 * A round trip reads `generation` before it is sent and settles only if no message arrived
 * meanwhile, or the latest one names the very version it read (a write's own message often
 * overtakes the write's reply): messages and replies travel on different connections, so either
 * may come first, and a reply must never overwrite what a later message said.
 *
 * @example
 * ```ts
 * const token = watch.begin();
 * const [version, pttl] = await readVersion();
 * watch.settle(version, token, startedAt, pttl);
 * watch.current(performance.now(), 1000); // version, until a message or 1000 ms
 * ```
 */
export class VersionWatch {
  private subscribed = false;
  private version: string | undefined;
  private generation = 0;
  /** The version the latest message named; `undefined` after a message without one or a subscription change. */
  private lastNotified: string | undefined;
  private verifiedAt = Number.NEGATIVE_INFINITY;
  private expiresAt = Number.POSITIVE_INFINITY;

  /** The token a round trip passes to {@link VersionWatch.settle}. */
  begin(): number {
    return this.generation;
  }

  /**
   * Records `version`, read by a round trip sent at `startedAt` (`performance.now()`), with the
   * cache's remaining TTL `pttlMs` (`-1` none, `-2` absent) — unless a message arrived since `token`
   * and the latest one names another version.
   */
  settle(version: string, token: number, startedAt: number, pttlMs: number): void {
    if (token !== this.generation && this.lastNotified !== version) return;
    this.version = version;
    this.verifiedAt = startedAt;
    this.expiresAt = pttlMs >= 0 ? startedAt + pttlMs : Number.POSITIVE_INFINITY;
  }

  /**
   * Whether a known version was last confirmed by a round trip before `time` (`performance.now()`),
   * with nothing heard since that made it unusable: what a background re-check keeps trusted.
   */
  checkedBefore(time: number): boolean {
    return (
      this.subscribed &&
      this.version !== undefined &&
      this.verifiedAt > Number.NEGATIVE_INFINITY &&
      this.verifiedAt < time
    );
  }

  /** A write happened (`version` is what it wrote, when known): what we know is unusable until settled again. */
  invalidate(version?: string): void {
    this.lastNotified = version;
    // Our own write's message, or one about the state we already know: nothing new.
    if (version !== undefined && version === this.version && this.verifiedAt !== Number.NEGATIVE_INFINITY) return;
    this.generation++;
    this.verifiedAt = Number.NEGATIVE_INFINITY;
  }

  /** The subscription started or ended; messages may have been missed either way. */
  setSubscribed(subscribed: boolean): void {
    this.subscribed = subscribed;
    this.invalidate();
  }

  /**
   * The version if it can be trusted at `now` without a round trip, else `undefined`. With `proof`
   * (a shared channel's heartbeat: every message published before `deliveredUpTo` has arrived),
   * the staleness bound runs from the later of the settle and that proof, and `maxAgeMs` caps how
   * long a settle is trusted at all (changes that publish nothing: hand edits, FLUSHALL).
   */
  current(
    now: number,
    maxStalenessMs: number,
    proof?: { deliveredUpTo: number; maxAgeMs: number },
  ): string | undefined {
    if (!this.subscribed || now >= this.expiresAt) return undefined;
    const since = now - this.verifiedAt;
    if (!proof) return since >= maxStalenessMs ? undefined : this.version;
    if (since >= proof.maxAgeMs || now - Math.max(this.verifiedAt, proof.deliveredUpTo) >= maxStalenessMs) {
      return undefined;
    }
    return this.version;
  }
}
