import { afterAll, describe, expect, it } from 'vitest';
import { createPersistence } from '../src/index.js';
import { encryptedTarget, runClient, scratch } from './run-client.js';

const target = encryptedTarget('msal-plugin daemon e2e');
const spaces: Array<ReturnType<typeof scratch>> = [];
function daemonEnv(label: string) {
  const space = scratch(label);
  spaces.push(space);
  return { ...space.env, ...target.env };
}

afterAll(async () => {
  for (const space of spaces) {
    try {
      const { persistence } = await createPersistence({
        cachePath: space.env.CACHE_PATH,
        accountName: space.env.ACCOUNT_NAME,
        serviceName: space.env.SERVICE_NAME,
        backend: target.backend,
        logger: {},
      });
      await persistence.delete();
    } finally {
      space.cleanup();
    }
  }
});

describe('confidential client (daemon) across processes', () => {
  it(`first run acquires every scope on ${target.backend}, the second run is served from the cache with zero network calls`, async () => {
    const env = daemonEnv('daemon');
    const scopes = Array.from({ length: 6 }, (_, i) => `api://resource-${i}/.default`);
    const first = await runClient(['daemon', ...scopes], env);
    expect(first.calls.token.client_credentials).toBe(scopes.length);
    expect(first).toMatchObject({ backend: target.backend, encrypted: true });

    const second = await runClient(['daemon', ...scopes], env);
    expect(second.calls.total).toBe(0);
    expect(second.tokens).toEqual(first.tokens);
  });

  it('8 daemon processes at once lose nothing', async () => {
    const env = daemonEnv('fleet');
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, p) =>
        runClient(['daemon', ...Array.from({ length: 3 }, (_, i) => `api://p${p}-s${i}/.default`)], env),
      ),
    );
    const acquired = Object.assign({}, ...runs.map((run) => run.tokens)) as Record<string, string>;
    expect(Object.keys(acquired)).toHaveLength(24);

    const check = await runClient(['daemon', ...Object.keys(acquired)], env);
    expect(check.calls.total).toBe(0);
    expect(check.tokens).toEqual(acquired);
  });
});
