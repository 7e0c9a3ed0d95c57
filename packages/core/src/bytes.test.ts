import { describe, expect, it } from 'vitest';
import { isEmpty, toBytes } from './bytes.js';

describe('toBytes', () => {
  it('encodes a string as UTF-8 into a plain Uint8Array (no Node Buffer: core is runtime-free)', () => {
    const bytes = toBytes('{"é":1}');
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect([...bytes]).toEqual([123, 34, 195, 169, 34, 58, 49, 125]);
  });

  it('views an ArrayBuffer and any ArrayBufferView without copying, honouring offset and length', () => {
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const whole = toBytes(buffer);
    expect(whole.buffer).toBe(buffer);
    expect([...whole]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const view = toBytes(new DataView(buffer, 2, 3));
    expect(view.buffer).toBe(buffer);
    expect([...view]).toEqual([3, 4, 5]);
    const words = toBytes(new Uint16Array(buffer, 4, 2));
    expect([...words]).toEqual([5, 6, 7, 8]);
  });

  it('returns a Uint8Array as it is', () => {
    const bytes = new Uint8Array([9]);
    expect(toBytes(bytes)).toBe(bytes);
  });
});

describe('isEmpty', () => {
  it.each([
    ['an empty string', ''],
    ['an empty ArrayBuffer', new ArrayBuffer(0)],
    ['an empty view', new Uint8Array(new ArrayBuffer(4), 4, 0)],
  ])('is true for %s', (_what, data) => {
    expect(isEmpty(data)).toBe(true);
  });

  it.each([
    ['a string', ' '],
    ['a buffer', new ArrayBuffer(1)],
    ['a view', new Uint16Array(1)],
  ])('is false for %s', (_what, data) => {
    expect(isEmpty(data)).toBe(false);
  });
});
