// A real TLS redis-server (a CA made by openssl in the test, client certificates required):
// connects and verifies, and refuses a wrong CA, a name mismatch and a missing client certificate
// with a clear typed error.
import { randomUUID } from 'node:crypto';
import { isPersistenceError } from '@msal-persist/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache, RedisConnection, RedisPersistence } from '../src/index.js';
import { freePort } from './servers/processes.js';
import { type RedisServer, startRedisServer } from './servers/redis-server.js';
import { makeTlsFiles, type TlsFiles } from './servers/tls-files.js';
import { daemonApp, storedSecrets } from './support/daemon-app.js';
import { partitionOf } from './support/helpers.js';

let files: TlsFiles;
let server: RedisServer;
let tlsPort: number;
beforeAll(async () => {
  files = makeTlsFiles();
  tlsPort = await freePort();
  server = await startRedisServer({
    args: [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      files.paths.serverCert,
      '--tls-key-file',
      files.paths.serverKey,
      '--tls-ca-cert-file',
      files.paths.ca,
      '--tls-auth-clients',
      'yes',
    ],
  });
});
afterAll(async () => {
  await server?.stop();
  files?.remove();
});

const url = () => `rediss://127.0.0.1:${tlsPort}`;
const trusted = () => ({ ca: files.ca, cert: files.clientCert, key: files.clientKey, servername: files.serverName });

async function refusal(tls: Record<string, string>) {
  const error = await RedisConnection.open({ url: url(), tls, connectTimeoutMs: 5_000 }).then(
    async (connection) => {
      await connection.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(isPersistenceError(error, 'NotAvailable'), String(error)).toBe(true);
  return (error as Error).message;
}

describe('TLS', () => {
  it('connects with the CA, a client certificate and the server name, and a token call round-trips', async () => {
    const cache = await createRedisCache({ url: url(), tls: trusted(), partition: randomUUID() });
    try {
      expect(cache.connection.where).toBe(`rediss://127.0.0.1:${tlsPort}`);
      const { token } = daemonApp(cache);
      const result = await token('api://over-tls/.default');
      const reader = await RedisPersistence.create({
        url: url(),
        tls: trusted(),
        partition: partitionOf(cache.persistence),
      });
      expect(storedSecrets(await reader.load())).toEqual(new Set([result.accessToken]));
      await reader.close();
    } finally {
      await cache.close();
    }
  });

  it('refuses a server whose certificate another CA signed, saying which option to fix', async () => {
    const message = await refusal({ ...trusted(), ca: files.otherCa });
    expect(message).toMatch(
      /TLS connection to Redis at rediss:\/\/127\.0\.0\.1:\d+ failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/,
    );
    expect(message).toMatch(/tls\.ca/);
  });

  it('refuses a certificate for another name unless servername says which', async () => {
    const { servername: _, ...withoutName } = trusted();
    const message = await refusal(withoutName);
    expect(message).toMatch(/failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(message).toMatch(/tls\.servername/);
  });

  it('is refused by the server without a client certificate', async () => {
    const { cert: _cert, key: _key, ...withoutCertificate } = trusted();
    const message = await refusal(withoutCertificate);
    // The server's alert, or (when the socket is reset before the alert is read) the reset: both name the fix.
    expect(message).toMatch(/\((ERR_SSL_\w*CERTIFICATE_REQUIRED|ECONNRESET|EPIPE)\)/);
    expect(message).toMatch(/tls\.cert.*tls\.key/);
  });
});
