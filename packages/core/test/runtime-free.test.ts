import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Core must run anywhere msal-node's cache plugin contract exists: no Node APIs, no Buffer, no
// runtime msal-node import. Biome's restricted-import rules say the same in the editor; this test
// makes the rule part of `pnpm test`, including for files biome does not lint.
const srcDir = join(import.meta.dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const forbidden: Array<[string, RegExp]> = [
  ['a node: import', /from\s+['"]node:|import\(\s*['"]node:/],
  ['a bare Node builtin import', /from\s+['"](fs|path|os|crypto|child_process|util|events|stream)(\/[^'"]*)?['"]/],
  ['require()', /\brequire\s*\(/],
  ['process', /\bprocess\s*\./],
  ['Buffer', /\bBuffer\b/],
  ['a runtime msal-node import', /^import\s+(?!type\b)[^;]*from\s+['"]@azure\/msal-(node|common)['"]/m],
];

describe('core is runtime-free', () => {
  const files = sources(srcDir);

  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(8);
  });

  for (const file of files) {
    it(`${relative(srcDir, file)} uses no Node-only API`, () => {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const found = forbidden.filter(([, pattern]) => pattern.test(code)).map(([what]) => what);
      expect(found).toEqual([]);
    });
  }

  it('the check itself catches a violation', () => {
    const sample = "import { readFile } from 'node:fs';\nconst b = Buffer.from('x');\nprocess.exit(1);";
    const found = forbidden.filter(([, pattern]) => pattern.test(sample)).map(([what]) => what);
    expect(found).toEqual(['a node: import', 'process', 'Buffer']);
  });
});
