import { ConfidentialClientApplication } from '@azure/msal-node';
import { type Lock, type Logger, type Persistence, PersistenceCachePlugin } from '@msal-persist/core';
import { FakeTokenEndpoint } from '@msal-persist/core/testing';

/** A daemon (client credentials) on real msal-node, offline against the fake token endpoint, cached by `persistence`+`lock`. */
export function daemonApp(
  cache: { persistence: Persistence; lock: Lock },
  options: { logger?: Logger; lockTimeoutMs?: number; clientId?: string } = {},
) {
  const idp = new FakeTokenEndpoint();
  const plugin = new PersistenceCachePlugin({
    persistence: cache.persistence,
    lock: cache.lock,
    logger: options.logger ?? {},
    ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
  });
  const app = new ConfidentialClientApplication({
    auth: {
      ...idp.authConfig(options.clientId ?? 'aaaaaaaa-0000-4000-8000-0000000d4e40'),
      clientSecret: 'fake-secret',
    },
    system: { networkClient: idp.networkClient },
    cache: { cachePlugin: plugin },
  });
  /** One client-credential token for `scope`. */
  const token = async (scope: string) => {
    const result = await app.acquireTokenByClientCredential({ scopes: [scope] });
    if (!result) throw new Error(`no token for ${scope}`);
    return result;
  };
  return { app, idp, plugin, token };
}

/** The access-token secrets stored in a serialized msal cache. */
export function storedSecrets(bytes: Uint8Array | null): Set<string> {
  const cache = JSON.parse(new TextDecoder().decode(bytes ?? undefined) || '{}') as {
    AccessToken?: Record<string, { secret: string }>;
  };
  return new Set(Object.values(cache.AccessToken ?? {}).map((entry) => entry.secret));
}
