import { join } from 'node:path';
import { lockContract, persistenceContract } from '@msal-persist/core/testing';
import { afterAll } from 'vitest';
import { FileLock, FilePersistence } from '../src/index.js';
import { tempDir } from './helpers.js';

const temp = tempDir();
afterAll(() => temp.remove());
let next = 0;

persistenceContract('FilePersistence', () => new FilePersistence(join(temp.dir, `cache-${++next}`, 'msal.json')), {
  reopen: (persistence) => new FilePersistence((persistence as FilePersistence).path),
  isEncrypted: false,
});

lockContract('FileLock', () => new FileLock(join(temp.dir, `lock-${++next}`, 'msal.json.lockfile')), {
  peer: (lock) => new FileLock((lock as FileLock).path),
  verify: true,
});
