/**
 * One measured figure. A suite returns one row per figure; `run.ts` prints them as a table and as
 * JSON. Compare against a baseline measured in the same run: set `baseline` and `ratio`
 * (`value / baseline`), and `target`/`pass` when the figure has a goal.
 */
export interface Row {
  /** Short figure name, e.g. `silent acquisitions/s`. */
  metric: string;
  /** The measured value of the thing under test. */
  value: number;
  /** Unit of `value` and `baseline`, e.g. `ops/s`, `ms`. */
  unit: string;
  /** What the baseline is, e.g. `msal-node in-memory`. */
  baselineName?: string | undefined;
  /** The baseline's value, measured in this run. */
  baseline?: number | undefined;
  /** `value / baseline`. */
  ratio?: number | undefined;
  /** The goal, human-readable: `>= 0.9x`, `<= 1000 ms`. */
  target?: string | undefined;
  /** Whether the goal was met; `undefined` for information-only rows. */
  pass?: boolean | undefined;
  /** Anything a reader needs to interpret the row (sample sizes, lost writes). */
  note?: string | undefined;
}

/** What every `bench/suites/*.ts` default-exports. */
export interface Suite {
  /** Short name, shown as the first column. */
  name: string;
  /** Measures and returns rows. Must clean up what it creates and take well under a minute. */
  run(): Promise<Row[]>;
}

/** A row comparing `value` with `baseline`, with a ratio target (`min` ≤ ratio or ratio ≤ `max`). */
export function ratioRow(
  metric: string,
  unit: string,
  value: number,
  baselineName: string,
  baseline: number,
  goal: { min?: number; max?: number },
  note?: string,
): Row {
  const ratio = value / baseline;
  const pass = (goal.min === undefined || ratio >= goal.min) && (goal.max === undefined || ratio <= goal.max);
  const target = goal.min !== undefined ? `>= ${goal.min}x` : `<= ${goal.max}x`;
  return { metric, value, unit, baselineName, baseline, ratio, target, pass, ...(note ? { note } : {}) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
