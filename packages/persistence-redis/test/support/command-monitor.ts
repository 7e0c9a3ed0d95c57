import { Redis } from 'ioredis';

/** Commands clients sent to a server, seen through MONITOR (commands run inside scripts left out). */
export interface CommandMonitor {
  /** Names of the commands clients sent since the monitor started, in order (`evalsha`, `hget`…). */
  readonly commands: string[];
  /**
   * Resolves once the monitor has seen every command sent before this call: it sends an ECHO and
   * waits for it (the ECHO itself is not recorded).
   */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts MONITOR on `url` and waits until it runs. It sees every command of every other client:
 * what a test asserts about round trips is then a count, never a time.
 */
export async function monitorCommands(url: string): Promise<CommandMonitor> {
  const client = new Redis(url);
  const probe = new Redis(url);
  const monitor = await client.monitor();
  const commands: string[] = [];
  const marks = new Map<string, () => void>();
  let sequence = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const [name, first] = args;
    if (name?.toLowerCase() === 'echo' && first !== undefined && marks.has(first)) {
      marks.get(first)?.();
      marks.delete(first);
      return;
    }
    // Commands a script runs carry the source "lua".
    if (source !== 'lua' && name !== undefined) commands.push(name.toLowerCase());
  });
  // MONITOR reports commands as the server runs them: one ECHO through it proves it started.
  const settled = async () => {
    const mark = `monitor-mark-${++sequence}`;
    const seen = new Promise<void>((resolve) => marks.set(mark, resolve));
    await probe.echo(mark);
    await seen;
  };
  await settled();
  return {
    commands,
    settled,
    stop: async () => {
      probe.disconnect();
      monitor.disconnect();
      client.disconnect();
    },
  };
}
