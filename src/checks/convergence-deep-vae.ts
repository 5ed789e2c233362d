/**
 * The Adam rate of [SGL25] on a deep Gaussian VAE that meets the paper's
 * assumptions (src/models/deep-vae: soft-clipped MLP encoder and decoder,
 * bounded decoder mean, fixed decoder variance c², log-variance ≥ −20),
 * trained on real handwritten digits with bias-corrected Adam and
 * γ_k = C k^{-1/2}.
 *
 * Measurement. The expected ELBO over the (sub)set has no closed-form
 * gradient, so at log-spaced checkpoints ‖∇L‖² is estimated in float64
 * (hand-written backpropagation, src/models/deep-vae/reference.ts) from J
 * independent noise draws over every data point, the same draws for every
 * replica and checkpoint (common random numbers), with the variance floor
 * subtracted (unbiased U-statistic). G_n = mean_{k≤n} ‖∇L(θ_k)‖² is then the
 * trapezoid rule in k over the checkpoints (src/stats/sparse-running-average.ts),
 * averaged over seeds before logs. Pass: the 95% bootstrap upper bound of the
 * slope of log G_n vs log n over the last `decades` decades is ≤ maxSlope.
 *
 * Informational (never part of the verdict): the same network with ReLU
 * hidden units and identity heads (unbounded mean and log-variance), trained
 * in the same replica batch; its slope and log-variance range are reported.
 */
import type { AssumptionCheck, CheckResult, ClaimContext, Metric } from '../../theory/claim.ts';
import { deriveSeed, RandomStream } from '../engine/rng.ts';
import { ReplicaTrainer } from '../engine/trainer.ts';
import type { OptimizerConfig } from '../engine/optimizer.ts';
import type { ReplicaSetting } from '../engine/replica.ts';
import type { StepSchedule } from '../engine/schedule.ts';
import { loadDigits } from '../data/mnist.ts';
import { DeepVaeModel } from '../models/deep-vae/engine-model.ts';
import { activationSet, deepElboDraw, flattenDeep } from '../models/deep-vae/reference.ts';
import { DEEP_VAE_PARAM_NAMES, deepParamCount, zeroDeepParams, type Activation, type DeepVaeDims, type DeepVaeParams } from '../models/deep-vae/params.ts';
import { checkpointGrid, fitRateFromRunningAverages, sparseRunningAverage } from '../stats/sparse-running-average.ts';
import type { RateFit } from '../stats/rate.ts';
import { unbiasedSquaredNorm } from '../stats/unbiased-squared-norm.ts';
import { atMost } from '../stats/verdict.ts';
import { gSeries, intervalMetric } from './convergence-report.ts';
import { configLabel, divergedResult, isDiverged, withDivergenceRetry } from './divergence.ts';
import { groupConfigs } from './config-groups.ts';

export interface DeepVaeRateConfig {
  optimizer: OptimizerConfig;
  schedule: StepSchedule;
  seeds: number;
  /** Seeds of the informational ReLU arm (0: none). */
  reluSeeds: number;
  steps: number;
  batchSize: number;
  samples: number;
  /** Real digits: the first `perDigit` images of every digit, average-pooled by `pool`. */
  data: { perDigit: number; pool: number };
  hidden: number;
  dz: number;
  /** Decoder standard deviation c (fixed). */
  decoderStd: number;
  /** Initialisation (see DeepVaeModelOptions.init). */
  init: { weightScale: number; outputWeightScale: number; outputBiasAtDataMean: boolean };
  decades: number;
  checkpointsPerDecade: number;
  /** Independent noise draws J of the ‖∇L‖² estimator (each over every data point). */
  estimatorDraws: number;
  maxSlope: number;
}

interface Arm {
  activation: Activation;
  seeds: number;
}

function validate(c: DeepVaeRateConfig): void {
  if (c.seeds < 2) throw new RangeError(`seeds = ${c.seeds}; allowed ≥ 2 (bootstrap over seeds)`);
  if (c.reluSeeds !== 0 && c.reluSeeds < 2) throw new RangeError(`reluSeeds = ${c.reluSeeds}; allowed 0 or ≥ 2`);
  if (!Number.isInteger(c.estimatorDraws) || c.estimatorDraws < 3) throw new RangeError(`estimatorDraws = ${c.estimatorDraws}; allowed an integer ≥ 3`);
  if (!(c.decades > 0) || c.steps / 10 ** c.decades < 1) throw new RangeError(`decades = ${c.decades} with steps = ${c.steps}; allowed steps / 10^decades ≥ 1`);
}

