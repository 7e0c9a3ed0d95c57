import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PYTHON, KEYTAR_WRITER } from '@msal-persist/test-support';
import { describe, expect, it } from 'vitest';
import { LibSecretPersistence } from '../src/compat/index.js';

/** Stores `secret` in the Secret Service as keytar did. Debian's python3 has python3-gi. */
function storeAsKeytar(service: string, account: string, secret: string): void {
  execFileSync(DEBIAN_PYTHON, [KEYTAR_WRITER, 'store', service, account], { input: secret });
}

describe.runIf(process.platform === 'linux')('Linux carry-over from keytar', () => {
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
