import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretServiceTestMode, skippedNotice } from '@msal-persist/persistence-libsecret/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../src/inspect.js';
import { cli, json, scratch } from './run-cli.js';

const mode = secretServiceTestMode();
skippedNotice(mode, 'the Secret Service probe of doctor and inspect against a missing folder');
const space = scratch('read-only');
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point (tab and newline are fine).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
afterAll(space.cleanup);

describe('diagnostics change nothing', () => {
  it('doctor against an app whose cache folder does not exist: it still does not exist afterwards', async () => {
    const folder = join(space.dir, space.appName);
    const run = await cli(['doctor', '--app-name', space.appName, '--json'], { env: space.env });
    expect(run.stderr).toBe('');
    expect(json(run)).toMatchObject({ command: 'doctor' });
    expect(existsSync(folder)).toBe(false);
  });

  it('inspect against an app whose cache folder does not exist: nothing stored, and the folder still does not exist', async () => {
    const folder = join(space.dir, `${space.appName}-inspect`);
    const run = await cli(['inspect', '--app-name', `${space.appName}-inspect`, '--json'], { env: space.env });
    expect(run.code).toBe(0);
    expect(json<InspectReport>(run)).toMatchObject({ command: 'inspect', stored: false });
    expect(existsSync(folder)).toBe(false);
  });

  it('inspect of a --cache-path in a missing folder creates nothing', async () => {
    const folder = join(space.dir, 'nowhere');
    const run = await cli(['inspect', '--cache-path', join(folder, 'msal.json'), '--json']);
    expect(run.code).toBe(0);
    expect(existsSync(folder)).toBe(false);
  });
});

describe('what a lock file says is printed without terminal control characters', () => {
  it('a program name with ESC sequences (title change, clear screen): shown escaped, no ESC byte reaches the terminal', async () => {
    const file = join(space.dir, 'escape.json');
    writeFileSync(file, '{}', { mode: 0o600 });
    // The Python extension's format, "<pid> <argv0>", with a live pid (this test's) so it reads as held.
    writeFileSync(`${file}.lockfile`, `${process.pid} evil\u001b]0;pwned\u0007\u001b[2J\u009b31m`);
    const run = await cli(['inspect', '--cache-path', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('held by pid');
    expect(run.stdout).toContain('evil');
    expect(run.stdout).not.toMatch(CONTROL);
    const verbose = await cli(['inspect', '--cache-path', file, '--verbose']);
    expect(verbose.stdout).not.toMatch(CONTROL);
  });
});
