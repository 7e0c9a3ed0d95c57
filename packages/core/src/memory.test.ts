import { MemoryLock } from './memory-lock.js';
import { MemoryPersistence } from './memory-persistence.js';
import { lockContract, persistenceContract } from './testing/index.js';

// One instance is the whole store, so "another instance over the same store" is the instance itself.
persistenceContract('MemoryPersistence', () => new MemoryPersistence(), { isEncrypted: false, reopen: (p) => p });
lockContract('MemoryLock', () => new MemoryLock(), { peer: (lock) => lock });
