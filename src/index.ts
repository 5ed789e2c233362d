/**
 * vae-claims as a library: the claims, the runner that judges them, the
 * report writers, the engine's trainer factory, the entropy-sum diagnostic and
 * the statistics, with the seams to put your own optimiser, model, data and
 * claims under the same checks.
 *
 *   import { verify, withOptimizer, claimById } from 'vae-claims';
 *   const report = await verify({ claims: ['sgd-rate-linear-vae'], tier: 'quick' });
 *   report.ok; report.claims[0].verdict; report.claims[0].falsifiers;
 *
 * Every result is the object the CLI writes to report.json (src/contract/result.ts).
 */
import type { Claim, Tier } from './contract/claim.ts';
import type { VerifyReport } from './contract/result.ts';
import { optimizerName, type OptimizerConfig } from './engine/optimizer.ts';
import { useBackend } from './engine/backend.ts';
import { CLAIMS } from './claims/index.ts';
import { selectClaims } from './verify/select.ts';
import { runClaims, type ProgressEvent } from './verify/run-claims.ts';
import { parseOverride } from './config/overrides.ts';
import { cloneConfig } from './config/clone.ts';
import { writeReports, type WrittenReport } from './report/write.ts';
import { isUserVae, type UserVae } from './models/user-vae/user-vae.ts';

// The contract: what a claim is and what a run returns.
export type {
  Assumption,
  AssumptionCheck,
  BackendInfo,
  CheckResult,
  Claim,
  ClaimContext,
  DataProblem,
  DataSet,
  Falsifier,
  Family,
  Interval,
  Metric,
  Series,
  Source,
  TakesData,
  Tier,
  Verdict,
} from './contract/claim.ts';
export { defineClaim, TIERS } from './contract/claim.ts';
export type { ClaimResult, FalsifierResult, VerifyReport, CalibrationSummary } from './contract/result.ts';

// The claims.
export { CLAIMS, FAMILIES, claimById } from './claims/index.ts';
export { SGL25, WH24, LW22, W25, D23 } from './claims/sources.ts';

// Running and reporting.
export { runClaim, runClaims, type RunOptions, type ProgressEvent } from './verify/run-claims.ts';
export { selectClaims } from './verify/select.ts';
export { writeReports, REPORT_FORMATS, type ReportFormat, type WrittenReport } from './report/write.ts';
export { renderHtml } from './report/html.ts';
export { renderMarkdown } from './report/markdown.ts';
export { renderJunit } from './report/junit.ts';

// The engine.
export { useBackend, tf, BACKEND_NAMES } from './engine/backend.ts';
export { createTrainer, type GradientPath } from './engine/create-trainer.ts';
export { ADAM_DEFAULTS, optimizerName, type ElementwiseOptimizer, type OptimizerConfig, type TfjsOptimizer } from './engine/optimizer.ts';
export type { ReplicaSetting, ReplicaStreams } from './engine/replica.ts';
export type { BatchedModel, ReplicaParams, Trainer, TrainOptions } from './engine/trainer.ts';
export type { ReplicaKernel } from './engine/kernel-trainer.ts';
export { deriveSeed, RandomStream } from './engine/rng.ts';

// The entropy-sum diagnostic [LW22, W25, D23].
export { diagnose, DiagnoseInputError, type TrainedModel, type EntropyDiagnosis } from './entropy/diagnose.ts';

// A user's own VAE under the deep-VAE rate claim (withModel).
export type { UserVae, UserVaeInitContext } from './models/user-vae/user-vae.ts';

// Statistics.
export { fitRate, runningAverage, seedAverage, type RateFit, type RateFitOptions } from './stats/rate.ts';
export { fitRateFromRunningAverages, sparseRunningAverage, checkpointGrid } from './stats/sparse-running-average.ts';
export { pairedBootstrap } from './stats/paired-bootstrap.ts';
export { bootstrapOverSeeds, expandedPercentileInterval } from './stats/bootstrap.ts';
export { wilsonInterval } from './stats/wilson.ts';
export { DrawMoments, meanTest, type MeanTestResult } from './stats/mean-test.ts';
export { atLeast, atMost, allOf } from './stats/verdict.ts';

