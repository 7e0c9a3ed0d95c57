// Bench worker. `writer <cache> <proc> <count> <file|naive>`: builds a daemon app, prints
// {"ready":true}, waits for "go" on stdin, acquires <count> client-credential tokens for distinct
// scopes, prints {"done":true,"ms","tokens","failures"}.
// `writer <cache> hold`: takes the FileLock, prints {"holding":true}, and waits to be killed.
import { createInterface } from 'node:readline';
import { daemon, filePlugin, naivePlugin } from '../lib/apps.js';
import { file } from '../lib/deps.js';

const [cachePath = '', proc = '0', countArg = '25', kind = 'file'] = process.argv.slice(2);

if (proc === 'hold') {
  await new file.FileLock(`${cachePath}.lockfile`).acquire();
  process.stdout.write(`${JSON.stringify({ holding: true })}\n`);
  setInterval(() => {}, 60_000);
} else {
  const { app } = daemon(kind === 'naive' ? naivePlugin(cachePath) : filePlugin(cachePath));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const tokens: string[] = [];
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < Number(countArg); i++) {
    try {
      const result = await app.acquireTokenByClientCredential({ scopes: [`api://p${proc}-s${i}/.default`] });
      if (result) tokens.push(result.accessToken);
      else failures++;
    } catch {
      failures++;
    }
  }
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ done: true, ms, tokens, failures })}\n`);
  process.exit(0);
}
