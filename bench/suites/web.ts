// Web apps and APIs (issue 23): what building a client per request costs, cache-hit latency as the
// number of stored users grows (ours vs msal-node's per-request DistributedCachePlugin pattern,
// the same redis-server, interleaved), and token-endpoint requests when a popular token is
// missing or expired while 4 processes each serve 50 concurrent requests for it.

import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fakeTokenClaims } from '../../packages/core/dist/fake-token-endpoint.js';
import { FakeTokenEndpoint, type FakeUser } from '../../packages/core/dist/testing/index.js';
import { startRedisServer } from '../../packages/persistence-redis/test/servers/redis-server.js';
import { nextLine, startWorker } from '../lib/child.js';
import { core } from '../lib/deps.js';
import { median, type Row, ratioRow, type Suite } from '../lib/suite.js';
import { API_CLIENT_ID, GRAPH, msalPattern, ourClients, redisClient, web } from '../lib/web-apps.js';

// 100,000 users take a while to store (two stores, sequential batches) and, all kept warm, ≈ 5 GB of
// memory (456 MB per 10,000 users + callers): BENCH_WEB_USERS=100000 adds that row.
const USER_COUNTS = [
  10,
  1_000,
  10_000,
  ...(Number(process.env.BENCH_WEB_USERS) > 10_000 ? [Number(process.env.BENCH_WEB_USERS)] : []),
];
const SAMPLES = 1000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** µs to build a client bound to a partition, and a bare msal app, with metadata (no network). */
async function buildCost(): Promise<Row[]> {
  const idp = new FakeTokenEndpoint();
  const clients = await web.WebClients.create({
    store: new core.MemoryPartitionedStore(),
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' },
    system: { networkClient: idp.networkClient },
    logger: {},
  });
  const { msal } = await import('../lib/deps.js');
  const config = { auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' } };
  const rounds = { ours: [] as number[], bare: [] as number[] };
  for (let round = 0; round < 5; round++) {
    let started = performance.now();
    for (let i = 0; i < 2000; i++) clients.clientFor(`user:${i}`);
    rounds.ours.push(((performance.now() - started) * 1000) / 2000);
    started = performance.now();
    for (let i = 0; i < 2000; i++) new msal.ConfidentialClientApplication(config);
    rounds.bare.push(((performance.now() - started) * 1000) / 2000);
  }
  const row = ratioRow(
    'build a client bound to a partition (clientFor)',
    'µs',
    median(rounds.ours),
    'new ConfidentialClientApplication alone',
    median(rounds.bare),
    { max: 2 },
    `5 rounds x 2000, median; network requests while building: ${idp.calls.total}`,
  );
  return [{ ...row, pass: undefined, target: 'info only' }];
}

/** A signed-in user's serialized cache, to stamp out many users cheaply (oid replaced per user). */
async function template(idp: FakeTokenEndpoint) {
  const { msal } = await import('../lib/deps.js');
  const app = new msal.ConfidentialClientApplication({
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' },
    system: { networkClient: idp.networkClient },
  });
  const user = FakeTokenEndpoint.userNamed('template');
  await app.acquireTokenByCode({
    code: idp.authorizationCode(user),
    scopes: ['User.Read'],
    redirectUri: 'http://localhost/r',
  });
  const text = app.getTokenCache().serialize();
  return (i: number) => {
    const oid = FakeTokenEndpoint.userNamed(`user${i}`).oid;
    return { homeAccountId: `${oid}.${idp.tenantId}`, text: text.replaceAll(user.oid, oid) };
  };
}

/**
 * An on-behalf-of caller's partition as WebClients stores it, to stamp out many callers cheaply:
 * the oid and msal's `userAssertionHash` (SHA-256 of the incoming token, base64url) replaced.
 */
async function oboTemplate(idp: FakeTokenEndpoint) {
  const store = new core.MemoryPartitionedStore();
  const clients = await web.WebClients.create({
    store,
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' },
    system: { networkClient: idp.networkClient },
    logger: {},
  });
  const user = FakeTokenEndpoint.userNamed('obo-template');
  const incoming = idp.issueAccessToken(user, { audience: `api://${API_CLIENT_ID}` });
  await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: GRAPH });
  const stored = await store.partition(web.oboPartitionKey(API_CLIENT_ID, incoming)).persistence.load();
  const text = core.bytesToText(stored ?? new Uint8Array());
  const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
  if (!text.includes(hash(incoming))) throw new Error('the OBO template holds no userAssertionHash to replace');
  return (i: number) => {
    const caller = FakeTokenEndpoint.userNamed(`caller${i}`);
    const assertion = idp.issueAccessToken(caller, { audience: `api://${API_CLIENT_ID}` });
    return {
      assertion,
      key: web.oboPartitionKey(API_CLIENT_ID, assertion),
      text: text.replaceAll(hash(incoming), hash(assertion)).replaceAll(user.oid, caller.oid),
    };
  };
}

