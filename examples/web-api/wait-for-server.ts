/** Resolves once http://localhost:<port>/metrics answers; rejects after `timeoutMs`. */
export async function waitForServer(port: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`http://localhost:${port}/metrics`)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`nothing answers on port ${port}: start the server first (see README)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
