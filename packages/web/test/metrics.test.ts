// Stats and OpenTelemetry counters.

import { MemoryPartitionedStore } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';
import type { Meter } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/api';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { MeterLike } from '../src/index.js';
import { GRAPH, incomingToken, webClients } from './support/web-setup.js';

/** A meter that keeps what it was given, shaped as MeterLike. */
function recordingMeter() {
  const added: { name: string; value: number; flow: string | undefined }[] = [];
  const meter: MeterLike = {
    createCounter: (name) => ({ add: (value, attributes) => added.push({ name, value, flow: attributes?.flow }) }),
  };
  return { meter, added };
}

describe('stats and metrics', () => {
  it('an OpenTelemetry Meter is a MeterLike, and the no-op global meter works as one', async () => {
    expectTypeOf<Meter>().toExtend<MeterLike>();
    const idp = new FakeTokenEndpoint();
    const clients = await webClients(idp, new MemoryPartitionedStore(), { meter: metrics.getMeter('test') });
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incomingToken(idp, 'ada'), scopes: GRAPH });
    expect(clients.stats().tokenRequests).toBe(1);
  });

  it('counts hits, misses and token requests per flow, in stats() and on the meter', async () => {
    const idp = new FakeTokenEndpoint();
    const { meter, added } = recordingMeter();
    const clients = await webClients(idp, new MemoryPartitionedStore(), { meter });
    const incoming = incomingToken(idp, 'ada');
    for (let i = 0; i < 3; i++) await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
    await clients.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    const stats = clients.stats();
    expect(stats).toMatchObject({ cacheHits: 2, cacheMisses: 2, tokenRequests: 2 });
    expect(stats.byFlow.obo).toEqual({ cacheHits: 2, cacheMisses: 1, tokenRequests: 1 });
    expect(stats.byFlow.app).toEqual({ cacheHits: 0, cacheMisses: 1, tokenRequests: 1 });
    const sum = (name: string, flow: string) =>
      added.filter((a) => a.name === name && a.flow === flow).reduce((total, a) => total + a.value, 0);
    expect(sum('msal_persist.web.cache_hits', 'obo')).toBe(2);
    expect(sum('msal_persist.web.token_requests', 'obo')).toBe(1);
    expect(sum('msal_persist.web.token_requests', 'app')).toBe(1);
  });

  it('stats() is a copy', async () => {
    const idp = new FakeTokenEndpoint();
    const clients = await webClients(idp, new MemoryPartitionedStore());
    const before = clients.stats();
    await clients.acquireTokenOnBehalfOf({ oboAssertion: incomingToken(idp, 'ada'), scopes: GRAPH });
    expect(before.tokenRequests).toBe(0);
  });
});
