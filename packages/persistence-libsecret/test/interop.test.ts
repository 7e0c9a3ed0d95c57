import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYTAR_WRITER } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { LibsecretPersistence } from '../src/index.js';
import { skippedNotice } from '../src/testing/index.js';
import { deleteItem, mode, python } from './real-secret-service.js';

// The other writers, for real, in child processes on this process's session bus: keytar's layout
// written by libsecret from Python (gi.repository.Secret), and the seed's Python library from
// Debian (python3-msal-extensions) with a custom schema and attributes.
const keytar = KEYTAR_WRITER;
const msalExtensions = join(import.meta.dirname, 'fixtures', 'msal_extensions_libsecret.py');
const dir = mkdtempSync(join(tmpdir(), 'msal-persist-libsecret-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
skippedNotice(mode, "persistence-libsecret interop with keytar's layout and with python3-msal-extensions");

const cache = (marker: string) => JSON.stringify({ Account: {}, AccessToken: {}, RefreshToken: {}, marker });
const decode = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
let count = 0;
const unique = (label: string) => `msal-persist-${label}-${process.pid}-${++count}`;

describe.runIf(mode.run)("keytar's layout (msal-node-extensions, identity-cache-persistence), both ways", () => {
  it("reads what keytar's layout wrote, found by service and account", async () => {
    const service = unique('keytar-in');
    const options = { signalPath: join(dir, `${service}.signal`), service, account: 'MSALCache' };
    try {
      expect(JSON.parse(await python(keytar, ['store', service, 'MSALCache'], cache('from keytar')))).toBe(true);
      expect(decode(await new LibsecretPersistence(options).load())).toBe(cache('from keytar'));
    } finally {
      await deleteItem(options);
    }
  });

  it("writes an item keytar's layout finds: same schema, attributes and label, text/plain", async () => {
    const service = unique('keytar-out');
    const options = { signalPath: join(dir, `${service}.signal`), service, account: 'MSALCache' };
    try {
      await new LibsecretPersistence(options).save(new TextEncoder().encode(cache('from us')));
      expect(JSON.parse(await python(keytar, ['lookup', service, 'MSALCache']))).toBe(cache('from us'));
      expect(JSON.parse(await python(keytar, ['describe', service, 'MSALCache']))).toEqual([
        {
          label: `${service}/MSALCache`,
          attributes: { service, account: 'MSALCache', 'xdg:schema': 'org.freedesktop.Secret.Generic' },
          content_type: 'text/plain',
        },
      ]);
    } finally {
      await deleteItem(options);
    }
  });
});

describe.runIf(mode.run)("the seed's Python library (python3-msal-extensions LibsecretPersistence), both ways", () => {
  const schema = 'com.example.msal-persist.interop';
  const layout = (label: string) => ({
    signalPath: join(dir, `${label}.signal`),
    schema,
    attributes: { MsalClientID: unique(label), 'Microsoft.Developer.IdentityService': '1.0.0.0' },
  });
  const pythonArgs = (options: ReturnType<typeof layout>) => [
    options.signalPath,
    options.schema,
    JSON.stringify(options.attributes),
  ];

  it('reads what Python saved with a custom schema and attributes, and its save moves our stamp', async () => {
    const options = layout('python-in');
    const ours = new LibsecretPersistence(options);
    try {
      const before = ours.stamp();
      await python(msalExtensions, ['save', ...pythonArgs(options)], cache('from python'));
      expect(decode(await ours.load())).toBe(cache('from python'));
      expect(ours.stamp()).not.toBe(before);
      expect(statSync(options.signalPath).isFile()).toBe(true);
    } finally {
      await deleteItem(options);
    }
  });

  it('writes what Python loads with the same schema and attributes', async () => {
    const options = layout('python-out');
    try {
      await new LibsecretPersistence(options).save(new TextEncoder().encode(cache('from us')));
      expect(JSON.parse(await python(msalExtensions, ['load', ...pythonArgs(options)]))).toBe(cache('from us'));
      // Another schema with the same attributes is another item: lookups match xdg:schema.
      const other = new LibsecretPersistence({ ...options, schema: `${schema}.other` });
      expect(await other.load()).toBeNull();
    } finally {
      await deleteItem(options);
    }
  });
});
