// How cost grows: writes/s for 1…32 processes on one file; silent-call µs for caches of 10…5 000
// tokens (ours against msal-node with the in-memory plugin); the resident memory of a process
// holding the 5 000-token cache (ours should add under 10 %). Writes bench/scaling.svg.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filePlugin, memoryStringPlugin, publicClient } from '../lib/apps.js';
import { exited, nextLine } from '../lib/child.js';
import { runDescription } from '../lib/environment.js';
import { race } from '../lib/race.js';
import { median, type Row, ratioRow, type Suite } from '../lib/suite.js';
import { svgCharts } from '../lib/svg-chart.js';

const PROCESSES = [1, 2, 4, 8, 16, 32];
const WRITES_EACH = 20;
const TOKENS = [10, 100, 1_000, 5_000];
const chartPath = fileURLToPath(new URL('../scaling.svg', import.meta.url));
const memoryWorker = fileURLToPath(new URL('../workers/memory.mjs', import.meta.url));

/** A real 1-account cache whose access token is cloned to `tokens` tokens for other scopes. */
async function cacheWith(tokens: number): Promise<string> {
  const { app } = publicClient(undefined);
  await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
  const cache = JSON.parse(app.getTokenCache().serialize()) as { AccessToken: Record<string, { target: string }> };
  const [[key, entry] = ['', { target: '' }]] = Object.entries(cache.AccessToken);
  for (let i = 1; i < tokens; i++) {
    const target = `api://scale-${i}/.default`;
    cache.AccessToken[key.replace(entry.target.toLowerCase(), target)] = { ...entry, target };
  }
  return JSON.stringify(cache);
}

/** µs per silent call in this process, through `plugin`, median of interleaved rounds. */
async function silentCall(plugin: Parameters<typeof publicClient>[0]) {
  const { app } = publicClient(plugin);
  const [account] = await app.getTokenCache().getAllAccounts();
  if (!account) throw new Error('scaling: no account in the cache');
  return async (n: number) => {
    const started = performance.now();
    for (let i = 0; i < n; i++) await app.acquireTokenSilent({ scopes: ['User.Read'], account });
    return ((performance.now() - started) * 1000) / n;
  };
}

async function memoryOf(mode: 'ours' | 'memory', cachePath: string): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', memoryWorker, mode, cachePath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { rss } = await nextLine<{ rss: number }>(child);
  await exited(child);
  return rss;
}

const suite: Suite = {
  name: 'scaling',
  async run(): Promise<Row[]> {
    const dir = mkdtempSync(join(tmpdir(), 'msal-bench-scaling-'));
    try {
      const rows: Row[] = [];
      const writes: Array<[number, number]> = [];
      for (const procs of PROCESSES) {
        const { writesPerSec: rate, lost } = await race(join(dir, `writes-${procs}.json`), procs, WRITES_EACH, 'file');
        writes.push([procs, rate]);
        rows.push({
          metric: `writes/s, ${procs} proc${procs > 1 ? 's' : ''} x ${WRITES_EACH} on one file`,
          value: rate,
          unit: 'writes/s',
          target: '0 lost',
          pass: lost === 0,
          note: `lost ${lost}`,
        });
      }

      const ours: Array<[number, number]> = [];
      const memory: Array<[number, number]> = [];
      let biggest = '';
      for (const tokens of TOKENS) {
        const text = await cacheWith(tokens);
        const path = join(dir, `silent-${tokens}.json`);
        writeFileSync(path, text);
        biggest = path;
        const runs = { ours: await silentCall(filePlugin(path)), memory: await silentCall(memoryStringPlugin(text)) };
        const calls = tokens >= 1_000 ? 40 : 300;
        await runs.ours(calls);
        await runs.memory(calls);
        const samples = { ours: [] as number[], memory: [] as number[] };
        for (let round = 0; round < 5; round++) {
          samples.ours.push(await runs.ours(calls));
          samples.memory.push(await runs.memory(calls));
        }
        ours.push([tokens, median(samples.ours)]);
        memory.push([tokens, median(samples.memory)]);
        const row = ratioRow(
          `silent call, ${tokens} tokens in the cache`,
          'µs',
          median(samples.ours),
          'msal-node + in-memory plugin',
          median(samples.memory),
          { max: 1.1 },
          `5 interleaved rounds x ${calls} calls, median`,
        );
        rows.push({ ...row, target: 'info only', pass: undefined });
      }

      const rss = { ours: [] as number[], memory: [] as number[] };
      for (let round = 0; round < 3; round++) {
        rss.ours.push(await memoryOf('ours', biggest));
        rss.memory.push(await memoryOf('memory', biggest));
      }
      rows.push(
        ratioRow(
          'resident memory, 5 000-token cache held',
          'MB',
          median(rss.ours) / 2 ** 20,
          'msal-node + in-memory plugin',
          median(rss.memory) / 2 ** 20,
          { max: 1.1 },
          '3 fresh processes each, after gc, median',
        ),
      );

      writeFileSync(
        chartPath,
        svgCharts(
          [
            {
              title: 'Writes/s, N processes on one cache file',
              xLabel: 'processes (each 20 client-credential writes)',
              yLabel: 'writes/s',
              logX: true,
              series: [{ name: 'FileLock + FilePersistence', color: '#1f77b4', points: writes }],
            },
            {
              title: 'Silent call cost by cache size',
              xLabel: 'access tokens in the cache',
              yLabel: 'µs per silent call',
              logX: true,
              series: [
                { name: 'ours (file plugin)', color: '#1f77b4', points: ours },
                { name: 'msal-node + in-memory plugin', color: '#ff7f0e', points: memory },
              ],
            },
          ],
          `pnpm bench scaling, ${new Date().toISOString().slice(0, 10)}, ${runDescription()}`,
        ),
      );
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
