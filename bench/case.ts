// What a benchmark suite file (bench/*.bench.ts) exports: a list of cases for benchmark.js.
export interface BenchCase {
  /** Unique name, e.g. `walk-4level` or `mkclean-range-x86_64-512`. */
  readonly name: string;
  /** Called once before timing; builds the machine the case measures. */
  setup?(): void;
  /** One operation; benchmark.js reports how many per second. */
  fn(): void;
  /** Extra figures reported next to the rate (entries visited per fsync, ...), computed after the run. */
  extra?(): Record<string, number | string>;
  /** benchmark.js minSamples for a case whose one operation takes seconds (default 5). */
  readonly minSamples?: number;
}
