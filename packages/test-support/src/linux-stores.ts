import { join } from 'node:path';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

/**
 * Debian's Python, which has the Debian packages the tests install (`python3-msal-extensions`,
 * `python3-gi`, `python3-seccomp`); not the first `python3` on the PATH, which may be another one.
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** A child environment whose session bus points nowhere: no Secret Service, as over SSH or in a container. */
export const noSecretService = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/msal-persist-no-bus' };

/**
 * A command prefix under which the kernel refuses the keyring syscalls (EPERM), as Docker's
 * default seccomp profile does: `[...refuseKeyring, command, ...args]`.
 */
export const refuseKeyring = [DEBIAN_PYTHON, join(fixtures, 'refuse-keyring.py')];

/**
 * An independent writer and reader of keytar's Secret Service layout (what
 * `@azure/msal-node-extensions` and `@azure/identity-cache-persistence` stored):
 * `DEBIAN_PYTHON KEYTAR_WRITER store|lookup|describe|clear SERVICE ACCOUNT`.
 */
export const KEYTAR_WRITER = join(fixtures, 'keytar_layout.py');
