// Every shell command the READMEs print runs as written from the repository root, on a headless
// Linux, in a fresh environment (its own HOME and cache folder): it succeeds, or it fails with one
// line saying why and what to do, a non-zero exit and no stack trace.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelKeyringPersistence } from '@msal-persist/msal-plugin/kernel-keyring';
import { noSecretService, refuseKeyring } from '@msal-persist/test-support';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const linux = process.platform === 'linux';

/** The commands of a README's ```sh blocks, one per line, without comments. */
function commandsIn(readme: string): string[] {
  const text = readFileSync(join(root, readme), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

// Root README commands that are not run here, and where they are run instead.
const runElsewhere: Record<string, string> = {
  'npm install -g pnpm@10': 'installs the toolchain; .ci/run does it on a clean machine',
  'pnpm install': '.ci/run (pnpm install --frozen-lockfile)',
  'pnpm build': '.ci/run',
  'pnpm lint': '.ci/run',
  'pnpm typecheck': '.ci/run',
  'pnpm test': 'this test is part of it',
  'pnpm test:deep': 'pnpm test again (this test included) with 50 times the property runs: run on its own',
  'pnpm bench': 'minutes of load; run on its own',
  'pnpm changeset': 'interactive',
  'bash .ci/run': 'is CI',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const COMMAND_TIMEOUT_MS = 120_000;

function run(command: string, env: Record<string, string>, prefix: string[] = []): Promise<Run> {
  const [file = '', ...args] = [...prefix, 'bash', '-c', command];
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: root, env: { ...process.env, ...env }, timeout: COMMAND_TIMEOUT_MS },
      (error, stdout, stderr) => {
        // A command stopped at the timeout is a failure, also when it exits 0 on SIGTERM (pnpm does):
        // execFile then reports no error at all.
        if (child.killed) {
          resolve({ code: 124, stdout, stderr: `${stderr}\n(stopped after ${COMMAND_TIMEOUT_MS} ms)` });
          return;
        }
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A command ending in `&` starts a server: it runs in the background until the README's commands are done. */
const background = (command: string) => /\s&$/.test(command);

function startInBackground(command: string, env: Record<string, string>): ChildProcess {
  // Its own process group, so that stopping it stops pnpm and the server under it.
  return spawn('bash', ['-c', command.replace(/\s&$/, '')], {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
    stdio: 'ignore',
  });
}

async function stopAll(servers: ChildProcess[]): Promise<void> {
  await Promise.all(
    servers.map(async (server) => {
      if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }),
  );
}

/** What pnpm itself prints around a script: its header, and on failure where and with what code. */
const pnpmFraming = [/^$/, /^> /, /ERR_PNPM_/, /ELIFECYCLE/, /^Exit status \d+$/, /^\/\S+:$/];
const ownLines = (output: string) =>
  output.split('\n').filter((line) => !pnpmFraming.some((pattern) => pattern.test(line.trim())));

/**
 * Every file below `dir`, not following symbolic links: a Wine prefix made under a fresh HOME (the
 * Windows lane's commands) links `dosdevices/z:` to `/`.
 */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesBelow(path);
    return entry.isFile() ? [path] : [];
  });
}

/** A fresh user: own HOME and cache folder, so nothing of this machine's caches is read or left. */
const homes: string[] = [];
function freshUser(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'msal-persist-readme-'));
  homes.push(home);
  return { HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
}

afterAll(async () => {
  // The kernel-keyring caches' keys live in the kernel, not in the folder.
  for (const home of homes) {
    for (const file of filesBelow(home)) {
      if (file.endsWith('.kernel-keyring')) await new KernelKeyringPersistence(file).delete();
    }
    rmSync(home, { recursive: true, force: true });
  }
});

const rootCommands = commandsIn('README.md').flatMap((line) => line.split('&&').map((part) => part.trim()));
const exampleReadmes = readdirSync(join(root, 'examples'))
  .filter((name) => readdirSync(join(root, 'examples', name)).includes('README.md'))
  .map((name) => `examples/${name}/README.md`);

describe('the root README', { timeout: 180_000 }, () => {
  it('says how to run the examples, and every command it prints is run here or by .ci/run', () => {
    expect(rootCommands).toContain('pnpm --filter @msal-persist/example-public-cli start sign-in');
    expect(rootCommands).toContain('pnpm demo');
    const unaccounted = rootCommands.filter((command) => !runElsewhere[command] && !command.startsWith('pnpm '));
    expect(unaccounted).toEqual([]);
  });

  it.runIf(linux)('its example and demo commands run on a headless Linux (no Secret Service)', async () => {
    const env = { ...freshUser(), ...noSecretService };
    for (const command of rootCommands.filter((c) => !runElsewhere[c])) {
      const result = await run(command, env);
      expect(result.code, `${command}\n${result.stderr}`).toBe(0);
      expect(result.stderr, command).not.toMatch(/^\s+at /m);
    }
  });
});

describe.runIf(linux).each(exampleReadmes)('%s', { timeout: 180_000 }, (readme) => {
  const commands = commandsIn(readme);

  it('has commands, each of an example of this repository', () => {
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) expect(command).toMatch(/@msal-persist\/example-|^scripts\//);
  });

  it('runs every command in order on a headless Linux (no Secret Service): each succeeds', async () => {
    const env = { ...freshUser(), ...noSecretService };
    const servers: ChildProcess[] = [];
    try {
      for (const command of commands) {
        if (background(command)) {
          servers.push(startInBackground(command, env));
          continue;
        }
        const result = await run(command, env);
        expect(result.code, `${command}\n${result.stderr}`).toBe(0);
        expect(result.stderr, command).not.toMatch(/^\s+at /m);
        expect(() => JSON.parse(ownLines(result.stdout).at(-1) ?? ''), command).not.toThrow();
      }
      // A server that died early would have failed the commands that call it; one alive now ran throughout.
      for (const server of servers) expect(server.exitCode, 'a background server exited early').toBeNull();
    } finally {
      await stopAll(servers);
    }
  });

  it('where no encrypted store works (a container refusing keyrings): one line saying why and what to do, exit 1', async () => {
    const env = { ...freshUser(), ...noSecretService };
    const first = commands.find((c) => !c.startsWith('ALLOW_PLAINTEXT=') && !c.startsWith('scripts/')) ?? '';
    // A server's start command, run in the foreground: it must stop at start-up.
    const command = first.replace(/\s&$/, '');
    const result = await run(command, env, refuseKeyring);
    expect(result.code, result.stderr).toBe(1);
    const lines = ownLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^[a-z-]+: the token cache failed \(NotAvailable\): /);
    expect(lines[0]).toContain('ALLOW_PLAINTEXT=1');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
