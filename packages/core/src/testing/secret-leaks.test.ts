import { describe, expect, it } from 'vitest';
import { errorSurface, findSecretLeaks } from './secret-leaks.js';

const secret = '{"RefreshToken":{"k":{"secret":"0.AXYA-very-secret-refresh-token-value"}}}';

describe('findSecretLeaks', () => {
  it('finds a secret in a cause two levels down', () => {
    const error = new Error('outer', { cause: new Error('middle', { cause: new Error(`inner ${secret}`) }) });
    expect(findSecretLeaks(error, secret)).not.toEqual([]);
  });

  it('finds a secret in a non-enumerable own property and in bytes', () => {
    const error = new Error('plain');
    Object.defineProperty(error, 'payload', { value: new TextEncoder().encode(secret), enumerable: false });
    expect(findSecretLeaks(error, secret)).not.toEqual([]);
  });

  it('finds a secret a driver exposes through a prototype getter (ioredis-like command.args)', () => {
    class Command {
      readonly #args = ['key', secret];
      get args(): string[] {
        return this.#args;
      }
    }
    const error = Object.assign(new Error('LockLost'), { command: new Command() });
    expect(findSecretLeaks(error, secret)).not.toEqual([]);
  });

  it('reports pieces of 17 characters or more only', () => {
    expect(findSecretLeaks(new Error(secret.slice(5, 21)), secret)).toEqual([]);
    expect(findSecretLeaks(new Error(secret.slice(5, 22)), secret)).toEqual([secret.slice(5, 22)]);
  });

  it('survives circular causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(errorSurface(a)).toContain('b');
    expect(findSecretLeaks(a, secret)).toEqual([]);
  });
});
