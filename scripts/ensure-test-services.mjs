#!/usr/bin/env node
// The Debian packages the tests need on Linux (a real Secret Service and a real Redis), in one
// place for `pnpm test` and `.ci/run`: installed when we can (root with apt-get); otherwise we stop
// at once with the exact command to run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// [a shell check that succeeds when present, the Debian package]
const NEEDED = [
  ['command -v gnome-keyring-daemon', 'gnome-keyring'],
  ['command -v dbus-run-session', 'dbus'],
  ['command -v dbus-launch', 'dbus-x11'],
  ['command -v redis-server', 'redis-server'],
  // The seed's Python library, a second writer of the same cache file (Debian's own python3).
  ['/usr/bin/python3 -c "import msal_extensions"', 'python3-msal-extensions'],
];

const has = (check) => spawnSync('sh', ['-c', check], { stdio: 'ignore' }).status === 0;

/** Installs what is missing, or exits 1 with the install line. */
export function ensureTestServices() {
  const missing = NEEDED.filter(([check]) => !has(check)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(
      `The tests need a real Secret Service, Redis and the Python MSAL extensions. Install them, then run pnpm test again:\n\n  sudo ${line}\n`,
    );
    process.exit(1);
  }
  console.log(`Installing test services: ${line}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('sh', ['-c', line], { stdio: 'inherit', env });
  if (result.status !== 0) {
    result = spawnSync('sh', ['-c', `apt-get update -qq && ${line}`], { stdio: 'inherit', env });
  }
  if (result.status !== 0) {
    console.error(`Could not install ${missing.join(', ')}. Run this and try again:\n\n  ${line}\n`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.platform === 'linux') ensureTestServices();
