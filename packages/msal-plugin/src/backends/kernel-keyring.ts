// For composing by hand: `import { ... } from '@msal-persist/msal-plugin/kernel-keyring'`. A subpath of its own,
// so importing the main entry never loads this backend.
export * from '@msal-persist/persistence-kernel-keyring';
