// The bench measures shipped code: the BUILT packages (dist/), never their sources. It lives
// outside the workspace, so msal-node is resolved from the package that depends on it.
import { createRequire } from 'node:module';
import type * as MsalNode from '../../packages/persistence-file/node_modules/@azure/msal-node/types/index.js';

export * as core from '../../packages/core/dist/index.js';
export * as coreTesting from '../../packages/core/dist/testing/index.js';
export * as file from '../../packages/persistence-file/dist/index.js';

const fromFilePackage = createRequire(new URL('../../packages/persistence-file/package.json', import.meta.url));
export const msal = fromFilePackage('@azure/msal-node') as typeof MsalNode;
export * as msalPlugin from '../../packages/msal-plugin/dist/index.js';
export * as redis from '../../packages/persistence-redis/dist/index.js';
