import type { INetworkModule, NetworkResponse } from '@azure/msal-node';

/**
 * A `system.networkClient` that never sends anything: it counts the requests msal wanted to send
 * (the cache could not answer) and fails them. A token call made with it is a cache lookup and
 * nothing else: msal answers from the cache, or it fails and `requests` moved.
 *
 * @example
 * ```ts
 * const network = new CacheOnlyNetwork();
 * const before = network.requests;
 * try { return await app.acquireTokenSilent(request); } catch (e) { if (network.requests === before) throw e; }
 * ```
 */
export class CacheOnlyNetwork implements INetworkModule {
  /** Requests msal wanted to send, since this client was made. */
  requests = 0;

  sendGetRequestAsync<T>(): Promise<NetworkResponse<T>> {
    return this.refuse();
  }

  sendPostRequestAsync<T>(): Promise<NetworkResponse<T>> {
    return this.refuse();
  }

  private refuse<T>(): Promise<NetworkResponse<T>> {
    this.requests++;
    return Promise.reject(new Error('cache lookup only: no request is sent'));
  }
}
