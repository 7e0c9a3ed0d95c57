import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

const tsx = createRequire(import.meta.url).resolve('tsx');

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
  const [command = '', ...commandArgs] = [...(options.prefix ?? []), process.execPath];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...commandArgs, '--import', tsx, '--conditions=dev-source', fixture, ...args],
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
