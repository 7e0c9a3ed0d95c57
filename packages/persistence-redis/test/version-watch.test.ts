import { describe, expect, it } from 'vitest';
import { VersionWatch } from '../src/version-watch.js';

function settled(version = 'v1', pttl = -1) {
  const watch = new VersionWatch();
  watch.setSubscribed(true);
  watch.settle(version, watch.begin(), 0, pttl);
  return watch;
}

describe('VersionWatch', () => {
  it('serves a settled version only while subscribed, younger than the bound and before the cache expires', () => {
    expect(new VersionWatch().current(0, 1000)).toBeUndefined();
    const watch = settled('v1', 500);
    expect(watch.current(499, 1000)).toBe('v1');
    expect(watch.current(500, 1000)).toBeUndefined();
    expect(settled().current(999, 1000)).toBe('v1');
    expect(settled().current(1000, 1000)).toBeUndefined();
    const unsubscribed = new VersionWatch();
    unsubscribed.settle('v1', unsubscribed.begin(), 0, -1);
    expect(unsubscribed.current(1, 1000)).toBeUndefined();
  });

  it('a message naming another version invalidates; one naming the known version (our own write) does not', () => {
    const watch = settled('v1');
    watch.invalidate('v1');
    expect(watch.current(1, 1000)).toBe('v1');
    watch.invalidate('v2');
    expect(watch.current(1, 1000)).toBeUndefined();
    watch.invalidate('v1');
    expect(watch.current(1, 1000)).toBeUndefined();
  });

  it('a reply to a round trip that a message overtook does not settle', () => {
    const watch = settled('v1');
    const token = watch.begin();
    watch.invalidate('v3');
    watch.settle('v2', token, 1, -1);
    expect(watch.current(2, 1000)).toBeUndefined();
    watch.settle('v3', watch.begin(), 2, -1);
    expect(watch.current(3, 1000)).toBe('v3');
  });

  it("a reply overtaken by its own write's message settles: the latest message names the version it read", () => {
    const watch = settled('v1');
    const token = watch.begin();
    // Our write's notification arrives on the subscriber before the write's reply on the command connection.
    watch.invalidate('v2');
    watch.settle('v2', token, 1, -1);
    expect(watch.current(2, 1000)).toBe('v2');
  });

  it('a reply overtaken by several messages settles only if the latest names its version, and never across a lost subscription', () => {
    const watch = settled('v1');
    let token = watch.begin();
    watch.invalidate('v2');
    watch.invalidate('v3');
    watch.settle('v2', token, 1, -1);
    expect(watch.current(2, 1000)).toBeUndefined();
    token = watch.begin();
    watch.invalidate('v4');
    watch.setSubscribed(false);
    watch.setSubscribed(true);
    watch.settle('v4', token, 3, -1);
    expect(watch.current(4, 1000)).toBeUndefined();
  });

  it('losing or regaining the subscription invalidates: messages may have been missed', () => {
    const watch = settled('v1');
    watch.setSubscribed(false);
    watch.setSubscribed(true);
    expect(watch.current(1, 1000)).toBeUndefined();
  });
});

describe('VersionWatch with a heartbeat proof', () => {
  it('a proof that every message up to a time arrived extends the bound from then, up to maxAgeMs', () => {
    const watch = settled('v1');
    // Settled at 0; the bound (1000) alone would end at 1000.
    expect(watch.current(1500, 1000, { deliveredUpTo: 900, maxAgeMs: 60_000 })).toBe('v1');
    expect(watch.current(1900, 1000, { deliveredUpTo: 900, maxAgeMs: 60_000 })).toBeUndefined();
    expect(watch.current(59_999, 1000, { deliveredUpTo: 59_500, maxAgeMs: 60_000 })).toBe('v1');
    expect(watch.current(60_000, 1000, { deliveredUpTo: 59_500, maxAgeMs: 60_000 })).toBeUndefined();
  });

  it('never revives what a message, an unsubscription or an expiry made unusable', () => {
    const proof = { deliveredUpTo: 500, maxAgeMs: 60_000 };
    const invalidated = settled('v1');
    invalidated.invalidate('v2');
    expect(invalidated.current(600, 1000, proof)).toBeUndefined();
    const resubscribed = settled('v1');
    resubscribed.setSubscribed(false);
    resubscribed.setSubscribed(true);
    expect(resubscribed.current(600, 1000, proof)).toBeUndefined();
    expect(settled('v1', 400).current(450, 1000, proof)).toBeUndefined();
  });
});
