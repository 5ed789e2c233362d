/**
 * The convergence-rate check of [SGL25] on the linear Gaussian VAE:
 * train S seeds (per configuration) as one replica batch, measure the EXACT
 * squared gradient norm of the expected ELBO (float64 closed form) at every
 * iterate, and fit the slope of log G_n and of log(G_n √n / log n) against
 * log n over the last two decades, with a bootstrap over seeds.
 *
 * Pass: slope upper bound ≤ maxSlope (−0.35) AND normalised-slope upper bound
 * ≤ maxNormalisedSlope (+0.05). The threshold is not −0.5: log n/√n itself has
 * local slope −0.39 at n = 10⁴, so "≤ −0.5" would fail a correct run.
 */
import { z } from 'zod';
import { deriveSeed } from '../../../engine/rng.ts';
import { finiteNumber, klWeight, optimizer, positiveInt, positiveNumber, schedule, seedCount } from '../../../config/hyperparameters.ts';
import { linearGaussianData } from './schema.ts';
import { createTrainer } from '../../../engine/create-trainer.ts';
import type { OptimizerConfig } from '../../../engine/optimizer.ts';
import type { ReplicaSetting } from '../../../engine/replica.ts';
import type { ReplicaParams } from '../../../engine/trainer.ts';
import type { StepSchedule } from '../../../engine/schedule.ts';
import { LinearVaeModel } from '../../../models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../../../models/linear-vae/data.ts';
import { dataMoments, elboGradient, squaredNorm, type DataMoments } from '../../../models/linear-vae/oracle.ts';
import { LINEAR_VAE_PARAM_NAMES, zeroParams, type LinearVaeParamName, type LinearVaeParams } from '../../../models/linear-vae/params.ts';
import { LinearVaeGradientNorms, type BatchedLinearVaeParams } from '../../../models/linear-vae/oracle-wasm.ts';
import { BiasedGradientLinearVae } from './falsifier-models.ts';
import { linearVaeConformance, probeInjectedBias, withMeasuredAssumptions } from './linear-vae-conformance.ts';
import { seedIndependence } from '../../shared/seed-independence.ts';
import { fitRateFromRunningAverages } from '../../../stats/sparse-running-average.ts';
import { pairedBootstrap } from '../../../stats/paired-bootstrap.ts';
import { fitRate, runningAverage, seedAverage, type Interval, type RateFit } from '../../../stats/rate.ts';
import { logSpacedSteps } from '../../../stats/grid.ts';
import { allOf, atMost } from '../../../stats/verdict.ts';
import type { AssumptionCheck, CheckResult, ClaimContext, Metric } from '../../../contract/claim.ts';
import { anyOf, gSeries } from './report.ts';
import { configLabel, divergedResult, isDiverged, withDivergenceRetry, type Diverged } from '../../shared/divergence.ts';
import { groupConfigs } from '../../shared/config-groups.ts';

/**
 * The configuration of a linear-VAE rate run, as a zod schema (validated before
 * anything trains; every message names the setting and the allowed range) with
 * its TypeScript type inferred from it.
 */
export const linearVaeRateConfigSchema = z.object({
  optimizer,
  schedule,
  seeds: seedCount,
  steps: positiveInt('steps'),
  /** Mini-batch size B (points per step, drawn with replacement). */
  batchSize: positiveInt('batch size B'),
  /** Reparameterised samples K per point. */
  samples: positiveInt('samples K'),
  beta: klWeight,
  data: linearGaussianData,
  sigmaX: positiveNumber('decoder standard deviation σ_x'),
  /** Fit over [steps / 10^decades, steps]. */
  decades: positiveNumber('fit window in decades'),
  checkpointsPerDecade: positiveInt('checkpoints per decade'),
  /** Reported, not judged: the raw slope of log G_n sits on a knife edge (log n/√n has local slope −0.36 to −0.39). */
  maxSlope: finiteNumber('raw slope threshold'),
  maxNormalisedSlope: finiteNumber('normalised slope threshold'),
  /**
   * Sharpened measurements (ours, not the paper's); see linear-vae-rate-tiers.ts.
   *   lastDecadeSlope  slope of log E‖∇L(θ_k)‖² over the last decade (judged only when set);
   *   no floor         the exact gradient at the Polyak–Ruppert average of the last half of the
   *                    iterates decays (slope ≤ maxAveragedSlope) or is small against the iterates'
   *                    (ratio ≤ maxAveragingRatio); judged when both are set.
   */
  maxLastDecadeSlope: finiteNumber('last-decade slope threshold').optional(),
  maxAveragedSlope: finiteNumber('averaged-iterate slope threshold').optional(),
  maxAveragingRatio: positiveNumber('averaging ratio threshold').optional(),
  /** Falsifiers only: a constant bias in every coordinate of the engine's stochastic ∂/∂b (src/claims/convergence/shared/falsifier-models.ts). */
  gradientBias: finiteNumber('gradient bias').optional(),
  /** The bias the `biased-gradient` falsifier injects (sized per tier). */
  falsifierBias: finiteNumber('falsifier bias').optional(),
}).superRefine((c, ctx) => {
  if (c.batchSize > c.data.n) ctx.addIssue({ code: 'custom', path: ['batchSize'], message: `allowed batch size B: an integer 1 ≤ B ≤ N = ${c.data.n} (the data size)` });
});

