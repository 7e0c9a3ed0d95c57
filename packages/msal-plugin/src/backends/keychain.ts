// For composing by hand: `import { ... } from '@msal-persist/msal-plugin/keychain'`. A subpath of its own,
// so importing the main entry never loads this backend.
export * from '@msal-persist/persistence-keychain';
