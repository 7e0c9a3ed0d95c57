import { packageProject } from '../vitest.shared.js';

// Checks of the repository as a whole: package metadata, the commands the READMEs print, bundles
// of the examples.
export default packageProject('repo', { include: ['*.test.ts'] });