export type LinearVaeRateConfig = z.infer<typeof linearVaeRateConfigSchema>;

interface Group {
  configs: { index: number; config: LinearVaeRateConfig }[];
}

/** Configurations that differ only in per-replica settings share one batch. */
function batchKey(c: LinearVaeRateConfig): string {
  return JSON.stringify([c.optimizer, c.seeds, c.steps, c.data, c.sigmaX, c.gradientBias ?? 0]);
}

/** Last-decade measurement grid: ends of the Polyak–Ruppert windows and bins of E‖∇L(θ_k)‖². */
const LAST_DECADE_POINTS = 6;

/** The iterations n_j at which the Polyak–Ruppert average of (n_j/2, n_j] is measured: log-spaced over [steps/10, steps]. */
export function averagedCheckpoints(steps: number): number[] {
  return logSpacedSteps(Math.max(2, Math.round(steps / 10)), steps, LAST_DECADE_POINTS - 1);
}

export async function checkLinearVaeRate(
  claimId: string,
  configs: readonly LinearVaeRateConfig[],
  ctx: ClaimContext,
): Promise<CheckResult[]> {
  const runs = trainLinearVaeConfigs(claimId, configs, ctx);
  const results = configs.map((config, i) => {
    const run = runs[i];
    return isDiverged(run) ? divergedResult(run) : evaluateLinearVaeRate(claimId, config, run, ctx.masterSeed);
  });
  results[0] = withEngineConformance(results[0], claimId, [configs[0]], [runs[0]], ctx);
  results[0] = withFalsifierConformance(results[0], claimId, configs, runs, ctx);
  return results;
}

/**
 * The claim's own result with the engine-conformance probes
 * (linear-vae-conformance.ts) run on its configuration's arms (one per
 * distinct B, K, β) and the independence of each arm's seeds
 * (seed-independence.ts): measured premises replace the declared ones, and a
 * failed probe makes the verdict `error` with the probe's message.
 */
export function withEngineConformance(
  result: CheckResult,
  claimId: string,
  arms: readonly LinearVaeRateConfig[],
  runs: readonly LinearVaeRun[],
  ctx: ClaimContext,
): CheckResult {
  if (runs.some(isDiverged)) return result;
  const base = arms[0];
  const data = linearVaeData(claimId, base, ctx).x;
  const conformance = linearVaeConformance({
    claimId,
    optimizer: base.optimizer,
    schedule: base.schedule,
    sigmaX: base.sigmaX,
    dims: { dx: base.data.dx, dz: base.data.dz },
    data,
    steps: base.steps,
    arms: arms.map((arm, i) => {
      const seed0 = (runs[i] as SeedRun[])[0];
      return {
        setting: { batchSize: arm.batchSize, samples: arm.samples, beta: arm.beta },
        initial: seed0.initial,
        final: seed0.final,
        measured: { initial: seed0.g[0], final: seed0.g[seed0.g.length - 1] },
      };
    }),
  });
  const initScale = linearVaeModelFor(base, data).initScale;
  const seeds = arms.map((arm, i) =>
    seedIndependence(runs[i] as SeedRun[], { scale: initScale, randomBlocks: RANDOM_INIT_BLOCKS }, arms.length > 1 ? `B = ${arm.batchSize}, K = ${arm.samples}, β = ${arm.beta}` : ''),
  );
  const errors = [...(conformance.ok ? [] : [conformance.error!]), ...seeds.filter((s) => !s.ok).map((s) => s.error!)];
  return {
    ...result,
    assumptions: withMeasuredAssumptions(result.assumptions, conformance.assumptions),
    notes: [...(result.notes ?? []), `Seed independence (measured): ${seeds.map((s) => s.detail).join('; ')}.`],
    ...(errors.length === 0 ? {} : { verdict: 'error' as const, error: errors.join(' | ') }),
  };
}

