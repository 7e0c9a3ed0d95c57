/**
 * The Windows DPAPI scope, under the name `@azure/msal-node-extensions` exports:
 * `CurrentUser` (only this Windows user can decrypt) or `LocalMachine` (any user of this machine).
 *
 * @example
 * ```ts
 * const scope = DataProtectionScope.CurrentUser;
 * ```
 */
export const DataProtectionScope = {
  CurrentUser: 'CurrentUser',
  LocalMachine: 'LocalMachine',
} as const;

/** One of {@link DataProtectionScope}'s values. */
export type DataProtectionScope = (typeof DataProtectionScope)[keyof typeof DataProtectionScope];
