import {
  type AccountInfo,
  type AuthenticationResult,
  type AuthorizationCodeRequest,
  type AuthorizationUrlRequest,
  type ClientCredentialRequest,
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  type NodeAuthOptions,
  type NodeSystemOptions,
  type OnBehalfOfRequest,
  type SilentFlowRequest,
} from '@azure/msal-node';
import {
  type CacheContext,
  type CachePartition,
  checkNumberOption,
  type Logger,
  type PartitionedStore,
  PersistenceCachePlugin,
  singleFlight,
} from '@msal-persist/core';
import { type AuthorityMetadata, resolveAuthorityMetadata } from './authority-metadata.js';
import { CacheOnlyNetwork } from './cache-only-network.js';
import { answerFor, KeptAnswers, plainRequest } from './kept-answers.js';
import { mergeSerializedCache } from './merge-cache.js';
import { appPartitionKey, oboPartitionKey, type TokenFlow, userPartitionKey } from './partition-keys.js';
import { type MeterLike, type WebStats, WebStatsRecorder } from './web-stats.js';

/** msal's `auth` settings, with the authority required (a web app or API always names its tenant). */
export type WebAuthOptions = NodeAuthOptions & { authority: string };

/** Options for {@link WebClients.create}. */
export interface WebClientsOptions {
  /** Where the partitions live: a folder on one server, Redis for a fleet, memory in tests. */
  store: PartitionedStore;
  /** The app registration: client id, a credential, the authority (and its metadata, when you have it). */
  auth: WebAuthOptions;
  /** msal's `system` settings for every application instance (logging, proxy, `networkClient`). */
  system?: NodeSystemOptions;
  /** Receives the cache plugin's warnings, errors and debug lines. Never a token or a raw partition key. */
  logger?: Logger;
  /** How long a write waits for its partition's lock, in milliseconds. Default: the plugin's (15 000). */
  lockTimeoutMs?: number;
  /** How long a token request waits for another process fetching the same token before fetching itself. Default 10 000. */
  flightTimeoutMs?: number;
  /** An OpenTelemetry meter (`metrics.getMeter('@msal-persist/web')`): counters `msal_persist.web.*`. Nothing is loaded without it. */
  meter?: MeterLike;
  /** Client credentials: one partition per resource as well as per tenant. Default false (one per tenant). */
  appPartitionPerResource?: boolean;
  /**
   * How many partitions keep an application instance warm in this process for cache lookups:
   * their cache stays parsed in msal's memory and is read again only when the store says it
   * changed (another request or process wrote it). Least recently used go first. 0: a new instance
   * for every call. Default 1000.
   */
  warmClients?: number;
  /**
   * Bytes of msal's last answers kept in this process, per partition and scope set, to answer a
   * repeated plain request without calling msal while the partition has not changed (least
   * recently used partitions go first). An answer takes about 3.9 KB (its serialized size + 640). 0: none
   * kept. Default 64 MiB.
   */
  keptAnswersMaxBytes?: number;
}

/** An application instance bound to one partition, for the calls this package has no helper for. */
export interface BoundClient {
  readonly app: ConfidentialClientApplication;
  readonly partition: CachePartition;
  readonly cachePlugin: PersistenceCachePlugin;
}

/**
 * A lookup instance (network refused) bound to one partition, and the account it last found there
 * with the partition's stamp at that moment: while the stamp has not moved, the account is still
 * stored, so a hit needs no second cache access to look it up.
 */
interface LookupClient {
  readonly app: ConfidentialClientApplication;
  readonly network: CacheOnlyNetwork;
  readonly partition: CachePartition;
  account: { readonly stamp: string; readonly homeAccountId: string; readonly info: AccountInfo } | undefined;
  /** Calls using the instance now, and ever: an answer is kept only from a call that had it alone. */
  active: number;
  entered: number;
}

/** `acquireTokenSilent` by the `homeAccountId` the session kept (see {@link WebClients.acquireTokenSilent}). */
export type SilentRequest = Omit<SilentFlowRequest, 'account'> & { homeAccountId: string };

function tenantOf(authority: string): string {
  const segment = new URL(authority).pathname.split('/').find(Boolean);
  if (!segment) throw new TypeError(`The authority ${authority} names no tenant: use https://<host>/<tenant id>.`);
  return segment;
}

