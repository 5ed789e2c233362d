/**
 * What a claim is: a statement from a paper, the assumptions under which it
 * holds, a check that measures the engine and returns a verdict, and the
 * falsifiers — named mutations of the check's configuration under which the
 * same check must FAIL. A check that cannot fail is a defect.
 */
// The contract is the bottom layer: it imports nothing. Types that the engine,
// the data reader and the statistics share with claims are defined here and
// re-exported where they are produced.

/**
 * A configuration schema: what zod's schemas provide (safeParse with issues
 * naming the path). Declared structurally so the contract imports nothing.
 */
export interface ConfigSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; expected?: unknown }[] } };
}

/** pass: the evidence supports the claim; fail: it contradicts it; inconclusive: not enough evidence; error: no evidence could be produced, or the harness contradicts itself. */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

/** An estimate with a confidence interval. */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  /** Coverage, e.g. 0.95. */
  level: number;
}

/** Which TensorFlow.js backend ran (every report records it). */
export interface BackendInfo {
  name: string;
  tfjsVersion: string;
  precision: 'float32';
  /**
   * The backend's kernels the engine ran on its own faster code (the WebAssembly backend's
   * BatchMatMul, Sum, Tile, GatherV2, Slice, SplitV, Identity, and the TF.js trainer's fused
   * Adam step), each computing the backend's (or the op chain's) bits; absent when none.
   */
  kernels?: string[];
}

/** A user's data set (`verify --data FILE`): n points of dimension dim, row-major. */
export interface DataSet {
  file: string;
  /** n × dim row-major. */
  x: Float64Array;
  n: number;
  dim: number;
  /** The file line (1-based, as an editor shows it) of each row, for messages; absent: row i is line i + 1. */
  lines?: readonly number[];
}

/**
 * What a model cannot take in a user's data set, found before any training:
 * at a row and column (0-based indices into DataSet.x), a whole column, or
 * the whole set. `problem` completes the sentence "<where> …", e.g.
 * "is 2, not 0 or 1" or "is 0 in every row: …".
 */
export interface DataProblem {
  row?: number;
  column?: number;
  problem: string;
}

export type Tier = 'quick' | 'full';
export const TIERS: readonly Tier[] = ['quick', 'full'];

export type Family = 'convergence' | 'ntk' | 'entropy';

export interface Source {
  /** Short key used in CLAIMS.md, e.g. "SGL25". */
  key: string;
  authors: string;
  title: string;
  venue: string;
  arxiv: string;
}

export interface Assumption {
  id: string;
  statement: string;
}

export interface AssumptionCheck {
  id: string;
  met: boolean;
  detail: string;
}

/** A measured number, optionally with a confidence interval. */
export interface Metric {
  value: number;
  lower?: number;
  upper?: number;
  level?: number;
  /** What the value is compared with, e.g. "≤ -0.35 (upper bound)". */
  criterion?: string;
}

/**
 * A named series for plots: x against one or more y columns. Labels and
 * column names may mark sub- and superscripts as prose does (`G_n`,
 * `k^{-1/2}`; src/report/formula.ts).
 */
export interface Series {
  x: number[];
  y: Record<string, number[]>;
  xLabel: string;
  yLabel: string;
  /** What the plot shows, e.g. "Running average of E‖∇L(θ_k)‖²"; default "<yLabel> against <xLabel>". */
  title?: string;
  logX?: boolean;
  logY?: boolean;
}

export interface CheckResult {
  verdict: Verdict;
  metrics: Record<string, Metric>;
  series?: Record<string, Series>;
  assumptions?: AssumptionCheck[];
  notes?: string[];
  /**
   * Set when training for this configuration diverged (NaN/Inf). For a
   * falsifier's configuration that is a catch (the statement cannot hold);
   * for the claim's own configuration runClaim reports verdict "error" with
   * this message (step and setting): the run produced no evidence either way.
   */
  diverged?: { step: number; replica: string; message: string };
  /**
   * Set (with verdict "error") when the run contradicts itself: e.g. the
   * engine does not compute what the claim's premises say (its stochastic
   * gradient is not unbiased for the exact gradient, its optimiser or step
   * schedule is not the stated one), or a gap is not explained by an exact
   * decomposition. runClaim reports it as the claim's error message.
   */
  error?: string;
}

export interface ClaimContext {
  tier: Tier;
  masterSeed: number;
  backend: BackendInfo;
  /** Report progress within the current check, fraction in [0, 1]. */
  progress(fraction: number, message?: string): void;
  /** The user's data set (`verify --data FILE`), for claims that take data; else they generate their own. */
  data?: DataSet;
}

