// A CLI's start: a fresh process, from its start (imports included) to its first silent token from
// a 1-account cache, ours against the same with a naive file plugin. Over the OS store through
// createCachePlugin (target <= 1.2x) and over the plaintext file through FilePersistence + FileLock
// (target <= 1.05x). The workers are plain JavaScript importing the built packages, as a user's app.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filePlugin, naivePlugin, publicClient } from '../lib/apps.js';
import { exited, nextLine } from '../lib/child.js';
import { msalPlugin } from '../lib/deps.js';
import { median, type Row, ratioRow, type Suite } from '../lib/suite.js';

type Mode = 'naive' | 'file' | 'plugin' | 'plugin-kernel-keyring';
const worker = fileURLToPath(new URL('../workers/start.mjs', import.meta.url));
/**
 * One fresh process of each kind per round. A single start moves by ±15 % on a loaded 2-core VM,
 * more than the gap measured (about 20 ms of 140): 9 rounds let the row move by 0.3× run to run.
 */
const ROUNDS = 21;

/** ms from the worker's start to the end of each step (bench/workers/start.mjs). */
interface Phases {
  imported: number;
  built: number;
  loaded: number;
}

interface Start {
  ms: number;
  backend: string;
  phases: Phases;
}

async function startMs(mode: Mode, cachePath: string): Promise<Start> {
  const child = spawn(process.execPath, [worker, mode, cachePath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const result = await nextLine<Start & { network: number; fromCache: boolean }>(child);
  await exited(child);
  if (result.network !== 0 || !result.fromCache) throw new Error(`start ${mode}: the silent call went to the network`);
  return result;
}

/** Signs one account in through `plugin`, so the store holds a 1-account cache. */
async function seed(plugin: Parameters<typeof publicClient>[0]): Promise<void> {
  const { app } = publicClient(plugin);
  await app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => {} });
}

const suite: Suite = {
  name: 'start',
  async run(): Promise<Row[]> {
    const dir = mkdtempSync(join(tmpdir(), 'msal-bench-start-'));
    try {
      const paths: Record<Mode, string> = {
        naive: join(dir, 'naive.json'),
        file: join(dir, 'file.json'),
        plugin: join(dir, 'plugin', 'msal.cache'),
        'plugin-kernel-keyring': join(dir, 'kernel', 'msal.cache'),
      };
      await seed(naivePlugin(paths.naive));
      await seed(filePlugin(paths.file));
      const os = await msalPlugin.createCachePlugin({
        appName: 'msal-persist-bench',
        cachePath: paths.plugin,
        logger: {},
      });
      await seed(os);
      const modes: Mode[] = ['naive', 'file', 'plugin'];
      if (process.platform === 'linux') {
        await seed(
          await msalPlugin.createCachePlugin({
            appName: 'msal-persist-bench',
            cachePath: paths['plugin-kernel-keyring'],
            backend: 'kernel-keyring',
            logger: {},
          }),
        );
        modes.push('plugin-kernel-keyring');
      }
      const samples = Object.fromEntries(modes.map((mode) => [mode, [] as number[]])) as Record<Mode, number[]>;
      const phases = Object.fromEntries(modes.map((mode) => [mode, [] as Start[]])) as Record<Mode, Start[]>;
      const backends = new Map<Mode, string>();
      for (const mode of modes) await startMs(mode, paths[mode]); // warm the OS file cache
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of modes) {
          const start = await startMs(mode, paths[mode]);
          const { ms, backend } = start;
          samples[mode].push(ms);
          phases[mode].push(start);
          backends.set(mode, backend);
        }
      }
      const naive = median(samples.naive);
      const note = `${ROUNDS} fresh processes each, interleaved, median`;
      // Where a row's time moves: its range and each round's ratio (both processes of a round ran
      // back to back, so load that comes and goes moves them together), and by step, how much
      // longer than the naive process's the median step took.
      const spread = (mode: Mode) => {
        const own = samples[mode];
        const ratios = own.map((ms, i) => ms / (samples.naive[i] ?? ms));
        const range = (values: number[], digits: number) =>
          `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
        const step = (pick: (s: Start) => number) =>
          (median(phases[mode].map(pick)) - median(phases.naive.map(pick))).toFixed(1);
        return (
          `; range ${range(own, 0)} ms (naive ${range(samples.naive, 0)}), per-round ratio ${range(ratios, 2)} ` +
          `(median ${median(ratios).toFixed(2)}); ` +
          `more than naive by step: imports ${step((s) => s.phases.imported)}, plugin ` +
          `${step((s) => s.phases.built - s.phases.imported)}, first read ${step((s) => s.phases.loaded - s.phases.built)}, ` +
          `silent call ${step((s) => s.ms - s.phases.loaded)} ms`
        );
      };
      const rows: Row[] = [
        ratioRow(
          `start to first silent token, createCachePlugin (${backends.get('plugin')})`,
          'ms',
          median(samples.plugin),
          'naive file plugin',
          naive,
          { max: 1.2 },
          note + spread('plugin'),
        ),
        ratioRow(
          'start to first silent token, FilePersistence + FileLock',
          'ms',
          median(samples.file),
          'naive file plugin',
          naive,
          { max: 1.05 },
          note + spread('file'),
        ),
      ];
      if (samples['plugin-kernel-keyring'].length > 0) {
        const row = ratioRow(
          '  same, createCachePlugin (kernel-keyring)',
          'ms',
          median(samples['plugin-kernel-keyring']),
          'naive file plugin',
          naive,
          { max: 1.2 },
          note + spread('plugin-kernel-keyring'),
        );
        rows.push({ ...row, target: 'info only', pass: undefined });
      }
      await os.selection.persistence.delete().catch(() => undefined);
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
