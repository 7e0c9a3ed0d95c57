// ───── LINUX: keytar's Secret Service layout ─────────────────────────────────────────────────
// The one place that knows how keytar stored a secret on Linux, which is where
// `@azure/msal-node-extensions` (LibSecretPersistence) and `@azure/identity-cache-persistence`
// kept their users' caches (keytar 7.9.0, src/keytar_posix.cc: schema
// `org.freedesktop.Secret.Generic`, attributes `service` and `account`, label
// `<service>/<account>`, default collection).
//
// Today's LibsecretPersistence (through @napi-rs/keyring) stores under keyring-rs's attributes
// (`service`, `username`) instead, so those caches are not found yet. When
// @msal-persist/persistence-libsecret takes `schema`/`attributes`/`label`, pass
// `keytarSecretItem(service, account)` where the Linux backend is built and set
// `keytarLayoutOnLinux` to `true`: the carry-over tests then run.

/**
 * The Secret Service schema keytar used.
 *
 * @example
 * ```ts
 * KEYTAR_SECRET_SCHEMA; // 'org.freedesktop.Secret.Generic'
 * ```
 */
export const KEYTAR_SECRET_SCHEMA = 'org.freedesktop.Secret.Generic';

/**
 * Whether our Linux backend reads and writes keytar's items yet (see the note at the top of this file).
 *
 * @example
 * ```ts
 * if (!keytarLayoutOnLinux) console.warn('caches written by keytar on Linux are not picked up yet');
 * ```
 */
export const keytarLayoutOnLinux = false;

/**
 * The Secret Service item keytar wrote for a service and account.
 *
 * @example
 * ```ts
 * keytarSecretItem('my-app', 'MSALCache');
 * // { schema: 'org.freedesktop.Secret.Generic', attributes: { service: 'my-app', account: 'MSALCache' }, label: 'my-app/MSALCache' }
 * ```
 */
export function keytarSecretItem(service: string, account: string) {
  return {
    schema: KEYTAR_SECRET_SCHEMA,
    attributes: { service, account },
    label: `${service}/${account}`,
  } as const;
}
