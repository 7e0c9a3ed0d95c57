// Shared by the Windows tests (plain JS, run by node.exe with `node --test`, against the packed
// packages installed for win32; see scripts/windows-lane.mjs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Wine's version when this node.exe runs under Wine (ntdll exports `wine_get_version`), else undefined. */
export async function wineVersion() {
  const { default: koffi } = await import('koffi');
  try {
    return koffi.load('ntdll.dll').func('const char *wine_get_version()')();
  } catch {
    return undefined;
  }
}

/** A fresh folder under %TEMP%, removed by the returned function. */
export function tempFolder(t, prefix) {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  return dir;
}

/**
 * Runs `node <script> ...args` (this node.exe) to its end; resolves with exit code, stdout and stderr.
 * `env` is added to this process's environment.
 */
export function runNode(script, args = [], { env = {}, cwd = process.cwd(), timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${script} ${args.join(' ')} ran longer than ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The child's JSON report: all of `stdout`, or its last line (children report one JSON line at the end). */
export function lastJson(result) {
  const text = result.stdout.trim();
  try {
    // One document (the CLI's --json, pretty-printed), else the last line.
    return text.startsWith('{') && text.endsWith('}') && !text.includes('\n{')
      ? JSON.parse(text)
      : JSON.parse(text.split('\n').pop() ?? '');
  } catch {
    throw new Error(`expected a JSON line from the child (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** Every `length`-byte window of `bytes`, as hex, base64 and latin1, for "nothing of it in the message" checks. */
export function fragmentsOf(bytes, length = 8) {
  const fragments = [];
  for (let i = 0; i + length <= bytes.length; i += length) {
    const part = Buffer.from(bytes.subarray(i, i + length));
    fragments.push(part.toString('hex'), part.toString('base64').slice(0, 8), part.toString('latin1'));
  }
  return fragments;
}

/**
 * Writes a child script into the app folder (the working directory), where it resolves
 * `@msal-persist/*` from the installed node_modules; removed after the test.
 */
export function childScript(t, source) {
  const dir = join(process.cwd(), 'children');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `child-${process.pid}-${randomBytes(4).toString('hex')}.mjs`);
  writeFileSync(file, source);
  t.after(() => rmSync(file, { force: true }));
  return file;
}
