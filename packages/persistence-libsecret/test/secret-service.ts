import { findCredentialsAsync } from '@napi-rs/keyring';
import { LibsecretPersistence } from '../src/index.js';

/** Whether a real Secret Service answers here, and why not. */
export interface SecretServiceProbe {
  ok: boolean;
  reason: string;
}

/** True when the run must reach the Secret Service (scripts/with-secret-service.sh sets it). */
export const secretServiceRequired = process.env.MSAL_PERSIST_REQUIRE_SECRET_SERVICE === '1';

/** A save/load/delete round trip through the real Secret Service, bounded by a timeout. */
export async function probeSecretService(signalPath: string): Promise<SecretServiceProbe> {
  if (process.platform !== 'linux')
    return { ok: false, reason: `the Secret Service backend is Linux-only (${process.platform})` };
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return { ok: false, reason: 'DBUS_SESSION_BUS_ADDRESS is not set' };
  const service = `msal-persist-probe-${process.pid}`;
  const persistence = new LibsecretPersistence({ signalPath, service, timeoutMs: 3_000 });
  try {
    await persistence.save(new Uint8Array([112, 114, 111, 98, 101]));
    const loaded = await persistence.load();
    await persistence.delete();
    if (loaded?.byteLength !== 5) return { ok: false, reason: 'the probe secret did not read back' };
    return { ok: true, reason: 'reachable' };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Deletes every secret stored under `service` (the cache and anything kept aside). */
export async function deleteService(service: string, signalPath: string): Promise<void> {
  const accounts = new Set(['MSALCache']);
  // It decodes passwords as text, which binary test payloads may fail: the main account is known anyway.
  for (const { account } of await findCredentialsAsync(service).catch(() => [])) accounts.add(account);
  for (const account of accounts) await new LibsecretPersistence({ signalPath, service, account }).delete();
}