/**
 * The blocks LinearVaeModel.initialParams draws from N(0, initScale²) (the
 * others start at 0): what the seed-spread check tests.
 */
const RANDOM_INIT_BLOCKS = ['W', 'V'] as const;

/** The model a configuration trains: the linear VAE, or the biased-gradient falsifier's wrapper of it. */
function linearVaeModelFor(config: LinearVaeRateConfig, data: Float64Array | Float32Array): LinearVaeModel {
  const modelOptions = { dims: { dx: config.data.dx, dz: config.data.dz }, data, sigmaX: config.sigmaX };
  const bias = config.gradientBias ?? 0;
  return bias === 0 ? new LinearVaeModel(modelOptions) : new BiasedGradientLinearVae(modelOptions, bias);
}

/** What a configuration trains with (for "did the falsifier's mutation reach the engine?"). */
function trainingKey(c: LinearVaeRateConfig): string {
  return JSON.stringify([c.optimizer, c.schedule, c.seeds, c.steps, c.batchSize, c.samples, c.beta, c.data, c.sigmaX, c.gradientBias ?? 0]);
}

/**
 * The falsifiers' own conformance, on the claim's result: a falsifier that
 * does not inject its bug would be "not caught" and the claim inconclusive,
 * blaming power; it is a harness defect, so the claim is `error` instead.
 *   reached the engine   a falsifier whose configuration trains differently
 *                        from the claim's must not reproduce the claim's own
 *                        ‖∇L(θ_k)‖² trajectories bit for bit (deterministic);
 *   injected bias        the biased-gradient falsifier's model, probed like the
 *                        engine (gradient-probe.ts) at its seed 0's initial
 *                        point on the kernel path (what it trains with), has
 *                        mean ∇L + δ·1_b: the stated bias, no other (Bonferroni
 *                        max-|z| test at false alarm 1e-6).
 */
export function withFalsifierConformance(
  result: CheckResult,
  claimId: string,
  configs: readonly LinearVaeRateConfig[],
  runs: readonly LinearVaeRun[],
  ctx: ClaimContext,
): CheckResult {
  if (result.verdict === 'error' || isDiverged(runs[0])) return result;
  const own = runs[0] as SeedRun[];
  const failures: string[] = [];
  const details: string[] = [];
  configs.forEach((config, i) => {
    const run = runs[i];
    if (i === 0 || isDiverged(run)) return;
    const mutated = describeMutation(configs[0], config);
    if (trainingKey(config) !== trainingKey(configs[0]) && run.length === own.length && run.every((r, s) => r.g.length === own[s].g.length && r.g.every((v, k) => Object.is(v, own[s].g[k])))) {
      failures.push(`the falsifier configuration at position ${i} (${mutated}) trained exactly the claim's own trajectories: its mutation never reached the engine`);
    }
    const bias = config.gradientBias ?? 0;
    if (bias === 0) return;
    const data = linearVaeData(claimId, config, ctx).x;
    const probe = probeInjectedBias({
      model: linearVaeModelFor(config, data),
      dims: { dx: config.data.dx, dz: config.data.dz },
      data,
      sigmaX: config.sigmaX,
      setting: { batchSize: config.batchSize, samples: config.samples, beta: config.beta },
      point: run[0].initial,
      bias,
      seedLabel: [claimId, 'falsifier', i],
    });
    details.push(probe.detail);
    if (!probe.ok) failures.push(`the biased-gradient falsifier (configuration at position ${i}, ${mutated}) does not inject the bias it states: ${probe.detail}`);
  });
  if (failures.length === 0) return details.length ? { ...result, notes: [...(result.notes ?? []), `Falsifier conformance (measured): ${details.join('; ')}.`] } : result;
  return { ...result, verdict: 'error', error: `falsifier conformance failed: ${failures.join(' | ')}` };
}