/** Full garbage collection, for heap figures (the flag is set at run time, for this process only). */
function collect(): void {
  v8.setFlagsFromString('--expose_gc');
  (runInNewContext('gc') as () => void)();
}

function heapAndBuffers(): number {
  collect();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** Bytes Redis uses for the keys of each side (MEMORY USAGE, summed), and how many keys each has. */
async function redisBytes(
  url: string,
): Promise<{ ours: number; oursKeys: number; theirs: number; theirsKeys: number }> {
  const client = redisClient(url);
  const sums = { ours: 0, oursKeys: 0, theirs: 0, theirsKeys: 0 };
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
      const replies = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const bytes = Number(replies[i]?.[1] ?? 0);
        if (key.startsWith('msal-persist:')) {
          sums.ours += bytes;
          sums.oursKeys++;
        } else {
          sums.theirs += bytes;
          sums.theirsKeys++;
        }
      });
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
  return sums;
}

type Sampler = { ours: () => Promise<unknown>; theirs: () => Promise<unknown> };

/** `SAMPLES` calls of each side, interleaved (ours, theirs, ours, …) after `warmup` unmeasured ones. */
async function interleaved(sampler: Sampler, warmup = 100): Promise<{ ours: number[]; theirs: number[] }> {
  const samples = { ours: [] as number[], theirs: [] as number[] };
  for (let i = 0; i < SAMPLES + warmup; i++) {
    const a = await timed(sampler.ours);
    const b = await timed(sampler.theirs);
    if (i >= warmup) {
      samples.ours.push(a);
      samples.theirs.push(b);
    }
  }
  return samples;
}

function p50p99Rows(label: string, baselineName: string, s: { ours: number[]; theirs: number[] }, note: string): Row[] {
  return [
    ratioRow(`${label} p50`, 'ms', percentile(s.ours, 50), baselineName, percentile(s.theirs, 50), { max: 0.5 }, note),
    ratioRow(`${label} p99`, 'ms', percentile(s.ours, 99), baselineName, percentile(s.theirs, 99), { max: 0.5 }),
  ];
}

const THEIR_SILENT = 'msal-node DistributedCachePlugin, app per request';
const THEIR_OBO = "msal-node's pattern: app per request (its OBO lookup never reads the plugin: a token request each)";

/**
 * Cache hits with N users (and N on-behalf-of callers) stored, once this process has served each
 * of them (steady state: every partition in the L1 and its answer kept), ours
 * vs msal-node's pattern over the same redis-server; plus at 10,000: a process's first request for
 * a user (empty L1), a hit through msal (no kept answer), memory and Redis bytes.
 */
