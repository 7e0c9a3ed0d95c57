export type { AuthorityMetadata, AuthorityMetadataSource } from './authority-metadata.js';
export { resolveAuthorityMetadata } from './authority-metadata.js';
export { CacheOnlyNetwork } from './cache-only-network.js';
export { mergeSerializedCache } from './merge-cache.js';
export type { TokenFlow } from './partition-keys.js';
export { appPartitionKey, oboPartitionKey, userPartitionKey } from './partition-keys.js';
export type { BoundClient, SilentRequest, WebAuthOptions, WebClientsOptions } from './web-clients.js';
export { WebClients } from './web-clients.js';
export type { MeterLike, WebStats } from './web-stats.js';
