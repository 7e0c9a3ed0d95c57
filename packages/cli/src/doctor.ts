import {
  type BackendName,
  type CacheLocation,
  cacheLocation,
  createPersistence,
  encryptedBackendsFor,
  isPersistenceError,
  PersistenceError,
} from '@msal-persist/msal-plugin';
import { type Diagnosis, diagnose, type Host, type Problem, wrongOs } from './diagnose.js';
import { withFolderUntouched } from './folder-untouched.js';
import type { Target } from './target.js';

/**
 * One backend as `doctor` found it.
 *
 * @example
 * ```ts
 * const entry: BackendReport = { backend: 'kernel-keyring', encrypted: true, available: true, location };
 * ```
 */
export interface BackendReport {
  backend: BackendName;
  /** True for the OS-encrypted backends; `file` is plaintext (mode 0600). */
  encrypted: boolean;
  /** True when its probe (save, read back, delete beside the cache) passed. */
  available: boolean;
  /** Why not, when not available. */
  problem?: Problem;
  reason?: string;
  fix?: string | null;
  /** Where it keeps this app's cache (not for another OS's backends). */
  location?: CacheLocation;
}

/**
 * What `doctor` prints, as `--json` and as text.
 *
 * @example
 * ```ts
 * if (!report.ok) console.error('no encrypted token cache here');
 * ```
 */
export interface DoctorReport {
  command: 'doctor';
  /** True when an encrypted backend works: `createCachePlugin` succeeds without `allowPlaintextFallback`. */
  ok: boolean;
  platform: NodeJS.Platform;
  appName: string;
  /** This OS's backends in the order `createCachePlugin` tries them, then `file`, then the other OSes'. */
  backends: BackendReport[];
  /** What `createCachePlugin` would use; `null` when nothing works, not even the plaintext file. */
  choice: {
    backend: BackendName;
    encrypted: boolean;
    /** True when it is the plaintext file, used only with `allowPlaintextFallback: true`. */
    needsPlaintextFallback: boolean;
    location: CacheLocation;
  } | null;
}

const OTHER_OSES: NodeJS.Platform[] = ['win32', 'darwin', 'linux'];

/** Probes `backend` as `createCachePlugin` would, forced to it; resolves with why it failed, or `undefined`. */
async function probe(backend: BackendName, placement: Target['placement'], host: Host): Promise<Diagnosis | undefined> {
  try {
    await createPersistence({ ...placement, backend, logger: {} });
    return undefined;
  } catch (error) {
    const typed = isPersistenceError(error)
      ? error
      : new PersistenceError('Io', 'The probe failed; see the cause.', { backend, cause: error });
    return diagnose(backend, typed, host);
  }
}

/**
 * Probes every backend of this OS for the app, one at a time (as `createCachePlugin` would), and
 * says which one an app would get. A missing cache folder is not created: the probes then run in
 * a throwaway folder (see {@link withFolderUntouched}).
 *
 * @example
 * ```ts
 * const report = await doctor(target, currentHost());
 * ```
 */
export async function doctor(target: Target, host: Host): Promise<DoctorReport> {
  const platform = process.platform;
  const own = encryptedBackendsFor(platform);
  const foreign = [
    ...new Set(OTHER_OSES.flatMap((os) => encryptedBackendsFor(os)).filter((backend) => !own.includes(backend))),
  ];
  const backends: BackendReport[] = [];
  await withFolderUntouched(target.placement, async (placement) => {
    for (const backend of [...own, 'file' as const]) {
      const location = cacheLocation(backend, target.placement);
      const failure = await probe(backend, placement, host);
      backends.push({ backend, encrypted: backend !== 'file', available: !failure, ...failure, location });
    }
  });
  for (const backend of foreign) {
    backends.push({ backend, encrypted: true, available: false, ...wrongOs(backend, platform) });
  }
  const chosen = backends.find((entry) => entry.available && entry.location);
  const choice =
    chosen?.location === undefined
      ? null
      : {
          backend: chosen.backend,
          encrypted: chosen.encrypted,
          needsPlaintextFallback: !chosen.encrypted,
          location: chosen.location,
        };
  return { command: 'doctor', ok: choice?.encrypted === true, platform, appName: target.appName, backends, choice };
}