function batchKey(c: DeepVaeRateConfig): string {
  return JSON.stringify([c.optimizer, c.steps, c.data, c.hidden, c.dz, c.decoderStd, c.init, c.checkpointsPerDecade, c.estimatorDraws]);
}

interface Measured {
  /** Per arm, per seed: ‖∇L‖² estimate at every checkpoint. */
  g: Float64Array[][];
  floorFraction: number[][];
  relativeSE: number[][];
  /** Per arm: range of the encoder log-variance over the data at the last checkpoint. */
  logVarRange: [number, number][];
}

export async function checkDeepVaeRate(claimId: string, configs: readonly DeepVaeRateConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  configs.forEach(validate);
  const results: CheckResult[] = new Array(configs.length);
  let done = 0;
  for (const indices of groupConfigs(configs, batchKey).map((g) => g.map((m) => m.index))) {
    const runs = withDivergenceRetry(indices.length, (active) => {
      const run = trainGroup(claimId, active.map((a) => configs[indices[a]]), active, ctx, (f) =>
        ctx.progress((done + f * indices.length) / configs.length),
      );
      return run.measured.map((measured) => ({ measured, checkpoints: run.checkpoints, info: run.info }));
    });
    indices.forEach((i, j) => {
      const run = runs[j];
      results[i] = isDiverged(run) ? divergedResult(run) : evaluate(claimId, configs[i], run.measured, run.checkpoints, run.info, ctx.masterSeed);
    });
    done += indices.length;
  }
  return results;
}

const armsOf = (c: DeepVaeRateConfig): Arm[] => [
  { activation: 'soft-clip', seeds: c.seeds },
  ...(c.reluSeeds > 0 ? [{ activation: 'relu' as Activation, seeds: c.reluSeeds }] : []),
];

interface RunInfo {
  n: number;
  dims: DeepVaeDims;
  parameters: number;
}

