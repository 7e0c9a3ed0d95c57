// The cache plugin over FilePersistence + FileLock when its hold is broken by another writer
// between taking the lock and writing (as a writer of another host does to a holder stopped for
// longer than staleMs): whatever it would have written — a save, a keep-aside, clear()'s delete —
// is refused with LockLost, and the other writer's file stays as it is. Real msal-node.
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { isPersistenceError, type Lock, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';
import { describe, expect, it } from 'vitest';
import { FileLock, FilePersistence } from '../src/index.js';
import { formatLockContent } from '../src/lock-owner.js';
import { CLIENT_ID } from './fixtures/apps.js';
import { tempSpacePerTest } from './helpers.js';

const space = tempSpacePerTest();

/**
 * A FileLock whose every hold is taken over as soon as it is granted by "another writer" of another
 * host (its lock names a pid nobody here may judge).
 */
function brokenRightAfterAcquire(): Lock {
  const lockPath = `${space.cachePath}.lockfile`;
  const lock = new FileLock(lockPath);
  return {
    acquire: async (options) => {
      const handle = await lock.acquire(options);
      writeFileSync(lockPath, formatLockContent(4242, 'other-host-writer', 'the-breaker', 'host-b/boot/1'));
      return handle;
    },
  };
}

function app(lock: Lock) {
  const idp = new FakeTokenEndpoint();
  const cachePlugin = new PersistenceCachePlugin({
    persistence: new FilePersistence(space.cachePath),
    lock,
    logger: {},
  });
  const client = new ConfidentialClientApplication({
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'fake-secret' },
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin },
  });
  return { client, cachePlugin };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the cache plugin under a hold broken before it writes', () => {
  it('the token call fails with LockLost and the stored cache keeps what the other writer saved', async () => {
    const { client } = app(new FileLock(`${space.cachePath}.lockfile`));
    await client.acquireTokenByClientCredential({ scopes: ['api://first/.default'] });
    const saved = readFileSync(space.cachePath, 'utf8');
    const error = await failure(
      app(brokenRightAfterAcquire()).client.acquireTokenByClientCredential({ scopes: ['api://second/.default'] }),
    );
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(readFileSync(space.cachePath, 'utf8')).toBe(saved);
  });

  it('an unreadable cache is not moved aside, nor replaced', async () => {
    writeFileSync(space.cachePath, 'not json, written by someone else');
    const error = await failure(
      app(brokenRightAfterAcquire()).client.acquireTokenByClientCredential({ scopes: ['api://x/.default'] }),
    );
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(readFileSync(space.cachePath, 'utf8')).toBe('not json, written by someone else');
  });

  it('clear() deletes nothing and rejects with LockLost', async () => {
    const { client } = app(new FileLock(`${space.cachePath}.lockfile`));
    await client.acquireTokenByClientCredential({ scopes: ['api://first/.default'] });
    const saved = readFileSync(space.cachePath, 'utf8');
    const error = await failure(app(brokenRightAfterAcquire()).cachePlugin.clear());
    expect(isPersistenceError(error, 'LockLost')).toBe(true);
    expect(readFileSync(space.cachePath, 'utf8')).toBe(saved);
  });
});
