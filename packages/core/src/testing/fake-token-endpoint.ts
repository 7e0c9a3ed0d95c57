// A fake Entra ID token endpoint for msal-node, plugged in as `system.networkClient`. It answers
// device code, refresh token, client credentials, authorization code and on-behalf-of grants
// offline, counts calls, and throws on any URL it does not serve, so a test can never reach a real
// identity provider. Every token it issues is JWT-shaped (header.claims.) but UNSIGNED (`alg:
// none`, empty signature): claims can be read, nothing can be verified. Runtime-free: works in any
// process that runs msal-node.

/** A signed-in user of the fake tenant. */
export interface FakeUser {
  oid: string;
  name: string;
  username: string;
}

/** Options for {@link FakeTokenEndpoint}. */
export interface FakeTokenEndpointOptions {
  /** Tenant id in the authority and tokens. Default `00000000-0000-4000-8000-0000000000aa`. */
  tenantId?: string;
  /** Host of the fake authority. It is not resolvable, so nothing can leak to a real one. Default `login.msal-persist.test`. */
  host?: string;
  /** The user device code sign-ins return. */
  user?: FakeUser;
  /** Access token lifetime in seconds. msal treats tokens expiring within 5 minutes as expired. Default 3600. */
  accessTokenLifetimeSec?: number;
  /** Simulated network latency per request, in milliseconds. Default 0. */
  latencyMs?: number;
}

/** Call counters of a {@link FakeTokenEndpoint}. */
export interface FakeTokenEndpointCalls {
  /** Every request, of any kind. */
  total: number;
  /** Device code requests (`/devicecode`). */
  deviceCode: number;
  /** Token requests by grant type (`on_behalf_of`: the jwt-bearer grant with `requested_token_use=on_behalf_of`). */
  token: Record<
    'device_code' | 'refresh_token' | 'client_credentials' | 'authorization_code' | 'on_behalf_of' | 'other',
    number
  >;
  /** Metadata reads: OpenID configuration and instance discovery (`GET`). */
  metadata: number;
}

/** The claims of a token issued by {@link FakeTokenEndpoint}, as {@link fakeTokenClaims} reads them. */
export interface FakeTokenClaims {
  /** Audience: the client id (id tokens) or the resource the access token is for. */
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  /** Unique per token. */
  uti: string;
  /** The user's object id; absent in app tokens (client credentials). */
  oid?: string;
  sub?: string;
  name?: string;
  preferred_username?: string;
  /** Delegated scopes, space separated (user tokens). */
  scp?: string;
  /** The client the token was issued to. */
  azp?: string;
  /** `app` for client credentials tokens, `user` otherwise. */
  idtyp?: 'app' | 'user';
  ver: '2.0';
}

/** Structurally msal's `NetworkResponse`. */
export interface FakeNetworkResponse<T> {
  headers: Record<string, string>;
  body: T;
  status: number;
}

/** Structurally msal's `INetworkModule`: pass it as `system.networkClient`. */
export interface FakeNetworkClient {
  sendGetRequestAsync<T>(url: string, options?: { body?: string }): Promise<FakeNetworkResponse<T>>;
  sendPostRequestAsync<T>(url: string, options?: { body?: string }): Promise<FakeNetworkResponse<T>>;
}

/** The `auth` settings that keep msal-node offline with this endpoint. */
export interface FakeAuthConfig {
  clientId: string;
  authority: string;
  knownAuthorities: string[];
  authorityMetadata: string;
  cloudDiscoveryMetadata: string;
}

const DEFAULT_USER: FakeUser = {
  oid: '00000000-0000-4000-8000-00000000a11c',
  name: 'Ada Lovelace',
  username: 'ada@contoso.test',
};

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const encoder = new TextEncoder();

function base64Url(text: string): string {
  let binary = '';
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(value: string): string {
  const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const UNSIGNED_JWT_HEADER = base64Url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
const OBO_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * The claims of a JWT-shaped token {@link FakeTokenEndpoint} issued (access, id or incoming token).
 * It only decodes: fake tokens are unsigned, so this proves nothing about who made them. Throws a
 * `TypeError` for anything that is not header.claims.signature with JSON claims.
 *
 * @example
 * ```ts
 * const token = idp.issueAccessToken(FakeTokenEndpoint.userNamed('ada'), { audience: 'api://my-api' });
 * fakeTokenClaims(token).name; // 'ada'
 * ```
 */
export function fakeTokenClaims(token: string): FakeTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) throw new TypeError('fakeTokenClaims: not a JWT-shaped token');
  try {
    return JSON.parse(fromBase64Url(parts[1])) as FakeTokenClaims;
  } catch (error) {
    throw new TypeError('fakeTokenClaims: the claims part is not base64url JSON', { cause: error });
  }
}

