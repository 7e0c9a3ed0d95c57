export type { LibsecretPersistenceOptions } from './libsecret-persistence.js';
export { LibsecretPersistence } from './libsecret-persistence.js';
export type { SecretServiceEnvironment } from './secret-service-errors.js';
export { mapSecretServiceError } from './secret-service-errors.js';
