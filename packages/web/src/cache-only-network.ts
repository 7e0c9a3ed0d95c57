import type { INetworkModule, NetworkResponse } from '@azure/msal-node';

/**
 * A `system.networkClient` that never sends anything: it records that msal wanted the network
 * (the cache could not answer) and fails that request. A token call made with it is a cache
 * lookup and nothing else: msal answers from the cache, or it fails and `wanted` is true.
 *
 * @example
 * ```ts
 * const network = new CacheOnlyNetwork();
 * try { return await app.acquireTokenSilent(request); } catch (e) { if (!network.wanted) throw e; }
 * ```
 */
export class CacheOnlyNetwork implements INetworkModule {
  /** True once msal asked for any request. */
  wanted = false;

  sendGetRequestAsync<T>(): Promise<NetworkResponse<T>> {
    return this.refuse();
  }

  sendPostRequestAsync<T>(): Promise<NetworkResponse<T>> {
    return this.refuse();
  }

  private refuse<T>(): Promise<NetworkResponse<T>> {
    this.wanted = true;
    return Promise.reject(new Error('cache lookup only: no request is sent'));
  }
}
