#!/usr/bin/env node
// `pnpm test`: every package's tests, with the real services they need. On Linux the Secret
// Service tests run against a real gnome-keyring inside a private D-Bus session and the Redis
// tests against a real redis-server, so both must be installed: missing ones are installed here
// when we can (root with apt-get), otherwise we stop at once with the exact command to run.
// Then the Windows lane (scripts/windows-lane.mjs): test/windows/*.test.mjs under the Windows
// node.exe (in Wine on Linux), its counts in the closing summary. A path argument runs only what
// it names: vitest paths, or test/windows[/<file>] for the lane. `--deep` runs the property tests 50
// times as long.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTestServices } from './ensure-test-services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Paths under test/windows select Windows lane files (scripts/windows-lane.mjs); the rest go to vitest.
const isWindowsPath = (arg) => /^(\.\/)?test[\\/]windows([\\/]|$)/.test(arg);
// --deep (`pnpm test:deep`): 50 times the property-test runs, set here so that the script runs
// the same on every OS (an `ENV=1 cmd` prefix is Unix shell syntax).
if (process.argv.includes('--deep')) process.env.MSAL_PERSIST_DEEP = '1';
const allArgs = process.argv.slice(2).filter((arg) => arg !== '--deep');
const windowsArgs = allArgs.filter(isWindowsPath);
const args = allArgs.filter((arg) => !isWindowsPath(arg));
const runVitest = windowsArgs.length === 0 || args.length > 0;
const runWindows = allArgs.length === 0 || windowsArgs.length > 0;

const reportDir = mkdtempSync(join(tmpdir(), 'msal-persist-test-'));
const report = join(reportDir, 'vitest.json');
const vitest = [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...args,
];
// Missing test services stop the run here, before anything starts.
if (runVitest && process.platform === 'linux') ensureTestServices();
// The Windows lane starts first: it packs and installs while vitest runs, and waits for the gate
// (written when vitest is done) to run its tests alone.
const windowsSummary = join(reportDir, 'windows.json');
const gate = join(reportDir, 'vitest-done');
const lane = runWindows
  ? new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          join(root, 'scripts', 'windows-lane.mjs'),
          '--summary',
          windowsSummary,
          ...(runVitest ? ['--start-after', gate] : []),
          ...windowsArgs.map(laneFilter),
        ],
        { stdio: 'inherit', cwd: root },
      );
      child.on('error', (error) => resolve({ status: null, signal: String(error) }));
      child.on('close', (status, signal) => resolve({ status, signal }));
    })
  : undefined;
let result = { status: 0 };
if (!runVitest) {
  // Only Windows lane files were asked for.
} else if (process.platform === 'linux') {
  // Secret Service tests fail when none is reachable (MSAL_PERSIST_SKIP_SECRET_SERVICE=1 skips them,
  // saying so); Redis tests always fail without redis-server.
  const env = { ...process.env };
  result = spawnSync(join(root, 'scripts', 'with-secret-service.sh'), ['pnpm', ...vitest], {
    stdio: 'inherit',
    cwd: root,
    env,
  });
} else {
  result = spawnSync('pnpm', vitest, { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
}
if (result.error) console.error(result.error);
// One plain closing line, so a run that executed no test cannot pass for a green one.
const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
if (runVitest && existsSync(report)) {
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = summary.numPendingTests + summary.numTodoTests;
  // A file that fails to load (a syntax error, a failing import) has no test to count as failed.
  const broken = (summary.testResults ?? []).filter(
    (file) => file.status === 'failed' && !file.assertionResults?.length,
  );
  lines.push(
    `vitest: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped` +
      (broken.length
        ? `; ${broken.length} test file(s) could not run: ${broken.map((file) => file.name).join(', ')}`
        : ''),
  );
  totals.passed += summary.numPassedTests;
  totals.failed += summary.numFailedTests;
  totals.skipped += skipped;
  if (summary.numTotalTests === 0) {
    console.error('No test ran.');
    result.status = 1;
  }
} else if (runVitest) {
  lines.push('vitest: 0 passed, 0 failed (no report)');
  result.status = result.status || 1;
}
// The Windows lane: node.exe under Wine on Linux, the host's node on Windows. Its set-up failures
// (no Wine and no way to install it) count as failures; MSAL_PERSIST_SKIP_WINDOWS=1 skips it, saying so.
if (lane) {
  writeFileSync(gate, '');
  const exit = await lane;
  const windows = existsSync(windowsSummary)
    ? JSON.parse(readFileSync(windowsSummary, 'utf8'))
    : { ran: true, passed: 0, failed: 1, skipped: 0, reason: `the lane crashed (exit ${exit.status ?? exit.signal})` };
  lines.push(
    `windows: ${windows.passed} passed, ${windows.failed} failed, ${windows.skipped} skipped` +
      (windows.reason ? ` (${windows.reason})` : ''),
  );
  totals.passed += windows.passed;
  totals.failed += windows.failed;
  totals.skipped += windows.skipped;
  if (windows.failed > 0) result.status = result.status || 1;
} else {
  lines.push('windows: not run (paths were given; `pnpm test` or `node scripts/test.mjs test/windows` runs it)');
}
console.log(`\n${lines.join('\n')}\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (totals.passed + totals.failed + totals.skipped === 0) {
  console.error('No test ran.');
  result.status = 1;
}
rmSync(reportDir, { recursive: true, force: true });
process.exit(result.status ?? 1);

/** `test/windows/dpapi.test.mjs` → `dpapi.test.mjs`; `test/windows` → every file. */
function laneFilter(arg) {
  return arg.replace(/^(\.\/)?test[\\/]windows[\\/]?/, '');
}
