/** A request for more bytes than the limit, seen by {@link withAllocationLimit}. */
export class AllocationLimitExceeded extends RangeError {
  override readonly name = 'AllocationLimitExceeded';
  constructor(
    readonly requested: number,
    readonly limit: number,
  ) {
    super(`an allocation of ${requested} bytes was requested, over the ${limit}-byte limit`);
  }
}

function byteLengthOf(type: { BYTES_PER_ELEMENT?: number }, args: unknown[]): number {
  // Only the length form allocates in proportion to a number; views and copies are bounded by their source.
  const [first] = args;
  if (typeof first !== 'number') return 0;
  return first * (type.BYTES_PER_ELEMENT ?? 1);
}

/**
 * Runs `fn` with every `new ArrayBuffer(n)`, `new Uint8Array(n)` (and the other typed arrays),
 * `Buffer.alloc(n)`, `Buffer.allocUnsafe(n)` and `Buffer.allocUnsafeSlow(n)` checked against
 * `limitBytes`: a larger request throws {@link AllocationLimitExceeded} instead of allocating, and
 * is returned in `exceeded` even when the code under test caught it (a codec that wraps every
 * error as `Corrupt`). Proves that a parser sizes its buffers from the input, not from a length
 * field in it. Not reentrant; the globals are restored before the promise settles.
 *
 * @example
 * ```ts
 * const { exceeded } = await withAllocationLimit(64 * input.length + 4096, () => codec.decode(input).catch(() => {}));
 * expect(exceeded).toEqual([]);
 * ```
 */
export async function withAllocationLimit<T>(
  limitBytes: number,
  fn: () => T | Promise<T>,
): Promise<{ result: T; exceeded: AllocationLimitExceeded[] }> {
  const exceeded: AllocationLimitExceeded[] = [];
  const check = (requested: number): void => {
    if (requested > limitBytes) {
      const error = new AllocationLimitExceeded(requested, limitBytes);
      exceeded.push(error);
      throw error;
    }
  };
  const globals = globalThis as unknown as Record<string, unknown>;
  const names = [
    'ArrayBuffer',
    'SharedArrayBuffer',
    'Uint8Array',
    'Int8Array',
    'Uint8ClampedArray',
    'Uint16Array',
    'Int16Array',
    'Uint32Array',
    'Int32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
  ];
  const saved = new Map<string, unknown>();
  for (const name of names) {
    const original = globals[name];
    if (typeof original !== 'function') continue;
    saved.set(name, original);
    // A Proxy keeps `instanceof`, statics and subclassing working for everything else.
    globals[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        check(byteLengthOf(target as { BYTES_PER_ELEMENT?: number }, args));
        return Reflect.construct(target, args, newTarget === globals[name] ? target : newTarget);
      },
    });
  }
  const buffer = Buffer as unknown as Record<'alloc' | 'allocUnsafe' | 'allocUnsafeSlow', (size: number) => Buffer>;
  const allocators = (['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const).map(
    (name) => [name, buffer[name]] as const,
  );
  for (const [name, original] of allocators) {
    buffer[name] = function (this: unknown, size: number, ...rest: unknown[]) {
      check(size);
      return (original as (...args: unknown[]) => Buffer).call(this, size, ...rest);
    };
  }
  try {
    const result = await fn();
    return { result, exceeded };
  } finally {
    for (const [name, original] of saved) globals[name] = original;
    for (const [name, original] of allocators) buffer[name] = original;
  }
}
