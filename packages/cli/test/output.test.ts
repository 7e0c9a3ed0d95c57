import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliInTerminal, json, SESSION_VARIABLES, scratch, signIn } from './run-cli.js';

const space = scratch('output');
afterAll(space.cleanup);
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const ESC = '\u001b[';

describe('msal-persist output conventions', () => {
  it('--help and each command’s --help document the exit codes; --version prints the version', async () => {
    for (const args of [['--help'], ['doctor', '--help'], ['inspect', '--help'], ['clear', '--help']]) {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Exit codes:');
      expect(run.stdout).toMatch(/^ {2}3 {2}doctor: no encrypted backend works here/m);
      expect(run.stdout).toMatch(/^ {2}5 {2}clear: the cache lock stayed held/m);
    }
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
  });

  it('a usage error is one line with the fix, exit 2, nothing on stdout', async () => {
    for (const args of [['inspect', '--nope'], ['inspect', '--backend', 'floppy'], ['frobnicate']]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(/^msal-persist: .+ Fix: /);
    }
  });

  it('with --json a failure is still one JSON document, with the code, the message, the fix and the exit code', async () => {
    const run = await cli(['inspect', '--app-name', space.appName, '--backend', 'libsecret', '--json'], {
      env: space.env,
      unset: SESSION_VARIABLES,
    });
    expect(run.code).toBe(4);
    expect(json(run)).toEqual({
      command: 'inspect',
      error: {
        code: 'NotAvailable',
        message: expect.stringContaining('No D-Bus session bus'),
        fix: expect.stringContaining('dbus-run-session'),
        exitCode: 4,
      },
    });
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    const file = join(space.dir, 'colours.json');
    await signIn({ CACHE_FILE: file });
    const args = ['inspect', '--cache-path', file];
    const terminal = await cliInTerminal(args);
    expect(terminal.code).toBe(0);
    expect(terminal.output).toContain(ESC);
    const noColor = await cliInTerminal(args, { env: { NO_COLOR: '1' } });
    expect(noColor.output).toContain('1 account(s)');
    expect(noColor.output).not.toContain(ESC);
    const piped = await cli(args);
    expect(piped.stdout).toContain('1 account(s)');
    expect(piped.stdout).not.toContain(ESC);
  });
});
