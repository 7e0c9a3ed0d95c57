import { spawnSync } from 'node:child_process';
import { packageProject } from '../../vitest.shared.js';

// Redis has no native Windows server, so the GitHub Windows runners have none: there, and only
// there, the tests that need a real redis-server are left out, loudly. Everywhere else a missing
// redis-server fails the tests with the command that installs it.
const noServerOnWindows = process.platform === 'win32' && spawnSync('redis-server', ['--version']).error !== undefined;
if (noServerOnWindows) {
  console.warn('persistence-redis: redis-server not installed on Windows; running only the tests that need no server.');
}

export default packageProject(
  'persistence-redis',
  noServerOnWindows
    ? { include: ['test/codec.test.ts', 'test/options.test.ts', 'test/version-watch.test.ts', 'src/**/*.test.ts'] }
    : {},
);