/** E.g. `gradientBias = 0.05` or `schedule = {"C":0.1,"alpha":0}`: the top-level settings in which `mutated` differs from `own`. */
function describeMutation(own: LinearVaeRateConfig, mutated: LinearVaeRateConfig): string {
  const keys = Object.keys({ ...own, ...mutated }) as (keyof LinearVaeRateConfig)[];
  const diff = keys.filter((k) => JSON.stringify(own[k]) !== JSON.stringify(mutated[k])).map((k) => `${k} = ${JSON.stringify(mutated[k])}`);
  return diff.length ? diff.join(', ') : 'no setting changed';
}

/**
 * Per seed: the exact squared gradient norm at every iterate (g[k], k = 0..steps)
 * and at the Polyak–Ruppert averages θ̄ of (n_j/2, n_j] for n_j = averagedCheckpoints(steps).
 */
export interface SeedRun {
  /** The replica seed it trained with. */
  seed: number;
  g: Float64Array;
  averaged: Float64Array;
  /** The seed's parameters at k = 0 and k = steps (float32, as the engine holds them): probe points for conformance checks. */
  initial: ReplicaParams;
  final: ReplicaParams;
}

/** The data a linear-VAE configuration trains on: the user's (verify --data; its row count is already data.n), else the synthetic set. */
export function linearVaeData(claimId: string, config: LinearVaeRateConfig, ctx: Pick<ClaimContext, 'data' | 'masterSeed'>): { x: Float64Array | Float32Array } {
  return ctx.data ?? generateLinearGaussianData({ ...config.data, seed: deriveSeed(ctx.masterSeed, claimId, 'data') });
}

/** Per seed, one SeedRun; or where the configuration's training diverged. */
export type LinearVaeRun = SeedRun[] | Diverged;

/**
 * Train every configuration (S seeds each) and return, per configuration, the
 * exact squared gradient norm of the expected objective per seed at every
 * iterate k = 0..steps. Configurations that differ only in per-replica
 * settings (step schedule, B, K, β) share one replica batch; a configuration
 * whose training diverges is reported as such and the rest of its batch is
 * retrained without it (src/claims/shared/divergence.ts).
 */
export function trainLinearVaeConfigs(
  claimId: string,
  configs: readonly LinearVaeRateConfig[],
  ctx: ClaimContext,
): LinearVaeRun[] {
  const results: LinearVaeRun[] = new Array(configs.length);
  let done = 0;
  for (const group of groupConfigs(configs, batchKey).map((members): Group => ({ configs: members }))) {
    const groupResults = withDivergenceRetry(group.configs.length, (active) =>
      trainGroup(claimId, { configs: active.map((i) => group.configs[i]) }, active, ctx, (f) =>
        ctx.progress((done + f * group.configs.length) / configs.length),
      ),
    );
    group.configs.forEach(({ index }, i) => (results[index] = groupResults[i]));
    done += group.configs.length;
  }
  return results;
}

