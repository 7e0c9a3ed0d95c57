import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNodeScript } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { ASK_LIBSECRET, lookupOverBus } from '../src/bus-lookup.js';
import {
  ERROR,
  encodeMessage,
  FIELD,
  METHOD_RETURN,
  messageLength,
  methodCall,
  parseMessage,
  splitSignature,
  type WireValue,
} from '../src/dbus-wire.js';
import { KoffiLibsecretNative } from '../src/index.js';
import { libsecretReadsOverBus } from '../src/read-path.js';
import { sessionBusSocket } from '../src/session-bus.js';
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
    ['unix:path=/tmp/b%20c;tcp:host=localhost,port=1', '/tmp/b c'],
    ['unix:path=/tmp/bad%zz', '/tmp/bad%zz'],
  ])('%s is the socket %j', (address, socket) => {
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: address })).toBe(socket);
  });

  it('is $XDG_RUNTIME_DIR/bus without an address, and nothing when the first address is another transport', () => {
    expect(sessionBusSocket({ XDG_RUNTIME_DIR: '/run/user/7' })).toBe('/run/user/7/bus');
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=localhost,port=4000' })).toBeUndefined();
    // GLib, and so libsecret, connects to the first address: a later unix one may be another bus.
    expect(sessionBusSocket({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=h,port=1;unix:path=/tmp/b' })).toBeUndefined();
  });
});

describe('the D-Bus wire format', () => {
  it('splits signatures into complete types, and refuses empty structs and malformed dict entries', () => {
    expect(splitSignature('a{ss}o(oayays)v')).toEqual(['a{ss}', 'o', '(oayays)', 'v']);
    for (const bad of ['a()', '{s}', 'a{sss}', 'a{vs}', '{ss}', '(s', 'z', ')', 'a']) {
      expect(() => splitSignature(bad)).toThrow(expect.objectContaining({ name: 'DBusWireError' }));
    }
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

  it('a socket that answers authentication with an endless line: the lookup hangs up and hands libsecret the case, before it has taken 8 MiB of it', async () => {
    const path = join(dir, 'endless');
    const enough = new AbortController();
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      // SASL lines are short; this one never ends. Counted in bytes, not time: a client that keeps
      // buffering it is stopped (aborted) once it has been sent 8 MiB.
      let sent = 0;
      const more = () => {
        while (!socket.destroyed && sent < 8 << 20) {
          sent += 64 << 10;
          if (!socket.write(Buffer.alloc(64 << 10, 0x41))) return;
        }
        if (sent >= 8 << 20) enough.abort(new Error('the client took 8 MiB of one authentication line'));
      };
      socket.on('drain', more);
      socket.once('data', more);
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` };
      expect(await lookupOverBus(item, env, enough.signal)).toBe(ASK_LIBSECRET);
    } finally {
      server.close();
    }
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

/**
 * A fake session bus with a Secret Service on it: accepts EXTERNAL, then answers each call with
 * `answer(member, serial)`, written `chunk` bytes at a time.
 */
async function fakeBus(
  name: string,
  answer: (member: string, serial: number) => Buffer | undefined,
  chunk = 1 << 20,
  greeting?: Buffer,
  abstract = false,
) {
  // An abstract socket (Linux) has a name and no file.
  const path = abstract ? `\0msal-persist-${name}-${process.pid}` : join(dir, name);
  const server = createServer((socket) => {
    // A client that hangs up on a message it refuses resets the connection: nothing to report here.
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let authenticated = false;
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!authenticated) {
        if (buffer.includes('AUTH EXTERNAL') && !buffer.includes('BEGIN')) socket.write('OK 0123456789abcdef\r\n');
        const begin = buffer.indexOf('BEGIN\r\n');
        if (begin < 0) return;
        buffer = buffer.subarray(begin + 'BEGIN\r\n'.length);
        authenticated = true;
        // Sent before any reply, as the bus sends NameAcquired and other signals.
        if (greeting) socket.write(greeting);
      }
      for (let length = messageLength(buffer); length !== undefined && buffer.length >= length; ) {
        const call = parseMessage(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        length = messageLength(buffer);
        const reply = answer(call.member ?? '', call.serial);
        for (let at = 0; reply && at < reply.length; at += chunk) socket.write(reply.subarray(at, at + chunk));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const address = abstract ? `unix:abstract=${path.slice(1)}` : `unix:path=${path}`;
  return { path, env: { DBUS_SESSION_BUS_ADDRESS: address }, close: () => server.close() };
}

const reply = (serial: number, signature: string, args: WireValue[]) =>
  encodeMessage({
    type: METHOD_RETURN,
    serial: 1000 + serial,
    fields: [[FIELD.replySerial, ['u', serial]]],
    signature,
    args,
  });
const errorReply = (serial: number, name: string) =>
  encodeMessage({
    type: ERROR,
    serial: 1000 + serial,
    fields: [
      [FIELD.replySerial, ['u', serial]],
      [FIELD.errorName, ['s', name]],
    ],
    signature: 's',
    args: ['refused'],
  });

/** A Secret Service holding one item: `found` is SearchItems's (unlocked, locked) answer. */
function secretService(found: [string[], string[]], secret = new Uint8Array([7, 0, 9])) {
  return (member: string, serial: number) => {
    if (member === 'Hello') return reply(serial, 's', [':1.42']);
    if (member === 'OpenSession') return reply(serial, 'vo', [['s', ''], '/org/freedesktop/secrets/session/1']);
    if (member === 'SearchItems') return reply(serial, 'aoao', found);
    if (member === 'GetSecrets') {
      const [item = '/none'] = found[0];
      return reply(serial, 'a{o(oayays)}', [
        [[item, ['/org/freedesktop/secrets/session/1', new Uint8Array(0), secret, 'text/plain']]],
      ]);
    }
    return undefined;
  };
}

describe('lookupOverBus against a fake Secret Service', () => {
  const item = { schema: 'org.freedesktop.Secret.Generic', attributes: { service: 'x', account: 'y' }, label: '' };
  const unlocked = '/org/freedesktop/secrets/collection/login/1';

  it('reads the first unlocked match, also when every reply arrives a byte at a time', async () => {
    const bus = await fakeBus('dribble', secretService([[unlocked], []]), 1);
    try {
      expect(await lookupOverBus(item, bus.env)).toEqual(new Uint8Array([7, 0, 9]));
    } finally {
      bus.close();
    }
  });

  it('answers null only when nothing matches, locked or not', async () => {
    const bus = await fakeBus('empty', secretService([[], []]));
    try {
      expect(await lookupOverBus(item, bus.env)).toBeNull();
    } finally {
      bus.close();
    }
  });

  it('hands libsecret a locked-only match (it prompts or says IS_LOCKED) and an error reply', async () => {
    const locked = await fakeBus('locked', secretService([[], [unlocked]]));
    const refusing = await fakeBus('error', (member, serial) =>
      member === 'SearchItems'
        ? errorReply(serial, 'org.freedesktop.DBus.Error.ServiceUnknown')
        : secretService([[unlocked], []])(member, serial),
    );
    try {
      expect(await lookupOverBus(item, locked.env)).toBe(ASK_LIBSECRET);
      expect(await lookupOverBus(item, refusing.env)).toBe(ASK_LIBSECRET);
    } finally {
      locked.close();
      refusing.close();
    }
  });

  it('hands libsecret a malformed reply instead of hanging on it, and rejects with the signal when aborted', async () => {
    const hostile = await fakeBus('hostile', (member, serial) => {
      if (member !== 'SearchItems') return secretService([[unlocked], []])(member, serial);
      const bad = reply(serial, 'ao', [[unlocked]]);
      // Rewrite the body's signature field to the empty struct array `a()`.
      const at = bad.indexOf(Buffer.from([2, 0x61, 0x6f, 0]));
      bad.write('a()', at + 1, 'ascii');
      return bad;
    });
    const silent = await fakeBus('silent', () => undefined);
    try {
      expect(await lookupOverBus(item, hostile.env)).toBe(ASK_LIBSECRET);
      await expect(lookupOverBus(item, silent.env, AbortSignal.timeout(100))).rejects.toMatchObject({
        name: 'TimeoutError',
      });
    } finally {
      hostile.close();
      silent.close();
    }
  });
});

describe('which lookups go over the bus socket', () => {
  it('not where libsecret keeps secrets elsewhere (SECRET_BACKEND), nor for a library that is not installed', () => {
    expect(libsecretReadsOverBus('libsecret-1.so.0', { SECRET_BACKEND: 'file' })).toBe(false);
    expect(libsecretReadsOverBus('libsecret-1.so.0', { SNAP_NAME: 'app' })).toBe(false);
    expect(libsecretReadsOverBus('libnot-installed.so.0', {})).toBe(false);
  });

  it.runIf(process.platform === 'linux' && mode.run)('here, where libsecret >= 0.19 is installed', () => {
    expect(libsecretReadsOverBus('libsecret-1.so.0', {})).toBe(true);
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

/**
 * One 40-byte signal whose only header field is a variant of signature `a()` (an array of empty
 * structs) holding 8 bytes: reading an element consumes nothing, so a reader that loops "while
 * not at the array's end" never ends.
 */
function emptyStructSignal(): Buffer {
  const bytes = Buffer.alloc(40);
  bytes.write('l', 0, 'ascii');
  bytes[1] = 4; // signal
  bytes[3] = 1; // protocol version
  bytes.writeUInt32LE(0, 4); // body length
  bytes.writeUInt32LE(1, 8); // serial
  bytes.writeUInt32LE(24, 12); // header fields: bytes 16..40
  bytes[16] = 9; // a field code nobody reads
  bytes[17] = 3; // variant signature length
  bytes.write('a()', 18, 'ascii');
  bytes.writeUInt32LE(8, 24); // the array's length: bytes 32..40
  return bytes;
}

const wireChild = join(import.meta.dirname, 'fixtures', 'wire-child.ts');
/** Runs fixtures/wire-child.ts; a read that never ends is killed after 20 s and reported as such. */
async function inChild(mode: 'parse' | 'lookup', argument: string): Promise<Record<string, unknown>> {
  const run = await runNodeScript(wireChild, [mode, argument], { timeoutMs: 20_000 });
  if (run.code !== 0) return { killed: `the child did not finish (exit ${run.code}): the read never ended` };
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

describe('the D-Bus reader ends on every message, and says only that it is malformed', () => {
  it('an array of empty structs in a header variant is refused at once, not read forever', async () => {
    expect(await inChild('parse', emptyStructSignal().toString('hex'))).toEqual({
      error: { name: 'DBusWireError', message: expect.stringContaining('malformed D-Bus') },
    });
  }, 30_000);

  it('one such signal from the bus, before any reply: the lookup ends and hands libsecret the case', async () => {
    const bus = await fakeBus('empty-struct-signal', secretService([['/x'], []]), 1 << 20, emptyStructSignal());
    try {
      expect(await inChild('lookup', bus.path)).toEqual({ found: 'ask-libsecret' });
    } finally {
      bus.close();
    }
  }, 30_000);

  /** A signal whose one header field is a variant of `signature` (written by hand: the writer refuses bad ones), then `payload`. */
  function headerVariant(signature: string, payload = Buffer.alloc(16)): Buffer {
    const field = Buffer.concat([Buffer.from([9, signature.length]), Buffer.from(signature, 'ascii'), Buffer.alloc(1)]);
    const fields = Buffer.concat([field, Buffer.alloc(8 - field.length), payload]);
    const fixed = Buffer.alloc(16);
    fixed.write('l', 0, 'ascii');
    fixed[1] = 4;
    fixed[3] = 1;
    fixed.writeUInt32LE(1, 8);
    fixed.writeUInt32LE(fields.length, 12);
    return Buffer.concat([fixed, fields, Buffer.alloc((8 - (fields.length % 8)) % 8)]);
  }

  it.each([
    ['two complete types', 'ss'],
    ['no type at all', ''],
    ['an incomplete type', 'a'],
    ['an unclosed struct', '(u'],
    ['an unknown type code', 'x'],
  ])('a variant signature of %s is refused with a typed error', (_label, signature) => {
    expect(() => parseMessage(headerVariant(signature))).toThrow(expect.objectContaining({ name: 'DBusWireError' }));
  });

  it('variants nested 100000 deep are refused with a typed error, not a stack overflow', () => {
    // Written by hand (the writer recurses too): a header field holding v(v(v(…u…))).
    const depth = 100_000;
    const nested = Buffer.concat([
      Buffer.from([9]),
      Buffer.from('\x01v\x00'.repeat(depth), 'latin1'),
      Buffer.from([1, 0x75, 0]),
    ]);
    const fields = Buffer.concat([nested, Buffer.alloc((4 - ((16 + nested.length) % 4)) % 4), Buffer.alloc(4)]);
    const fixed = Buffer.alloc(16);
    fixed.write('l', 0, 'ascii');
    fixed[1] = 4;
    fixed[3] = 1;
    fixed.writeUInt32LE(1, 8);
    fixed.writeUInt32LE(fields.length, 12);
    const bytes = Buffer.concat([fixed, fields, Buffer.alloc((8 - (fields.length % 8)) % 8)]);
    expect(() => parseMessage(bytes)).toThrow(expect.objectContaining({ name: 'DBusWireError' }));
  });

  it("never repeats the message's bytes in its error", () => {
    const bytes = emptyStructSignal();
    bytes.write('a(Z)', 17 + 0, 'ascii');
    bytes[17] = 4;
    const error = (() => {
      try {
        parseMessage(bytes);
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.name).toBe('DBusWireError');
    expect(error?.message).not.toContain('Z');
  });
});

const root = process.getuid?.() === 0;
if (!root) console.warn('SKIPPED (not root: cannot chown a socket to another uid): a bus socket of another user');

describe("the bus socket must be this user's (or root's)", () => {
  it.runIf(root)(
    'a socket file owned by another uid (a stale address taken over): AccessDenied, no secret read from it',
    async () => {
      const bus = await fakeBus('squatted', secretService([['/org/freedesktop/secrets/collection/login/1'], []]));
      chownSync(bus.path, 65534, 65534);
      try {
        await expect(
          lookupOverBus({ schema: 'org.freedesktop.Secret.Generic', attributes: {}, label: '' }, bus.env),
        ).rejects.toMatchObject({
          name: 'PersistenceError',
          code: 'AccessDenied',
          message: expect.stringContaining('owned by uid 65534'),
        });
      } finally {
        bus.close();
      }
    },
  );

  it.runIf(process.platform === 'linux')(
    'an abstract socket (no file, no owner to check): libsecret is asked, even when a Secret Service answers there',
    async () => {
      const bus = await fakeBus(
        'abstract',
        secretService([['/org/freedesktop/secrets/collection/login/1'], []]),
        1 << 20,
        undefined,
        true,
      );
      try {
        const item = { schema: 'org.freedesktop.Secret.Generic', attributes: {}, label: '' };
        expect(await lookupOverBus(item, bus.env)).toBe(ASK_LIBSECRET);
      } finally {
        bus.close();
      }
    },
  );
});
