export type { SecretStoreOperation } from './memory-secret-store.js';
export { keyringError, MemorySecretStore } from './memory-secret-store.js';