/**
 * A claim that can run on a user's data set (`verify --data FILE`). Before
 * any training the runner checks the file's columns against `dimension`,
 * sizes the configuration with `withRows`, validates the sized configuration
 * against the claim's schema (a size the model cannot take exits 2 with the
 * allowed range) and asks `checkValues` about the values (exit 2 naming the
 * row and column); then the check, its falsifiers' included, finds the rows
 * in `ctx.data`.
 */
export interface TakesData<TConfig> {
  /** What the rows must be, for `list`, --help and messages, e.g. "points in R^10 (d_x of the linear VAE)" or "binary rows (0/1), any number of columns". */
  describe: string;
  /** Columns each row must have under this configuration; null: any number (the configuration takes D from the data in withRows). */
  dimension(config: TConfig): number | null;
  /** The configuration as it runs on the user's `rows` points of `columns` values each (e.g. data.N = rows, data.D = columns), validated like any other. */
  withRows(config: TConfig, rows: number, columns: number): TConfig;
  /**
   * Optional: what the values must be beyond finite numbers (the reader's
   * rule), under the sized configuration: binary, counts, columns that vary,
   * … The first problem, or null when the model can take the data.
   */
  checkValues?(data: DataSet, config: TConfig): DataProblem | null;
}

export interface Falsifier<TConfig> {
  id: string;
  description: string;
  /** What the check should see instead, e.g. "slope ≈ 0 (plateau)". */
  expected: string;
  /**
   * What to change when this falsifier is NOT caught (the check has no power
   * at these sizes on this data), e.g. "more steps (--set steps=…) or seeds".
   * Shown in the report with the claim's `inconclusive` verdict.
   */
  remedy?: string;
  mutate(config: TConfig): TConfig;
}

export interface Claim<TConfig = unknown> {
  id: string;
  title: string;
  family: Family;
  source: Source;
  /**
   * The paper's statement as plain text. report.html typesets its
   * mathematics (as it does the title, assumptions and falsifier texts):
   * `$…$` is TeX; outside it a symbol with `_` or `^` scripts (`γ_k`,
   * `k^{-1/2}`, `Σ_{k≤n}`) is set with real sub- and superscripts; the rest
   * is text (src/report/formula.ts). Plain-text formats show it as written.
   */
  statement: string;
  /**
   * Optional: the statement's formula for reports, as a mathjs expression
   * (e.g. "G_n <= C * log(n) / sqrt(n)") or TeX (e.g. "G_n = O(\\log n/\\sqrt{n})").
   * Typeset as MathML (temml) in report.html.
   */
  formula?: string;
  assumptions: Assumption[];
  tiers: Record<Tier, TConfig>;
  falsifiers: Falsifier<TConfig>[];
  /**
   * Run the check on several configurations: the claim's own first, then
   * each falsifier's mutation, in order. Claims whose configurations differ
   * only in per-replica settings train them all as one replica batch.
   */
  check(configs: readonly TConfig[], ctx: ClaimContext): Promise<CheckResult[]>;
  /** Present when the claim can run on a user's data set instead of its own. */
  takesData?: TakesData<TConfig>;
  /**
   * Optional: a larger configuration to run ONCE when the first run had no
   * power (the claim's verdict inconclusive, or a falsifier not caught), e.g.
   * twice the seeds with the first run's seeds among them. The grown run
   * replaces the first and is reported as such (`what`, e.g. "16 seeds
   * instead of 8"); it costs nothing when the first run decides. Returns
   * `{ declined }` (why) when this configuration is not to grow, e.g. a
   * user's own model, whose size the user chose and whose cost per step is
   * unknown: the first run's verdicts stand and the report says why.
   */
  grow?(config: TConfig): { config: TConfig; what: string } | { declined: string };
  /**
   * The claim's own configuration schema (zod), its TConfig inferred from it:
   * every configuration (tier, --set, data-sized, grown) is validated against
   * it before anything trains, with messages that name the setting and the
   * allowed range. Without one, the shared hyperparameter schema
   * (src/config/hyperparameters.ts) applies.
   */
  schema?: ConfigSchema<TConfig>;
  /**
   * Independent seeds per configuration, for reports; null when the claim's
   * intervals do not replicate over seeds (e.g. Monte Carlo draws from one
   * stream). Without it, reports show no seed count.
   */
  seedCount?(config: TConfig): number | null;
}

/** Erases the config type so claims of different shapes share one registry. */
export function defineClaim<TConfig>(claim: Claim<TConfig>): Claim<unknown> {
  return claim as unknown as Claim<unknown>;
}
