import { createConnection } from 'node:net';
import { Redis } from 'ioredis';

/** Commands clients sent to a server, seen through MONITOR (commands run inside scripts left out). */
export interface CommandMonitor {
  /** Names of the commands clients sent since the monitor started, in order (`evalsha`, `publish`…). */
  readonly commands: string[];
  /**
   * Resolves once the monitor has seen every command sent before this call: it sends an ECHO and
   * waits for it (the ECHO itself is not recorded).
   */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

// `+1700000000.123456 [0 127.0.0.1:50000] "evalsha" "…"`; a script's commands say `[0 lua]`.
const LINE = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]*)"(?: "((?:[^"\\]|\\.)*)")?/;

/**
 * Starts MONITOR on the server at `port` (a raw socket: ioredis's monitor mode loses track of its
 * queue when lines arrive right behind the OK) and waits until it runs. What a test asserts about
 * round trips is then a count, never a time.
 */
export async function monitorCommands(url: string): Promise<CommandMonitor> {
  const { hostname, port } = new URL(url);
  const probe = new Redis(url);
  // Connected before MONITOR starts, so its handshake is not recorded.
  await probe.ping();
  const socket = createConnection({ host: hostname, port: Number(port) });
  const commands: string[] = [];
  const marks = new Map<string, () => void>();
  let sequence = 0;
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let end = pending.indexOf('\r\n');
    while (end >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 2);
      end = pending.indexOf('\r\n');
      const match = LINE.exec(line);
      if (!match) continue;
      const [, source, name = '', first] = match;
      if (name.toLowerCase() === 'echo' && first !== undefined && marks.has(first)) {
        marks.get(first)?.();
        marks.delete(first);
      } else if (source !== 'lua') commands.push(name.toLowerCase());
    }
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('MONITOR\r\n');
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
      socket.destroy();
    },
  };
}