function resourceOf(scopes: string[]): string | undefined {
  const first = scopes[0] ?? '';
  const slash = first.lastIndexOf('/');
  return slash > 0 ? first.slice(0, slash) : undefined;
}

function flightKey(partitionKey: string, scopes: string[], claims: string | undefined): string {
  const sorted = [...new Set(scopes.map((scope) => scope.toLowerCase()))].sort().join(' ');
  return claims ? `${partitionKey}\n${sorted}\n${claims}` : `${partitionKey}\n${sorted}`;
}

/**
 * msal-node for web apps and APIs: a token cache per signed-in user, per on-behalf-of caller and
 * per app + tenant in a {@link PartitionedStore}; `ConfidentialClientApplication` instances bound
 * to one partition each (no network call to build one: the authority metadata is read once), kept
 * warm for cache lookups of recently used partitions; and one token request per (partition,
 * scopes) at a time for every process sharing the store.
 *
 * @example
 * ```ts
 * const clients = await WebClients.create({ store, auth: { clientId, clientSecret, authority } });
 * const result = await clients.acquireTokenOnBehalfOf({ oboAssertion: bearer, scopes: ['https://graph.microsoft.com/User.Read'] });
 * ```
 */
export class WebClients {
  private readonly stats_: WebStatsRecorder;
  // Insertion order is recency: a hit moves its entry to the end, the first entry goes first.
  private readonly warm = new Map<string, LookupClient>();
  private readonly maxWarm: number;
  private readonly answers: KeptAnswers;

  private constructor(
    private readonly options: WebClientsOptions,
    private readonly metadata: AuthorityMetadata,
    maxWarm: number,
    maxAnswerBytes: number,
  ) {
    this.stats_ = new WebStatsRecorder(options.meter);
    this.maxWarm = maxWarm;
    this.answers = new KeptAnswers(maxAnswerBytes);
  }

  /**
   * Reads the authority's metadata once (nothing when `auth` carries it), then hands out clients.
   * Rejects with `NotAvailable` when the metadata cannot be read.
   *
   * @example
   * ```ts
   * const clients = await WebClients.create({ store: new MemoryPartitionedStore(), auth: { clientId, clientSecret, authority } });
   * ```
   */
  static async create(options: WebClientsOptions): Promise<WebClients> {
    const maxWarm = checkNumberOption('warmClients', options.warmClients, 1000, { min: 0 });
    const maxAnswerBytes = checkNumberOption('keptAnswersMaxBytes', options.keptAnswersMaxBytes, 64 * 1024 * 1024, {
      min: 0,
    });
    const metadata = await resolveAuthorityMetadata(options.auth, options.system?.networkClient);
    return new WebClients(options, metadata, maxWarm, maxAnswerBytes);
  }

  /** The app's client id. */
  get clientId(): string {
    return this.options.auth.clientId;
  }

  /**
   * A new application instance bound to the partition `key` (see the `*PartitionKey` functions).
   * It makes no network call until a token must be requested.
   *
   * @example
   * ```ts
   * const { app } = clients.clientFor(userPartitionKey(clients.clientId, homeAccountId));
   * const accounts = await app.getTokenCache().getAllAccounts();
   * ```
   */
  clientFor(key: string): BoundClient {
    return this.bind(key, this.options.system?.networkClient);
  }

  /**
   * On-behalf-of: a token for a downstream API for the caller of `oboAssertion`, from the caller's
   * partition (SHA-256 of the assertion) when it holds one. msal-node's own call never reads the
   * cache plugin before its lookup; this loads the partition first.
   *
   * @example
   * ```ts
   * const { accessToken, fromCache } = await clients.acquireTokenOnBehalfOf({ oboAssertion: bearer, scopes });
   * ```
   */
  async acquireTokenOnBehalfOf(request: OnBehalfOfRequest): Promise<AuthenticationResult> {
    const key = oboPartitionKey(this.clientId, request.oboAssertion);
    const plain = plainRequest(request, 'oboAssertion');
    const answered = plain ? await this.keptAnswer(key, request.scopes, request.correlationId) : undefined;
    if (answered) return this.answered('obo', answered);
    return this.acquire('obo', key, request.scopes, request.claims, true, plain, (app) =>
      app.acquireTokenOnBehalfOf(request),
    );
  }