/** `positions[i]` is configs[i]'s position in its group, named in replica labels for divergence retries. */
function trainGroup(claimId: string, configs: DeepVaeRateConfig[], positions: number[], ctx: ClaimContext, progress: (f: number) => void) {
  const base = configs[0];
  const digits = loadDigits({ perDigit: base.data.perDigit, pool: base.data.pool });
  const dims: DeepVaeDims = { dx: digits.dim, hidden: base.hidden, dz: base.dz };
  const n = digits.n;
  const x64 = Float64Array.from(digits.x);

  // Replicas: config × arm × seed; common seeds across configs and arms.
  const replicas: ReplicaSetting[] = [];
  const activation: Activation[] = [];
  const slots: number[][][] = configs.map((c, ci) =>
    armsOf(c).map((arm) =>
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
        return replicas.length - 1;
      }),
    ),
  );
  const activationOf = new Map(replicas.map((r, i) => [r, activation[i]]));
  const model = new DeepVaeModel({ dims, data: digits.x, decoderStd: base.decoderStd, init: base.init, activationOf: (r) => activationOf.get(r) ?? 'soft-clip' });

  const checkpoints = checkpointGrid(base.steps, base.checkpointsPerDecade);
  const index = new Map(checkpoints.map((k, i) => [k, i]));
  const R = replicas.length;
  const J = base.estimatorDraws;
  const noise = RandomStream.at(ctx.masterSeed, claimId, 'gradient-estimator-noise');
  const eps = Array.from({ length: J }, () => {
    const e = new Float64Array(n * dims.dz);
    noise.fillNormal(e);
    return e;
  });
  const g = replicas.map(() => new Float64Array(checkpoints.length));
  const floor: number[][] = replicas.map(() => []);
  const relSE: number[][] = replicas.map(() => []);
  const lvRange: [number, number][] = replicas.map(() => [Infinity, -Infinity]);
  const p64 = zeroDeepParams(dims);
  const grad = zeroDeepParams(dims);
  const toFloat64 = (p: Record<string, Float32Array>): DeepVaeParams => {
    for (const name of DEEP_VAE_PARAM_NAMES) p64[name].set(p[name]);
    return p64;
  };
  const trainer = new ReplicaTrainer(model, replicas, base.optimizer);
  try {
    trainer.train({
      steps: base.steps,
      measureAt: (k) => index.has(k),
      onMeasure: (k, params) => {
        const i = index.get(k)!;
        for (let r = 0; r < R; r++) {
          const p = toFloat64(params.replica(r));
          const draws = eps.map((e) =>
            flattenDeep(deepElboDraw(p, { dims, activation: activation[r], decoderStd: base.decoderStd, x: x64, n, K: 1, eps: e }, grad).grad),
          );
          const est = unbiasedSquaredNorm(draws);
          g[r][i] = est.estimate;
          if (est.plugIn > 0) floor[r].push(est.floor / est.plugIn);
          if (est.estimate > 0) relSE[r].push(est.standardError / est.estimate);
          if (k === base.steps) lvRange[r] = logVarianceRange(p, dims, activation[r], x64, n);
        }
        progress(k / base.steps);
      },
    });
  } finally {
    trainer.dispose();
  }
  const measured: Measured[] = configs.map((c, ci) => {
    const arms = armsOf(c);
    return {
      g: arms.map((_, a) => slots[ci][a].map((s) => g[s])),
      floorFraction: arms.map((_, a) => slots[ci][a].flatMap((s) => floor[s])),
      relativeSE: arms.map((_, a) => slots[ci][a].flatMap((s) => relSE[s])),
      logVarRange: arms.map((_, a) => {
        const rs = slots[ci][a].map((s) => lvRange[s]);
        return [Math.min(...rs.map((q) => q[0])), Math.max(...rs.map((q) => q[1]))] as [number, number];
      }),
    };
  });
  return { measured, checkpoints, info: { n, dims, parameters: deepParamCount(dims) } as RunInfo };
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

