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

  it('losing or regaining the subscription invalidates: messages may have been missed', () => {
    const watch = settled('v1');
    watch.setSubscribed(false);
    watch.setSubscribed(true);
    expect(watch.current(1, 1000)).toBeUndefined();
  });
});
