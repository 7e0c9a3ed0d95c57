import { createHash } from 'node:crypto';

/** The three kinds of token cache a web app or API keeps, one partition each. */
export type TokenFlow = 'user' | 'obo' | 'app';

function checkPart(value: string, what: string): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${what} must be a non-empty string`);
}

/**
 * The partition of a signed-in user (auth-code sign-in, then silent calls): client id + the
 * account's `homeAccountId`, the key msal itself files the account under. One partition holds that
 * user's id, access and refresh tokens for this app, and nobody else's; signing out deletes it.
 *
 * @example
 * ```ts
 * userPartitionKey(clientId, result.account.homeAccountId); // 'user:<clientId>:<uid>.<utid>'
 * ```
 */
export function userPartitionKey(clientId: string, homeAccountId: string): string {
  checkPart(clientId, 'clientId');
  checkPart(homeAccountId, 'homeAccountId');
  return `user:${clientId}:${homeAccountId}`;
}

/**
 * The partition of an on-behalf-of caller: client id + the SHA-256 (base64url) of the incoming
 * assertion, as Microsoft.Identity.Web does. The key never carries the token; a new incoming
 * token (the caller's client refreshed it) is a new partition, and the old one expires with its
 * last downstream token.
 *
 * @example
 * ```ts
 * oboPartitionKey(clientId, bearerToken); // 'obo:<clientId>:<43 base64url characters>'
 * ```
 */
export function oboPartitionKey(clientId: string, assertion: string): string {
  checkPart(clientId, 'clientId');
  checkPart(assertion, 'assertion');
  return `obo:${clientId}:${createHash('sha256').update(assertion).digest('base64url')}`;
}

/**
 * The partition of an app token (client credentials): client id + tenant, and the resource when
 * asked (one partition per downstream resource keeps each partition to one token).
 *
 * @example
 * ```ts
 * appPartitionKey(clientId, tenantId); // 'app:<clientId>:<tenantId>'
 * appPartitionKey(clientId, tenantId, 'https://graph.microsoft.com'); // 'app:<clientId>:<tenantId>:https://graph.microsoft.com'
 * ```
 */
export function appPartitionKey(clientId: string, tenantId: string, resource?: string): string {
  checkPart(clientId, 'clientId');
  checkPart(tenantId, 'tenantId');
  return resource === undefined ? `app:${clientId}:${tenantId}` : `app:${clientId}:${tenantId}:${resource}`;
}
