import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base.js';

export default defineConfig(
  libraryConfig({
    index: 'src/index.ts',
    'backends/file': 'src/backends/file.ts',
    'backends/dpapi': 'src/backends/dpapi.ts',
    'backends/keychain': 'src/backends/keychain.ts',
    'backends/libsecret': 'src/backends/libsecret.ts',
    'backends/kernel-keyring': 'src/backends/kernel-keyring.ts',
    'compat/index': 'src/compat/index.ts',
    bundling: 'src/bundling.ts',
  }),
);
