// A web app (Express 5): auth-code sign-in, the session remembering the account, silent calls
// afterwards from a token cache per user in a folder (CACHE_DIR) or in Redis (REDIS_URL). Several
// processes started side by side, or WORKERS behind one port, share the store: a user signed in
// through one is served by all; signing out in one signs out everywhere. Offline against the fake
// token endpoint, whose sign-in page is GET /dev/authorize?user=<name>.
//
//   PORT=4100 pnpm --filter @msal-persist/example-web-app start
import { randomUUID } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import { FakeTokenEndpoint, fakeTokenClaims } from '@msal-persist/core/fake-token-endpoint';
import { WebClients } from '@msal-persist/web';
import express from 'express';
import { exitWithOneLine } from '../shared/exit-with-one-line.js';
import { listen, openStore, startedWorkers } from '../web-api/web-server.js';
import { readSession, writeSession } from './session.js';

const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-0000000000ab'; // this app's registration (offline)
const SCOPES = ['User.Read'];

async function main(): Promise<void> {
  if (startedWorkers('web-app')) return;
  const store = await openStore('web-app');
  const idp = new FakeTokenEndpoint();
  const clients = await WebClients.create({
    store,
    auth: { ...idp.authConfig(CLIENT_ID), clientSecret: 'offline-demo-secret' },
    system: { networkClient: idp.networkClient },
  });
  const pkce = new CryptoProvider();
  const app = express();

  app.get('/', async (req, res) => {
    const { homeAccountId } = readSession(req);
    const result = homeAccountId ? await clients.acquireTokenSilent({ homeAccountId, scopes: SCOPES }) : null;
    if (!result) {
      // Never signed in, or signed out in another process: the partition is gone.
      if (homeAccountId) writeSession(res, {});
      res.json({ signedIn: false, signIn: '/sign-in?user=<name>' });
      return;
    }
    res.json({ signedIn: true, user: fakeTokenClaims(result.accessToken).name, fromCache: result.fromCache });
  });

  app.get('/sign-in', async (req, res) => {
    const state = randomUUID();
    const { verifier, challenge } = await pkce.generatePkceCodes();
    const authorizeUrl = new URL(
      await clients.getAuthCodeUrl({
        scopes: SCOPES,
        redirectUri: redirectUri(req),
        state,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
      }),
    );
    writeSession(res, { state, verifier });
    // Online this redirects to authorizeUrl. Offline, the fake tenant's sign-in page is ours.
    authorizeUrl.searchParams.set('user', String(req.query.user ?? ''));
    res.redirect(`/dev/authorize${authorizeUrl.search}`);
  });

  // Offline only: the identity provider's sign-in page, signing in ?user=<name> at once.
  app.get('/dev/authorize', (req, res) => {
    const { user, redirect_uri: target, state } = req.query;
    if (typeof user !== 'string' || user === '' || typeof target !== 'string') {
      res.status(400).json({ error: 'open /sign-in?user=<name>' });
      return;
    }
    const back = new URL(target);
    back.searchParams.set('code', idp.authorizationCode(FakeTokenEndpoint.userNamed(user)));
    back.searchParams.set('state', String(state ?? ''));
    res.redirect(back.href);
  });

  app.get('/redirect', async (req, res) => {
    const session = readSession(req);
    if (!session.state || req.query.state !== session.state || typeof req.query.code !== 'string') {
      res.status(400).json({ error: 'sign-in state does not match: open /sign-in again' });
      return;
    }
    const result = await clients.acquireTokenByCode({
      code: req.query.code,
      scopes: SCOPES,
      redirectUri: redirectUri(req),
      ...(session.verifier ? { codeVerifier: session.verifier } : {}),
    });
    writeSession(res, result.account ? { homeAccountId: result.account.homeAccountId } : {});
    res.redirect('/');
  });

  app.get('/sign-out', async (req, res) => {
    const { homeAccountId } = readSession(req);
    if (homeAccountId) await clients.signOut(homeAccountId);
    writeSession(res, {});
    // Online, also send the browser to the tenant's end_session_endpoint.
    res.json({ signedOut: Boolean(homeAccountId) });
  });

  app.get('/metrics', (_req, res) => {
    res.json({ pid: process.pid, store: store.name, encrypted: store.isEncrypted, ...clients.stats() });
  });

  await listen(app, 'web-app', store);
}

function redirectUri(req: express.Request): string {
  return `${req.protocol}://${req.get('host')}/redirect`;
}

// Not a top-level await, so the example also bundles as CommonJS.
void main().catch(exitWithOneLine('web-app'));
