/**
 * The Adam rate of [SGL25] on a deep Gaussian VAE that meets the paper's
 * assumptions (src/models/deep-vae: soft-clipped MLP encoder and decoder,
 * bounded decoder mean, fixed decoder variance c², log-variance ≥ −20),
 * trained on real handwritten digits with bias-corrected Adam and
 * γ_k = C k^{-1/2}. What is the paper's statement and what is our
 * sharpening is argued in src/claims/convergence/adam-rate-deep-vae.ts.
 *
 * Measurement. The expected ELBO over the (sub)set has no closed-form
 * gradient: ‖∇L(θ)‖² is estimated in float64 (hand-written backpropagation,
 * src/models/deep-vae/reference.ts) from J independent noise draws over every
 * data point, each with antithetic pairs (ε, −ε) per point (which cancels the
 * noise's odd part: ~5x less variance per unit of work here), with the
 * variance floor subtracted (unbiased U-statistic). The draws are per seed
 * index (so the bootstrap over seeds sees the estimator's error) and the same
 * at every checkpoint of a seed (smooth curves).
 *   G_n          = mean_{k≤n} ‖∇L(θ_k)‖²: trapezoid rule in k over log-spaced
 *                  checkpoints (src/stats/sparse-running-average.ts), seeds
 *                  averaged before logs. Judged: the normalised slope of
 *                  log(G_n √n / log n) over the last `decades` decades.
 *   last decade  the seed-averaged ‖∇L(θ_k)‖² at the checkpoints in [n/10, n]
 *                  (no burn-in). Judged: its slope (not rising).
 *   no floor     ‖∇L(θ̄_e)‖² at the Polyak–Ruppert averages θ̄_e of (e/2, e]
 *                  (every `stride`-th iterate), e log-spaced over the last
 *                  decade; judged by decay (mean per-seed slope) OR smallness
 *                  against the iterates' own ‖∇L(θ_k)‖² on (n/2, n]
 *                  (geometric mean over seeds of the per-seed ratio).
 * Engine conformance (deep-vae-conformance.ts) turns the verdict into
 * `error` when the engine is not the algorithm the theorem is about, and
 * when the float64 reference's WebAssembly port (which measures) differs by a
 * bit from its JavaScript on seed 0's first measurement (referencePortCheck).
 *
 * Informational (never part of the verdict): the same network with ReLU
 * hidden units and identity heads (unbounded mean and log-variance), trained
 * in the same replica batch; its slopes and log-variance range are reported.
 */
import { z } from 'zod';
import type { AssumptionCheck, CheckResult, ClaimContext, ConfigSchema, Metric } from '../../contract/claim.ts';
import { finiteNumber, intAtLeast, validateConfig, nonNegativeNumber, optimizer, positiveInt, positiveNumber, schedule, seedCount } from '../../config/hyperparameters.ts';
import { deriveSeed, RandomStream } from '../../engine/rng.ts';
import { createTrainer } from '../../engine/create-trainer.ts';
import type { ReplicaSetting } from '../../engine/replica.ts';
import { loadDigits, MNIST_COUNTS, MNIST_SIDE } from '../../data/mnist.ts';
import { DeepVaeModel, PACKED_PARAM } from '../../models/deep-vae/engine-model.ts';
import { activationSet, deepElboDraws, unflattenDeep } from '../../models/deep-vae/reference.ts';
import { deepParamCount, type Activation, type DeepVaeDims, type DeepVaeParams } from '../../models/deep-vae/params.ts';
import { checkpointGrid, fitRateFromRunningAverages, sparseRunningAverage } from '../../stats/sparse-running-average.ts';
import { logSpacedSteps } from '../../stats/grid.ts';
import { bootstrapOverSeeds } from '../../stats/bootstrap.ts';
import { leastSquaresLine } from '../../stats/least-squares.ts';
import type { Interval, RateFit } from '../../stats/rate.ts';
import { unbiasedSquaredNorm } from '../../stats/unbiased-squared-norm.ts';
import { allOf, atMost } from '../../stats/verdict.ts';
import { anyOf, gSeries, intervalMetric } from './shared/report.ts';
import { configLabel, divergedResult, isDiverged, withDivergenceRetry } from '../shared/divergence.ts';
import { groupConfigs } from '../shared/config-groups.ts';
import { PolyakRuppertAverages } from './shared/polyak-ruppert.ts';
import { antitheticNoise, deepVaeConformance, referencePortCheck, type ConformanceResult, type DeepVaeSeedRuns, type PortComparison } from './adam-rate-deep-vae.conformance.ts';
import { isUserVae, type UserVae } from '../../models/user-vae/user-vae.ts';
import { dataSource, fileData, fileRows, fromFile, ownData } from '../shared/user-data.ts';
import { userModelConformance, userModelRun } from './adam-rate-deep-vae.user-model.ts';

const MNIST_PER_DIGIT = Math.min(...MNIST_COUNTS);
const POOLS = Array.from({ length: MNIST_SIDE }, (_, i) => i + 1).filter((p) => MNIST_SIDE % p === 0);

