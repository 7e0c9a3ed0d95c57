#!/usr/bin/env node
// The Debian packages the tests need on Linux, in one place for `pnpm test` and `.ci/run`: a real
// Secret Service (gnome-keyring in a private D-Bus session), libsecret, a real Redis (redis-cli to
// create a Redis Cluster, openssl for the TLS tests' certificates), the kernel keyring tools, and
// the other writers the interop tests run (Python's libsecret binding for keytar's layout, the
// seed's python3-msal-extensions, libseccomp to refuse keyring syscalls as a container does).
// Installed when we can (root with apt-get); otherwise we stop at once with the exact command to run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Debian's own Python: the python3-* packages install for it, not for a pyenv python3 on PATH.
const PY = '/usr/bin/python3';

/** [shell check that passes when present, Debian package] */
const NEEDED = [
  ['command -v gnome-keyring-daemon', 'gnome-keyring'],
  ['command -v dbus-run-session', 'dbus'],
  ['command -v dbus-launch', 'dbus-x11'],
  ['command -v gdbus', 'libglib2.0-bin'],
  ['ls /usr/lib/*/libsecret-1.so.0 /usr/lib/libsecret-1.so.0 2>/dev/null | grep -q .', 'libsecret-1-0'],
  ['command -v redis-server', 'redis-server'],
  ['command -v redis-cli', 'redis-tools'],
  ['command -v openssl', 'openssl'],
  ['command -v keyctl', 'keyutils'],
  ['command -v setpriv', 'util-linux'],
  [`${PY} -c 'import gi'`, 'python3-gi'],
  [`${PY} -c "import gi; gi.require_version('Secret', '1')"`, 'gir1.2-secret-1'],
  [`${PY} -c 'import msal_extensions'`, 'python3-msal-extensions'],
  [`${PY} -c 'import seccomp'`, 'python3-seccomp'],
];

const passes = (check) => spawnSync('sh', ['-c', check], { stdio: 'ignore' }).status === 0;
const has = (command) => passes(`command -v ${command}`);

/** Installs what is missing, or exits 1 with the install line. */
export function ensureTestServices() {
  const missing = NEEDED.filter(([check]) => !passes(check)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(
      `The tests need a real Secret Service, Redis, openssl, keyutils and the Python MSAL extensions. Install them, then run pnpm test again:\n\n  sudo ${line}\n`,
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
