import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keytarLayoutOnLinux, LibSecretPersistence } from '../src/compat/index.js';

/** Stores `secret` in the Secret Service as keytar did (see fixtures/keytar-store.py). */
function storeAsKeytar(service: string, account: string, secret: string): void {
  execFileSync('python3', [join(import.meta.dirname, 'fixtures', 'keytar-store.py'), service, account], {
    input: secret,
  });
}

// Runs once LibsecretPersistence can address keytar's items: see src/compat/keytar-layout.ts.
describe.runIf(process.platform === 'linux' && keytarLayoutOnLinux)('Linux carry-over from keytar', () => {
  it('LibSecretPersistence reads the cache @azure/msal-node-extensions left in the Secret Service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msal-plugin-keytar-'));
    const service = `msal-persist-keytar-${process.pid}`;
    try {
      storeAsKeytar(service, 'MSALCache', '{"Account":{}}');
      const persistence = await LibSecretPersistence.create(join(dir, 'cache.json'), service, 'MSALCache');
      expect(await persistence.load()).toBe('{"Account":{}}');
      await persistence.delete();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