async function hitLatency(url: string): Promise<Row[]> {
  const idp = new FakeTokenEndpoint();
  const userAt = await template(idp);
  const callerAt = await oboTemplate(idp);
  const maxUsers = Math.max(...USER_COUNTS);
  const before = heapAndBuffers();
  // The L1 and the kept answers sized to hold every partition of the run (a user's and a caller's:
  // ≈ 6.5 KB each in the L1 with the entry's overhead, ≈ 2.5 KB charged per answer), the default
  // 1000 warm msal instances: the steady state of a process serving them all.
  const ours = await ourClients(idp, url, {
    keptAnswersMaxBytes: Math.max(64 * 1024 * 1024, 2 * maxUsers * 4096),
    store: { l1MaxBytes: Math.max(64 * 1024 * 1024, 2 * maxUsers * 8192) },
  });
  const theirs = msalPattern(idp, url);
  const rows: Row[] = [];
  const silentP50s: number[] = [];
  const callers: { assertion: string }[] = [];
  let stored = 0;
  const silent = (homeAccountId: string) => ({
    ours: () => ours.clients.acquireTokenSilent({ homeAccountId, scopes: ['User.Read'] }),
    theirs: async () => {
      const app = theirs.appFor(homeAccountId);
      const account = await app.getTokenCache().getAccountByHomeId(homeAccountId);
      if (!account) throw new Error('baseline user missing');
      await app.acquireTokenSilent({ account, scopes: ['User.Read'] });
    },
  });
  const random = (n: number) => Math.floor(Math.random() * n);
  // Worked out once, while the users are stored: a sample times the call, not the stamping of a
  // user's cache text (a 3.7 KB replace) that userAt does.
  const homeIds: string[] = [];
  const homeIdOf = (i: number) => {
    homeIds[i] ??= userAt(i).homeAccountId;
    return homeIds[i];
  };
  try {
    for (const users of USER_COUNTS) {
      const redisBefore = users === 10_000 ? await redisBytes(url) : undefined;
      const fillStarted = performance.now();
      for (let batch = stored; batch < users; batch += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, users - batch) }, async (_, j) => {
            const { homeAccountId, text } = userAt(batch + j);
            const key = web.userPartitionKey(API_CLIENT_ID, homeAccountId);
            await ours.store.partition(key).persistence.save(core.textToBytes(text));
            await theirs.client.set(homeAccountId, text);
          }),
        );
      }
      // What the new users' keys take (the difference), per 10,000 users: the keys of earlier steps and
      // of the on-behalf-of callers are not counted.
      const redisAfter = redisBefore ? await redisBytes(url) : undefined;
      const redisPerUser =
        redisBefore && redisAfter
          ? {
              ours: ((redisAfter.ours - redisBefore.ours) * 10_000) / (users - stored),
              theirs: ((redisAfter.theirs - redisBefore.theirs) * 10_000) / (users - stored),
              oursKeys: ((redisAfter.oursKeys - redisBefore.oursKeys) * 10_000) / (users - stored),
              theirsKeys: ((redisAfter.theirsKeys - redisBefore.theirsKeys) * 10_000) / (users - stored),
            }
          : undefined;
      for (let batch = stored; batch < users; batch += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, users - batch) }, async (_, j) => {
            const caller = callerAt(batch + j);
            callers.push(caller);
            await ours.store.partition(caller.key).persistence.save(core.textToBytes(caller.text));
          }),
        );
      }
      const filledInS = ((performance.now() - fillStarted) / 1000).toFixed(1);
      // This process serves each user and caller once before the measured calls.
      for (let i = stored; i < users; i++) {
        await ours.clients.acquireTokenSilent({ homeAccountId: homeIdOf(i), scopes: ['User.Read'] });
        await ours.clients.acquireTokenOnBehalfOf({ oboAssertion: callers[i]?.assertion ?? '', scopes: GRAPH });
      }
      stored = users;
      // The first step also warms the JIT up (both sides), so that it does not land in the 10-user row.
      const warmup = users === USER_COUNTS[0] ? 2000 : 100;
      // Steady state for the collector too: storing and serving 90,000 more users leaves V8 marking a
      // heap grown by gigabytes for a while, and every allocation meanwhile (both sides') pays for it.
      // A long-running server is past that; one full collection before each step's samples puts
      // every step there.
      collect();
      const s = await interleaved(
        {
          ours: () => silent(homeIdOf(random(users))).ours(),
          theirs: () => silent(homeIdOf(random(users))).theirs(),
        },
        warmup,
      );
      const oboBefore = idp.calls.token.on_behalf_of;
      const obo = await interleaved({
        ours: () =>
          ours.clients.acquireTokenOnBehalfOf({ oboAssertion: callers[random(users)]?.assertion ?? '', scopes: GRAPH }),
        theirs: () => {
          const oboAssertion = callers[random(users)]?.assertion ?? '';
          return theirs
            .appFor(web.oboPartitionKey('bench', oboAssertion))
            .acquireTokenOnBehalfOf({ oboAssertion, scopes: GRAPH });
        },
      });
      const oboRequests = idp.calls.token.on_behalf_of - oboBefore;
      const ourRequests = ours.clients.stats().tokenRequests;
      silentP50s.push(percentile(s.ours, 50));
      const l1 = ours.store.stats().l1;
      rows.push(
        ...p50p99Rows(
          `silent cache hit, ${users} users stored`,
          THEIR_SILENT,
          s,
          `${SAMPLES} calls on random users, interleaved, after this process served each once; stored in ${filledInS} s; L1 ${l1.entries} partitions, ${l1.evictions} evictions`,
        ),
        ...p50p99Rows(
          `on-behalf-of cache hit, ${users} callers stored`,
          THEIR_OBO,
          obo,
          `${SAMPLES} calls on random callers, interleaved; token requests: ${oboRequests} while sampling (ours: ${ourRequests} in the whole run); the baseline's requests go to the in-process fake endpoint, no network latency: a lower bound for it`,
        ),
      );
      if (users === 10_000) {
        const grown = heapAndBuffers() - before;
        const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
        rows.push({
          metric: 'memory of a process per 10,000 users (heap + buffers)',
          value: grown / 1024 / 1024,
          unit: 'MB',
          target: 'info only',
          note:
            `10,000 users + 10,000 on-behalf-of callers served, all kept: L1 ${mb(l1.bytes)} MB (copies + entries), ` +
            `kept answers ${mb(ours.clients.stats().keptAnswers.bytes)} MB charged, 1000 warm msal instances (the default); the baseline keeps nothing`,
        });
        if (redisPerUser) {
          rows.push({
            metric: 'Redis bytes per 10,000 users (MEMORY USAGE)',
            value: redisPerUser.ours / 1024 / 1024,
            unit: 'MB',
            baselineName: 'msal-node DistributedCachePlugin (one key per user)',
            baseline: redisPerUser.theirs / 1024 / 1024,
            ratio: redisPerUser.ours / redisPerUser.theirs,
            target: 'info only',
            note: `${redisPerUser.oursKeys.toFixed(0)} keys vs ${redisPerUser.theirsKeys.toFixed(0)} (the users stored in this step, scaled to 10,000); 3.7 KB of cache per user; ours also keeps a version counter per partition, and an expiry`,
          });
        }
        rows.push(...(await coldAndThroughMsal(idp, url, ours.store, users, homeIdOf, silent)));
      }
    }
    const first = silentP50s[0] ?? 1;
    const tenThousand = silentP50s[USER_COUNTS.indexOf(10_000)] ?? 1;
    const last = silentP50s.at(-1) ?? 1;
    const largest = USER_COUNTS.at(-1) ?? 0;
    rows.push(
      ratioRow(
        `silent p50 flat: ${largest} users vs ${USER_COUNTS[0]}`,
        'ms',
        last,
        `${USER_COUNTS[0]} users`,
        first,
        { max: 1.1 },
        `${USER_COUNTS.length < 4 ? 'the goal names 100,000 users: BENCH_WEB_USERS=100000 adds them; ' : ''}` +
          "10 users' state stays in the CPU's caches between samples, a larger set's does not (bench/README.md)",
      ),
    );
    if (largest > 10_000) {
      rows.push(
        ratioRow(
          `silent p50 flat: ${largest} users vs 10000 (both far beyond a 32 MiB L3 cache)`,
          'ms',
          last,
          '10000 users',
          tenThousand,
          { max: 1.1 },
        ),
      );
    }
  } finally {
    await ours.store.close();
    await theirs.close();
  }
  return rows;
}

