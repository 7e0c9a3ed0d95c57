export { mapKeychainError } from './keychain-errors.js';
export type { KeychainPersistenceOptions } from './keychain-persistence.js';
export { KeychainPersistence } from './keychain-persistence.js';
