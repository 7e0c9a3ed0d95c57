#!/usr/bin/env node
// `pnpm test`: every package's tests, with the real services they need. On Linux the Secret
// Service tests run against a real gnome-keyring inside a private D-Bus session and the Redis
// tests against a real redis-server, so both must be installed: missing ones are installed here
// when we can (root with apt-get), otherwise we stop at once with the exact command to run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTestServices } from './ensure-test-services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

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
let result;
if (process.platform === 'linux') {
  ensureTestServices();
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
if (existsSync(report)) {
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = summary.numPendingTests + summary.numTodoTests;
  // A file that fails to load (a syntax error, a failing import) has no test to count as failed.
  const broken = (summary.testResults ?? []).filter(
    (file) => file.status === 'failed' && !file.assertionResults?.length,
  );
  console.log(
    `\n${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped` +
      (broken.length
        ? `; ${broken.length} test file(s) could not run: ${broken.map((file) => file.name).join(', ')}`
        : ''),
  );
  if (summary.numTotalTests === 0) {
    console.error('No test ran.');
    result.status = 1;
  }
} else {
  console.log('\n0 passed, 0 failed');
}
rmSync(reportDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