function evaluate(claimId: string, c: DeepVaeRateConfig, m: Measured, checkpoints: number[], info: RunInfo, masterSeed: number): CheckResult {
  const n = c.steps;
  const from = Math.max(2, Math.round(n / 10 ** c.decades));
  const windowIdx = checkpoints.map((k, i) => [k, i] as const).filter(([k]) => k >= from).map(([, i]) => i);
  const window = windowIdx.map((i) => checkpoints[i]);
  const arms = armsOf(c);
  const metrics: Record<string, Metric> = {};
  const curves: Record<string, Float64Array> = {};
  const fits: Record<string, RateFit> = {};
  const raw: Record<string, number[]> = {};
  const notes: string[] = [];
  let verdict: CheckResult['verdict'] = 'error';
  arms.forEach((arm, a) => {
    const perSeedG = m.g[a].map((gs) => sparseRunningAverage(checkpoints, gs));
    const fit = fitRateFromRunningAverages(
      perSeedG.map((G) => windowIdx.map((i) => G[i])),
      { window, bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap', arm.activation) },
    );
    const mean = new Float64Array(checkpoints.length);
    for (const G of perSeedG) for (let i = 0; i < mean.length; i++) mean[i] += G[i] / perSeedG.length;
    curves[`G_n (${arm.activation})`] = mean;
    fits[`G_n (${arm.activation})`] = fit;
    raw[`‖∇L(θ_k)‖² (${arm.activation})`] = checkpoints.map((_, i) => m.g[a].reduce((u, gs) => u + gs[i], 0) / m.g[a].length);
    if (arm.activation === 'soft-clip') {
      verdict = atMost(fit.slope, c.maxSlope);
      metrics.slope = intervalMetric(fit.slope, `upper bound ≤ ${c.maxSlope}`);
      metrics.normalisedSlope = intervalMetric(fit.normalisedSlope);
      metrics.finalG = { value: mean[mean.length - 1] };
      metrics.windowFrom = { value: window[0] };
      metrics.windowTo = { value: window[window.length - 1] };
      metrics.logVarianceMin = { value: m.logVarRange[a][0] };
      metrics.logVarianceMax = { value: m.logVarRange[a][1] };
    } else {
      metrics['slope[relu, informational]'] = intervalMetric(fit.slope);
      metrics['finalG[relu, informational]'] = { value: mean[mean.length - 1] };
      metrics['logVarianceMin[relu, informational]'] = { value: m.logVarRange[a][0] };
      metrics['logVarianceMax[relu, informational]'] = { value: m.logVarRange[a][1] };
      notes.push(
        `ReLU in place of soft-clipping (informational, not a verdict; identity heads, so mean and log-variance are unbounded): ` +
          `slope ${fit.slope.estimate.toFixed(3)} [${fit.slope.lower.toFixed(3)}, ${fit.slope.upper.toFixed(3)}], final G_n ${mean[mean.length - 1].toPrecision(3)}, ` +
          `log-variance in [${m.logVarRange[a][0].toFixed(2)}, ${m.logVarRange[a][1].toFixed(2)}] at n = ${n}.`,
      );
    }
  });
  const floor = m.floorFraction[0];
  const se = m.relativeSE[0];
  metrics.estimatorFloorFraction = { value: median(floor) };
  metrics.estimatorRelativeSE = { value: median(se) };
  notes.unshift(
    `Digits: ${info.n} images of ${info.dims.dx} pixels (pool ${c.data.pool}); network ${info.dims.dx}-${info.dims.hidden}-${info.dims.dz} ` +
      `(${info.parameters} parameters); ‖∇L‖² from ${c.estimatorDraws} common-random-number draws over all ${info.n} images at ` +
      `${checkpoints.length} checkpoints, median variance floor ${(100 * median(floor)).toFixed(1)}% of the plug-in, median jackknife SE ` +
      `${(100 * median(se)).toFixed(1)}% of the estimate (per replica and checkpoint, before averaging over seeds and iterates).`,
  );
  const seriesCurves = Object.fromEntries(Object.entries(curves).map(([k, v]) => [k, v.subarray(1)]));
  return {
    verdict,
    metrics,
    notes,
    series: {
      G: gSeries(checkpoints.slice(1), seriesCurves, fits),
      g: {
        x: checkpoints.slice(1),
        y: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.slice(1)])),
        xLabel: 'iteration k',
        yLabel: 'seed-averaged ‖∇L(θ_k)‖² (unbiased estimate)',
        logX: true,
        logY: true,
      },
    },
    assumptions: assumptionChecks(c, m),
  };
}

function assumptionChecks(c: DeepVaeRateConfig, m: Measured): AssumptionCheck[] {
  const { C, alpha } = c.schedule;
  const checks: AssumptionCheck[] = [
    { id: 'step-schedule', met: alpha === 0.5, detail: `γ_k = ${C}·k^{-${alpha}}` },
    { id: 'smooth-activations', met: true, detail: 'generalised soft-clipping, s = 5 (hidden [0, 50], mean heads [−50, 50], log-variance [−20, 20])' },
    { id: 'bounded-decoder-mean', met: true, detail: 'decoder output soft-clipped to [−50, 50]' },
    { id: 'fixed-decoder-variance', met: true, detail: `p(x|z) = N(G(z), c² I), c = ${c.decoderStd} fixed` },
    {
      id: 'bounded-log-variance',
      met: m.logVarRange[0][0] >= -20 && m.logVarRange[0][1] <= 20,
      detail: `log σ² ∈ [−20, 20] by construction (λ_min(Σ_φ) ≥ e^{−20}); measured over the data at n = ${c.steps}: [${m.logVarRange[0][0].toFixed(2)}, ${m.logVarRange[0][1].toFixed(2)}]`,
    },
    {
      id: 'exact-measurement',
      met: true,
      detail: `‖∇L‖² of the expected ELBO over the whole subset by an unbiased ${c.estimatorDraws}-draw CRN estimate (float64); G_n by the trapezoid rule in k`,
    },
  ];
  if (c.optimizer.kind === 'adam') {
    const { beta1, beta2 } = c.optimizer;
    checks.push({ id: 'adam-momentum', met: beta1 < Math.sqrt(beta2) && beta2 < 1, detail: `β1 = ${beta1}, √β2 = ${Math.sqrt(beta2).toFixed(4)}` });
  }
  return checks;
}
