// `pnpm demo`: the public-client example CLI (examples/public-cli) run as separate processes:
// process 1 signs in with device code (real msal-node, offline fake token endpoint) and the cache
// is persisted; process 2, started afterwards, gets its token silently from the cache. Uses the
// OS's encrypted store: on Linux the Secret Service when one is on D-Bus, else the kernel keyring
// (`env -u DBUS_SESSION_BUS_ADDRESS pnpm demo`). Where neither works (a container refusing the
// keyring syscalls) it says so in one line; `ALLOW_PLAINTEXT=1 pnpm demo` accepts a 0600 plaintext
// file there, as the examples do.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPersistence, type PersistenceSelection } from '@msal-persist/msal-plugin';
import { exitWithOneLine } from '../examples/shared/exit-with-one-line.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'examples', 'public-cli', 'cli.ts');
const tsx = createRequire(join(root, 'package.json')).resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'msal-persist-demo-'));
const env: NodeJS.ProcessEnv & { CACHE_PATH: string; APP_NAME: string; ACCOUNT_NAME: string } = {
  ...process.env,
  APP_NAME: 'msal-persist-demo',
  CACHE_PATH: join(dir, 'msal.cache'),
  ACCOUNT_NAME: `demo-${process.pid}`,
};

interface Report {
  pid: number;
  backend: string;
  encrypted: boolean;
  user?: string;
  source?: string;
  networkCalls: number;
  setupMs: number;
  callMs: number;
}

function run(command: string): Report {
  const started = performance.now();
  const stdout = execFileSync(process.execPath, ['--import', tsx, '--conditions=dev-source', cli, command], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Report;
  const wall = performance.now() - started;
  console.log(
    `  pid ${report.pid}: ${command.padEnd(8)} user ${report.user ?? '-'} | token from the ${report.source ?? '-'} | ` +
      `${report.networkCalls} network calls | backend ${report.backend} (${report.encrypted ? 'encrypted' : 'NOT encrypted'}) | ` +
      `plugin setup ${report.setupMs} ms, token call ${report.callMs} ms, process ${wall.toFixed(0)} ms`,
  );
  return report;
}

const options = {
  cachePath: env.CACHE_PATH,
  serviceName: env.APP_NAME,
  accountName: env.ACCOUNT_NAME,
  // As the example CLI it runs: plaintext only when asked for.
  allowPlaintextFallback: env.ALLOW_PLAINTEXT === '1',
  logger: {},
} as const;

/** Where the cache really is, as createPersistence chose it in this environment (the children choose the same). */
function describeStore(selection: PersistenceSelection): string {
  const protection = selection.isEncrypted ? 'encrypted' : 'PLAINTEXT';
  if (selection.backend === 'libsecret' || selection.backend === 'keychain') {
    return `${selection.persistence.name} (${protection}), change signal file ${selection.cachePath}`;
  }
  return `${selection.cachePath} (${selection.backend}, ${protection})`;
}

async function demo(selection: PersistenceSelection): Promise<void> {
  console.log(`msal-persist demo — cache: ${describeStore(selection)}\n`);
  console.log('process 1: device-code sign-in against the offline fake token endpoint');
  const first = run('sign-in');
  console.log('process 2: started afterwards, asks for a token silently');
  const second = run('token');
  console.log('process 3: signs out (removes the account from the shared cache)');
  run('sign-out');

  const ok = first.source === 'identity provider' && second.source === 'cache' && second.networkCalls === 0;
  console.log(
    `\n${ok ? 'OK' : 'FAILED'}: process 2 got its token from the ${second.source} with ${second.networkCalls} network calls, ` +
      `stored with ${second.backend}${second.encrypted ? ' (encrypted)' : ' (PLAINTEXT fallback: no encrypted store works here)'}.`,
  );
  if (second.backend !== 'libsecret' && process.platform === 'linux') {
    console.log('To see the Secret Service path here: scripts/with-secret-service.sh pnpm demo');
  }
  if (!ok) process.exitCode = 1;
}

// The children choose the same store; where none works, one line says why and what to do.
const selection = await createPersistence(options).catch((error: unknown) => {
  exitWithOneLine('demo')(error);
  return undefined;
});
try {
  if (selection) await demo(selection);
} finally {
  // Leave no demo item in the user's keyring, no key in the kernel keyring, nor files behind.
  await selection?.persistence.delete();
  rmSync(dir, { recursive: true, force: true });
}
