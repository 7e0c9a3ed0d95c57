export { DEBIAN_PYTHON, KEYTAR_WRITER, noSecretService, refuseKeyring } from './linux-stores.js';
export type { NodeFixtureOptions, NodeFixtureRun } from './node-fixture.js';
export { runNodeFixture } from './node-fixture.js';