/**
 * At 10,000 users: a process's first request for a user (a new store: empty L1, one round trip
 * and one parse of the caller's partition), and a hit through msal (no kept answers, the default
 * 1000 warm instances: the other hits parse the caller's partition from the L1), as after each
 * change of a partition.
 */
async function coldAndThroughMsal(
  idp: FakeTokenEndpoint,
  url: string,
  shared: Awaited<ReturnType<typeof ourClients>>['store'],
  users: number,
  homeIdOf: (i: number) => string,
  silent: (homeAccountId: string) => Sampler,
): Promise<Row[]> {
  const fresh = await ourClients(idp, url);
  const throughMsal = await web.WebClients.create({
    store: shared,
    keptAnswersMaxBytes: 0,
    auth: { ...idp.authConfig(API_CLIENT_ID), clientSecret: 'bench-secret' },
    system: { networkClient: idp.networkClient },
    logger: {},
  });
  const random = () => homeIdOf(Math.floor(Math.random() * users));
  try {
    for (let i = 0; i < users; i++)
      await throughMsal.acquireTokenSilent({ homeAccountId: homeIdOf(i), scopes: ['User.Read'] });
    const cold = await interleaved({
      ours: () => fresh.clients.acquireTokenSilent({ homeAccountId: random(), scopes: ['User.Read'] }),
      theirs: () => silent(random()).theirs(),
    });
    const warmDefault = await interleaved({
      ours: () => throughMsal.acquireTokenSilent({ homeAccountId: random(), scopes: ['User.Read'] }),
      theirs: () => silent(random()).theirs(),
    });
    const info = (row: Row): Row => ({ ...row, target: `info (${row.target})`, pass: undefined });
    return [
      ...p50p99Rows(
        `silent, a process's first request for the user (L1 empty), ${users} stored`,
        THEIR_SILENT,
        cold,
        "a new store and clients: one round trip (version + blob) and a parse of the caller's partition",
      ).map(info),
      ...p50p99Rows(
        `silent cache hit through msal (keptAnswersMaxBytes 0), ${users} users, default warmClients (1000)`,
        THEIR_SILENT,
        warmDefault,
        'as the first hit after a partition changed; every user served once before; 1 in 10 hits finds a warm instance, the others parse the partition from the L1',
      ).map(info),
    ];
  } finally {
    await fresh.store.close();
  }
}

