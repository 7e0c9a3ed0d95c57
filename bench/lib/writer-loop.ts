// The body every contention worker shares: report ready, wait for "go" on stdin so all workers
// start together, acquire <count> client-credential tokens for distinct scopes, report.
import { createInterface } from 'node:readline';

interface TokenSource {
  acquireTokenByClientCredential(request: { scopes: string[] }): Promise<{ accessToken: string } | null>;
}

/** Prints {"ready":true}, waits for "go", writes, prints {"done":true,"ms","tokens","failures"}. */
export async function writerLoop(app: TokenSource, proc: string, count: number): Promise<void> {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const tokens: string[] = [];
  let failures = 0;
  let i = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // A call whose promise never settles, with nothing left to wait for, lets the process end with
  // code 0 mid-loop (seen with naive writers racing unlocked on one file): report the calls left as
  // failed rather than end without a word.
  const stalled = () => report(tokens, failures + count - i, started, cpuBefore, true);
  process.once('beforeExit', stalled);
  for (; i < count; i++) {
    try {
      const result = await app.acquireTokenByClientCredential({ scopes: [`api://p${proc}-s${i}/.default`] });
      if (result) tokens.push(result.accessToken);
      else failures++;
    } catch {
      failures++;
    }
  }
  process.off('beforeExit', stalled);
  report(tokens, failures, started, cpuBefore, false);
}

function report(tokens: string[], failures: number, started: number, cpuBefore: NodeJS.CpuUsage, stalled: boolean) {
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ done: true, ms, cpuMs, tokens, failures, stalled })}\n`);
}
