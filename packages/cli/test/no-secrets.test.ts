import { join } from 'node:path';
import { findSecretLeaks } from '@msal-persist/core/testing';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliInTerminal, forgetKernelKeyringCache, scratch, signIn } from './run-cli.js';

const linux = process.platform === 'linux';
const mode = secretServiceTestMode();
skippedNotice(mode, 'no token in any output, on the real Secret Service (1 test)');
const space = scratch('secrets');
afterAll(space.cleanup);

/** Every output of every command over one cache: text and JSON, verbose, on a terminal and not. */
async function everyOutput(target: string[], env: Record<string, string>): Promise<string> {
  const runs = [
    await cli(['doctor', '--app-name', space.appName, '--verbose'], { env }),
    await cli(['doctor', '--app-name', space.appName, '--json'], { env }),
    await cli(['inspect', ...target, '--verbose', '--json'], { env }),
    await cli(['inspect', ...target, '--verbose'], { env }),
  ];
  const terminal = await cliInTerminal(['inspect', ...target, '--verbose'], { env });
  const cleared = await cli(['clear', ...target, '--yes', '--json'], { env });
  return [...runs, cleared].map((run) => `${run.stdout}\n${run.stderr}`).join('\n') + terminal.output;
}

function expectNoSecret(output: string, secrets: string[]) {
  // The check finds a token when there is one (guards against a vacuous pass).
  expect(secrets.length).toBeGreaterThanOrEqual(5);
  expect(findSecretLeaks(`listed: ${secrets.join(' ')}`, secrets[0] ?? '')).not.toEqual([]);
  expect(output).toContain('ada@contoso.test');
  expect(secrets.flatMap((secret) => findSecretLeaks(output, secret))).toEqual([]);
}

describe('no command ever prints a token (real caches with access, refresh and id tokens)', () => {
  it('a plaintext cache file', async () => {
    const file = join(space.dir, 'plain.json');
    const { secrets } = await signIn({ CACHE_FILE: file, USERS: 'ada,bo' });
    expectNoSecret(await everyOutput(['--cache-path', file], space.env), secrets);
  });

  it.runIf(linux)('the kernel keyring', async () => {
    const app = `${space.appName}-kk`;
    try {
      const { secrets } = await signIn({ ...space.env, APP_NAME: app, BACKEND: 'kernel-keyring', USERS: 'ada,bo' });
      expectNoSecret(await everyOutput(['--app-name', app, '--backend', 'kernel-keyring'], space.env), secrets);
    } finally {
      await forgetKernelKeyringCache(join(space.dir, app, 'msal.cache.kernel-keyring'));
    }
  });

  it.runIf(linux && mode.run)('the Secret Service', async () => {
    const { secrets, backend } = await signIn({ ...space.env, APP_NAME: space.appName, USERS: 'ada,bo' });
    expect(backend).toBe('libsecret');
    expectNoSecret(await everyOutput(['--app-name', space.appName], space.env), secrets);
  });
});
