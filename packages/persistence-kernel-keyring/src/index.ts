export type { KernelKeyring, KeyringScope } from './kernel-keyring.js';
export { KeyctlError } from './kernel-keyring.js';
export type { KernelKeyringCodecOptions } from './kernel-keyring-codec.js';
export { KernelKeyringCodec } from './kernel-keyring-codec.js';
export type { KernelKeyringPersistenceOptions } from './kernel-keyring-persistence.js';
export { KernelKeyringPersistence } from './kernel-keyring-persistence.js';
export { KoffiKernelKeyring } from './koffi-kernel-keyring.js';
