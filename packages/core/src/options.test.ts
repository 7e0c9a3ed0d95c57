import { describe, expect, it } from 'vitest';
import { checkNumberOption } from './options.js';

describe('checkNumberOption', () => {
  it('returns the fallback for undefined and the value when valid', () => {
    expect(checkNumberOption('lockStaleMs', undefined, 30_000, { min: 1 })).toBe(30_000);
    expect(checkNumberOption('lockStaleMs', 5_000, 30_000, { min: 1 })).toBe(5_000);
  });

  it.each([
    [0, RangeError],
    [-1, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
    [Number.POSITIVE_INFINITY, TypeError],
    ['5000', TypeError],
  ])('rejects %s with a %s that names the option', (value, type) => {
    expect(() => checkNumberOption('lockStaleMs', value, 30_000, { min: 1 })).toThrow(type);
    expect(() => checkNumberOption('lockStaleMs', value, 30_000, { min: 1 })).toThrow(
      /lockStaleMs must be an integer >= 1/,
    );
  });

  it('accepts fractions when asked to', () => {
    expect(checkNumberOption('ratio', 0.5, 1, { integer: false, min: 0, max: 1 })).toBe(0.5);
    expect(() => checkNumberOption('ratio', 2, 1, { integer: false, min: 0, max: 1 })).toThrow(
      /ratio must be a number from 0 to 1, got 2/,
    );
  });
});
