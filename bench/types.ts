// A benchmark suite measures something and a reference measured in the same run, so a
// ratio means something on any machine. Suites live in bench/suites/*.ts and export
// `default` of type Suite.
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  reference_name: string;
  reference_value: number;
  /** value / reference_value, in the direction that makes "higher is better" obvious in the name. */
  ratio: number;
  machine?: string;
  /** Extra rows' columns (p90, RSS…) shown in the table but not required by the JSON schema. */
  notes?: string;
}

export interface BenchContext {
  /** True when `--quick` is given: smaller inputs, for a smoke run in CI. */
  quick: boolean;
  log: (line: string) => void;
}

export interface Suite {
  name: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}
