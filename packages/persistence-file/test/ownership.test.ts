import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPersistenceError } from '@msal-persist/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilePersistence } from '../src/index.js';
import { tempDir } from './helpers.js';

const isPosix = process.platform !== 'win32';
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
if (isPosix && !isRoot) {
  console.warn('SKIPPED (not root: chown to another uid is impossible): a cache file owned by another user is refused');
}
const forged = '{"Account":{"forged":{"home_account_id":"someone-else","username":"mallory@contoso.test"}}}';

let temp: ReturnType<typeof tempDir>;
beforeEach(() => {
  temp = tempDir();
});
afterEach(() => {
  chmodSync(temp.dir, 0o700);
  temp.remove();
});

/** A folder everybody may write, as /tmp or a shared team folder; `sticky` as /tmp has it. */
function sharedFolder(sticky: boolean): string {
  const shared = join(temp.dir, 'shared');
  mkdirSync(shared);
  chmodSync(temp.dir, 0o755);
  chmodSync(shared, sticky ? 0o1777 : 0o777);
  return shared;
}

const loadError = (persistence: FilePersistence) =>
  persistence.load().then(
    () => undefined,
    (e: unknown) => e,
  );

describe.runIf(isPosix)('FilePersistence reads only a cache file that is ours', () => {
  it.runIf(isRoot)(
    'a file another uid created first in a shared (1777) folder: AccessDenied naming its owner and what to do; its content is never returned',
    async () => {
      const path = join(sharedFolder(true), 'msal.json');
      writeFileSync(path, forged, { mode: 0o600 });
      chownSync(path, NOBODY, NOBODY);
      const error = await loadError(new FilePersistence(path, { logger: {} }));
      expect(isPersistenceError(error, 'AccessDenied')).toBe(true);
      expect((error as Error).message).toContain(`owned by uid ${NOBODY}`);
      expect((error as Error).message).toMatch(/Remove it|choose a cache path/);
    },
  );

  it.each([
    ['0620', 'group'],
    ['0602', 'others'],
    ['0666', 'group'],
  ])('a file of ours with mode %s (writable by %s): AccessDenied naming the mode', async (mode, who) => {
    const path = join(temp.dir, 'msal.json');
    writeFileSync(path, forged);
    chmodSync(path, Number.parseInt(mode, 8));
    const error = await loadError(new FilePersistence(path, { logger: {} }));
    expect(isPersistenceError(error, 'AccessDenied')).toBe(true);
    expect((error as Error).message).toContain(`writable by ${who}`);
    expect((error as Error).message).toContain('chmod go-w');
  });

  it('a symbolic link at the cache path is not followed: Corrupt saying so, not the target content', async () => {
    const target = join(temp.dir, 'elsewhere.json');
    writeFileSync(target, forged, { mode: 0o600 });
    const path = join(temp.dir, 'msal.json');
    symlinkSync(target, path);
    const error = await loadError(new FilePersistence(path, { logger: {} }));
    expect(isPersistenceError(error, 'Corrupt')).toBe(true);
    expect((error as Error).message).toContain('a symbolic link');
  });

  it('our own 0600 file loads as before', async () => {
    const path = join(temp.dir, 'msal.json');
    writeFileSync(path, '{}', { mode: 0o600 });
    expect(new TextDecoder().decode((await new FilePersistence(path).load()) ?? undefined)).toBe('{}');
  });

  it('warns once, through its logger, about a folder others may write without the sticky bit', async () => {
    const path = join(sharedFolder(false), 'msal.json');
    const warnings: string[] = [];
    const persistence = new FilePersistence(path, { logger: { warn: (message) => warnings.push(message) } });
    await persistence.save(new TextEncoder().encode('{}'));
    await persistence.load();
    await persistence.load();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('writable by others');
    expect(warnings[0]).toContain('chmod');
  });

  it('does not warn about a sticky folder owned by us or root (as /tmp), nor about a private one', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    for (const path of [join(sharedFolder(true), 'msal.json'), join(temp.dir, 'msal.json')]) {
      const persistence = new FilePersistence(path, { logger });
      await persistence.save(new TextEncoder().encode('{}'));
      await persistence.load();
    }
    expect(warnings).toEqual([]);
  });
});
