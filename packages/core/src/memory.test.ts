import { MemoryLock } from './memory-lock.js';
import { MemoryPersistence } from './memory-persistence.js';
import type { Persistence } from './persistence.js';
import { lockContract, persistenceContract } from './testing/index.js';

// One instance is the whole store, so "another instance over the same store" is the instance itself.
persistenceContract('MemoryPersistence', () => new MemoryPersistence(), { isEncrypted: false, reopen: (p) => p });
lockContract('MemoryLock', () => new MemoryLock(), { peer: (lock) => lock, verify: true });

// A backend without the optional keepAside declares the skip, with its reason, in the report.
function withoutKeepAside(): Persistence {
  const store = new MemoryPersistence();
  return {
    name: store.name,
    isEncrypted: false,
    load: () => store.load(),
    save: (data) => store.save(data),
    delete: () => store.delete(),
    stamp: () => store.stamp(),
  };
}
persistenceContract('A Persistence without keepAside', withoutKeepAside, {
  skip: { keepAside: 'this store cannot move an entry aside' },
});
