/**
 * A promise whose work starts only when it is first awaited (or `then`/`catch`/`finally` is
 * called), and starts again on the next await after it failed. identity creates its cache
 * factories' promises when a credential is constructed but awaits them only at `getToken`: a
 * promise that rejected in between would be an unhandled rejection, which ends a Node process.
 * This one cannot reject before anybody waits for it, and a failure (a locked keyring, say) does
 * not stick: the next `getToken` tries again.
 *
 * @example
 * ```ts
 * const plugin = new LazyPromise(() => createCachePlugin());
 * // nothing has run yet
 * await plugin; // runs now
 * ```
 */
export class LazyPromise<T> extends Promise<T> {
  // Built-ins that derive promises from this one (none of ours do) must make ordinary ones.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  private readonly run: () => Promise<T>;
  private current: Promise<T> | undefined;

  constructor(run: () => Promise<T>) {
    // The base promise is never observed: every way to read this one goes through `then` below.
    super((resolve) => resolve(undefined as T));
    this.run = run;
  }

  // biome-ignore lint/suspicious/noThenProperty: a Promise subclass; starting the work on `then` is its purpose.
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    if (!this.current) {
      const attempt = Promise.resolve().then(this.run);
      this.current = attempt;
      attempt.catch(() => {
        if (this.current === attempt) this.current = undefined;
      });
    }
    return this.current.then(onFulfilled, onRejected);
  }

  override catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.then(undefined, onRejected);
  }

  override finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }
}
