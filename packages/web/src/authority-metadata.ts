import type { INetworkModule } from '@azure/msal-node';
import { PersistenceError } from '@msal-persist/core';

/** The two documents msal would otherwise fetch for every new application instance. */
export interface AuthorityMetadata {
  /** The authority's OpenID configuration, as JSON (msal's `auth.authorityMetadata`). */
  authorityMetadata: string;
  /** Instance discovery, as JSON (msal's `auth.cloudDiscoveryMetadata`); undefined when `knownAuthorities` lists the host, which needs none. */
  cloudDiscoveryMetadata: string | undefined;
}

/** What {@link resolveAuthorityMetadata} needs from the app's msal settings. */
export interface AuthorityMetadataSource {
  authority: string;
  knownAuthorities?: string[] | undefined;
  authorityMetadata?: string | undefined;
  cloudDiscoveryMetadata?: string | undefined;
}

const INSTANCE_DISCOVERY = 'https://login.microsoftonline.com/common/discovery/instance';

async function getJson(url: string, networkClient: INetworkModule | undefined): Promise<string> {
  if (networkClient) {
    const response = await networkClient.sendGetRequestAsync<unknown>(url);
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    return JSON.stringify(response.body);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return JSON.stringify(await response.json());
}

/**
 * Fetches, once, the metadata msal-node fetches on the first token call of every new
 * `ConfidentialClientApplication` (each instance keeps it only in its own memory), so that an app
 * built per request makes no network call for it. What the settings already carry is used as is;
 * nothing is fetched then. Entra ID authorities (`https://<host>/<tenant>`); for others (B2C, ADFS,
 * CIAM) pass `authorityMetadata` yourself.
 *
 * @example
 * ```ts
 * const metadata = await resolveAuthorityMetadata({ authority: 'https://login.microsoftonline.com/<tenant>' });
 * new ConfidentialClientApplication({ auth: { clientId, clientSecret, authority, ...metadata } });
 * ```
 */
export async function resolveAuthorityMetadata(
  source: AuthorityMetadataSource,
  networkClient?: INetworkModule,
): Promise<AuthorityMetadata> {
  const authority = source.authority.replace(/\/+$/, '');
  const host = new URL(authority).host;
  const needsDiscovery = !source.cloudDiscoveryMetadata && !(source.knownAuthorities ?? []).includes(host);
  try {
    const authorityMetadata =
      source.authorityMetadata ?? (await getJson(`${authority}/v2.0/.well-known/openid-configuration`, networkClient));
    const cloudDiscoveryMetadata = needsDiscovery
      ? await getJson(
          `${INSTANCE_DISCOVERY}?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${authority}/oauth2/v2.0/authorize`)}`,
          networkClient,
        )
      : source.cloudDiscoveryMetadata;
    return { authorityMetadata, cloudDiscoveryMetadata };
  } catch (error) {
    throw new PersistenceError(
      'NotAvailable',
      `Could not read the metadata of authority ${authority}. Check the authority URL and the network, or pass auth.authorityMetadata and auth.cloudDiscoveryMetadata.`,
      { backend: 'web', cause: error },
    );
  }
}
