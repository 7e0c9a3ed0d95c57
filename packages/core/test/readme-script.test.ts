// The README's fake-token-endpoint script, run as written in a plain Node process where vitest
// cannot even be resolved: people who only want msal-node offline must not need a test runner.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packageDir = join(import.meta.dirname, '..');
const tsx = createRequire(import.meta.url).resolve('tsx');
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## The fake token endpoint'));
const script = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

/** A resolve hook under which importing vitest fails, as in a project that does not install it. */
const withoutVitest = `data:text/javascript,${encodeURIComponent(`
  import { register } from 'node:module';
  register('data:text/javascript,' + encodeURIComponent(\`
    export async function resolve(specifier, context, next) {
      if (specifier === 'vitest' || specifier.startsWith('vitest/')) {
        throw Object.assign(new Error('vitest is not installed'), { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return next(specifier, context);
    }
  \`));
`)}`;

function runWithoutVitest(source: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // Inside the package, so its dependencies resolve as they do for an app that installed them.
  const file = join(packageDir, 'test', `.readme-script-${process.pid}.ts`);
  writeFileSync(file, source);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', withoutVitest, '--import', tsx, '--conditions=dev-source', file],
      { cwd: packageDir, timeout: 60_000 },
      (error, stdout, stderr) => {
        rmSync(file, { force: true });
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('README: the fake token endpoint in a plain script', () => {
  it('names the subpath and imports the endpoint from it', () => {
    expect(section).toContain('`@msal-persist/core/fake-token-endpoint`');
    expect(script).toContain("from '@msal-persist/core/fake-token-endpoint'");
  });

  it('runs as written without vitest: signs in offline, then the silent call is served from the cache', async () => {
    const run = await runWithoutVitest(script);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('ada@contoso.test from the cache 2 calls');
  });

  it('the contract suites on /testing do need vitest (which is why the endpoint has its own subpath)', async () => {
    const run = await runWithoutVitest("await import('@msal-persist/core/testing');\n");
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('vitest is not installed');
  });
});
