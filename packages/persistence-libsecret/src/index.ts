export type { KoffiLibsecretNativeOptions } from './koffi-libsecret-native.js';
export { KoffiLibsecretNative } from './koffi-libsecret-native.js';
export type { LibsecretNative, SecretItem } from './libsecret-native.js';
export { LibsecretCallError } from './libsecret-native.js';
export type { LibsecretPersistenceOptions } from './libsecret-persistence.js';
export { LibsecretPersistence } from './libsecret-persistence.js';
export type { SecretServiceEnvironment } from './secret-service-errors.js';
export { mapSecretServiceError } from './secret-service-errors.js';
