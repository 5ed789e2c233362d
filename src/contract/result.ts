/**
 * The report contract: what `verify` writes to report.json and every other
 * report format (report.html, report.md, junit.xml, the README table) is
 * rendered from.
 *   { claims: [ { id, verdict, metrics, falsifiers: [ { id, verdict } ] } ],
 *     backend, seed, tier, startedAt, durationMs, ... }
 * reports/schema.json validates it (test/report/schema.test.ts keeps the two
 * in step). Changes are additive: new fields are optional or derived, existing
 * fields keep their meaning.
 *
 * JSON has no NaN or ±Infinity: JSON.stringify writes them as null, so a
 * report read back from disk may hold null where a number was not finite.
 * Readers (merge, compare, the renderers) accept that.
 */
import type { AssumptionCheck, BackendInfo, Family, Metric, Series, Source, Tier, Verdict } from './claim.ts';

/** A binomial proportion with its Wilson interval (src/stats/wilson.ts computes it). */
export interface Proportion {
  successes: number;
  trials: number;
  rate: number;
  lower: number;
  upper: number;
  level: number;
}

/** What a report entry carries of the claim's calibration (src/report/calibration-record.ts). */
export interface CalibrationSummary {
  tier: string;
  runs: number;
  pass: Proportion;
  falseAlarm: Proportion;
  falsifiers: { id: string; caught: Proportion }[];
  meetsTarget: boolean;
  createdAt: string;
  /** The claim's configuration changed since it was calibrated (the figures describe the old sizes). */
  stale?: boolean;
}

/**
 * Pairs metrics named predicted<X> and measured<X> (e.g. predictedGap and
 * measuredGap) into "predicted vs measured" figures for the reports.
 */
export function predictedVsMeasured(metrics: Record<string, Metric>): PredictedVsMeasured[] {
  const pairs: PredictedVsMeasured[] = [];
  for (const [name, predicted] of Object.entries(metrics)) {
    const m = /^predicted(.+)$/i.exec(name);
    if (!m) continue;
    const key = Object.keys(metrics).find((k) => k.toLowerCase() === `measured${m[1]}`.toLowerCase());
    if (key) pairs.push({ quantity: m[1].replace(/^[_-]/, ''), predicted, measured: metrics[key] });
  }
  return pairs;
}

/** A prediction the spec makes and what was measured, paired from metrics named predictedX / measuredX. */
export interface PredictedVsMeasured {
  quantity: string;
  predicted: Metric;
  measured: Metric;
}

export interface FalsifierResult {
  id: string;
  description: string;
  expected: string;
  verdict: Verdict;
  /** True when the check failed under the mutation, as it must. */
  caught: boolean;
  metrics: Record<string, Metric>;
  series?: Record<string, Series>;
  notes?: string[];
  /** Derived from `metrics` (predictedGap + measuredGap → quantity "Gap"). */
  predictedVsMeasured?: PredictedVsMeasured[];
}

export interface ClaimResult {
  id: string;
  title: string;
  family: Family;
  source: Source;
  statement: string;
  /** mathjs expression or TeX (Claim.formula), when the claim gives one. */
  formula?: string;
  assumptions: { id: string; statement: string; met: boolean | null; detail?: string }[];
  tier: Tier;
  /**
   * master: the run's master seed every stream of this claim derives from;
   * count: independent seeds per configuration when the tier's config declares `seeds`.
   */
  seeds?: { master: number; count: number | null };
  config: unknown;
  verdict: Verdict;
  metrics: Record<string, Metric>;
  series: Record<string, Series>;
  notes: string[];
  falsifiers: FalsifierResult[];
  predictedVsMeasured?: PredictedVsMeasured[];
  durationMs: number;
  error?: string;
  /** The claim's calibrated pass / false-alarm / detection rates (reports/calibration/calibration.json). */
  calibration?: CalibrationSummary;
}

/** Which deterministic share of the selected claims a sharded run ran (see src/verify/select.ts). */
export interface ShardInfo {
  /** 1-based. */
  index: number;
  count: number;
  /** Every claim id the unsharded selection holds, in run order: merge checks completeness against it. */
  selection: string[];
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
}

export interface Environment {
  node: string;
  platform: string;
  cores: number;
  gitCommit: string | null;
  /** True when the checkout had uncommitted changes (the commit alone does not describe the code). */
  gitDirty?: boolean | null;
  /**
   * WebAssembly kernels whose AssemblyScript source differs from the one their committed binary
   * was built from, so the run compiled them afresh (src/engine/wasm-kernel.ts): the engine ran
   * kernel code that is in no commit. Absent when there were none.
   */
  editedKernels?: string[];
  machine?: Machine;
  /** Installed versions of the packages that shape results (tfjs, its backends, oracles, renderers). */
  packages?: Record<string, string>;
}

export interface VerifyReport {
  schemaVersion: 1;
  tool: { name: 'vae-claims'; version: string };
  claims: ClaimResult[];
  backend: string;
  backendInfo: BackendInfo;
  /** The master seed. */
  seed: number;
  tier: Tier;
  startedAt: string;
  durationMs: number;
  command: string[];
  environment: Environment;
  summary: { claims: number; passed: number; falsifiers: number; caught: number; errors: number };
  /** True when every claim passed and every falsifier was caught. */
  ok: boolean;
  /** Present on a shard's report (verify --shard i/n). */
  shard?: ShardInfo;
  /** Present when the run was interrupted (SIGINT): the claims that finished are kept, `notRun` lists the rest. */
  partial?: { reason: 'interrupted'; notRun: string[] };
  /** Present on a merged report: where its parts came from. */
  merged?: {
    shards: { index: number; count: number; startedAt: string; durationMs: number; gitCommit: string | null; machine?: Machine; claims: string[] }[];
    /** Claims of the selection no shard report held (only with merge --allow-partial). */
    missing?: string[];
  };
}

export type { AssumptionCheck };
