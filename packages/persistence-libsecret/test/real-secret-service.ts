import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEBIAN_PYTHON } from '@msal-persist/test-support';
import { LibsecretPersistence, type LibsecretPersistenceOptions } from '../src/index.js';
import { secretServiceTestMode } from '../src/testing/index.js';

/** Whether this run must use the real Secret Service (Linux, unless explicitly skipped). */
export const mode = secretServiceTestMode();

const run = promisify(execFile);

/** Why no Secret Service answers here, or `undefined` when a save/load/delete round trip works. */
export async function unreachableReason(signalPath: string): Promise<string | undefined> {
  const persistence = new LibsecretPersistence({
    signalPath,
    service: `msal-persist-probe-${process.pid}`,
    timeoutMs: 5_000,
  });
  try {
    await persistence.save(new TextEncoder().encode('probe'));
    const loaded = await persistence.load();
    await persistence.delete();
    return loaded?.byteLength === 5 ? undefined : 'the probe secret did not read back';
  } catch (error) {
    return (
      `${error instanceof Error ? error.message : String(error)} — run the tests through \`pnpm test\` or ` +
      '`scripts/with-secret-service.sh`, or set MSAL_PERSIST_SKIP_SECRET_SERVICE=1 to skip them'
    );
  }
}

/** Removes the item of these options (the cache; kept-aside copies have their own schema). */
export async function deleteItem(options: LibsecretPersistenceOptions): Promise<void> {
  await new LibsecretPersistence(options).delete();
}

/**
 * Debian's Python, where `python3-gi`, `gir1.2-secret-1` and `python3-msal-extensions` install
 * (a `python3` first on PATH, such as pyenv's, does not see them).
 */
export const SYSTEM_PYTHON = DEBIAN_PYTHON;

/** Runs a Python fixture in a child process under this process's session bus; resolves with its stdout. */
export async function python(script: string, args: string[], input?: string): Promise<string> {
  const child = run(SYSTEM_PYTHON, [script, ...args], { timeout: 30_000, env: process.env });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}
