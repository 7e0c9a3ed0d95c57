/**
 * Waits `ms` milliseconds, or rejects with `aborted(signal.reason)` as soon as `signal` aborts
 * (also when it already has). The one abortable sleep every lock adapter polls with.
 *
 * @example
 * ```ts
 * await delay(50, signal, (reason) => new PersistenceError('Aborted', 'Stopped waiting.', { backend, cause: reason }));
 * ```
 */
export function delay(ms: number, signal?: AbortSignal, aborted?: (reason: unknown) => Error): Promise<void> {
  const abortError = (reason: unknown) =>
    aborted ? aborted(reason) : reason instanceof Error ? reason : new Error('The operation was aborted.');
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal.reason));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal?.reason));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
