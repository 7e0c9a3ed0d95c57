import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DEBIAN_PYTHON } from './linux-stores.js';

const tsx = createRequire(import.meta.url).resolve('tsx');
const inTerminal = join(import.meta.dirname, '..', 'fixtures', 'in-terminal.py');

/**
 * The command line that runs a TypeScript entry in a fresh Node process reading workspace sources
 * (tsx, the `dev-source` condition): `[node, …flags, script, ...args]`.
 */
export function nodeCommand(script: string, args: string[] = []): string[] {
  return [process.execPath, '--import', tsx, '--conditions=dev-source', script, ...args];
}

/** Options for {@link runNodeFixture}. */
export interface NodeFixtureOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** A command the fixture runs under (e.g. {@link refuseKeyring}): `prefix… node fixture.ts args…`. */
  prefix?: string[];
  /** Killed after this long. Default 60 000. */
  timeoutMs?: number;
}

/** What a fixture printed: its last stdout line parsed as JSON, and its stderr. */
export interface NodeFixtureRun<T> {
  result: T;
  stderr: string;
}

/**
 * Runs a TypeScript fixture in a fresh Node process reading workspace sources (tsx, the
 * `dev-source` condition) and resolves with its last JSON line. Rejects when it exits non-zero,
 * with `exitCode` on the error.
 */
export function runNodeFixture<T>(
  fixture: string,
  args: string[],
  options: NodeFixtureOptions = {},
): Promise<NodeFixtureRun<T>> {
  const [command = '', ...commandArgs] = [...(options.prefix ?? []), ...nodeCommand(fixture, args)];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      commandArgs,
      { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            Object.assign(new Error(`${fixture} ${args.join(' ')} failed: ${error.message}\n${stderr}`), {
              exitCode: error.code,
            }),
          );
          return;
        }
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve({ result: JSON.parse(line) as T, stderr });
        } catch {
          reject(new Error(`${fixture} ${args.join(' ')} printed no JSON line: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

/** Options for {@link runNodeScript}. */
export interface NodeScriptOptions extends NodeFixtureOptions {
  /** Removed from this process's environment (after `env` is added). */
  unset?: string[];
  /** Written to its standard input, which is then closed. Default: nothing (closed at once). */
  input?: string;
}

/** How a process ended and what it wrote. */
export interface ProcessRun {
  /** Its exit code (a signal counts as 128 + its number, as in a shell). */
  code: number;
  stdout: string;
  stderr: string;
}

function childEnv(options: NodeScriptOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of options.unset ?? []) delete env[name];
  return env;
}

/**
 * Runs a TypeScript entry (a CLI, say) in a fresh Node process, like {@link runNodeFixture}, and
 * resolves with its exit code and output whatever the code: for tests of exit codes and messages.
 * Standard input and output are pipes, so the entry sees no terminal.
 */
export function runNodeScript(script: string, args: string[], options: NodeScriptOptions = {}): Promise<ProcessRun> {
  const [command = '', ...commandArgs] = [...(options.prefix ?? []), ...nodeCommand(script, args)];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { env: childEnv(options), timeout: options.timeoutMs ?? 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs a TypeScript entry on a pseudo-terminal (Debian's Python `pty`), as a person in a terminal
 * would: stdin, stdout and stderr are that terminal, so `isTTY` is true. When `answer` is given it
 * is typed once the entry asks a question. Resolves with the exit code and everything shown.
 */
export function runNodeScriptInTerminal(
  script: string,
  args: string[],
  options: NodeScriptOptions & { answer?: string } = {},
): Promise<{ code: number; output: string }> {
  const command = [...(options.prefix ?? []), ...nodeCommand(script, args)];
  return new Promise((resolve, reject) => {
    execFile(
      DEBIAN_PYTHON,
      [inTerminal, options.answer ?? '', ...command],
      { env: childEnv(options), timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script} on a terminal failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { code: number; output: string });
      },
    );
  });
}
