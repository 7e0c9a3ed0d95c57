import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { clear } from './clear.js';
import { CliError, toCliError } from './cli-error.js';
import { currentHost } from './diagnose.js';
import { doctor } from './doctor.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { withFolderUntouched } from './folder-untouched.js';
import { inspect } from './inspect.js';
import { printable, printableCopy, safeJson } from './printable.js';
import { renderClear, renderDoctor, renderInspect } from './render.js';
import { styleFor } from './style.js';
import { openCache, resolveTarget, type TargetOptions } from './target.js';

/** Where the program writes; the process's own streams outside tests. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

interface CommonOptions extends TargetOptions {
  json?: boolean;
  verbose?: boolean;
  yes?: boolean;
}

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

function milliseconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of milliseconds is expected.');
  return Number(value);
}

/** Prints a report: one JSON document with `--json`, else its text. */
type Print = (report: object, text: () => string) => void;

/**
 * Runs one command's work and prints its report; a failure is one line on stderr (and, with
 * `--json`, one JSON document with `error` on stdout). Resolves with the exit code.
 */
async function execute(
  io: Io,
  command: string,
  json: boolean,
  work: (print: Print) => Promise<ExitCode>,
): Promise<ExitCode> {
  const print: Print = (report, text) => io.stdout.write(`${json ? safeJson(report) : text()}\n`);
  try {
    return await work(print);
  } catch (caught) {
    const error = toCliError(caught);
    const style = styleFor(io.stderr, io.env);
    // A message may quote what a lock file or a store said: no raw control character reaches the terminal.
    const fix = error.fix ? ` Fix: ${printable(error.fix)}` : '';
    io.stderr.write(`${style.red('msal-persist:')} ${printable(error.message)}${fix}\n`);
    if (json) {
      const described = {
        code: error.code ?? null,
        message: error.message,
        fix: error.fix ?? null,
        exitCode: error.exitCode,
      };
      io.stdout.write(`${safeJson({ command, error: described })}\n`);
    }
    return error.exitCode;
  }
}

function withTarget(command: Command, { plaintext }: { plaintext: boolean }): Command {
  command
    .option('--app-name <name>', "the app's name, as createCachePlugin's appName", 'msal-persist')
    .option(
      '--service-name <name>',
      'Keychain / Secret Service service, if the app sets serviceName (default: the app name)',
    )
    .option(
      '--account-name <name>',
      'Keychain / Secret Service account, if the app sets accountName (default: MSALCache)',
    );
  if (plaintext) {
    command
      .option(
        '--cache-path <file>',
        'a plaintext cache file (msal-node-extensions, Python, or a plaintext fallback) instead of an app',
      )
      .option(
        '--backend <name>',
        'this backend instead of the one createCachePlugin picks (libsecret, kernel-keyring, keychain, dpapi; file: the plaintext fallback file)',
      );
  }
  return command.option('--json', 'print one JSON document instead of text');
}

/**
 * The `msal-persist` program: `doctor`, `inspect` and `clear`. Resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const style = styleFor(io.stdout, io.env);
  const program = new Command('msal-persist')
    .description(
      'What token cache this machine gives an @azure/msal-node app using @msal-persist/msal-plugin, what is in it (never a token), and removing it safely.',
    )
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        write(`msal-persist: ${text.replace(/^error: /, '').trim()}. Fix: see \`msal-persist --help\`.\n`),
    })
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .showSuggestionAfterError(true);

  withTarget(
    program
      .command('doctor')
      .description(
        'which backends work here and why not, the fix, which one createCachePlugin picks, and where its files are',
      )
      .option('--verbose', 'the whole reason for each backend that does not work'),
    { plaintext: false },
  )
    .addHelpText('after', `\nExits 0 when an encrypted backend works here, 3 when none does.\n\n${EXIT_CODES_HELP}`)
    .action(async (options: CommonOptions) => {
      exitCode = await execute(io, 'doctor', options.json === true, async (print) => {
        const report = await doctor(resolveTarget(options), currentHost());
        print(report, () => renderDoctor(printableCopy(report), style, options.verbose === true));
        return report.ok ? ExitCode.Ok : ExitCode.NoEncryptedBackend;
      });
    });

  withTarget(
    program
      .command('inspect')
      .description("an app's cache: backend, size, last change, lock, accounts and their tokens' counts and expiry")
      .option('--verbose', 'every token: kind, client, tenant, scopes, expiry (never its value)'),
    { plaintext: true },
  )
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (options: CommonOptions) => {
      exitCode = await execute(io, 'inspect', options.json === true, async (print) => {
        const target = resolveTarget(options);
        const report = await withFolderUntouched(target.placement, async (placement) =>
          inspect(await openCache(target, placement), { verbose: options.verbose === true }),
        );
        print(report, () => renderInspect(printableCopy(report), style, options.verbose === true));
        return ExitCode.Ok;
      });
    });

  withTarget(
    program
      .command('clear')
      .description("removes an app's cache under its lock, so running processes of the app see it gone")
      .option('-y, --yes', 'do not ask (required when standard input is not a terminal)')
      .option('--lock-timeout <ms>', 'how long to wait for the cache lock', milliseconds, 15_000),
    { plaintext: true },
  )
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (options: CommonOptions) => {
      exitCode = await execute(io, 'clear', options.json === true, async (print) => {
        const report = await clear(await openCache(resolveTarget(options)), { yes: options.yes === true });
        print(report, () => renderClear(printableCopy(report), style));
        return ExitCode.Ok;
      });
    });

  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with their own code 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) return error.exitCode;
    throw error;
  }
  return exitCode;
}