  /**
   * Client credentials: an app token from the partition of client id + tenant (+ resource with
   * `appPartitionPerResource`).
   *
   * @example
   * ```ts
   * const { accessToken } = await clients.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
   * ```
   */
  async acquireTokenByClientCredential(request: ClientCredentialRequest): Promise<AuthenticationResult> {
    const tenant = tenantOf(request.authority ?? this.options.auth.authority);
    const scopes = request.scopes ?? [];
    const resource = this.options.appPartitionPerResource ? resourceOf(scopes) : undefined;
    const key = appPartitionKey(this.clientId, tenant, resource);
    const plain = plainRequest(request, 'scopes');
    const answered = plain ? await this.keptAnswer(key, scopes, request.correlationId) : undefined;
    if (answered) return this.answered('app', answered);
    return this.acquire('app', key, scopes, request.claims, false, plain, (app) =>
      app.acquireTokenByClientCredential(request),
    );
  }

  /**
   * The URL to send a user to for sign-in (auth-code flow). No partition is involved yet.
   *
   * @example
   * ```ts
   * res.redirect(await clients.getAuthCodeUrl({ scopes, redirectUri, state, codeChallenge, codeChallengeMethod: 'S256' }));
   * ```
   */
  getAuthCodeUrl(request: AuthorizationUrlRequest): Promise<string> {
    return this.unbound().getAuthCodeUrl(request);
  }

  /**
   * Redeems the code the identity provider redirected back with, and stores the tokens in the
   * user's partition (client id + home account id), merged with what it already holds, under its
   * lock. Keep `result.account.homeAccountId` in the session: it is what later calls need.
   *
   * @example
   * ```ts
   * const result = await clients.acquireTokenByCode({ code, scopes, redirectUri, codeVerifier });
   * req.session.homeAccountId = result.account?.homeAccountId;
   * ```
   */
  async acquireTokenByCode(request: AuthorizationCodeRequest): Promise<AuthenticationResult> {
    // The partition is known only from the response, so the code is redeemed in an instance with
    // an empty memory-only cache, and the new entries are then written into the user's partition
    // through its cache plugin (lock, reload, merge, atomic save).
    const app = this.unbound();
    const result = await app.acquireTokenByCode(request);
    this.stats_.tokenRequest('user');
    const homeAccountId = result.account?.homeAccountId;
    if (!homeAccountId)
      throw new TypeError('The token response carries no account (client_info): cannot file it under a user.');
    const fresh = app.getTokenCache().serialize();
    const { cachePlugin } = this.bind(userPartitionKey(this.clientId, homeAccountId), undefined);
    let stored = '';
    const tokenCache = {
      serialize: () => mergeSerializedCache(stored, fresh),
      deserialize: (text: string) => {
        stored = text;
      },
    };
    const context: CacheContext = { cacheHasChanged: true, tokenCache };
    try {
      await cachePlugin.beforeCacheAccess(context);
    } finally {
      // As msal does: afterCacheAccess also after a failed beforeCacheAccess, so the lock is released.
      await cachePlugin.afterCacheAccess(context);
    }
    return result;
  }

  /**
   * A signed-in user's token, silently: from the user's partition, or by redeeming the refresh
   * token there (one request for the whole fleet). Resolves `null` when the partition holds no
   * such account (never signed in here, or signed out): send the user to sign in.
   *
   * @example
   * ```ts
   * const result = await clients.acquireTokenSilent({ homeAccountId: req.session.homeAccountId, scopes });
   * if (!result) return res.redirect('/sign-in');
   * ```
   */
  async acquireTokenSilent(request: SilentRequest): Promise<AuthenticationResult | null> {
    const { homeAccountId, ...rest } = request;
    const key = userPartitionKey(this.clientId, homeAccountId);
    const plain = plainRequest(rest, 'homeAccountId');
    const answered = plain ? await this.keptAnswer(key, request.scopes, request.correlationId) : undefined;
    if (answered) return this.answered('user', answered);
    const account = await this.accountIn(this.lookupClient(key), homeAccountId);
    if (!account) return null;
    const silent: SilentFlowRequest = { ...rest, scopes: request.scopes, account };
    return this.acquire('user', key, request.scopes, request.claims, false, plain, (app) =>
      app.acquireTokenSilent(silent),
    );
  }

