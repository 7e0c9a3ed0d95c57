import { describe, expect, it } from 'vitest';
import { errorText, keyringErrorKind } from '../src/index.js';
import { keyringError } from '../src/testing/index.js';
import { withTimeout } from '../src/with-timeout.js';

describe('keyringErrorKind', () => {
  it.each([
    ['No matching entry found in secure storage', 'NoEntry'],
    ["Couldn't access platform storage: Secret Service: object locked", 'NoStorageAccess'],
    ['Platform failure: DBus error: Failed to connect to socket /x: No such file or directory', 'PlatformFailure'],
    ['Data is not UTF-8 encoded', 'BadEncoding'],
    ['Entry is matched by 2 credentials', 'Ambiguous'],
    ['something else', 'Unknown'],
  ])('classifies %j as %s', (message, kind) => {
    expect(keyringErrorKind(keyringError(message))).toBe(kind);
  });
});

describe('errorText', () => {
  it('joins the cause chain without repeating nested messages', () => {
    const inner = new Error('Failed to connect');
    const error = new Error('Platform failure: DBus error: Failed to connect', {
      cause: new Error('DBus error: Failed to connect', { cause: inner }),
    });
    expect(errorText(error)).toBe('Platform failure: DBus error: Failed to connect');
    expect(errorText(new Error('a', { cause: new Error('b') }))).toBe('a: b');
    expect(errorText('plain')).toBe('plain');
  });
});

describe('withTimeout', () => {
  it('resolves with the call, and rejects with onTimeout when it does not settle, aborting its signal', async () => {
    expect(
      await withTimeout(
        async () => 7,
        1000,
        () => new Error('late'),
      ),
    ).toBe(7);
    let aborted: AbortSignal | undefined;
    const never = (signal: AbortSignal) => {
      aborted = signal;
      return new Promise<number>(() => {});
    };
    await expect(withTimeout(never, 20, () => new Error('late'))).rejects.toThrow('late');
    expect(aborted?.aborted).toBe(true);
  });
});