async function burst(url: string, flow: 'obo' | 'silent'): Promise<Row> {
  const idp = new FakeTokenEndpoint({ accessTokenLifetimeSec: 60 }); // msal renews tokens expiring within 5 minutes
  const subjects: Record<'ours' | 'msal', string> = { ours: '', msal: '' };
  if (flow === 'obo') {
    const token = idp.issueAccessToken(FakeTokenEndpoint.userNamed('popular'), { audience: `api://${API_CLIENT_ID}` });
    subjects.ours = token;
    subjects.msal = token;
  } else {
    const ours = await ourClients(idp, url);
    const code = idp.authorizationCode(FakeTokenEndpoint.userNamed('popular-user'));
    const result = await ours.clients.acquireTokenByCode({
      code,
      scopes: ['User.Read'],
      redirectUri: 'http://localhost/r',
    });
    subjects.ours = result.account?.homeAccountId ?? '';
    await ours.store.close();
    const theirs = msalPattern(idp, url);
    const app = theirs.appFor('popular-user-msal');
    const signed = await app.acquireTokenByCode({
      code: idp.authorizationCode(FakeTokenEndpoint.userNamed('popular-user-msal')),
      scopes: ['User.Read'],
      redirectUri: 'http://localhost/r',
    });
    subjects.msal = signed.account?.homeAccountId ?? '';
    await theirs.client.set(subjects.msal, app.getTokenCache().serialize());
    await theirs.close();
  }
  const requests: Record<'ours' | 'msal', number> = { ours: 0, msal: 0 };
  for (const kind of ['ours', 'msal'] as const) {
    const workers = [0, 1, 2, 3].map(() => startWorker('web-burst', [kind, flow, url, subjects[kind], '50']));
    await Promise.all(workers.map((w) => nextLine<{ ready: boolean }>(w, (v) => v.ready === true)));
    const done = workers.map((w) => nextLine<{ tokenRequests: number }>(w, (v) => 'tokenRequests' in v));
    for (const w of workers) w.stdin?.write('go\n');
    requests[kind] = (await Promise.all(done)).reduce((sum, r) => sum + r.tokenRequests, 0);
  }
  return {
    metric: `${flow === 'obo' ? 'on-behalf-of' : 'silent'}: token requests when a popular token ${flow === 'obo' ? 'is missing' : 'expired'}, 4 processes x 50 concurrent`,
    value: requests.ours,
    unit: 'requests',
    baselineName: "msal-node's pattern (app per request + DistributedCachePlugin)",
    baseline: requests.msal,
    target: '1',
    pass: requests.ours === 1,
    note: 'Redis store; fake token endpoint 50 ms per request',
  };
}

