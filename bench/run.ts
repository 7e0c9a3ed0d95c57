// Runs every bench/suites/*.ts (or those named on the command line), prints a table and a JSON
// blob. Not a test: numbers vary by machine; pass/miss compares with a baseline of the same run.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchEnvironment } from './lib/environment.js';
import type { Row, Suite } from './lib/suite.js';

// Re-runs itself pinned to two CPUs and inside one Secret Service session (Linux), so every suite
// measures what our users' 2-core laptops and small VMs see; returns here only in the pinned run.
const environment = benchEnvironment();
process.stderr.write(`bench: ${environment.description}\n`);

const suitesDir = new URL('./suites/', import.meta.url);
const only = new Set(process.argv.slice(2));
const files = readdirSync(fileURLToPath(suitesDir))
  .filter((name) => name.endsWith('.ts'))
  .sort();

const results: (Row & { suite: string })[] = [];
const failures: { suite: string; error: string }[] = [];
for (const fileName of files) {
  const { default: suite } = (await import(new URL(fileName, suitesDir).href)) as { default: Suite };
  if (only.size > 0 && !only.has(suite.name)) continue;
  process.stderr.write(`bench: ${suite.name}...\n`);
  const started = performance.now();
  try {
    for (const row of await suite.run()) results.push({ suite: suite.name, ...row });
  } catch (error) {
    failures.push({
      suite: suite.name,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  process.stderr.write(`bench: ${suite.name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits);
const table = results.map((r) => ({
  suite: r.suite,
  metric: r.metric,
  value: `${fmt(r.value)} ${r.unit}`,
  baseline: r.baseline === undefined ? '' : `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
  ratio: r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
  target: r.target ?? '',
  result: r.pass === undefined ? '' : r.pass ? 'pass' : 'MISS',
  note: r.note ?? '',
}));
const columns = Object.keys(table[0] ?? { suite: '' }) as (keyof (typeof table)[number])[];
const widths = columns.map((c) => Math.max(c.length, ...table.map((row) => row[c].length)));
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ');
console.log(line(columns));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const row of table) console.log(line(columns.map((c) => row[c])));
for (const failure of failures) console.log(`\nsuite ${failure.suite} FAILED:\n${failure.error}`);
console.log(`\n${environment.description}`);
console.log(
  `\nBENCH_JSON ${JSON.stringify({ node: process.version, platform: process.platform, environment: environment.description, results, failures })}`,
);
if (failures.length > 0) process.exitCode = 1;