/** `positions[i]` is config i's position in the caller's group (named in replica labels for divergence retries). */
function trainGroup(
  claimId: string,
  group: Group,
  positions: readonly number[],
  ctx: ClaimContext,
  progress: (fraction: number) => void,
): SeedRun[][] {
  const base = group.configs[0].config;
  const { dx, dz } = base.data;
  // The user's data (verify --data; its row count is already base.data.n), else the synthetic set.
  const data = linearVaeData(claimId, base, ctx);
  const moments: DataMoments = dataMoments(data.x, base.data.n, dx);
  const model = linearVaeModelFor(base, data.x);

  // Every configuration uses the same seeds: common random numbers make the
  // claim and its falsifiers differ only by the mutated setting. A replica
  // whose seed and settings repeat an earlier one's would follow the same
  // trajectory (the engine is deterministic given the seed), so it is trained
  // once and its measurements shared.
  const replicas: ReplicaSetting[] = [];
  const owners: number[][] = [];
  const seedOf: number[] = [];
  const slotOf: number[] = [];
  const slotByKey = new Map<string, number>();
  group.configs.forEach(({ config }, position) => {
    for (let s = 0; s < config.seeds; s++) {
      const setting: ReplicaSetting = {
        label: '',
        seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s),
        schedule: config.schedule,
        batchSize: config.batchSize,
        samples: config.samples,
        beta: config.beta,
      };
      const key = JSON.stringify([setting.seed, setting.schedule, setting.batchSize, setting.samples, setting.beta]);
      let slot = slotByKey.get(key);
      if (slot === undefined) {
        slot = replicas.length;
        slotByKey.set(key, slot);
        replicas.push(setting);
        owners.push([]);
        seedOf.push(s);
      }
      if (!owners[slot].includes(positions[position])) owners[slot].push(positions[position]);
      slotOf.push(slot);
    }
  });
  replicas.forEach((r, slot) => (r.label = `${configLabel(owners[slot])}, seed ${seedOf[slot]}`));
  const R = replicas.length;
  const steps = base.steps;
  // Polyak–Ruppert sums: window j averages the iterates k ∈ (n_j/2, n_j], in float64.
  const averagedEnds = averagedCheckpoints(steps);
  const trained: SeedRun[] = replicas.map((r) => ({ seed: r.seed, g: new Float64Array(steps + 1), averaged: new Float64Array(averagedEnds.length), initial: {}, final: {} }));
  const grad = zeroParams({ dx, dz });
  // Per window, per parameter, every replica's sum [R × size] (as the parameters are laid out): one
  // long loop per window and parameter each step instead of one short loop per replica (~4x faster).
  const shapes = zeroParams({ dx, dz });
  const sums = averagedEnds.map(() => Object.fromEntries(LINEAR_VAE_PARAM_NAMES.map((name) => [name, new Float64Array(R * shapes[name].length)])) as Record<LinearVaeParamName, Float64Array>);
  // ‖∇L(θ_k)‖² of every replica in one call (oracle-wasm.ts: the JavaScript oracle's bits, two replicas per SIMD lane pair).
  const norms = new LinearVaeGradientNorms({ dx, dz }, moments, base.sigmaX);
  const betas = Float64Array.from(replicas, (r) => r.beta);
  const gk = new Float64Array(R);
  const trainer = createTrainer(model, replicas, base.optimizer);
  try {
    trainer.train({
      steps,
      // Views, not a copy every step: what is kept (θ₀, θ_n, the Polyak–Ruppert sums) is copied.
      viewParams: true,
      onMeasure: (k, params) => {
        const values = params.values as BatchedLinearVaeParams;
        norms.compute(values, R, betas, gk);
        // The Polyak–Ruppert windows (n_j/2, n_j] that contain k.
        const windows = averagedEnds.flatMap((end, j) => (k > Math.floor(end / 2) && k <= end ? [j] : []));
        for (let r = 0; r < R; r++) {
          if (k === 0 || k === steps) {
            const copy = Object.fromEntries(Object.entries(params.replica(r)).map(([name, v]) => [name, v.slice()]));
            if (k === 0) trained[r].initial = copy;
            if (k === steps) trained[r].final = copy;
          }
          trained[r].g[k] = gk[r];
        }
        for (const j of windows) {
          // θ_k's float32 values, each widened to float64 (exact) as it is added.
          for (const name of LINEAR_VAE_PARAM_NAMES) {
            const into = sums[j][name];
            const from = values[name];
            for (let i = 0; i < into.length; i++) into[i] += from[i];
          }
          const end = averagedEnds[j];
          if (k === end) {
            const start = Math.floor(end / 2);
            for (let r = 0; r < R; r++) {
              const sum = Object.fromEntries(
                LINEAR_VAE_PARAM_NAMES.map((name) => {
                  const size = shapes[name].length;
                  const mean = sums[j][name].subarray(r * size, (r + 1) * size);
                  for (let i = 0; i < size; i++) mean[i] /= end - start;
                  return [name, mean];
                }),
              ) as unknown as LinearVaeParams;
              trained[r].averaged[j] = squaredNorm(elboGradient(sum, moments, base.sigmaX, replicas[r].beta, grad));
            }
          }
        }
      },
      progressEvery: Math.max(1, Math.floor(steps / 50)),
      onProgress: (k) => progress(k / steps),
    });
  } finally {
    trainer.dispose();
  }
  const g = slotOf.map((slot) => trained[slot]);

  let offset = 0;
  return group.configs.map(({ config }) => {
    const perSeed = g.slice(offset, offset + config.seeds);
    offset += config.seeds;
    return perSeed;
  });
}

function metric(x: Interval, criterion: string): Metric {
  return { value: x.estimate, lower: x.lower, upper: x.upper, level: x.level, criterion };
}

