import type { Options } from 'tsup';

/**
 * Shared build: ESM + CJS with declarations for both, Node 20 target, dependencies external. Our
 * own packages are external too, also msal-plugin's optional (per-OS) ones, which tsup would bundle.
 */
export function libraryConfig(entry: Record<string, string> = { index: 'src/index.ts' }): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    outDir: 'dist',
    external: [/^@msal-persist\//],
  };
}
