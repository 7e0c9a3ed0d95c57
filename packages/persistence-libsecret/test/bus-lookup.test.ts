import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ASK_LIBSECRET, lookupOverBus, sessionBusSocket } from '../src/bus-lookup.js';
import { messageLength, methodCall, parseMessage, splitSignature, type WireValue } from '../src/dbus-wire.js';
import { KoffiLibsecretNative } from '../src/index.js';
import { skippedNotice } from '../src/testing/index.js';
import { mode } from './real-secret-service.js';

const dir = mkdtempSync(join(tmpdir(), 'msal-persist-bus-lookup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
skippedNotice(mode, 'lookups over the bus socket against a real Secret Service');

describe('the session bus address', () => {
  it.each([
    ['unix:path=/run/user/1000/bus', '/run/user/1000/bus'],
    ['unix:path=/tmp/dbus-abc,guid=0123', '/tmp/dbus-abc'],
    ['unix:abstract=/tmp/dbus-xyz,guid=0123', '\0/tmp/dbus-xyz'],
    ['tcp:host=localhost,port=1;unix:path=/tmp/b%20c', '/tmp/b c'],
  ])('%s is the socket %j', (address, socket) => {
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: address })).toBe(socket);
  });

  it('is $XDG_RUNTIME_DIR/bus without an address, and nothing for transports it does not speak', () => {
    expect(sessionBusSocket({ XDG_RUNTIME_DIR: '/run/user/7' })).toBe('/run/user/7/bus');
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=localhost,port=4000' })).toBeUndefined();
  });
});

describe('the D-Bus wire format', () => {
  it('splits signatures into complete types', () => {
    expect(splitSignature('a{ss}o(oayays)v')).toEqual(['a{ss}', 'o', '(oayays)', 'v']);
  });

  it('writes a method call that reads back with its header fields and body', () => {
    const args: WireValue[] = [
      [
        ['service', 'app'],
        ['xdg:schema', 'org.freedesktop.Secret.Generic'],
      ],
      new Uint8Array([0, 255, 7]),
      'é',
      ['u', 42],
      true,
    ];
    const bytes = methodCall(7, {
      destination: 'org.freedesktop.secrets',
      path: '/org/freedesktop/secrets',
      iface: 'org.freedesktop.Secret.Service',
      member: 'SearchItems',
      signature: 'a{ss}aysvb',
      args,
    });
    expect(messageLength(bytes)).toBe(bytes.length);
    const message = parseMessage(bytes);
    expect(message).toMatchObject({ type: 1, serial: 7, replySerial: undefined });
    expect(message.body).toEqual(args);
  });
});

describe('lookupOverBus hands libsecret what it does not handle', () => {
  const item = { schema: 'org.freedesktop.Secret.Generic', attributes: { service: 'x', account: 'y' }, label: '' };

  it('a bus it cannot reach', async () => {
    expect(await lookupOverBus(item, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'none')}` })).toBe(
      ASK_LIBSECRET,
    );
  });

  it('a socket that refuses authentication', async () => {
    const path = join(dir, 'refusing');
    const server = createServer((socket) => socket.on('data', () => socket.write('REJECTED EXTERNAL\r\n')));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(await lookupOverBus(item, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` })).toBe(ASK_LIBSECRET);
    } finally {
      server.close();
    }
  });
});

describe.runIf(mode.run)('lookupOverBus on a real Secret Service', () => {
  const native = new KoffiLibsecretNative();
  const item = {
    schema: 'org.freedesktop.Secret.Generic',
    attributes: { service: 'msal-persist-bus-lookup', account: `a-${process.pid}` },
    label: 'msal-persist bus lookup test',
  };

  it('reads what libsecret stored, byte for byte, and null once it is cleared', async () => {
    const binary = new Uint8Array([0, 1, 2, 255, 254, 10, 13, 0]);
    await native.store(item, binary);
    const read = await lookupOverBus(item, process.env);
    expect(read).toEqual(binary);
    expect(Object.getPrototypeOf(read)).toBe(Uint8Array.prototype);

    const text = new TextEncoder().encode(JSON.stringify({ AccessToken: { k: 'é'.repeat(50_000) } }));
    await native.store(item, text);
    expect(await lookupOverBus(item, process.env)).toEqual(text);

    expect(await native.clear(item)).toBe(true);
    expect(await lookupOverBus(item, process.env)).toBeNull();
  });

  it('matches on xdg:schema as libsecret does: the same attributes under another schema are not found', async () => {
    await native.store(item, new TextEncoder().encode('{}'));
    try {
      expect(await lookupOverBus({ ...item, schema: 'org.example.Other' }, process.env)).toBeNull();
    } finally {
      await native.clear(item);
    }
  });
});
