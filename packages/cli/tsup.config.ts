import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base.js';

// A command, not a library: one ESM file with its shebang, no declarations.
export default defineConfig({ ...libraryConfig({ cli: 'src/cli.ts' }), format: ['esm'], dts: false });
