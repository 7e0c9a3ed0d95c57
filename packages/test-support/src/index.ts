export { AllocationLimitExceeded, withAllocationLimit } from './allocation-limit.js';
export type { ByteMutation } from './byte-mutations.js';
export { applyMutations, byteMutations } from './byte-mutations.js';
export { cacheLikePlaintext, decodeFailure, plaintextCacheBytes } from './codec-properties.js';
export { DEBIAN_PYTHON, KEYTAR_WRITER, noSecretService, refuseKeyring } from './linux-stores.js';
export type { NodeFixtureOptions, NodeFixtureRun, NodeScriptOptions, ProcessRun } from './node-fixture.js';
export { nodeCommand, runNodeFixture, runNodeScript, runNodeScriptInTerminal } from './node-fixture.js';
export { propertyRuns, propertyTimeoutMs } from './property-runs.js';
export {
  busWithoutSecretService,
  LOCK_LOGIN_COLLECTION,
  privateSecretService,
  withoutLibsecret,
} from './secret-service-sessions.js';
