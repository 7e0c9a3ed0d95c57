// Plays a browser against a running web-app: signs <user> in through the first port (following
// the redirects, keeping the cookie), loads / on every port with that session, signs out through
// the last port, then loads / on the first port again. Prints one JSON line.
//
//   pnpm --filter @msal-persist/example-web-app call ada 4100 4101
import { waitForServer } from '../web-api/wait-for-server.js';

let cookie = '';

/** GET with the session cookie, keeping the one the response sets; follows redirects on `port`. */
async function browse(port: string, path: string): Promise<unknown> {
  let url = new URL(path, `http://localhost:${port}`);
  for (let hops = 0; hops < 10; hops++) {
    const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] ?? '';
    const location = response.headers.get('location');
    if (!location) return response.json();
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}

async function main(user: string, ports: string[]): Promise<void> {
  for (const port of ports) await waitForServer(port);
  const first = ports[0] ?? '3000';
  const last = ports.at(-1) ?? first;
  const signIn = await browse(first, `/sign-in?user=${encodeURIComponent(user)}`);
  const pages: unknown[] = [];
  for (const port of ports) pages.push({ port: Number(port), ...((await browse(port, '/')) as object) });
  const session = cookie;
  const signOut = await browse(last, '/sign-out');
  cookie = session; // the browser tab still open on the first process, with the old cookie
  const afterSignOut = await browse(first, '/');
  console.log(JSON.stringify({ user, signIn, pages, signOut, afterSignOut }));
}

const [user = 'ada', ...ports] = process.argv.slice(2);
void main(user, ports.length > 0 ? ports : [process.env.PORT ?? '3000']);