export interface VerifyOptions {
  /** Claims (objects, e.g. from withOptimizer or defineClaim) or ids / globs / families over the registry; default: all. */
  claims?: readonly (Claim | string)[];
  tier?: Tier;
  seed?: number;
  /** TensorFlow.js backend (default: $VAE_CLAIMS_BACKEND or wasm). */
  backend?: string;
  /** `--set path=value` changes, e.g. ['schedule.C=0.05']. */
  set?: readonly string[];
  /** A data file for the claims that take data (`--data`). */
  data?: string;
  /** Write report.json, report.html, report.md and junit.xml here. */
  out?: string;
  onEvent?: (e: ProgressEvent) => void;
}

/**
 * Run claims in this process and return the report the CLI would write (and
 * write it to `out` when given). Claims given as objects may carry things a
 * worker process could not receive, such as a custom optimiser's function.
 */
export async function verify(opts: VerifyOptions = {}): Promise<VerifyReport & { written?: WrittenReport }> {
  const objects = (opts.claims ?? []).filter((c): c is Claim => typeof c !== 'string');
  const patterns = (opts.claims ?? []).filter((c): c is string => typeof c === 'string');
  const claims = [...objects, ...(patterns.length || objects.length === 0 ? selectClaims(CLAIMS, patterns) : [])];
  const backend = await useBackend(opts.backend);
  const report = await runClaims({
    claims,
    tier: opts.tier ?? 'quick',
    seed: opts.seed ?? 1,
    backend,
    overrides: (opts.set ?? []).map(parseOverride),
    command: ['api:verify'],
    ...(opts.data !== undefined ? { dataFile: opts.data } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  if (opts.out === undefined) return report;
  return { ...report, written: await writeReports(report, opts.out) };
}

/** Every `key` field of a configuration, at any depth, replaced by `value`. */
function replaceField(config: unknown, key: string, value: unknown): unknown {
  if (Array.isArray(config)) return config.map((c) => replaceField(c, key, value));
  if (config === null || typeof config !== 'object') return config;
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, k === key ? value : replaceField(v, key, value)]));
}

function hasField(config: unknown, key: string): boolean {
  if (config === null || typeof config !== 'object') return false;
  return Object.entries(config).some(([k, v]) => k === key || hasField(v, key));
}

/**
 * The claim with your VAE in place of the engine's model, trained and
 * measured the same way and judged by the same check and falsifiers,
 * reported as `<id>[<name>]`. Works for the claims whose configuration names
 * a model (adam-rate-deep-vae); throws for one that does not. What the
 * theorem assumes of the network (smooth activations, bounded decoder mean,
 * fixed decoder variance) cannot be measured on your model: the report lists
 * it as not checked. Run it in-process (`verify({ claims: [claim] })`).
 */
export function withModel(claim: Claim, model: UserVae): Claim {
  if (!hasField(claim.tiers.quick, 'model')) throw new RangeError(`withModel: ${claim.id} has no model setting to replace (it builds a closed-form model; adam-rate-deep-vae takes one)`);
  if (!isUserVae(model)) throw new RangeError("withModel: a model is { kind: 'user-vae', name, latent, init, elbo }");
  const tiers = Object.fromEntries(Object.entries(claim.tiers).map(([t, c]) => [t, replaceField(cloneConfig(c), 'model', model)])) as Claim['tiers'];
  return {
    ...claim,
    id: `${claim.id}[${model.name}]`,
    title: `${claim.title} (model: ${model.name})`,
    tiers,
    falsifiers: claim.falsifiers,
    check: (configs, ctx) => claim.check(configs, ctx),
  };
}

/**
 * The claim with your optimiser in place of its own, judged by the same check
 * and falsifiers, reported as `<id>[<name>]`. Works for every claim whose
 * configuration names an optimiser (the convergence claims); throws for one
 * that does not. Run it in-process (`verify({ claims: [claim] })` or runClaim).
 */
export function withOptimizer(claim: Claim, optimizer: OptimizerConfig): Claim {
  if (!hasField(claim.tiers.quick, 'optimizer')) throw new RangeError(`withOptimizer: ${claim.id} has no optimiser setting to replace`);
  const name = optimizerName(optimizer);
  const tiers = Object.fromEntries(Object.entries(claim.tiers).map(([t, c]) => [t, replaceField(cloneConfig(c), 'optimizer', optimizer)])) as Claim['tiers'];
  return {
    ...claim,
    id: `${claim.id}[${name}]`,
    title: `${claim.title} (optimiser: ${name})`,
    tiers,
    // Falsifiers mutate a configuration; they keep working on the replaced one.
    falsifiers: claim.falsifiers,
    check: (configs, ctx) => claim.check(configs, ctx),
  };
}