  /**
   * Signs a user out of this app's token cache: deletes the user's partition (under its lock, for
   * every process sharing the store). Clearing the session and the identity provider's own
   * sign-out (`end_session_endpoint`) remain the app's to do.
   *
   * @example
   * ```ts
   * await clients.signOut(req.session.homeAccountId);
   * ```
   */
  async signOut(homeAccountId: string): Promise<void> {
    const key = userPartitionKey(this.clientId, homeAccountId);
    this.warm.delete(key);
    this.answers.forget(key);
    await this.bind(key, undefined).cachePlugin.clear();
    this.stats_.signOut();
  }

  /**
   * A copy of the counters: cache hits and misses, token requests sent by this process, ….
   *
   * @example
   * ```ts
   * app.get('/metrics', (_req, res) => res.json(clients.stats()));
   * ```
   */
  stats(): WebStats {
    return this.stats_.snapshot(this.answers.size());
  }

  private async acquire(
    flow: TokenFlow,
    key: string,
    scopes: string[],
    claims: string | undefined,
    preload: boolean,
    keep: boolean,
    call: (app: ConfidentialClientApplication) => Promise<AuthenticationResult | null>,
  ): Promise<AuthenticationResult> {
    // Read before msal's lookup, as accountIn does: a write in between leaves an older stamp, and
    // the answer kept with it is never served.
    const client = keep ? this.lookupClient(key) : undefined;
    // msal answers from the load its plugin last applied to the instance, and with two calls on the
    // instance at once that may be the older one (the plugin drops a reload a concurrent one
    // overtook): only a call that had the instance to itself answers from what it loaded itself.
    const alone = client && client.active === 0 ? client.entered : undefined;
    const stamp = client ? await this.stampOf(client.partition) : undefined;
    const run = async (app: ConfidentialClientApplication) => {
      // msal's on-behalf-of lookup reads msal's memory without asking the cache plugin first.
      if (preload) await app.getTokenCache().getAllAccounts();
      const result = await call(app);
      if (!result) throw new TypeError('msal returned no token and no error.');
      return result;
    };
    let lookups = 0;
    const { value, source, joined } = await singleFlight<AuthenticationResult>({
      store: this.options.store,
      key: flightKey(key, scopes, claims),
      ...(this.options.flightTimeoutMs === undefined ? {} : { lockTimeoutMs: this.options.flightTimeoutMs }),
      lookup: async () => {
        lookups++;
        // The instance the stamp was read for (kept warm or not), so that its answer can be kept.
        const lookup = lookups === 1 && client ? client : this.lookupClient(key);
        const { network } = lookup;
        const before = network.requests;
        try {
          return await this.using(lookup, () => run(lookup.app));
        } catch (error) {
          // A concurrent lookup on the same instance may have moved the count: then this call
          // fetches, and the fetch (msal with the network) reports the real error again.
          if (network.requests !== before) return undefined;
          throw error;
        }
      },
      fetch: async () => {
        const result = await run(this.bind(key, this.options.system?.networkClient).app);
        if (!result.fromCache) this.stats_.tokenRequest(flow);
        return result;
      },
    });
    if (source === 'cache' && lookups === 1 && !joined) {
      this.stats_.hit(flow);
      // The lookup instance answered from the cache it read at `stamp` or later, and no other
      // call used it meanwhile.
      const unshared = client !== undefined && alone !== undefined && client.entered === alone + 1;
      if (unshared && stamp !== undefined && value.fromCache)
        this.answers.keep(client.partition, flightKey('', scopes, undefined), stamp, value);
    } else {
      this.stats_.miss(flow);
      if (joined || source === 'cache') this.stats_.servedByOtherFlight(flow);
    }
    return value;
  }