/** The deep-VAE Adam-rate configuration, as a zod schema (every message names the setting and the allowed range). */
export const deepVaeRateConfigSchema = z
  .object({
    optimizer,
    schedule,
    /**
     * null: the engine's soft-clipped MLP (hidden, dz, decoderStd, init below).
     * A user's VAE (withModel, through the API): trained and measured in its
     * place; those settings and the ReLU arm then do not apply.
     */
    model: z.custom<UserVae>((v) => isUserVae(v), { error: "model must be null (the engine's deep VAE) or a user's VAE { kind: 'user-vae', name, latent, init, elbo } (withModel)" }).nullable(),
    seeds: seedCount,
    /** Seeds of the informational ReLU arm (0: none). */
    reluSeeds: z
      .number({ error: 'reluSeeds must be a number' })
      .int({ error: 'allowed ReLU-arm seeds: 0 (no ReLU arm) or an integer ≥ 2' })
      .refine((v) => v === 0 || v >= 2, { error: 'allowed ReLU-arm seeds: 0 (no ReLU arm) or an integer ≥ 2' }),
    steps: intAtLeast('steps', 40, 'a last decade of at least 4 iterations'),
    batchSize: positiveInt('batch size B'),
    samples: positiveInt('samples K'),
    /** Real digits: the first `perDigit` images of every digit, average-pooled by `pool`; or the user's rows (verify --data). */
    data: z.discriminatedUnion(
      'source',
      [
        z
          .object({
            perDigit: positiveInt('images per digit').max(MNIST_PER_DIGIT, { error: `allowed images per digit: an integer 1 ≤ perDigit ≤ ${MNIST_PER_DIGIT}` }),
            pool: z
              .number({ error: 'pool must be a number' })
              .refine((p) => POOLS.includes(p), { error: `allowed pooling factor: a divisor of ${MNIST_SIDE} (${POOLS.join(', ')})` }),
          })
          .safeExtend(ownData),
        fileData,
      ],
      dataSource,
    ),
    hidden: positiveInt('hidden width'),
    dz: positiveInt('latent dimension d_z'),
    /** Decoder standard deviation c (fixed). */
    decoderStd: positiveNumber('decoder standard deviation c'),
    /** Initialisation (see DeepVaeModelOptions.init). */
    init: z.object({
      weightScale: nonNegativeNumber('initial weight scale'),
      outputWeightScale: nonNegativeNumber('initial output weight scale'),
      outputBiasAtDataMean: z.boolean({ error: 'allowed init.outputBiasAtDataMean: true or false' }),
    }),
    /** G_n's slopes are fitted over the last `decades` decades of the run. */
    decades: positiveNumber('fit window in decades'),
    /** Checkpoints per decade over the whole run, and over the last decade (where the sharpened measurements live). */
    checkpointsPerDecade: positiveInt('checkpoints per decade'),
    lastDecadeCheckpoints: positiveInt('last-decade checkpoints per decade'),
    /** Independent antithetic noise draws J of the ‖∇L‖² estimator at a checkpoint (each over every data point). */
    estimatorDraws: intAtLeast('estimator draws J', 2),
    /**
     * Polyak–Ruppert averages θ̄_e of (e/2, e] at `ends` log-spaced e over the last `decades` decades,
     * over every `stride`-th iterate; ‖∇L(θ̄_e)‖² from `draws` antithetic draws.
     */
    averaged: z.object({
      ends: intAtLeast('averaged ends', 2),
      decades: positiveNumber('averaged window in decades'),
      draws: intAtLeast('averaged draws', 3),
      stride: positiveInt('averaged stride'),
    }),
    /** Judged: upper bounds of the normalised slope, the last-decade slope and (either of) the averaged slope and averaging ratio. */
    maxNormalisedSlope: finiteNumber('normalised slope threshold'),
    maxLastDecadeSlope: finiteNumber('last-decade slope threshold'),
    maxAveragedSlope: finiteNumber('averaged-iterate slope threshold'),
    maxAveragingRatio: positiveNumber('averaging ratio threshold'),
    /** Reported, not judged: CLAIMS.md's raw-slope threshold (a knife edge where G_n tracks log n/√n). */
    maxSlope: finiteNumber('raw slope threshold'),
    /**
     * Falsifiers only: ‖b‖² of a constant vector b added to the engine's
     * stochastic gradient (every coordinate ±√(‖b‖²/P), fixed signs). 0: the engine as it is.
     */
    gradientBias: nonNegativeNumber('gradient bias ‖b‖²'),
    /** The ‖b‖² the `biased-gradient` falsifier injects at this tier (sized against G_n at the window's end: ≈ G_n/5). */
    falsifierBias: nonNegativeNumber('falsifier bias ‖b‖²'),
    /**
     * The step γ the `constant-step` falsifier holds for every k (default: C, the schedule's
     * first step). Sized per tier where C itself is not a noise ball: see the claim's header.
     */
    falsifierStep: positiveNumber('constant-step falsifier γ').optional(),
    /** Engine conformance: draws of the unbiasedness test (engine M, float64 reference J) and optimiser-probe steps. */
    conformance: z.object({
      engineDraws: positiveInt('conformance engine draws'),
      referenceDraws: positiveInt('conformance reference draws'),
      probeSteps: positiveInt('optimiser-probe steps'),
    }),
  })
  .superRefine((c, ctx) => {
    for (const [path, what, d] of [[['decades'], 'fit window in decades', c.decades], [['averaged', 'decades'], 'averaged window in decades', c.averaged.decades]] as const) {
      if (c.steps / 10 ** d < 4) ctx.addIssue({ code: 'custom', path: [...path], message: `allowed ${what}: > 0 with steps / 10^decades ≥ 4, i.e. ≤ ${Math.log10(Math.max(c.steps, 4) / 4).toFixed(3)} at steps = ${c.steps}` });
    }
    const n = fromFile(c.data) ? c.data.N : 10 * c.data.perDigit;
    if (c.batchSize > n) ctx.addIssue({ code: 'custom', path: ['batchSize'], message: `allowed batch size B: an integer 1 ≤ B ≤ N = ${n} (the data size${fromFile(c.data) ? '' : ': 10 digits × perDigit'})` });
  });

export type DeepVaeRateConfig = z.infer<typeof deepVaeRateConfigSchema>;

/**
 * What the deep VAE rate claims (adam-rate-deep-vae, sgd-rate-deep-vae) share besides this
 * check: the model's premises as the paper states them, the measurement's, and their two
 * falsifiers' mutations (each at most `falsifierSeeds` seeds, the informational ReLU arm dropped).
 */
export const DEEP_VAE_MODEL_ASSUMPTIONS = [
  { id: 'smooth-activations', statement: 'Smooth Lipschitz activations: generalised soft-clipping, not ReLU (measured: the engine\'s activation against the paper\'s formula).' },
  { id: 'bounded-decoder-mean', statement: 'The decoder mean G_θ is bounded.' },
  { id: 'fixed-decoder-variance', statement: 'p(x|z) = N(G_θ(z), c² I) with c fixed.' },
  { id: 'bounded-log-variance', statement: 'λ_min(Σ_φ) ≥ c_Σ > 0 (log-variance soft-clipped to [−20, 20]).' },
] as const;
export const DEEP_VAE_EXACT_MEASUREMENT = { id: 'exact-measurement', statement: 'G_n uses the gradient of the expected ELBO over the whole subset (unbiased antithetic estimate, variance floor subtracted), not mini-batch norms.' } as const;
/**
 * The constant-step falsifier's mutation: α = 0, at the tier's falsifierStep (default C).
 * `falsifierSeeds` caps the falsifier's seeds (default: none, the claim's own, so a grown run grows it too).
 */
