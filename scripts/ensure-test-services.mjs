#!/usr/bin/env node
// The Debian packages the tests need on Linux (a real Secret Service; a real Redis, with redis-cli
// to create a Redis Cluster and openssl to make the TLS tests' certificates), in one place for
// `pnpm test` and `.ci/run`: installed when we can (root with apt-get); otherwise we stop at once
// with the exact command to run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NEEDED = [
  ['gnome-keyring-daemon', 'gnome-keyring'],
  ['dbus-run-session', 'dbus'],
  ['dbus-launch', 'dbus-x11'],
  ['redis-server', 'redis-server'],
  ['redis-cli', 'redis-tools'],
  ['openssl', 'openssl'],
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Installs what is missing, or exits 1 with the install line. */
export function ensureTestServices() {
  const missing = NEEDED.filter(([command]) => !has(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(
      `The tests need a real Secret Service, Redis and openssl. Install them, then run pnpm test again:\n\n  sudo ${line}\n`,
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
