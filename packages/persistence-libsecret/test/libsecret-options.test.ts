import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type LibsecretNative,
  LibsecretPersistence,
  type LibsecretPersistenceOptions,
  type SecretItem,
} from '../src/index.js';
import { secretServiceTestMode, skippedNotice } from '../src/testing/index.js';

/** A libsecret stand-in that records the items it is asked for. */
function recordingNative() {
  const items: Array<{ operation: string; item: SecretItem }> = [];
  const stored = new Map<string, Uint8Array>();
  const key = (item: SecretItem) => JSON.stringify([item.schema, item.attributes]);
  const native: LibsecretNative = {
    lookup: async (item) => {
      items.push({ operation: 'lookup', item });
      return stored.get(key(item)) ?? null;
    },
    store: async (item, data) => {
      items.push({ operation: 'store', item });
      stored.set(key(item), data.slice());
    },
    clear: async (item) => {
      items.push({ operation: 'clear', item });
      return stored.delete(key(item));
    },
  };
  return { native, items };
}

const dir = mkdtempSync(join(tmpdir(), 'msal-persist-libsecret-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const signalPath = join(dir, 'msal.cache');
const make = (options: Omit<LibsecretPersistenceOptions, 'signalPath'>) =>
  new LibsecretPersistence({ signalPath, ...options });

describe('LibsecretPersistence layouts', () => {
  it("defaults to keytar's layout: Generic schema, service + account attributes, label service/account", async () => {
    const { native, items } = recordingNative();
    const persistence = make({ service: 'my-app', native });
    expect(persistence).toMatchObject({
      name: 'libsecret:my-app/MSALCache',
      schema: 'org.freedesktop.Secret.Generic',
      attributes: { service: 'my-app', account: 'MSALCache' },
      label: 'my-app/MSALCache',
    });
    await persistence.load();
    expect(items[0]).toEqual({
      operation: 'lookup',
      item: {
        schema: 'org.freedesktop.Secret.Generic',
        attributes: { service: 'my-app', account: 'MSALCache' },
        label: 'my-app/MSALCache',
      },
    });
  });

  it("takes the Python extension's schema_name + attributes, a label and a collection", async () => {
    const { native, items } = recordingNative();
    const attributes = { MsalClientID: 'client', 'Microsoft.Developer.IdentityService': '1.0.0.0' };
    const persistence = make({ schema: 'my.app.cache', attributes, label: 'My app', collection: 'session', native });
    expect(persistence.name).toBe(
      'libsecret:my.app.cache{MsalClientID=client,Microsoft.Developer.IdentityService=1.0.0.0}',
    );
    await persistence.load();
    expect(items[0]?.item).toEqual({ schema: 'my.app.cache', attributes, label: 'My app', collection: 'session' });
  });

  it('keeps unreadable content aside as the same attributes under schema <schema>.corrupt-<time>', async () => {
    const { native, items } = recordingNative();
    const persistence = make({ service: 'my-app', native });
    // keepAside touches the signal file, which is not writable here: only the store calls matter.
    await native.store(
      { schema: persistence.schema, attributes: persistence.attributes, label: '' },
      new Uint8Array([1]),
    );
    await persistence.keepAside().catch(() => undefined);
    const aside = items.find((entry) => entry.operation === 'store' && entry.item.schema !== persistence.schema);
    expect(aside?.item.schema).toMatch(/^org\.freedesktop\.Secret\.Generic\.corrupt-\d{4}-/);
    expect(aside?.item.attributes).toEqual(persistence.attributes);
    expect(aside?.item.label).toBe(`my-app/MSALCache (unreadable, kept aside as ${aside?.item.schema})`);
  });

  it.each([
    [{}, 'needs service (keytar layout) or attributes'],
    [{ service: 'a', attributes: { k: 'v' } }, 'either service/account'],
    [{ attributes: {} }, '1 to 32 entries'],
    [{ attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, '1 to 32 entries'],
    [{ attributes: { 'xdg:schema': 'x' } }, 'reserved for libsecret'],
    [{ attributes: { k: 'a\0b' } }, 'attributes.k must be a non-empty string'],
    [{ attributes: { k: 1 as unknown as string } }, 'attributes.k must be a non-empty string'],
    [{ service: '' }, 'service must be a non-empty string'],
    [{ service: 'a', schema: '' }, 'schema must be'],
    [{ service: 'a', collection: 'x\0' }, 'collection must be'],
    [{ service: 'a', timeoutMs: 0 }, 'timeoutMs must be'],
  ] as Array<[Omit<LibsecretPersistenceOptions, 'signalPath'>, string]>)(
    'refuses %j with a TypeError or RangeError',
    (options, message) => {
      let thrown: unknown;
      try {
        make(options);
      } catch (error) {
        thrown = error;
      }
      expect((thrown as Error).message).toContain(message);
      expect(thrown instanceof TypeError || thrown instanceof RangeError).toBe(true);
    },
  );
});

describe('secretServiceTestMode: a Linux run uses the real Secret Service unless told not to', () => {
  it('runs on Linux by default, skips only with the flag or off Linux, and says so', () => {
    expect(secretServiceTestMode({}, 'linux')).toEqual({ run: true });
    const skipped = secretServiceTestMode({ MSAL_PERSIST_SKIP_SECRET_SERVICE: '1' }, 'linux');
    expect(skipped).toEqual({ run: false, skipReason: 'MSAL_PERSIST_SKIP_SECRET_SERVICE=1 is set' });
    expect(secretServiceTestMode({}, 'darwin').run).toBe(false);
    expect(skippedNotice(skipped, 'the interop tests', false)).toBe(
      'SKIPPED (MSAL_PERSIST_SKIP_SECRET_SERVICE=1 is set): the interop tests',
    );
    expect(skippedNotice({ run: true }, 'x', false)).toBeUndefined();
  });
});
