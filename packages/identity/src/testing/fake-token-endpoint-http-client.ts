import type { FakeTokenEndpoint } from '@msal-persist/core/fake-token-endpoint';

/** The part of an `@azure/core-rest-pipeline` request this client reads. */
export interface FakeHttpRequest {
  url: string;
  method: string;
  body?: unknown;
}

/** `@azure/core-rest-pipeline`'s `HttpHeaders`, matched structurally. */
export class FakeHttpHeaders implements Iterable<[string, string]> {
  private readonly values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.set(name, value);
  }

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  set(name: string, value: string | number | boolean): void {
    this.values.set(name.toLowerCase(), String(value));
  }

  delete(name: string): void {
    this.values.delete(name.toLowerCase());
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.values);
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.values.entries();
  }
}

/** What {@link FakeTokenEndpointHttpClient.sendRequest} resolves with: an `@azure/core-rest-pipeline` response. */
export interface FakeHttpResponse<R> {
  request: R;
  status: number;
  headers: FakeHttpHeaders;
  bodyAsText: string;
}

/**
 * An `@azure/identity` `httpClient` that answers from a {@link FakeTokenEndpoint}: pass it with
 * `authorityHost: https://<endpoint.host>` and the endpoint's `tenantId` in a credential's options,
 * and the credential runs offline. It serves the authority's OpenID metadata and instance
 * discovery itself (not counted in `endpoint.calls`) and hands token and device-code requests to
 * the endpoint; any other request throws, so nothing can reach a real identity provider.
 *
 * @example
 * ```ts
 * const idp = new FakeTokenEndpoint();
 * const credential = new ClientSecretCredential(idp.tenantId, clientId, 'secret', {
 *   authorityHost: `https://${idp.host}`,
 *   httpClient: new FakeTokenEndpointHttpClient(idp),
 * });
 * ```
 */
export class FakeTokenEndpointHttpClient {
  /** The endpoint that answers. */
  readonly endpoint: FakeTokenEndpoint;

  constructor(endpoint: FakeTokenEndpoint) {
    this.endpoint = endpoint;
  }

  /** The `httpClient` contract: one request in, one response out. */
  async sendRequest<R extends FakeHttpRequest>(request: R): Promise<FakeHttpResponse<R>> {
    const { host, pathname } = new URL(request.url);
    const metadata = this.endpoint.authConfig('metadata');
    let status = 200;
    let body: unknown;
    if (
      request.method === 'GET' &&
      host === this.endpoint.host &&
      pathname.endsWith('/.well-known/openid-configuration')
    ) {
      body = JSON.parse(metadata.authorityMetadata);
    } else if (request.method === 'GET' && pathname === '/common/discovery/instance') {
      body = JSON.parse(metadata.cloudDiscoveryMetadata);
    } else if (request.method === 'POST') {
      const response = await this.endpoint.networkClient.sendPostRequestAsync(request.url, {
        body: typeof request.body === 'string' ? request.body : '',
      });
      status = response.status;
      body = response.body;
    } else {
      throw new Error(`FakeTokenEndpointHttpClient: no route for ${request.method} ${request.url}`);
    }
    return {
      request,
      status,
      headers: new FakeHttpHeaders({ 'content-type': 'application/json' }),
      bodyAsText: JSON.stringify(body),
    };
  }
}