/** Per seed, the mean of g over each of `bins` log-spaced bins of (from, to]; and the bins' geometric centres. */
export function lastDecadeBins(perSeed: readonly SeedRun[], from: number, to: number, bins: number): { centres: number[]; perSeed: Float64Array[] } {
  const edges = Array.from({ length: bins + 1 }, (_, i) => Math.round(from * Math.pow(to / from, i / bins)));
  const centres = edges.slice(1).map((e, i) => Math.sqrt(e * edges[i]));
  const means = perSeed.map(({ g }) => {
    const out = new Float64Array(bins);
    for (let i = 0; i < bins; i++) {
      let sum = 0;
      for (let k = edges[i] + 1; k <= edges[i + 1]; k++) sum += g[k];
      out[i] = sum / (edges[i + 1] - edges[i]);
    }
    return out;
  });
  return { centres, perSeed: means };
}

/**
 * The rate verdict, metrics and series of one configuration's per-seed runs.
 * Judged (each on its 95% bootstrap-over-seeds upper bound):
 *   normalisedSlope   [SGL25]'s statement read faithfully: G_n √n / log n not rising;
 *   no floor          our sharpening: the gradient at the Polyak–Ruppert average decays
 *                     (averagedSlope) or is small against the iterates' (averagingRatio);
 *   lastDecadeSlope   our sharpening, judged only where configured (reported in the rate
 *                     claims: finite windows cannot separate −1/2 from −1/4 reliably).
 * The raw slope of log G_n is reported, not judged (a knife edge near −0.36..−0.39
 * where G_n tracks log n/√n exactly). See src/claims/convergence/shared/linear-vae-rate-tiers.ts.
 */
