// A web API (Express 5) that calls a downstream API on behalf of each caller (OBO), with a token
// cache per caller in a folder (CACHE_DIR) or in Redis (REDIS_URL): run several processes on one
// folder or one Redis and they share it, and ask the identity provider once per token for all.
// Offline against the fake token endpoint; POST /dev/token hands out incoming tokens for a load test.
//
//   PORT=4000 pnpm --filter @msal-persist/example-web-api start
import { FakeTokenEndpoint, fakeTokenClaims } from '@msal-persist/core/fake-token-endpoint';
import { WebClients } from '@msal-persist/web';
import express from 'express';
import { exitWithOneLine } from '../shared/exit-with-one-line.js';
import { listen, openStore, startedWorkers } from './web-server.js';

const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-0000000000a9'; // this API's app registration (offline)
const AUDIENCE = `api://${CLIENT_ID}`;
const DOWNSTREAM_SCOPES = ['https://graph.microsoft.com/User.Read'];

async function main(): Promise<void> {
  if (startedWorkers('web-api')) return;
  const store = await openStore('web-api');
  const idp = new FakeTokenEndpoint({ latencyMs: Number(process.env.IDP_LATENCY_MS ?? 0) });
  const clients = await WebClients.create({
    store,
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'offline-demo-secret' },
    system: { networkClient: idp.networkClient },
  });

  const app = express();
  app.use(express.json());

  // Offline only: what a client app of yours would get from the identity provider to call this API.
  app.post('/dev/token', (req, res) => {
    const user: unknown = req.body?.user;
    if (typeof user !== 'string' || user === '') {
      res.status(400).json({ error: 'send {"user":"<name>"}' });
      return;
    }
    res.json({ token: idp.issueAccessToken(FakeTokenEndpoint.userNamed(user), { audience: AUDIENCE }) });
  });

  app.get('/me', async (req, res) => {
    const bearer = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
    // The fake tokens are unsigned: a real API verifies the signature, issuer and audience first
    // (jose's jwtVerify with the tenant's JWKS), then does exactly what follows.
    const caller = bearer ? callerOf(bearer) : undefined;
    if (!bearer || !caller) {
      res.status(401).json({ error: 'send Authorization: Bearer <a token from POST /dev/token>' });
      return;
    }
    const result = await clients.acquireTokenOnBehalfOf({ oboAssertion: bearer, scopes: DOWNSTREAM_SCOPES });
    // The downstream API would be called with result.accessToken; its claims say whom it is for.
    res.json({ user: caller, downstreamFor: fakeTokenClaims(result.accessToken).name, fromCache: result.fromCache });
  });

  app.get('/metrics', (_req, res) => {
    res.json({ pid: process.pid, store: store.name, encrypted: store.isEncrypted, ...clients.stats() });
  });

  await listen(app, 'web-api', store);
}

/** The caller named by an incoming token, when it is one of this tenant's, for this API, unexpired. */
function callerOf(token: string): string | undefined {
  try {
    const claims = fakeTokenClaims(token);
    return claims.aud === AUDIENCE && claims.exp * 1000 > Date.now() ? claims.name : undefined;
  } catch {
    return undefined;
  }
}

// Not a top-level await, so the example also bundles as CommonJS.
void main().catch(exitWithOneLine('web-api'));
