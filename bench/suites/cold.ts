// Cold start: the first silent call in a fresh process on a 300-account cache, file plugin against
// a naive plugin that reads the file on every access. Target <= 1.2x.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicClient } from '../lib/apps.js';
import { exited, nextLine, startWorker } from '../lib/child.js';
import { coreTesting } from '../lib/deps.js';
import { median, type Row, ratioRow, type Suite } from '../lib/suite.js';

const ACCOUNTS = 300;

async function buildCache(path: string): Promise<void> {
  const idp = new coreTesting.FakeTokenEndpoint();
  const { app } = publicClient(undefined, idp);
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = i.toString(16).padStart(12, '0');
    idp.user = { oid: `00000000-0000-4000-8000-${id}`, name: `User ${i}`, username: `user${i}@contoso.test` };
    await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
  }
  writeFileSync(path, app.getTokenCache().serialize(), { mode: 0o600 });
}

async function firstSilentMs(cachePath: string, kind: 'file' | 'naive'): Promise<number> {
  const child = startWorker('cold', [cachePath, kind]);
  const result = await nextLine<{ ms: number; network: number; ok: boolean }>(child);
  await exited(child);
  if (result.network !== 0 || !result.ok) throw new Error(`cold ${kind}: the silent call went to the network`);
  return result.ms;
}

const suite: Suite = {
  name: 'cold',
  async run(): Promise<Row[]> {
    const dir = mkdtempSync(join(tmpdir(), 'msal-bench-cold-'));
    try {
      const cachePath = join(dir, 'msal.json');
      await buildCache(cachePath);
      const file: number[] = [];
      const naive: number[] = [];
      for (let round = 0; round < 5; round++) {
        file.push(await firstSilentMs(cachePath, 'file'));
        naive.push(await firstSilentMs(cachePath, 'naive'));
      }
      return [
        ratioRow(
          `first silent call, ${ACCOUNTS} accounts, fresh process`,
          'ms',
          median(file),
          'naive plugin (reads the file on every access)',
          median(naive),
          { max: 1.2 },
          '5 fresh processes each, median',
        ),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