export const constantStepMutation = (falsifierSeeds = Number.POSITIVE_INFINITY) => (c: DeepVaeRateConfig): DeepVaeRateConfig => ({
  ...c,
  schedule: { ...c.schedule, C: c.falsifierStep ?? c.schedule.C, alpha: 0 },
  seeds: Math.min(c.seeds, falsifierSeeds),
  reluSeeds: 0,
});
/** The biased-gradient falsifier's mutation: the tier's bias ‖b‖² added to every stochastic gradient (seeds capped as above). */
export const biasedGradientMutation = (falsifierSeeds = Number.POSITIVE_INFINITY) => (c: DeepVaeRateConfig): DeepVaeRateConfig => ({ ...c, gradientBias: c.falsifierBias, seeds: Math.min(c.seeds, falsifierSeeds), reluSeeds: 0 });

interface Arm {
  /** The judged arm is 'soft-clip' (also for a user's model: the tag names bootstrap streams); 'relu' is informational. */
  activation: Activation;
  seeds: number;
}

/** How an arm is named in series and notes. */
const armLabel = (c: DeepVaeRateConfig, arm: Arm) => (c.model && arm.activation === 'soft-clip' ? `model ${c.model.name}` : arm.activation);


/** Configurations that differ only in per-replica settings (schedule, seeds, ReLU arm, injected bias) train as one batch. */
function batchKey(c: DeepVaeRateConfig): string {
  return JSON.stringify([c.optimizer, c.model?.name ?? null, c.steps, c.batchSize, c.samples, c.data, c.hidden, c.dz, c.decoderStd, c.init, c.checkpointsPerDecade, c.lastDecadeCheckpoints, c.estimatorDraws, c.averaged, c.conformance]);
}

const armsOf = (c: DeepVaeRateConfig): Arm[] => [
  { activation: 'soft-clip', seeds: c.seeds },
  // The ReLU arm is the engine's own network with another activation: not there for a user's model.
  ...(c.reluSeeds > 0 && c.model === null ? [{ activation: 'relu' as Activation, seeds: c.reluSeeds }] : []),
];

/** Checkpoints: 0, log-spaced over [1, n], denser over the last decade. */
export function deepVaeCheckpoints(c: Pick<DeepVaeRateConfig, 'steps' | 'checkpointsPerDecade' | 'lastDecadeCheckpoints'>): number[] {
  const last = logSpacedSteps(Math.max(1, Math.round(c.steps / 10)), c.steps, c.lastDecadeCheckpoints);
  return [...new Set([...checkpointGrid(c.steps, c.checkpointsPerDecade), ...last])].sort((a, b) => a - b);
}

/** Ends e of the Polyak–Ruppert windows (e/2, e]: log-spaced over the last `averaged.decades` decades. */
export function averagedEnds(c: Pick<DeepVaeRateConfig, 'steps' | 'averaged'>): number[] {
  const from = Math.max(2, Math.round(c.steps / 10 ** c.averaged.decades));
  return logSpacedSteps(from, c.steps, (c.averaged.ends - 1) / c.averaged.decades).slice(-c.averaged.ends);
}

interface Measured {
  /** Per arm, per seed: ‖∇L‖² estimate at every checkpoint, and at every Polyak–Ruppert end. */
  g: Float64Array[][];
  averaged: Float64Array[][];
  floorFraction: number[];
  relativeSE: number[];
  /** Per arm: range of the encoder log-variance over the data at the last checkpoint. */
  logVarRange: [number, number][];
}

interface RunInfo {
  n: number;
  dims: DeepVaeDims;
  /** e.g. "196-16-2" for the engine's network, or the user's model's name and latent dimension. */
  network: string;
  /** The user's data file, when the run trains on it. */
  source: string;
  parameters: number;
  checkpoints: number[];
  ends: number[];
}

interface GroupRun {
  measured: Measured[];
  info: RunInfo;
  /** Seed 0's initial and final packed parameters (soft-clip arm of the group's first configuration). */
  points: { where: string; theta: Float32Array }[];
  /** The group's first configuration, per arm and seed: replica seed, ‖∇L‖² at the checkpoints, the engine's θ₀ (seed independence). */
  seedRuns: DeepVaeSeedRuns[];
  /** The float64 reference's port against its JavaScript on seed 0's first measurement (null: a user's model, not measured by it). */
  referencePort: PortComparison | null;
}

