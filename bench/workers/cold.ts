// Bench worker. `cold <cache> <file|naive>`: in a fresh process, times the first silent call
// (find the account, acquire its token silently) and prints {"ms","network","ok"}.
import { filePlugin, naivePlugin, publicClient } from '../lib/apps.js';

const [cachePath = '', kind = 'file'] = process.argv.slice(2);
const { app, idp } = publicClient(kind === 'naive' ? naivePlugin(cachePath) : filePlugin(cachePath));
const started = performance.now();
const [account] = await app.getTokenCache().getAllAccounts();
if (!account) throw new Error('no account in the cache');
const result = await app.acquireTokenSilent({ scopes: ['User.Read'], account });
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, network: idp.calls.total, ok: result.fromCache })}\n`);
