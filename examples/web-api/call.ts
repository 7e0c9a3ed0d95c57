// Calls a running web-api as a client app would: gets a token for <user> from the first port's
// POST /dev/token, then GET /me with it on every port, twice, and prints one JSON line with the
// answers and each process's /metrics. Waits up to 60 s for the servers to listen.
//
//   pnpm --filter @msal-persist/example-web-api call ada 4000 4001
import { waitForServer } from './wait-for-server.js';

async function main(user: string, ports: string[]): Promise<void> {
  for (const port of ports) await waitForServer(port);
  const first = ports[0] ?? '3000';
  const issued = await fetch(`http://localhost:${first}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  const { token } = (await issued.json()) as { token: string };
  const answers: unknown[] = [];
  for (const port of ports) {
    for (let i = 0; i < 2; i++) {
      const me = await fetch(`http://localhost:${port}/me`, { headers: { authorization: `Bearer ${token}` } });
      answers.push({ port: Number(port), status: me.status, ...((await me.json()) as object) });
    }
  }
  const metrics: unknown[] = [];
  for (const port of ports) {
    const { tokenRequests, cacheHits } = (await (await fetch(`http://localhost:${port}/metrics`)).json()) as Record<
      string,
      number
    >;
    metrics.push({ port: Number(port), tokenRequests, cacheHits });
  }
  console.log(JSON.stringify({ user, answers, metrics }));
}

const [user = 'ada', ...ports] = process.argv.slice(2);
void main(user, ports.length > 0 ? ports : [process.env.PORT ?? '3000']);
