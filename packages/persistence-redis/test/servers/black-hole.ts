import { freePort, requireBinary, spawnServer, stopChild, waitFor } from './processes.js';

/** A loopback port that takes no connection and refuses none: what a machine that died looks like. */
export interface BlackHole {
  readonly port: number;
  stop(): Promise<void>;
}

// Node accepts every connection it listens for; only a listener that never accepts, its queue
// full, makes the kernel drop each new SYN so connect() hangs until the client gives up.
const SCRIPT = `
import socket, sys, time
port = int(sys.argv[1])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', port))
listener.listen(0)
fillers = []
for _ in range(3):
    filler = socket.socket()
    filler.setblocking(False)
    filler.connect_ex(('127.0.0.1', port))
    fillers.append(filler)
time.sleep(0.2)
print('ready', flush=True)
time.sleep(3600)
`;

/**
 * Listens on `port` (default a free one) and never accepts, so connections to it time out instead
 * of being refused. Fails (never skips) without python3.
 */
export async function startBlackHole(port?: number): Promise<BlackHole> {
  requireBinary('python3');
  const chosen = port ?? (await freePort());
  const { child, output } = spawnServer('python3', ['-c', SCRIPT, String(chosen)]);
  await waitFor(`a black hole on port ${chosen}`, () => {
    if (child.exitCode !== null) throw new Error(`python3 exited: ${output()}`);
    return output().includes('ready');
  });
  return { port: chosen, stop: () => stopChild(child, 'SIGTERM') };
}
