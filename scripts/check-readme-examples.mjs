#!/usr/bin/env node
// Typechecks every TypeScript example of every package README (and the root README's quick
// start) as a module inside that package, so a README example that would not compile fails CI.
// A block that is deliberately a fragment says so on the line before it: <!-- fragment -->.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = [...readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))].filter((dir) =>
  existsSync(join(dir, 'README.md')),
);

const written = [];
for (const dir of targets) {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  let index = 0;
  for (const match of readme.matchAll(/(<!-- fragment -->\n)?```ts\n([\s\S]*?)```/g)) {
    if (match[1]) continue;
    const file = join(dir, `readme-example-${++index}.check.ts`);
    writeFileSync(file, `${match[2]}\nexport {};\n`);
    written.push(file);
  }
}
// The root README's quick start, checked inside msal-plugin where its imports resolve.
const quick = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'));
if (quick) {
  const file = join(root, 'packages', 'msal-plugin', 'root-readme-example.check.ts');
  writeFileSync(file, `${quick[1]}\nexport {};\n`);
  written.push(file);
}

let failed = false;
const examples = [...written];
try {
  for (const file of examples) {
    const dir = dirname(file);
    const tsconfig = join(dir, 'tsconfig.readme-check.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: { types: ['node'], lib: ['ES2023', 'ESNext.Disposable'] },
        files: [file],
      }),
    );
    written.push(tsconfig);
    const result = spawnSync('pnpm', ['exec', 'tsc', '-p', tsconfig], { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) {
      failed = true;
      console.error(`README example in ${dir} does not compile:\n${result.stdout}${result.stderr}`);
    }
  }
} finally {
  for (const file of written) rmSync(file, { force: true });
}
console.log(failed ? 'README examples: FAILED' : `README examples: ${examples.length} compile`);
process.exit(failed ? 1 : 0);