  /**
   * The answer msal last gave from partition `key` for these scopes, as the caller's own copy, when
   * the partition has not moved since and msal would still serve that token: a hit then costs a
   * stamp check, no msal call, whether or not the partition keeps a warm instance.
   */
  private async keptAnswer(
    key: string,
    scopes: string[],
    correlationId: string | undefined,
  ): Promise<AuthenticationResult | undefined> {
    const found = this.answers.find(key, flightKey('', scopes, undefined), Date.now());
    if (!found || (await this.stampOf(found.partition)) !== found.answer.stamp) return undefined;
    return answerFor(found.answer, correlationId);
  }

  /** Runs a cache access on a lookup instance, counted (see {@link LookupClient.entered}). */
  private async using<T>(client: LookupClient, access: () => Promise<T>): Promise<T> {
    client.active++;
    client.entered++;
    try {
      return await access();
    } finally {
      client.active--;
    }
  }

  private answered(flow: TokenFlow, result: AuthenticationResult): AuthenticationResult {
    this.stats_.hit(flow);
    this.stats_.keptAnswerHit();
    return result;
  }

  private async stampOf(partition: CachePartition): Promise<string> {
    const pending = partition.persistence.stamp();
    return typeof pending === 'string' ? pending : await pending;
  }

  /**
   * The account `homeAccountId` in the lookup instance's partition, or null. msal's lookup is a
   * cache access of its own (the plugin's stamp check, msal rebuilding its memory from its
   * snapshot); a warm instance skips it while the partition's stamp is the one it found the
   * account at, since then the stored cache is the same. A sign-out, renewal or sign-in anywhere
   * moves the stamp, and the next call looks again.
   */
  private async accountIn(client: LookupClient, homeAccountId: string): Promise<AccountInfo | null> {
    // An instance that is not kept is never asked again: no stamp to remember.
    if (this.maxWarm === 0)
      return this.using(client, () => client.app.getTokenCache().getAccountByHomeId(homeAccountId));
    // Read before msal's lookup: a write in between leaves an older stamp, so the next call looks again.
    const stamp = await this.stampOf(client.partition);
    const known = client.account;
    if (known && known.stamp === stamp && known.homeAccountId === homeAccountId) return known.info;
    const info = await this.using(client, () => client.app.getTokenCache().getAccountByHomeId(homeAccountId));
    client.account = info ? { stamp, homeAccountId, info } : undefined;
    return info;
  }

  /** The partition's warm lookup instance (network refused), or a new one when none is kept. */
  private lookupClient(key: string): LookupClient {
    const found = this.warm.get(key);
    if (found) {
      this.warm.delete(key);
      this.warm.set(key, found);
      return found;
    }
    const network = new CacheOnlyNetwork();
    const { app, partition } = this.bind(key, network);
    const entry: LookupClient = {
      app,
      network,
      partition,
      account: undefined,
      active: 0,
      entered: 0,
    };
    if (this.maxWarm > 0) {
      this.warm.set(key, entry);
      if (this.warm.size > this.maxWarm) this.warm.delete(this.warm.keys().next().value ?? key);
    }
    return entry;
  }

  private bind(key: string, networkClient: INetworkModule | undefined): BoundClient {
    const partition = this.options.store.partition(key);
    const { logger, lockTimeoutMs } = this.options;
    const cachePlugin = new PersistenceCachePlugin({
      persistence: partition.persistence,
      lock: partition.lock,
      ...(logger === undefined ? {} : { logger }),
      ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
    });
    const app = new ConfidentialClientApplication(this.configuration(networkClient, cachePlugin));
    this.stats_.clientBuilt();
    return { app, partition, cachePlugin };
  }

  private unbound(): ConfidentialClientApplication {
    this.stats_.clientBuilt();
    return new ConfidentialClientApplication(this.configuration(this.options.system?.networkClient, undefined));
  }

  private configuration(
    networkClient: INetworkModule | undefined,
    cachePlugin: PersistenceCachePlugin | undefined,
  ): Configuration {
    const { authorityMetadata, cloudDiscoveryMetadata } = this.metadata;
    return {
      auth: {
        ...this.options.auth,
        authorityMetadata,
        ...(cloudDiscoveryMetadata === undefined ? {} : { cloudDiscoveryMetadata }),
      },
      system: { ...this.options.system, ...(networkClient === undefined ? {} : { networkClient }) },
      ...(cachePlugin === undefined ? {} : { cache: { cachePlugin } }),
    };
  }
}