export function evaluateLinearVaeRate(
  claimId: string,
  config: LinearVaeRateConfig,
  perSeed: SeedRun[],
  masterSeed: number,
): CheckResult {
  const steps = config.steps;
  const checkpoints = logSpacedSteps(Math.max(1, Math.round(steps / 10 ** config.decades)), steps, config.checkpointsPerDecade);
  const g = perSeed.map((r) => r.g);
  const fit: RateFit = fitRate(g, {
    checkpoints,
    bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap'),
  });
  const from = Math.max(2, Math.round(steps / 10));
  const bins = lastDecadeBins(perSeed, from, steps, 8);
  const lastDecade = fitRateFromRunningAverages(bins.perSeed, { window: bins.centres, bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap', 'last-decade') });
  const ends = averagedCheckpoints(steps);
  const averaged = fitRateFromRunningAverages(
    perSeed.map((r) => r.averaged),
    { window: ends, bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap', 'averaged') },
  );
  // Averaging ratio at n: PR-average gradient norm over the mean gradient norm of the iterates it averages.
  // Averaging ratio over the last three Polyak–Ruppert windows (n_j/2, n_j]: the sum of ‖∇L(θ̄_{n_j})‖²
  // over the sum of the windows' mean ‖∇L(θ_k)‖² (three windows: a third of one window's variance).
  const lastWindows = ends.slice(-3);
  const windowMeans = perSeed.map(({ g }) =>
    lastWindows.reduce((acc, end) => {
      const start = Math.floor(end / 2);
      let sum = 0;
      for (let k = start + 1; k <= end; k++) sum += g[k];
      return acc + sum / (end - start);
    }, 0),
  );
  const averagedSums = perSeed.map((r) => r.averaged.slice(-3).reduce((a, b) => a + b, 0));
  const [ratio] = pairedBootstrap([averagedSums, windowMeans], (m) => [m[0] / m[1]], {
    bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap', 'averaging-ratio'),
  });
  // No floor: either the averaged iterate's gradient decays or it is small against the noise it averages.
  const judgeFloor = config.maxAveragedSlope !== undefined && config.maxAveragingRatio !== undefined;
  const noFloor = judgeFloor ? anyOf([atMost(averaged.slope, config.maxAveragedSlope!), atMost(ratio, config.maxAveragingRatio!)]) : null;
  const verdict = allOf([
    atMost(fit.normalisedSlope, config.maxNormalisedSlope),
    ...(config.maxLastDecadeSlope !== undefined ? [atMost(lastDecade.slope, config.maxLastDecadeSlope)] : []),
    ...(noFloor ? [noFloor] : []),
  ]);
  const reported = 'reported, not judged in this claim';
  // Plot series on a coarser grid over the whole run.
  const plotSteps = logSpacedSteps(1, steps, 20);
  const meanG = seedAverage(g);
  const G = runningAverage(meanG);
  const averagedMean = ends.map((_, j) => perSeed.reduce((a, r) => a + r.averaged[j], 0) / perSeed.length);
  return {
    verdict,
    assumptions: assumptionChecks(config),
    metrics: {
      normalisedSlope: metric(fit.normalisedSlope, `upper bound ≤ ${config.maxNormalisedSlope} (G_n √n / log n not rising)`),
      lastDecadeSlope: metric(
        lastDecade.slope,
        config.maxLastDecadeSlope !== undefined ? `upper bound ≤ ${config.maxLastDecadeSlope} (E‖∇L(θ_k)‖² decays like γ_k = C k^{-1/2}; a floor or k^{-1/4} does not)` : reported,
      ),
      averagedSlope: metric(
        averaged.slope,
        noFloor ? `no floor (${noFloor}): this upper bound ≤ ${config.maxAveragedSlope} (‖∇L(θ̄_n)‖² at the Polyak–Ruppert average decays like 1/n; a floor does not) OR averagingRatio's ≤ ${config.maxAveragingRatio}` : reported,
      ),
      averagingRatio: metric(
        ratio,
        noFloor ? `no floor (${noFloor}): this upper bound ≤ ${config.maxAveragingRatio} (Σ_j ‖∇L(θ̄_{n_j})‖² / Σ_j mean ‖∇L(θ_k)‖² over the last three windows (n_j/2, n_j]: averaging removes the noise ball, not a floor) OR averagedSlope's ≤ ${config.maxAveragedSlope}` : reported,
      ),
      slope: { value: fit.slope.estimate, lower: fit.slope.lower, upper: fit.slope.upper, level: fit.slope.level, criterion: `reported, not judged (CLAIMS.md's ≤ ${config.maxSlope} is a knife edge where G_n tracks log n/√n)` },
      finalG: { value: G[steps] },
      finalGradientNormSq: { value: lastDecade.G[lastDecade.G.length - 1] },
      finalAveragedGradientNormSq: { value: averagedMean[averagedMean.length - 1] },
      windowFrom: { value: fit.window[0] },
      windowTo: { value: fit.window[1] },
    },
    series: {
      G: gSeries(plotSteps, { G_n: plotSteps.map((n) => G[n]) }, { G_n: fit }),
      lastDecade: {
        x: [...bins.centres, ...[]],
        y: {
          [`E‖∇L(θ_k)‖² (binned), slope ${lastDecade.slope.estimate.toFixed(3)}`]: [...lastDecade.G],
          [`‖∇L(θ̄_n)‖² at n = bin centre (Polyak–Ruppert, interpolated), slope ${averaged.slope.estimate.toFixed(3)}`]: bins.centres.map((c) => interpolateLog(ends, averagedMean, c)),
        },
        xLabel: 'iteration k (last decade)',
        yLabel: 'exact squared gradient norm (seed average)',
        logX: true,
        logY: true,
      },
    },
  };
}

/** Log-log linear interpolation of (xs, ys) at x (clamped to the ends). */
function interpolateLog(xs: readonly number[], ys: readonly number[], x: number): number {
  if (x <= xs[0]) return ys[0];
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]) {
      const t = Math.log(x / xs[i - 1]) / Math.log(xs[i] / xs[i - 1]);
      return Math.exp((1 - t) * Math.log(ys[i - 1]) + t * Math.log(ys[i]));
    }
  }
  return ys[ys.length - 1];
}

/** Which of the theorem's assumptions this configuration meets (recorded in the report). */
function assumptionChecks(config: LinearVaeRateConfig): AssumptionCheck[] {
  const { C, alpha } = config.schedule;
  const checks: AssumptionCheck[] = [
    {
      id: 'smooth-objective',
      met: true,
      detail: 'closed-form expected ELBO: quadratic in W, b, V, c and C∞ in s (its gradient is Lipschitz on bounded sets: the e^s terms grow)',
    },
    { id: 'step-schedule', met: alpha === 0.5, detail: `γ_k = ${C}·k^{-${alpha}}` },
    { id: 'unbiased-gradients', met: true, detail: `B = ${config.batchSize} points with replacement, K = ${config.samples} samples each` },
    { id: 'exact-measurement', met: true, detail: 'float64 closed-form gradient of the expected ELBO at every iterate' },
  ];
  if (config.optimizer.kind === 'adam') {
    const { beta1, beta2 } = config.optimizer;
    checks.push({ id: 'adam-momentum', met: beta1 < Math.sqrt(beta2) && beta2 < 1, detail: `β1 = ${beta1}, √β2 = ${Math.sqrt(beta2).toFixed(4)}` });
  }
  return checks;
}
