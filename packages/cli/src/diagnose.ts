import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { BackendName, PersistenceError } from '@msal-persist/msal-plugin';

/**
 * Why a backend does not work here, as `doctor` reports it (`problem` in `--json`).
 *
 * @example
 * ```ts
 * const problem: Problem = 'no-dbus-session';
 * ```
 */
export type Problem =
  | 'wrong-os'
  | 'no-dbus-session'
  | 'no-secret-service'
  | 'store-locked'
  | 'missing-libsecret'
  | 'keyring-refused'
  | 'access-denied'
  | 'timeout'
  | 'other';

/** A backend that does not work here: why, in the backend's own words, and the fix as one command. */
export interface Diagnosis {
  problem: Problem;
  /** The whole reason, without the backend prefix. */
  reason: string;
  /** One command that fixes it here, or `null` when none does. */
  fix: string | null;
}

/** What the fixes depend on; injectable for tests. */
export interface Host {
  /** `/etc/os-release`'s `ID` and `ID_LIKE` words. */
  distro: string[];
  /** Whether this process runs as root (no `sudo` in the commands). */
  root: boolean;
  /** Whether `gnome-keyring-daemon` is on the PATH. */
  hasGnomeKeyring: boolean;
}

/** This machine, read once. */
export function currentHost(): Host {
  let distro: string[] = [];
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const field = (name: string) => new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(release)?.[1] ?? '';
    distro = `${field('ID')} ${field('ID_LIKE')}`.split(/\s+/).filter(Boolean);
  } catch {
    // Not Linux, or no os-release: the Debian command is the likeliest.
  }
  let hasGnomeKeyring = false;
  try {
    execFileSync('sh', ['-c', 'command -v gnome-keyring-daemon'], { stdio: 'ignore' });
    hasGnomeKeyring = true;
  } catch {
    // Not installed.
  }
  return { distro, root: process.getuid?.() === 0, hasGnomeKeyring };
}

// Package names per distribution family: [Debian/Ubuntu, Fedora/RHEL, Arch, Alpine, openSUSE].
const PACKAGES = {
  libsecret: ['libsecret-1-0', 'libsecret', 'libsecret', 'libsecret', 'libsecret-1-0'],
  'gnome-keyring': ['gnome-keyring', 'gnome-keyring', 'gnome-keyring', 'gnome-keyring', 'gnome-keyring'],
} as const;

/** The install command for `what` on this distribution, with `sudo` unless root. */
export function installCommand(what: keyof typeof PACKAGES, host: Host): string {
  const [debian, fedora, arch, alpine, suse] = PACKAGES[what];
  const is = (...ids: string[]) => ids.some((id) => host.distro.includes(id));
  const command = is('fedora', 'rhel', 'centos')
    ? `dnf install -y ${fedora}`
    : is('arch')
      ? `pacman -S --noconfirm ${arch}`
      : is('alpine')
        ? `apk add ${alpine}`
        : is('suse', 'opensuse')
          ? `zypper install -y ${suse}`
          : `apt-get install -y ${debian}`;
  return host.root ? command : `sudo ${command}`;
}

const START_KEYRING =
  'dbus-run-session -- sh -c \'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec YOUR_APP\'';
const UNLOCK_KEYRING = 'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --replace';
const ALLOW_KEYRING =
  "docker run --security-opt seccomp=PROFILE.json … (Docker's default profile with add_key and keyctl allowed)";

/** The error and everything it was caused by. */
function chain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.includes(current) && seen.length < 8) {
    seen.push(current);
    if (current instanceof AggregateError) seen.push(...current.errors);
    current = (current as { cause?: unknown }).cause;
  }
  return seen;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** True when an error in the chain is named `name` and `test` accepts it. */
function has(errors: unknown[], name: string, test: (error: unknown) => boolean = () => true): boolean {
  return errors.some((error) => error instanceof Error && error.name === name && test(error));
}

/**
 * Why `backend`'s probe failed, from the error's code and its causes (the GError libsecret
 * reported, the errno of a keyring syscall), with one command that fixes it on this host.
 *
 * @example
 * ```ts
 * diagnose('libsecret', error, currentHost()); // { problem: 'no-dbus-session', reason: 'No D-Bus session bus: …', fix: 'dbus-run-session -- …' }
 * ```
 */
export function diagnose(backend: BackendName, error: PersistenceError, host: Host): Diagnosis {
  const reason = error.message.replace(`[${error.backend}] `, '');
  const errors = chain(error);
  const text = errors.map((each) => (each instanceof Error ? each.message : '')).join('\n');
  const gerror = (domain: string, codes: number[]) => (each: unknown) =>
    field(each, 'domain') === domain && codes.includes(Number(field(each, 'code')));
  const diagnosis = (problem: Problem, fix: string | null): Diagnosis => ({ problem, reason, fix });

  if (error.code === 'StoreLocked' || has(errors, 'LibsecretCallError', gerror('secret-error', [2]))) {
    return diagnosis('store-locked', UNLOCK_KEYRING);
  }
  if (/libsecret is not installed|Cannot load libsecret/.test(text)) {
    return diagnosis('missing-libsecret', installCommand('libsecret', host));
  }
  if (/No D-Bus session bus/.test(text)) return diagnosis('no-dbus-session', START_KEYRING);
  // SERVICE_UNKNOWN, NAME_HAS_NO_OWNER: a bus, but nothing answers org.freedesktop.secrets.
  if (has(errors, 'LibsecretCallError', gerror('g-dbus-error-quark', [2, 3])) || /No Secret Service runs/.test(text)) {
    return diagnosis(
      'no-secret-service',
      host.hasGnomeKeyring
        ? 'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets'
        : installCommand('gnome-keyring', host),
    );
  }
  if (
    backend === 'kernel-keyring' &&
    (has(errors, 'KeyctlError', (each) => ['EPERM', 'EACCES', 'ENOSYS'].includes(String(field(each, 'code')))) ||
      /kernel refused the keyring/.test(text))
  ) {
    return diagnosis('keyring-refused', ALLOW_KEYRING);
  }
  if (error.code === 'AccessDenied') return diagnosis('access-denied', null);
  if (error.code === 'Timeout') return diagnosis('timeout', null);
  return diagnosis('other', null);
}

/**
 * Why a backend cannot work on this OS at all.
 *
 * @example
 * ```ts
 * wrongOs('dpapi', 'linux'); // { problem: 'wrong-os', reason: 'DPAPI is Windows-only (this is linux).', fix: null }
 * ```
 */
export function wrongOs(backend: BackendName, platform: NodeJS.Platform): Diagnosis {
  const only: Partial<Record<BackendName, string>> = {
    dpapi: 'DPAPI is Windows-only',
    keychain: 'The Keychain is macOS-only',
    libsecret: 'The Secret Service backend is Linux-only',
    'kernel-keyring': 'The kernel keyring is Linux-only',
  };
  return { problem: 'wrong-os', reason: `${only[backend] ?? backend} (this is ${platform}).`, fix: null };
}