/** An unsigned JWT: `alg: none` and an empty signature, as Entra never issues; readable, not verifiable. */
function unsignedJwt(claims: FakeTokenClaims | Record<string, unknown>): string {
  return `${UNSIGNED_JWT_HEADER}.${base64Url(JSON.stringify(claims))}.`;
}

/** 32-bit FNV-1a, for stable fake ids from names (no crypto in a runtime-free module). */
function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

let sequence = 0;
function unique(): string {
  sequence++;
  return `${Date.now().toString(36)}.${sequence}.${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * An offline Entra ID token endpoint for msal-node tests, demos and benchmarks.
 *
 * @example
 * ```ts
 * const idp = new FakeTokenEndpoint();
 * const app = new PublicClientApplication({
 *   auth: idp.authConfig('my-client-id'),
 *   system: { networkClient: idp.networkClient },
 *   cache: { cachePlugin },
 * });
 * await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
 * idp.calls.total; // 2: device code + token
 * ```
 */
export class FakeTokenEndpoint {
  /** Request counters; reset with {@link FakeTokenEndpoint.resetCalls}. */
  readonly calls: FakeTokenEndpointCalls = FakeTokenEndpoint.zero();
  /** Access tokens issued by this instance, newest last. */
  readonly issued: string[] = [];
  readonly tenantId: string;
  readonly host: string;
  user: FakeUser;
  accessTokenLifetimeSec: number;
  latencyMs: number;
  /** When set, every request fails with this HTTP status (an outage). */
  failWithStatus: number | undefined;

  /** The msal `system.networkClient`. */
  readonly networkClient: FakeNetworkClient;

  constructor(options: FakeTokenEndpointOptions = {}) {
    this.tenantId = options.tenantId ?? '00000000-0000-4000-8000-0000000000aa';
    this.host = options.host ?? 'login.msal-persist.test';
    this.user = options.user ?? DEFAULT_USER;
    this.accessTokenLifetimeSec = options.accessTokenLifetimeSec ?? 3600;
    this.latencyMs = options.latencyMs ?? 0;
    this.failWithStatus = undefined;
    this.networkClient = {
      sendGetRequestAsync: (url) => this.handle('GET', url, ''),
      sendPostRequestAsync: (url, requestOptions) => this.handle('POST', url, requestOptions?.body ?? ''),
    };
  }

  /** The authority URL, `https://<host>/<tenant>`. */
  get authority(): string {
    return `https://${this.host}/${this.tenantId}`;
  }

  /** msal `auth` settings: authority plus the metadata that spares msal any discovery call. */
  authConfig(clientId: string): FakeAuthConfig {
    const base = this.authority;
    return {
      clientId,
      authority: base,
      knownAuthorities: [this.host],
      authorityMetadata: JSON.stringify({
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `${base}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      }),
      cloudDiscoveryMetadata: JSON.stringify({
        tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: this.host, preferred_cache: this.host, aliases: [this.host] }],
      }),
    };
  }

  /**
   * A user of the fake tenant with a stable object id derived from `name`: the same name gives the
   * same user in every process (examples and load tests name users, they do not register them).
   *
   * @example
   * ```ts
   * FakeTokenEndpoint.userNamed('ada'); // { oid: '…', name: 'ada', username: 'ada@contoso.test' }
   * ```
   */
  static userNamed(name: string): FakeUser {
    if (!name) throw new TypeError('FakeTokenEndpoint.userNamed: name must not be empty');
    const hex = `${fnv1a(name, 0x811c9dc5)}${fnv1a(name, 0x12345678)}${fnv1a(name, 0x9e3779b9)}${fnv1a(name, 0x7f4a7c15)}`;
    const oid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    return { oid, name, username: `${name.replace(/[^A-Za-z0-9._-]/g, '_')}@contoso.test` };
  }

  /**
   * An access token this tenant issued to `user` for `audience`, as a client app of yours would
   * send it to your API: the incoming assertion of an on-behalf-of call. JWT-shaped, unsigned.
   *
   * @example
   * ```ts
   * const incoming = idp.issueAccessToken(idp.user, { audience: 'api://my-api', scopes: ['access_as_user'] });
   * await cca.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: ['User.Read'] });
   * ```
   */
  issueAccessToken(user: FakeUser, options: { audience: string; scopes?: string[]; clientId?: string }): string {
    return this.userAccessToken(
      user,
      options.audience,
      options.scopes ?? ['access_as_user'],
      options.clientId ?? 'client-app',
    );
  }

  /**
   * An authorization code for `user`, as the authorize endpoint would redirect with after sign-in;
   * redeem it with msal's `acquireTokenByCode`. Offline apps show their own "sign in as" page.
   *
   * @example
   * ```ts
   * const code = idp.authorizationCode(FakeTokenEndpoint.userNamed('ada'));
   * await cca.acquireTokenByCode({ code, scopes: ['User.Read'], redirectUri });
   * ```
   */
  authorizationCode(user: FakeUser): string {
    return `ac.${base64Url(JSON.stringify(user))}.${unique()}`;
  }

  /** Sets every counter back to zero. */
  resetCalls(): void {
    Object.assign(this.calls, FakeTokenEndpoint.zero());
  }

  private static zero(): FakeTokenEndpointCalls {
    return {
      total: 0,
      deviceCode: 0,
      token: {
        device_code: 0,
        refresh_token: 0,
        client_credentials: 0,
        authorization_code: 0,
        on_behalf_of: 0,
        other: 0,
      },
      metadata: 0,
    };
  }

  private async handle<T>(method: string, url: string, body: string): Promise<FakeNetworkResponse<T>> {
    this.calls.total++;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const { host, pathname } = new URL(url);
    if (host !== this.host) throw new Error(`FakeTokenEndpoint: refusing a request to ${url}: not the fake authority`);
    if (this.failWithStatus !== undefined) {
      return this.json({ error: 'temporarily_unavailable', error_description: 'fake outage' }, this.failWithStatus);
    }
    const params = new URLSearchParams(body);
    if (method === 'POST' && pathname.endsWith('/oauth2/v2.0/devicecode')) return this.deviceCode(params);
    if (method === 'POST' && pathname.endsWith('/oauth2/v2.0/token')) return this.token(params);
    if (method === 'GET' && pathname === `/${this.tenantId}/v2.0/.well-known/openid-configuration`) {
      this.calls.metadata++;
      return this.json(JSON.parse(this.authConfig('any').authorityMetadata));
    }
    if (method === 'GET' && pathname === '/common/discovery/instance') {
      this.calls.metadata++;
      return this.json(JSON.parse(this.authConfig('any').cloudDiscoveryMetadata));
    }
    throw new Error(`FakeTokenEndpoint: no route for ${method} ${url}`);
  }

  private deviceCode<T>(params: URLSearchParams): FakeNetworkResponse<T> {
    this.calls.deviceCode++;
    return this.json({
      user_code: 'FAKE-CODE',
      device_code: `dc.${base64Url(JSON.stringify(this.user))}.${unique()}`,
      verification_uri: `https://${this.host}/devicelogin`,
      expires_in: 900,
      interval: 1,
      message: `To sign in, use a web browser to open https://${this.host}/devicelogin and enter the code FAKE-CODE (client ${params.get('client_id')}).`,
    });
  }

  private token<T>(params: URLSearchParams): FakeNetworkResponse<T> {
    const grant = params.get('grant_type') ?? '';
    const clientId = params.get('client_id') ?? '';
    const scopes = (params.get('scope') ?? '').split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
    if (!clientId) return this.json({ error: 'invalid_client', error_description: 'client_id missing' }, 400);

    if (grant === 'client_credentials') {
      this.calls.token.client_credentials++;
      return this.json({
        token_type: 'Bearer',
        expires_in: this.accessTokenLifetimeSec,
        ext_expires_in: this.accessTokenLifetimeSec,
        access_token: this.appAccessToken(clientId, scopes),
        ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      });
    }

    let user: FakeUser;
    if (grant === 'device_code' || grant === 'urn:ietf:params:oauth:grant-type:device_code') {
      this.calls.token.device_code++;
      user = this.userFromToken(params.get('device_code'), 'dc');
    } else if (grant === 'refresh_token') {
      this.calls.token.refresh_token++;
      user = this.userFromToken(params.get('refresh_token'), 'rt');
    } else if (grant === 'authorization_code') {
      this.calls.token.authorization_code++;
      user = this.userFromToken(params.get('code'), 'ac');
    } else if (grant === OBO_GRANT && params.get('requested_token_use') === 'on_behalf_of') {
      this.calls.token.on_behalf_of++;
      const incoming = this.userFromAssertion(params.get('assertion'));
      if (!incoming) {
        return this.json({ error: 'invalid_grant', error_description: 'assertion is not a token of this tenant' }, 400);
      }
      user = incoming;
    } else {
      this.calls.token.other++;
      return this.json({ error: 'unsupported_grant_type', error_description: grant }, 400);
    }
    const now = Math.floor(Date.now() / 1000);
    const idToken = unsignedJwt({
      aud: clientId,
      iss: `${this.authority}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      oid: user.oid,
      sub: user.oid,
      tid: this.tenantId,
      name: user.name,
      preferred_username: user.username,
      ver: '2.0',
    });
    const granted = scopes.length > 0 ? scopes : ['User.Read'];
    return this.json({
      token_type: 'Bearer',
      scope: granted.join(' '),
      expires_in: this.accessTokenLifetimeSec,
      ext_expires_in: this.accessTokenLifetimeSec,
      access_token: this.userAccessToken(user, resourceOf(granted), granted, clientId),
      refresh_token: `rt.${base64Url(JSON.stringify(user))}.${unique()}`,
      id_token: idToken,
      client_info: base64Url(JSON.stringify({ uid: user.oid, utid: this.tenantId })),
    });
  }

  private userFromToken(token: string | null, prefix: string): FakeUser {
    const [kind, payload] = (token ?? '').split('.');
    if (kind !== prefix || !payload) throw new Error(`FakeTokenEndpoint: malformed ${prefix} token`);
    return JSON.parse(fromBase64Url(payload)) as FakeUser;
  }

  /** The user an incoming token names, when this tenant issued it (a JWT whose `tid` is ours and that has an `oid`). */
  private userFromAssertion(assertion: string | null): FakeUser | undefined {
    let claims: FakeTokenClaims;
    try {
      claims = fakeTokenClaims(assertion ?? '');
    } catch {
      return undefined;
    }
    if (claims.tid !== this.tenantId || !claims.oid) return undefined;
    return { oid: claims.oid, name: claims.name ?? '', username: claims.preferred_username ?? '' };
  }

  private userAccessToken(user: FakeUser, audience: string, scopes: string[], clientId: string): string {
    return this.record({
      ...this.standardClaims(audience),
      oid: user.oid,
      sub: user.oid,
      name: user.name,
      preferred_username: user.username,
      scp: scopes.map((scope) => scope.slice(scope.lastIndexOf('/') + 1)).join(' '),
      azp: clientId,
      idtyp: 'user',
    });
  }

  private appAccessToken(clientId: string, scopes: string[]): string {
    return this.record({ ...this.standardClaims(resourceOf(scopes)), azp: clientId, idtyp: 'app' });
  }

  private standardClaims(audience: string): Omit<FakeTokenClaims, 'oid'> {
    const now = Math.floor(Date.now() / 1000);
    return {
      aud: audience,
      iss: `${this.authority}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + this.accessTokenLifetimeSec,
      tid: this.tenantId,
      uti: unique(),
      ver: '2.0',
    };
  }

  private record(claims: FakeTokenClaims): string {
    const token = unsignedJwt(claims);
    this.issued.push(token);
    return token;
  }

  private json<T>(body: unknown, status = 200): FakeNetworkResponse<T> {
    return { headers: { 'content-type': 'application/json' }, body: body as T, status };
  }
}

/** The resource a scope list asks for: `https://graph.microsoft.com/.default` → `https://graph.microsoft.com`; bare scopes are Graph's. */
function resourceOf(scopes: string[]): string {
  const first = scopes[0] ?? '';
  const slash = first.lastIndexOf('/');
  return slash > 0 ? first.slice(0, slash) : 'https://graph.microsoft.com';
}
