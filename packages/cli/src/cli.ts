#!/usr/bin/env node
// `msal-persist`: see `msal-persist --help`, or the package README.
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