export async function checkDeepVaeRate(claimId: string, configs: readonly DeepVaeRateConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  // The claim's schema is the one statement of what a configuration may be (runClaim applies it too; a direct call gets the same message).
  configs.forEach((c) => validateConfig(claimId, c, 'configuration', deepVaeRateConfigSchema as ConfigSchema<unknown>));
  const results: CheckResult[] = new Array(configs.length);
  let done = 0;
  for (const indices of groupConfigs(configs, batchKey).map((g) => g.map((m) => m.index))) {
    let points: GroupRun['points'] | null = null;
    let seedRuns: DeepVaeSeedRuns[] = [];
    let referencePort: PortComparison | null = null;
    const runs = withDivergenceRetry(indices.length, (active) => {
      const run = trainGroup(claimId, active.map((a) => configs[indices[a]]), active, ctx, (f) => ctx.progress((done + 0.95 * f * indices.length) / configs.length));
      if (active[0] === 0) {
        points = run.points;
        seedRuns = run.seedRuns;
        referencePort = run.referencePort;
      }
      return run.measured.map((measured) => ({ measured, info: run.info }));
    });
    // The engine's premises, measured once per batch on the first configuration's settings (the claim's own).
    const base = configs[indices[0]];
    const digits = trainingRows(claimId, base, ctx);
    const userConformance = (model: UserVae, at: GroupRun['points']) =>
      userModelConformance({
        claimId,
        masterSeed: ctx.masterSeed,
        optimizer: base.optimizer,
        schedule: base.schedule,
        probeSteps: base.conformance.probeSteps,
        steps: base.steps,
        seedRuns,
        vae: model,
        data: digits.x,
        dx: digits.dim,
        setting: { batchSize: base.batchSize, samples: base.samples, beta: 1 },
        engineDraws: base.conformance.engineDraws,
        referenceDraws: base.conformance.referenceDraws,
        points: at,
      });
    const conformance: ConformanceResult | null = !points
      ? null
      : base.model
        ? userConformance(base.model, points)
        : deepVaeConformance({
          claimId,
          masterSeed: ctx.masterSeed,
          optimizer: base.optimizer,
          schedule: base.schedule,
          probeSteps: base.conformance.probeSteps,
          steps: base.steps,
          init: base.init,
          seedRuns,
          dims: { dx: digits.dim, hidden: base.hidden, dz: base.dz },
          data: digits.x,
          decoderStd: base.decoderStd,
          setting: { batchSize: base.batchSize, samples: base.samples, beta: 1 },
          engineDraws: base.conformance.engineDraws,
          referenceDraws: base.conformance.referenceDraws,
          points,
          referencePort: referencePort ?? { ok: false, detail: 'the float64 reference was not compared with its port (no measurement of seed 0)' },
        });
    indices.forEach((i, j) => {
      const run = runs[j];
      results[i] = isDiverged(run) ? divergedResult(run) : evaluate(claimId, configs[i], run.measured, run.info, ctx.masterSeed, conformance);
    });
    done += indices.length;
    ctx.progress(done / configs.length);
  }
  return results;
}

/** The training rows as the engine holds them (float32): the digits, or the user's rows (verify --data). */
function trainingRows(claimId: string, c: DeepVaeRateConfig, ctx: ClaimContext): { x: Float32Array; n: number; dim: number } {
  if (!fromFile(c.data)) return loadDigits({ perDigit: c.data.perDigit, pool: c.data.pool });
  const rows = fileRows(claimId, c.data, ctx.data);
  return { x: Float32Array.from(rows.x), n: rows.N, dim: rows.D };
}

/** The falsifiers' bias vector: every coordinate ±√(‖b‖²/P), signs from a named stream (the same for every replica). */
export function gradientBiasVector(claimId: string, squaredNorm: number, P: number): Float32Array {
  const rng = RandomStream.at(claimId, 'gradient-bias-direction');
  const d = Math.sqrt(squaredNorm / P);
  return Float32Array.from({ length: P }, () => (rng.uniform() < 0.5 ? -d : d));
}

