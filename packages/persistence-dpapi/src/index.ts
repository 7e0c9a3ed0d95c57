export type { DpapiCodecOptions } from './dpapi-codec.js';
export { DpapiCodec } from './dpapi-codec.js';
export type { DpapiNative, DpapiScope } from './dpapi-native.js';
export { DpapiCallError } from './dpapi-native.js';
export type { DpapiPersistenceOptions } from './dpapi-persistence.js';
export { DpapiPersistence } from './dpapi-persistence.js';
export type { KoffiDpapiNativeOptions } from './koffi-dpapi-native.js';
export { KoffiDpapiNative } from './koffi-dpapi-native.js';
