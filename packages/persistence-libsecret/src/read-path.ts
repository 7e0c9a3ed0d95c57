import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian-style multiarch folders, by Node's architecture name. */
const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
};

/** The calls our libsecret binding makes that older libsecret (before 0.19, e.g. RHEL 8) lacks. */
const BINARY_CALLS = ['secret_password_lookupv_binary_sync', 'secret_password_storev_binary_sync'];

function libraryFile(soname: string): string | undefined {
  const triplet = MULTIARCH[process.arch];
  const folders = [
    ...(triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : []),
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
  return folders.map((folder) => join(folder, soname)).find((path) => existsSync(path));
}

/**
 * Whether a lookup may go to the Secret Service over the bus socket instead of through libsecret:
 * only where libsecret itself would talk to the Secret Service and can write what is read.
 * - Inside Flatpak or Snap, or with `SECRET_BACKEND` set to anything but `service`, libsecret may
 *   keep secrets in a local file of its own; the bus would then show other items than it writes.
 * - The library must be installed where the linker looks, and new enough for the calls our
 *   binding makes (the names are in its dynamic symbol table): a store is never chosen on a read
 *   that libsecret could not follow with a write.
 * `env` is the real environment, which is what libsecret reads.
 */
export function libsecretReadsOverBus(soname: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync('/.flatpak-info') || env.SNAP_NAME) return false;
  if (env.SECRET_BACKEND !== undefined && env.SECRET_BACKEND !== 'service') return false;
  const file = libraryFile(soname);
  if (!file) return false;
  try {
    const library = readFileSync(file);
    return BINARY_CALLS.every((name) => library.includes(`${name}\0`));
  } catch {
    return false;
  }
}