/** `positions[i]` is configs[i]'s position in its group, named in replica labels for divergence retries. */
function trainGroup(claimId: string, configs: DeepVaeRateConfig[], positions: number[], ctx: ClaimContext, progress: (f: number) => void): GroupRun {
  const base = configs[0];
  const digits = trainingRows(claimId, base, ctx);
  const dims: DeepVaeDims = { dx: digits.dim, hidden: base.hidden, dz: base.model ? base.model.latent : base.dz };
  const n = digits.n;
  const x64 = Float64Array.from(digits.x);
  const user = base.model ? userModelRun(base.model, digits.x, digits.dim) : null;
  const P = user ? user.parameterCount : deepParamCount(dims);

  // Replicas: config × arm × seed; common seeds across configs and arms.
  const replicas: ReplicaSetting[] = [];
  const activation: Activation[] = [];
  const seedIndex: number[] = [];
  const bias: (Float32Array | null)[] = [];
  const slots: number[][][] = configs.map((c, ci) => {
    const b = c.gradientBias > 0 ? gradientBiasVector(claimId, c.gradientBias, P) : null;
    return armsOf(c).map((arm) =>
      Array.from({ length: arm.seeds }, (_, s) => {
        replicas.push({
          label: `${configLabel([positions[ci]])}, ${arm.activation}, seed ${s}`,
          seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s),
          schedule: c.schedule,
          batchSize: c.batchSize,
          samples: c.samples,
          beta: 1,
        });
        activation.push(arm.activation);
        seedIndex.push(s);
        bias.push(b);
        return replicas.length - 1;
      }),
    );
  });
  const index = new Map(replicas.map((r, i) => [r, i]));
  const biasOf = (r: ReplicaSetting) => bias[index.get(r) ?? 0] ?? null;
  const model = user ? user.model(biasOf) : new DeepVaeModel({
    dims,
    data: digits.x,
    decoderStd: base.decoderStd,
    init: base.init,
    activationOf: (r) => activation[index.get(r) ?? 0] ?? 'soft-clip',
    gradientBiasOf: biasOf,
  });

  const checkpoints = deepVaeCheckpoints(base);
  const checkpointIndex = new Map(checkpoints.map((k, i) => [k, i]));
  const ends = averagedEnds(base);
  const R = replicas.length;
  const J = base.estimatorDraws;
  const Jmax = Math.max(J, base.averaged.draws);
  // Estimator noise per seed index (independent across seeds, common to a seed's checkpoints and arms).
  const maxSeeds = Math.max(...seedIndex) + 1;
  const noise = Array.from({ length: maxSeeds }, (_, s) => {
    const stream = RandomStream.at(ctx.masterSeed, claimId, 'gradient-estimator-noise', s);
    // Interleaved pairs, row i's ε then −ε, as the float64 reference reads them; a user's model reads the same draws.
    return Array.from({ length: Jmax }, () => antitheticNoise(n, dims.dz, stream));
  });
  const grads = Array.from({ length: Jmax }, () => new Float64Array(P));
  const conformanceReplica = slots[0][0][0];
  let referencePort: PortComparison | null = null;
  const measure = (theta: Float64Array, r: number, draws: number, where = '') => {
    const buffers = grads.slice(0, draws);
    if (user) user.gradientDraws(theta, noise[seedIndex[r]].slice(0, draws), buffers);
    else {
      const o = { dims, activation: activation[r], decoderStd: base.decoderStd, x: x64, n, K: 2 };
      const eps = noise[seedIndex[r]].slice(0, draws);
      const values = deepElboDraws(unflattenDeep(theta, dims), o, eps, buffers);
      // Once per run: this measurement again in JavaScript, which the port must equal bit for bit.
      if (referencePort === null && r === conformanceReplica) referencePort = referencePortCheck(unflattenDeep(theta, dims), o, eps, values, buffers, `seed 0's measurement at ${where}`);
    }
    return unbiasedSquaredNorm(buffers);
  };

  const g = replicas.map(() => new Float64Array(checkpoints.length));
  const floor: number[] = [];
  const relSE: number[] = [];
  const lvRange: [number, number][] = replicas.map(() => [Infinity, -Infinity]);
  const pr = new PolyakRuppertAverages(ends, R, P, base.averaged.stride);
  const points: GroupRun['points'] = [];
  const theta64 = new Float64Array(P);
  // θ₀ as the engine holds it (k = 0 is the grid's first checkpoint), for the first configuration's replicas.
  const initial = new Map<number, Float32Array>(slots[0].flat().map((r) => [r, new Float32Array(0)]));
  // The engine's deep VAE trains on its closed-form kernel, a user's model on TF.js autodiff (createTrainer's pick).
  const trainer = createTrainer(model, replicas, base.optimizer);
  try {
    trainer.train({
      steps: base.steps,
      measureAt: (k) => checkpointIndex.has(k) || pr.wants(k),
      // Views, not a copy per measurement: everything kept below is copied (θ₀, the conformance
      // points, the Polyak–Ruppert sums, θ widened for the measurement).
      viewParams: true,
      onMeasure: (k, params) => {
        const i = checkpointIndex.get(k);
        for (let r = 0; r < R; r++) {
          const theta = params.replica(r)[PACKED_PARAM];
          if (k === 0 && initial.has(r)) initial.set(r, Float32Array.from(theta));
          pr.add(k, r, theta);
          if (i === undefined) continue;
          theta64.set(theta);
          const est = measure(theta64, r, J, `k = ${k}`);
          g[r][i] = est.estimate;
          if (activation[r] === 'soft-clip' && bias[r] === null) {
            if (est.plugIn > 0) floor.push(est.floor / est.plugIn);
            if (est.estimate > 0 && Number.isFinite(est.standardError)) relSE.push(est.standardError / est.estimate);
          }
          if (k === base.steps && !user) lvRange[r] = logVarianceRange(unflattenDeep(theta64, dims), dims, activation[r], x64, n);
          if (r === conformanceReplica && (k === 0 || k === base.steps)) points.push({ where: `seed 0's ${k === 0 ? 'initial' : 'final'} iterate (k = ${k})`, theta: Float32Array.from(theta) });
        }
        if (i !== undefined) progress(k / base.steps);
      },
    });
  } finally {
    trainer.dispose();
  }
  // ‖∇L(θ̄_e)‖², each estimate raised to its own jackknife standard error when below it: a value under
  // the estimator's resolution is not evidence of anything smaller (conservative for the decay and
  // smallness criteria; a floor's values are far above their standard errors).
  const averaged = replicas.map((_, r) =>
    Float64Array.from(ends, (e) => {
      const est = measure(pr.average(e, r), r, base.averaged.draws);
      return Math.max(est.estimate, est.standardError);
    }),
  );

  const measured: Measured[] = configs.map((c, ci) => {
    const arms = armsOf(c);
    return {
      g: arms.map((_, a) => slots[ci][a].map((s) => g[s])),
      averaged: arms.map((_, a) => slots[ci][a].map((s) => averaged[s])),
      floorFraction: floor,
      relativeSE: relSE,
      logVarRange: arms.map((_, a) => {
        const rs = slots[ci][a].map((s) => lvRange[s]);
        return [Math.min(...rs.map((q) => q[0])), Math.max(...rs.map((q) => q[1]))] as [number, number];
      }),
    };
  });
  const seedRuns: DeepVaeSeedRuns[] = armsOf(base).map((arm, a) => ({
    activation: arm.activation,
    runs: slots[0][a].map((r) => ({ seed: replicas[r].seed, g: g[r], theta: initial.get(r)! })),
  }));
  user?.dispose();
  const network = base.model ? `the user's model "${base.model.name}" (${digits.dim} inputs, latent dimension ${base.model.latent})` : `network ${dims.dx}-${dims.hidden}-${dims.dz}`;
  return { measured, info: { n, dims, network, source: ctx.data?.file ?? '', parameters: P, checkpoints, ends }, points, seedRuns, referencePort };
}