/** Entries of a serialized cache whose `home_account_id` is not `homeAccountId`. */
function foreignEntries(text: string, homeAccountId: string): number {
  if (!text) return 0;
  const cache = JSON.parse(text) as Record<string, Record<string, { home_account_id?: string | null }>>;
  let foreign = 0;
  for (const section of ['Account', 'IdToken', 'AccessToken', 'RefreshToken']) {
    for (const entry of Object.values(cache[section] ?? {})) if (entry.home_account_id !== homeAccountId) foreign++;
  }
  return foreign;
}

/**
 * 1,000 users interleaved on shared processes (two store instances, each with its own connection,
 * L1 and 64 warm instances, as two processes of a fleet): signed in by either, then silent and
 * on-behalf-of calls for random users on random instances, 100 at a time. Counts answers whose
 * token names another user, and partitions holding another user's entries. The baseline runs the
 * same silent calls with msal-node's pattern.
 */
async function isolation(url: string): Promise<Row[]> {
  const idp = new FakeTokenEndpoint();
  const processes = [
    await ourClients(idp, url, { warmClients: 64, store: { prefix: 'isolation' } }),
    await ourClients(idp, url, { warmClients: 64, store: { prefix: 'isolation' } }),
  ];
  const theirs = msalPattern(idp, url);
  const users = Array.from({ length: 1000 }, (_, i) => FakeTokenEndpoint.userNamed(`isolated${i}`));
  const homeOf = (user: FakeUser) => `${user.oid}.${idp.tenantId}`;
  const incoming = users.map((user) => idp.issueAccessToken(user, { audience: `api://${API_CLIENT_ID}` }));
  const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)] as T;
  const wrong = { ours: 0, theirs: 0 };
  let answers = 0;
  try {
    for (let batch = 0; batch < users.length; batch += 100) {
      await Promise.all(
        users.slice(batch, batch + 100).map(async (user) => {
          const code = { scopes: ['User.Read'], redirectUri: 'http://localhost/r' };
          await pick(processes).clients.acquireTokenByCode({ ...code, code: idp.authorizationCode(user) });
          await theirs.appFor(homeOf(user)).acquireTokenByCode({ ...code, code: idp.authorizationCode(user) });
        }),
      );
    }
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, j) => {
          const i = Math.floor(Math.random() * users.length);
          const user = users[i] as FakeUser;
          const { clients } = pick(processes);
          const result =
            j % 2 === 0
              ? await clients.acquireTokenSilent({ homeAccountId: homeOf(user), scopes: ['User.Read'] })
              : await clients.acquireTokenOnBehalfOf({ oboAssertion: incoming[i] ?? '', scopes: GRAPH });
          answers++;
          if (!result || fakeTokenClaims(result.accessToken).oid !== user.oid) wrong.ours++;
          if (j % 2 === 0) {
            const app = theirs.appFor(homeOf(user));
            const account = await app.getTokenCache().getAccountByHomeId(homeOf(user));
            const their = account ? await app.acquireTokenSilent({ account, scopes: ['User.Read'] }) : null;
            if (!their || fakeTokenClaims(their.accessToken).oid !== user.oid) wrong.theirs++;
          }
        }),
      );
    }
    // Read back through a new store instance: what Redis holds, not what an L1 remembers.
    const reader = await ourClients(idp, url, { store: { prefix: 'isolation', l1MaxBytes: 0 } });
    const holding = { ours: 0, theirs: 0 };
    try {
      for (const [i, user] of users.entries()) {
        for (const key of [
          web.userPartitionKey(API_CLIENT_ID, homeOf(user)),
          web.oboPartitionKey(API_CLIENT_ID, incoming[i] ?? ''),
        ]) {
          const bytes = await reader.store.partition(key).persistence.load();
          if (foreignEntries(bytes ? core.bytesToText(bytes) : '', homeOf(user)) > 0) holding.ours++;
        }
        if (foreignEntries((await theirs.client.get(homeOf(user))) ?? '', homeOf(user)) > 0) holding.theirs++;
      }
    } finally {
      await reader.store.close();
    }
    const baselineName = "msal-node's pattern (app per request), same silent calls";
    return [
      {
        metric: "isolation: answers carrying another user's token, 1,000 users on 2 shared processes",
        value: wrong.ours,
        unit: 'answers',
        baselineName,
        baseline: wrong.theirs,
        target: '0',
        pass: wrong.ours === 0,
        note: `${answers} answers (silent and on-behalf-of, 100 concurrent, random instance); tokens checked by their oid claim`,
      },
      {
        metric: "isolation: partitions holding another user's entries",
        value: holding.ours,
        unit: 'partitions',
        baselineName,
        baseline: holding.theirs,
        target: '0',
        pass: holding.ours === 0,
        note: "2,000 partitions (a user and an on-behalf-of one per user) read back from Redis, every entry's home_account_id checked",
      },
    ];
  } finally {
    for (const { store } of processes) await store.close();
    await theirs.close();
  }
}

