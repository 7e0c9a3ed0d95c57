// One process of a web API fleet for the "popular token expires" rows: prints {"ready":true},
// waits for "go" on stdin, then makes <n> concurrent token calls for one caller and prints how
// many requests this process sent to the token endpoint.
//   web-burst.ts <ours|msal> <obo|silent> <redis url> <incoming token | homeAccountId> <n>
import { createInterface } from 'node:readline';
import { FakeTokenEndpoint } from '../../packages/core/dist/testing/index.js';
import { GRAPH, msalPattern, ourClients, web } from '../lib/web-apps.js';

const [kind, flow, url = '', subject = '', n = '50'] = process.argv.slice(2);
const idp = new FakeTokenEndpoint({ latencyMs: 50 });
const calls = Number(n);

async function ours(): Promise<void> {
  const { store, clients } = await ourClients(idp, url);
  await go();
  await Promise.all(
    Array.from({ length: calls }, () =>
      flow === 'obo'
        ? clients.acquireTokenOnBehalfOf({ oboAssertion: subject, scopes: GRAPH })
        : clients.acquireTokenSilent({ homeAccountId: subject, scopes: ['User.Read'] }),
    ),
  );
  await store.close();
}

async function msalOwn(): Promise<void> {
  const pattern = msalPattern(idp, url);
  const key = flow === 'obo' ? web.oboPartitionKey('bench', subject) : subject;
  await go();
  await Promise.all(
    Array.from({ length: calls }, async () => {
      const app = pattern.appFor(key);
      if (flow === 'obo') return app.acquireTokenOnBehalfOf({ oboAssertion: subject, scopes: GRAPH });
      const account = await app.getTokenCache().getAccountByHomeId(subject);
      if (!account) throw new Error('no account stored for the baseline');
      return app.acquireTokenSilent({ account, scopes: ['User.Read'] });
    }),
  );
  await pattern.close();
}

async function go(): Promise<void> {
  console.log(JSON.stringify({ ready: true }));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === 'go') break;
  lines.close();
}

await (kind === 'ours' ? ours() : msalOwn());
console.log(JSON.stringify({ tokenRequests: idp.calls.token.on_behalf_of + idp.calls.token.refresh_token }));