/** min and max of the encoder log-variance over the data (float64 forward pass). */
function logVarianceRange(p: DeepVaeParams, dims: DeepVaeDims, a: Activation, x: Float64Array, n: number): [number, number] {
  const act = activationSet(a);
  const { dx, hidden: H, dz } = dims;
  const h1 = new Float64Array(H);
  let lo = Infinity;
  let hi = -Infinity;
  for (let pt = 0; pt < n; pt++) {
    for (let h = 0; h < H; h++) {
      let t = p.b1[h];
      for (let i = 0; i < dx; i++) t += p.W1[h * dx + i] * x[pt * dx + i];
      h1[h] = act.hidden.f(t);
    }
    for (let j = 0; j < dz; j++) {
      let t = p.bv[j];
      for (let h = 0; h < H; h++) t += p.Wv[j * H + h] * h1[h];
      const lv = act.logVar.f(t);
      lo = Math.min(lo, lv);
      hi = Math.max(hi, lv);
    }
  }
  return [lo, hi];
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * A U-statistic below 0 means the squared norm is below the estimator's
 * resolution. Before logs it is counted as (nearly) 0: this only raises small
 * values, so a fitted decay can only come out shallower (conservative for the
 * decay criteria), and it never touches the values a floor produces.
 */
const atLeastTiny = (v: number) => Math.max(v, 1e-300);

function seedMeans(perSeed: readonly ArrayLike<number>[], pick: ArrayLike<number>, columns: readonly number[]): number[] {
  return columns.map((c) => {
    let s = 0;
    for (let i = 0; i < pick.length; i++) s += perSeed[pick[i]][c];
    return s / pick.length;
  });
}

export interface EndOfRunFit {
  /** Slope of log of the seed-mean ‖∇L(θ_k)‖² over the last decade's checkpoints. */
  lastDecadeSlope: Interval;
  /** Mean over seeds of the slope of log ‖∇L(θ̄_e)‖² over the Polyak–Ruppert ends. */
  averagedSlope: Interval;
  /** Geometric mean over seeds of ‖∇L(θ̄_n)‖² / mean ‖∇L(θ_k)‖² over the checkpoints of (n/2, n]. */
  averagingRatio: Interval;
  /**
   * Where the measurement is below the estimator's resolution, or null: a
   * seed whose mean ‖∇L(θ_k)‖² over (n/2, n], or a last-decade checkpoint
   * whose mean over seeds, is ≤ 0 (the unbiased U-statistic can be: the
   * gradient is then below its noise). Logs of such values say nothing
   * (1e-300 in a mean of logs is an artefact, not a floor or a decay), so
   * the end-of-run criteria cannot judge: inconclusive, with more draws as
   * the remedy.
   */
  unresolved: string | null;
}

/**
 * The sharpened end-of-run statistics with one bootstrap over seeds (expanded
 * percentile intervals, calibrated for means). The no-floor statistics are
 * per seed, then averaged on the log scale (the slope is one already; the
 * ratio's geometric mean): a floor (a gradient error) multiplies every seed's
 * ratio, while one seed whose last half straddles two basins (a late
 * excursion, seen at these sizes: its average lands between them) moves the
 * mean of logs by its own share only, not by its raw size.
 */
export function fitEndOfRun(g: readonly Float64Array[], averaged: readonly Float64Array[], checkpoints: readonly number[], ends: readonly number[], bootstrapSeed: number): EndOfRunFit {
  const n = checkpoints[checkpoints.length - 1];
  const last = checkpoints.map((k, i) => [k, i] as const).filter(([k]) => k >= Math.round(n / 10));
  const half = checkpoints.map((k, i) => [k, i] as const).filter(([k]) => k > n / 2).map(([, i]) => i);
  if (half.length === 0 || last.length < 2 || ends.length < 2) throw new RangeError('end-of-run fit: too few checkpoints in the last decade or Polyak–Ruppert ends');
  const logK = last.map(([k]) => Math.log(k));
  const logE = ends.map((e) => Math.log(e));
  const perSeedSlope = averaged.map((a) => leastSquaresLine(logE, Array.from(a, (v) => Math.log(atLeastTiny(v)))).slope);
  const perSeedLogRatio = averaged.map((a, s) => Math.log(atLeastTiny(a[a.length - 1])) - Math.log(atLeastTiny(half.reduce((u, i) => u + g[s][i], 0) / half.length)));
  const mean = (pick: ArrayLike<number>, of: readonly number[]) => Array.from(pick, (s) => of[s]).reduce((u, v) => u + v, 0) / pick.length;
  const [lastDecadeSlope, averagedSlope, logRatio] = bootstrapOverSeeds(
    g.length,
    (pick) => {
      const gm = seedMeans(g, pick, last.map(([, i]) => i));
      return [leastSquaresLine(logK, gm.map((v) => Math.log(atLeastTiny(v)))).slope, mean(pick, perSeedSlope), mean(pick, perSeedLogRatio)];
    },
    { bootstrapSeed },
  );
  const averagingRatio: Interval = { estimate: Math.exp(logRatio.estimate), lower: Math.exp(logRatio.lower), upper: Math.exp(logRatio.upper), level: logRatio.level };
  const problems: string[] = [];
  g.forEach((gs, s) => {
    const m = half.reduce((u, i) => u + gs[i], 0) / half.length;
    if (!(m > 0)) problems.push(`seed ${s}'s mean ‖∇L(θ_k)‖² over (n/2, n] is ${m.toPrecision(3)}`);
  });
  const all = seedMeans(g, Array.from(g, (_, s) => s), last.map(([, i]) => i));
  all.forEach((v, j) => {
    if (!(v > 0)) problems.push(`the seed mean at k = ${last[j][0]} is ${v.toPrecision(3)}`);
  });
  return { lastDecadeSlope, averagedSlope, averagingRatio, unresolved: problems.length ? problems.join('; ') : null };
}

function evaluate(claimId: string, c: DeepVaeRateConfig, m: Measured, info: RunInfo, masterSeed: number, conformance: ConformanceResult | null): CheckResult {
  const { checkpoints, ends } = info;
  const n = c.steps;
  const from = Math.max(2, Math.round(n / 10 ** c.decades));
  const windowIdx = checkpoints.map((k, i) => [k, i] as const).filter(([k]) => k >= from).map(([, i]) => i);
  const window = windowIdx.map((i) => checkpoints[i]);
  const arms = armsOf(c);
  const metrics: Record<string, Metric> = {};
  const curves: Record<string, Float64Array> = {};
  const fits: Record<string, RateFit> = {};
  const raw: Record<string, number[]> = {};
  const averagedCurves: Record<string, number[]> = {};
  const notes: string[] = [];
  let verdict: CheckResult['verdict'] = 'error';
  arms.forEach((arm, a) => {
    const perSeedG = m.g[a].map((gs) => sparseRunningAverage(checkpoints, gs));
    const fit = fitRateFromRunningAverages(
      perSeedG.map((G) => windowIdx.map((i) => G[i])),
      { window, bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap', arm.activation) },
    );
    const end = fitEndOfRun(m.g[a], m.averaged[a], checkpoints, ends, deriveSeed(masterSeed, claimId, 'bootstrap', 'end-of-run', arm.activation));
    const mean = new Float64Array(checkpoints.length);
    for (const G of perSeedG) for (let i = 0; i < mean.length; i++) mean[i] += G[i] / perSeedG.length;
    const label = armLabel(c, arm);
    curves[`G_n (${label})`] = mean;
    fits[`G_n (${label})`] = fit;
    raw[`‖∇L(θ_k)‖² (${label})`] = checkpoints.map((_, i) => m.g[a].reduce((u, gs) => u + gs[i], 0) / m.g[a].length);
    averagedCurves[`‖∇L(θ̄_e)‖², θ̄_e the Polyak–Ruppert average of (e/2, e] (${label})`] = ends.map((_, j) => m.averaged[a].reduce((u, v) => u + v[j], 0) / m.averaged[a].length);
    const finalAveraged = m.averaged[a].reduce((u, v) => u + v[ends.length - 1], 0) / m.averaged[a].length;
    if (arm.activation === 'soft-clip') {
      const noFloor = anyOf([atMost(end.averagedSlope, c.maxAveragedSlope), atMost(end.averagingRatio, c.maxAveragingRatio)]);
      verdict = allOf([atMost(fit.normalisedSlope, c.maxNormalisedSlope), atMost(end.lastDecadeSlope, c.maxLastDecadeSlope), noFloor]);
      // Unresolved: only the normalised slope (on G_n, a running average of many checkpoints) can still judge, and only a fail.
      if (end.unresolved !== null) verdict = atMost(fit.normalisedSlope, c.maxNormalisedSlope) === 'fail' ? 'fail' : 'inconclusive';
      if (end.unresolved !== null) {
        notes.push(
          `The end of the run is not resolved by the ‖∇L‖² estimator (${end.unresolved}; a mean ≤ 0: the unbiased estimator's noise exceeds the value there): the last-decade and no-floor statistics take logs of these values and cannot judge` +
            `${verdict === 'fail' ? ' (the normalised slope fails on its own)' : ''}. If the gradients there are small, more estimator draws (--set estimatorDraws=…) resolve them; ` +
            `if they are large (G_n = ${fit.G[fit.G.length - 1].toPrecision(3)} at the end; a step too large for the network makes the estimates huge and noisy), more draws will not help.`,
        );
      }
      metrics.normalisedSlope = intervalMetric(fit.normalisedSlope, `upper bound ≤ ${c.maxNormalisedSlope} (G_n √n / log n not rising over [${window[0]}, ${n}]: the paper's O(log n/√n))`);
      const lastDecadeReading =
        c.maxLastDecadeSlope < 0
          ? `E‖∇L(θ_k)‖² falling at least like k^${c.maxLastDecadeSlope} over the last decade: near a local optimum the noise ball scales like γ_k ∝ k^{-1/2}, a constant step's plateau reads ≈ 0`
          : 'E‖∇L(θ_k)‖² not rising over the last decade';
      metrics.lastDecadeSlope = intervalMetric(end.lastDecadeSlope, `upper bound ≤ ${c.maxLastDecadeSlope} (${lastDecadeReading})`);
      metrics.averagedSlope = intervalMetric(end.averagedSlope, `no floor (${noFloor}): this upper bound ≤ ${c.maxAveragedSlope} (mean over seeds of the slope of log ‖∇L(θ̄_e)‖² at the Polyak–Ruppert averages: ≈ −1 like 1/e; a floor stalls it) OR averagingRatio's ≤ ${c.maxAveragingRatio}`);
      metrics.averagingRatio = intervalMetric(end.averagingRatio, `no floor (${noFloor}): this upper bound ≤ ${c.maxAveragingRatio} (geometric mean over seeds of ‖∇L(θ̄_n)‖² / mean ‖∇L(θ_k)‖² over k ∈ (n/2, n]: averaging removes the noise ball, not a floor) OR averagedSlope's ≤ ${c.maxAveragedSlope}`);
      metrics.slope = intervalMetric(fit.slope, `reported, not judged (CLAIMS.md's ≤ ${c.maxSlope} is a knife edge where G_n tracks log n/√n)`);
      metrics.finalG = { value: mean[mean.length - 1] };
      metrics.finalGradientNormSq = { value: raw[`‖∇L(θ_k)‖² (${label})`][checkpoints.length - 1] };
      metrics.finalAveragedGradientNormSq = { value: finalAveraged };
      metrics.windowFrom = { value: window[0] };
      metrics.windowTo = { value: window[window.length - 1] };
      if (c.model === null) {
        metrics.logVarianceMin = { value: m.logVarRange[a][0] };
        metrics.logVarianceMax = { value: m.logVarRange[a][1] };
      }
    } else {
      metrics['normalisedSlope[relu, informational]'] = intervalMetric(fit.normalisedSlope);
      metrics['lastDecadeSlope[relu, informational]'] = intervalMetric(end.lastDecadeSlope);
      metrics['averagingRatio[relu, informational]'] = intervalMetric(end.averagingRatio);
      metrics['finalG[relu, informational]'] = { value: mean[mean.length - 1] };
      metrics['logVarianceMin[relu, informational]'] = { value: m.logVarRange[a][0] };
      metrics['logVarianceMax[relu, informational]'] = { value: m.logVarRange[a][1] };
      notes.push(
        `ReLU in place of soft-clipping (informational, not a verdict; identity heads, so mean and log-variance are unbounded): ` +
          `normalised slope ${fit.normalisedSlope.estimate.toFixed(3)} [${fit.normalisedSlope.lower.toFixed(3)}, ${fit.normalisedSlope.upper.toFixed(3)}], ` +
          `last-decade slope ${end.lastDecadeSlope.estimate.toFixed(3)}, averaging ratio ${end.averagingRatio.estimate.toFixed(3)}, final G_n ${mean[mean.length - 1].toPrecision(3)}, ` +
          `log-variance in [${m.logVarRange[a][0].toFixed(2)}, ${m.logVarRange[a][1].toFixed(2)}] at n = ${n}.`,
      );
    }
  });
  metrics.estimatorFloorFraction = { value: median(m.floorFraction) };
  // The jackknife needs J ≥ 3 draws; at J = 2 the U-statistic has no standard error of its own.
  if (m.relativeSE.length > 0) metrics.estimatorRelativeSE = { value: median(m.relativeSE) };
  if (c.gradientBias > 0) metrics.injectedBiasSquaredNorm = { value: c.gradientBias, criterion: 'falsifier: ‖b‖² of the constant bias added to the engine gradient' };
  if (conformance) {
    metrics.optimizerProbeError = { value: conformance.metrics.optimizerProbeError, criterion: '≤ 1e-4 (trainer vs float64 bias-corrected Adam with γ_k = C k^{-α})' };
    if (conformance.metrics.activationError !== undefined) metrics.activationError = { value: conformance.metrics.activationError, criterion: '≤ 1e-4 (engine soft-clip vs the paper formula)' };
    if (conformance.metrics.sameObjectiveError !== undefined) metrics.sameObjectiveError = { value: conformance.metrics.sameObjectiveError, criterion: '≤ 2e-3 (engine autodiff gradient vs float64 reference on the same draws, block-relative)' };
    metrics.unbiasedMaxZRatio = { value: conformance.metrics.unbiasedMaxZRatio, criterion: '≤ 1 (max |z| / Bonferroni–Welch threshold, engine mean gradient vs float64 expected gradient)' };
    metrics.samplerRatio = { value: conformance.metrics.samplerRatio, criterion: '≤ 1 (worst of the row-count χ² and the noise moments, each over its threshold)' };
  }
  notes.unshift(
    (fromFile(c.data) ? `The user's rows (${info.source}): ${info.n} rows of ${info.dims.dx} values; ${info.network} ` : `Digits: ${info.n} images of ${info.dims.dx} pixels (pool ${c.data.pool}); ${info.network} `) +
      `(${info.parameters} parameters); ‖∇L‖² from ${c.estimatorDraws} antithetic draws over all ${info.n} images at ` +
      `${checkpoints.length} checkpoints (${c.averaged.draws} at the Polyak–Ruppert averages ending at ${ends.join(', ')}), median variance floor ` +
      `${(100 * median(m.floorFraction)).toFixed(1)}% of the plug-in` +
      (m.relativeSE.length > 0 ? `, median jackknife SE ${(100 * median(m.relativeSE)).toFixed(1)}% of the estimate` : '') +
      ` (per replica and checkpoint, before averaging over seeds and iterates).`,
  );
  const seeds = conformance?.assumptions.find((a) => a.id === 'independent-seeds');
  if (seeds) notes.push(`Seed independence of the claim's own configuration (${seeds.detail}).`);
  const conformanceFailed = conformance !== null && !conformance.ok;
  const seriesCurves = Object.fromEntries(Object.entries(curves).map(([k, v]) => [k, v.subarray(1)]));
  return {
    verdict: conformanceFailed ? 'error' : verdict,
    ...(conformanceFailed ? { error: `engine conformance failed: ${conformance!.error}` } : {}),
    metrics,
    notes,
    series: {
      G: gSeries(checkpoints.slice(1), seriesCurves, fits),
      g: {
        x: checkpoints.slice(1),
        y: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.slice(1)])),
        xLabel: 'iteration k',
        yLabel: 'seed-averaged exact squared gradient norm (unbiased estimate)',
        logX: true,
        logY: true,
      },
      averaged: {
        x: [...ends],
        y: averagedCurves,
        xLabel: 'window end e',
        yLabel: 'seed-averaged exact squared gradient norm at the Polyak–Ruppert average',
        logX: true,
        logY: true,
      },
    },
    assumptions: assumptionChecks(c, m, conformance),
  };
}

