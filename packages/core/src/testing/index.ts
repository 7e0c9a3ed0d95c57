export type {
  FakeAuthConfig,
  FakeNetworkClient,
  FakeNetworkResponse,
  FakeTokenEndpointCalls,
  FakeTokenEndpointOptions,
  FakeUser,
} from './fake-token-endpoint.js';
export { FakeTokenEndpoint } from './fake-token-endpoint.js';
export type { LockContractOptions } from './lock-contract.js';
export { lockContract } from './lock-contract.js';
export type { PartitionedStoreContractOptions } from './partitioned-store-contract.js';
export { partitionedStoreContract } from './partitioned-store-contract.js';
export type { PersistenceContractOptions } from './persistence-contract.js';
export { persistenceContract } from './persistence-contract.js';
export { errorSurface, findSecretLeaks } from './secret-leaks.js';