/** Resolves with whether `call` succeeded within `ms`, and how long it took (capped at `ms`). */
async function bounded(call: () => Promise<unknown>, ms: number): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ok = await Promise.race([
    call().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return { ok, ms: Math.min(ms, performance.now() - started) };
}

const OUTAGE_MS = 3000;
const REQUEST_TIMEOUT_MS = 1000;

/**
 * redis-server killed (SIGKILL) while 100 users this process served are called, one request at a
 * time, each side in turn, for OUTAGE_MS afterwards: the share answered and the latency, under
 * each failure policy. A request unanswered after REQUEST_TIMEOUT_MS counts as not served.
 */
async function outage(policy: 'fail-open' | 'fail-closed'): Promise<Row> {
  const server = await startRedisServer();
  const idp = new FakeTokenEndpoint();
  const userAt = await template(idp);
  const ours = await ourClients(idp, server.url, { store: { onUnavailable: policy } });
  const theirs = msalPattern(idp, server.url);
  const results = { ours: [] as { ok: boolean; ms: number }[], theirs: [] as { ok: boolean; ms: number }[] };
  try {
    for (let i = 0; i < 100; i++) {
      const { homeAccountId, text } = userAt(i);
      await ours.store
        .partition(web.userPartitionKey(API_CLIENT_ID, homeAccountId))
        .persistence.save(core.textToBytes(text));
      await theirs.client.set(homeAccountId, text);
      await ours.clients.acquireTokenSilent({ homeAccountId, scopes: ['User.Read'] });
    }
    const tokensBefore = idp.calls.total;
    await server.kill();
    const until = performance.now() + OUTAGE_MS;
    const errors = new Set<string>();
    const loop = async (list: { ok: boolean; ms: number }[], call: (homeAccountId: string) => Promise<unknown>) => {
      while (performance.now() < until) {
        const { homeAccountId } = userAt(Math.floor(Math.random() * 100));
        list.push(await bounded(() => call(homeAccountId), REQUEST_TIMEOUT_MS));
        // A request that fails at once settles in microtasks: without this the other side's timers never run.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // Each side its own sequence of requests, both at once: a slow baseline does not slow ours down.
    await Promise.all([
      loop(results.ours, (homeAccountId) =>
        ours.clients.acquireTokenSilent({ homeAccountId, scopes: ['User.Read'] }).catch((error: unknown) => {
          errors.add(core.isPersistenceError(error) ? error.code : String(error));
          throw error;
        }),
      ),
      loop(results.theirs, async (homeAccountId) => {
        const app = theirs.appFor(homeAccountId);
        const account = await app.getTokenCache().getAccountByHomeId(homeAccountId);
        if (!account) throw new Error('no account: Redis did not answer');
        await app.acquireTokenSilent({ account, scopes: ['User.Read'] });
      }),
    ]);
    const share = (list: { ok: boolean }[]) => (100 * list.filter((r) => r.ok).length) / Math.max(1, list.length);
    const latency = (list: { ms: number }[]) =>
      `p50 ${percentile(
        list.map((r) => r.ms),
        50,
      ).toFixed(2)} / p99 ${percentile(
        list.map((r) => r.ms),
        99,
      ).toFixed(1)} ms`;
    const stats = ours.store.stats();
    return {
      metric: `redis-server killed, ${policy}: share of requests served`,
      value: share(results.ours),
      unit: '%',
      baselineName: "msal-node's pattern (app per request, ioredis defaults)",
      baseline: share(results.theirs),
      target: policy === 'fail-open' ? '100% (every user in the L1)' : 'fails fast: p99 < 50 ms, a typed error',
      pass:
        policy === 'fail-open'
          ? share(results.ours) === 100
          : percentile(
              results.ours.map((r) => r.ms),
              99,
            ) < 50 && [...errors].every((code) => code === 'NotAvailable' || code === 'Timeout'),
      note:
        `${OUTAGE_MS / 1000} s after SIGKILL: ours ${results.ours.length} requests, ${latency(results.ours)}; ` +
        `baseline ${results.theirs.length}, ${latency(results.theirs)} (capped at ${REQUEST_TIMEOUT_MS} ms); ` +
        `breaker opened ${stats.breaker.opened}x, ${stats.failOpen.servedFromMemory} served from memory; ` +
        `token requests ${idp.calls.total - tokensBefore}; errors: ${[...errors].join(', ') || 'none'}`,
    };
  } finally {
    await ours.store.close().catch(() => undefined);
    theirs.client.disconnect();
    await server.stop().catch(() => undefined);
  }
}

const suite: Suite = {
  name: 'web',
  async run(): Promise<Row[]> {
    const server = await startRedisServer();
    try {
      // BENCH_WEB_ROWS=hits: only the cache-hit rows (with BENCH_WEB_USERS=100000, the flat row's run).
      if (process.env.BENCH_WEB_ROWS === 'hits') return await hitLatency(server.url);
      return [
        ...(await buildCost()),
        ...(await hitLatency(server.url)),
        await burst(server.url, 'obo'),
        await burst(server.url, 'silent'),
        ...(await isolation(server.url)),
        await outage('fail-open'),
        await outage('fail-closed'),
      ];
    } finally {
      await server.stop();
    }
  },
};

export default suite;