function assumptionChecks(c: DeepVaeRateConfig, m: Measured, conformance: ConformanceResult | null): AssumptionCheck[] {
  const { C, alpha } = c.schedule;
  const measured = new Map((conformance?.assumptions ?? []).map((a) => [a.id, a]));
  const engineRule = measured.get('step-schedule');
  const stepChecks: AssumptionCheck[] = [
    {
      id: 'step-schedule',
      met: alpha === 0.5 && (engineRule?.met ?? true),
      detail: `γ_k = ${C}·k^{-${alpha}} (this configuration)${engineRule ? `; the engine's update rule, ${engineRule.detail}` : ''}`,
    },
  ];
  const exact: AssumptionCheck = {
    id: 'exact-measurement',
    met: true,
    detail:
      c.model === null
        ? `‖∇L‖² of the expected ELBO over the whole subset by an unbiased ${c.estimatorDraws}-draw antithetic estimate (float64); G_n by the trapezoid rule in k`
        : `‖∇L‖² of the expected ELBO over the whole subset by an unbiased ${c.estimatorDraws}-draw antithetic estimate (TF.js autodiff of the user's ELBO, float32); G_n by the trapezoid rule in k`,
  };
  // The float64 reference's port against its JavaScript (measured once per run).
  const port = measured.get('exact-measurement');
  if (port) Object.assign(exact, { met: exact.met && port.met, detail: `${exact.detail}; ${port.detail}` });
  // A user's model: what the theorem assumes of the network is not measurable here (reported as not checked).
  const checks: AssumptionCheck[] = c.model !== null ? [...stepChecks, exact] : [
    ...stepChecks,
    measured.get('smooth-activations') ?? { id: 'smooth-activations', met: true, detail: 'generalised soft-clipping, s = 5 (not measured)' },
    { id: 'bounded-decoder-mean', met: true, detail: 'decoder output soft-clipped to [−50, 50]' },
    { id: 'fixed-decoder-variance', met: true, detail: `p(x|z) = N(G(z), c² I), c = ${c.decoderStd} fixed` },
    {
      id: 'bounded-log-variance',
      met: m.logVarRange[0][0] >= -20 && m.logVarRange[0][1] <= 20,
      detail: `log σ² ∈ [−20, 20] by construction (λ_min(Σ_φ) ≥ e^{−20}); measured over the data at n = ${c.steps}: [${m.logVarRange[0][0].toFixed(2)}, ${m.logVarRange[0][1].toFixed(2)}]`,
    },
    exact,
  ];
  const unbiased = measured.get('unbiased-gradients');
  if (unbiased) {
    checks.push(c.gradientBias > 0 ? { ...unbiased, met: false, detail: `falsifier: a constant bias with ‖b‖² = ${c.gradientBias} is added to this configuration's gradient; the engine itself: ${unbiased.detail}` } : unbiased);
  }
  if (c.optimizer.kind === 'adam') {
    const { beta1, beta2 } = c.optimizer;
    checks.push(measured.get('adam-momentum') ?? { id: 'adam-momentum', met: beta1 < Math.sqrt(beta2) && beta2 < 1, detail: `β1 = ${beta1}, √β2 = ${Math.sqrt(beta2).toFixed(4)}` });
  }
  return checks;
}
