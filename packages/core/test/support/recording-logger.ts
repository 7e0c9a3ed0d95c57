import { expect } from 'vitest';
import type { Logger } from '../../src/index.js';
import { findSecretLeaks } from '../../src/testing/index.js';

/** A Logger that keeps every line, by level. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; message: string }> = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  at(level: 'debug' | 'info' | 'warn' | 'error'): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

/**
 * Issue 16's leak rule: no byte sequence longer than 16 bytes of any `secret` (a cache, a token)
 * appears in any logged line or in anything an error shows (message, stack, causes, properties).
 */
export function expectNoLeaks(
  seen: { logger?: RecordingLogger; errors?: unknown[] },
  secrets: Array<string | Uint8Array>,
): void {
  const subjects: unknown[] = [...(seen.logger?.lines.map((line) => line.message) ?? []), ...(seen.errors ?? [])];
  const leaks = secrets.flatMap((secret) => subjects.flatMap((subject) => findSecretLeaks(subject, secret)));
  expect(leaks).toEqual([]);
}
