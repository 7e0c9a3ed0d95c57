import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './processes.js';

/** A throw-away PKI made with openssl: a CA, a server and a client certificate it signed, and an unrelated CA. */
export interface TlsFiles {
  readonly dir: string;
  /** Paths, for redis-server. */
  readonly paths: { ca: string; serverCert: string; serverKey: string };
  /** PEM contents, for the client. */
  readonly ca: string;
  readonly otherCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The only name in the server certificate (no IP address): connecting to 127.0.0.1 needs `servername`. */
  readonly serverName: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

// RSA: the one key type every openssl (LibreSSL on macOS too) makes with the same arguments.
const KEY = ['-newkey', 'rsa:2048', '-nodes'];

/** Creates the files in a fresh temp folder. Fails (never skips) without openssl. */
export function makeTlsFiles(serverName = 'redis.test'): TlsFiles {
  requireBinary('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'msal-tls-'));
  const ca = (name: string) =>
    openssl(dir, [
      'req',
      '-x509',
      ...KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
  const signed = (name: string, subject: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
    openssl(dir, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  ca('ca');
  ca('other-ca');
  signed('server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth`);
  signed('client', '/CN=msal-persist-test-client', 'extendedKeyUsage=clientAuth');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    paths: { ca: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') },
    ca: read('ca.crt'),
    otherCa: read('other-ca.crt'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    serverName,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
