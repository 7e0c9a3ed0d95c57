/**
 * A one-shot barrier for tests: the code under test calls `pass()` and waits there until the test
 * calls `open()`; the test awaits `reached` to know the code got that far.
 */
export class Gate {
  readonly reached: Promise<void>;
  private arrive!: () => void; // assigned synchronously by the Promise executor below
  private release!: () => void; // likewise
  private readonly opened: Promise<void>;

  constructor() {
    this.reached = new Promise((resolve) => {
      this.arrive = resolve;
    });
    this.opened = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  /** Called by the code under test: signals arrival, resolves once the test opens the gate. */
  pass(): Promise<void> {
    this.arrive();
    return this.opened;
  }

  open(): void {
    this.release();
  }
}
