/**
 * Runs `call` with an `AbortSignal` that aborts after `timeoutMs`, and rejects with
 * `onTimeout()` at that moment even if `call` ignores the signal (a native call stuck on a D-Bus
 * reply or an unlock prompt cannot be interrupted, but the caller must not wait for it).
 *
 * @example
 * ```ts
 * await withTimeout((signal) => entry.getSecret(signal), 5_000, () => new Error('too slow'));
 * ```
 */
export async function withTimeout<T>(
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  onAbandoned?: (late: Promise<T>) => void,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const running = call(controller.signal);
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      // A native call cannot be cancelled: whoever cares must know it may still finish.
      onAbandoned?.(running);
      reject(error);
    }, timeoutMs);
  });
  try {
    // race() subscribes to both, so a late rejection of the abandoned call is never unhandled.
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
