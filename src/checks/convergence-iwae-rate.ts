/**
 * The IWAE rate of [SGL25]: SGD on the importance-weighted bound L_K with
 * γ_k = C k^{-1/2} gives G_n = O(L*_K/√n + d* log n/(B K √n)); so the rate
 * criterion holds and, at fixed n, G_n is non-increasing in B·K.
 *
 * Measurement. ∇L_K has no closed form (K > 1), so at log-spaced checkpoints
 * the exact gradient of the expected bound over the whole data set is
 * estimated in float64 (iwae-oracle.ts) from J independent draws of noise
 * for every point, the SAME draws for every replica and checkpoint (common
 * random numbers), and ‖∇L_K‖² by the unbiased U-statistic (the estimator's
 * variance floor tr(Cov)/J subtracted). G_n comes from the sparse
 * measurements by the trapezoid rule in k (src/stats/sparse-running-average.ts).
 * At K = 1, L_1 is the ELBO, whose gradient is closed form: the estimator's
 * error is measured there against the exact value and reported.
 *
 * All arms (B, K) of the claim and of its falsifiers train as one replica batch.
 */
import type { AssumptionCheck, CheckResult, ClaimContext, Metric } from '../../theory/claim.ts';
import { deriveSeed, RandomStream } from '../engine/rng.ts';
import { createTrainer } from '../engine/create-trainer.ts';
import type { OptimizerConfig } from '../engine/optimizer.ts';
import type { ReplicaSetting } from '../engine/replica.ts';
import type { StepSchedule } from '../engine/schedule.ts';
import { LinearIwaeModel } from '../models/linear-vae/iwae-engine-model.ts';
import { generateLinearGaussianData } from '../models/linear-vae/data.ts';
import { dataMoments, elboGradient, squaredNorm } from '../models/linear-vae/oracle.ts';
import { flattenParams, iwaeDraw } from '../models/linear-vae/iwae-oracle.ts';
import { unbiasedSquaredNorm } from '../stats/unbiased-squared-norm.ts';
import { toFloat64Params, zeroParams } from '../models/linear-vae/params.ts';
import { checkpointGrid, fitRateFromRunningAverages, sparseRunningAverage } from '../stats/sparse-running-average.ts';
import type { RateFit } from '../stats/rate.ts';
import { pairedBootstrap } from '../stats/paired-bootstrap.ts';
import { allOf, atLeast, type Verdict } from '../stats/verdict.ts';
import { gSeries, intervalMetric, rateMetrics, rateVerdict } from './convergence-report.ts';
import { configLabel, divergedResult, isDiverged, withDivergenceRetry } from './divergence.ts';
import { groupConfigs } from './config-groups.ts';

export interface IwaeArm {
  batchSize: number;
  samples: number;
}

export interface IwaeRateConfig {
  optimizer: OptimizerConfig;
  schedule: StepSchedule;
  seeds: number;
  steps: number;
  /** In increasing order of B·K. */
  arms: IwaeArm[];
  data: { n: number; dx: number; dz: number; noiseStd: number };
  sigmaX: number;
  decades: number;
  checkpointsPerDecade: number;
  /** Independent noise draws J of the ‖∇L_K‖² estimator (each over every data point). */
  estimatorDraws: number;
  maxSlope: number;
  maxNormalisedSlope: number;
  /** Relative tolerance of "non-increasing in B·K". */
  tolerance: number;
}

const armLabel = (a: IwaeArm) => `B=${a.batchSize},K=${a.samples}`;

function validate(c: IwaeRateConfig): void {
  if (c.arms.length === 0) throw new RangeError('arms: none given; allowed at least one (B, K)');
  c.arms.forEach((a, i) => {
    if (i > 0 && a.batchSize * a.samples <= c.arms[i - 1].batchSize * c.arms[i - 1].samples) {
      throw new RangeError(`arms must be in increasing order of B·K, got ${c.arms.map(armLabel).join('; ')}`);
    }
  });
  if (!Number.isInteger(c.estimatorDraws) || c.estimatorDraws < 3) throw new RangeError(`estimatorDraws = ${c.estimatorDraws}; allowed an integer ≥ 3 (jackknife)`);
  if (c.seeds < 2) throw new RangeError(`seeds = ${c.seeds}; allowed ≥ 2`);
}

function batchKey(c: IwaeRateConfig): string {
  return JSON.stringify([c.optimizer, c.seeds, c.steps, c.data, c.sigmaX, c.checkpointsPerDecade, c.estimatorDraws]);
}

/** Per configuration, per arm, per seed: g at the checkpoints (+ estimator diagnostics). */
interface ArmRuns {
  g: Float64Array[]; // per seed, one value per checkpoint
  floorFraction: number[]; // floor / plug-in, per (seed, checkpoint) where positive
  relativeSE: number[];
  exactAtK1?: { estimate: number; exact: number }[];
}

export async function checkIwaeRate(claimId: string, configs: readonly IwaeRateConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  configs.forEach(validate);
  const results: CheckResult[] = new Array(configs.length);
  let done = 0;
  for (const indices of groupConfigs(configs, batchKey).map((g) => g.map((m) => m.index))) {
    const runs = withDivergenceRetry(indices.length, (active) =>
      trainGroup(
        claimId,
        active.map((a) => configs[indices[a]]),
        active,
        ctx,
        (f) => ctx.progress((done + f * indices.length) / configs.length),
      ),
    );
    indices.forEach((i, j) => {
      const run = runs[j];
      results[i] = isDiverged(run) ? divergedResult(run) : evaluate(claimId, configs[i], run.arms, run.checkpoints, ctx.masterSeed);
    });
    done += indices.length;
  }
  return results;
}

/** `positions[i]` is configs[i]'s position in its group, named in replica labels for divergence retries. */
function trainGroup(claimId: string, configs: IwaeRateConfig[], positions: number[], ctx: ClaimContext, progress: (f: number) => void) {
  const base = configs[0];
  const { dx, dz, n } = base.data;
  const dims = { dx, dz };
  const data = generateLinearGaussianData({ ...base.data, seed: deriveSeed(ctx.masterSeed, claimId, 'data') });
  const x32 = Float32Array.from(data.x);
  const moments = dataMoments(x32, n, dx);
  const model = new LinearIwaeModel({ dims, data: x32, sigmaX: base.sigmaX });

  // Replicas: config × arm × seed, common seeds across arms and configs; duplicates trained once.
  const replicas: ReplicaSetting[] = [];
  const owners: number[][] = [];
  const slotByKey = new Map<string, number>();
  const slotOf: number[][][] = configs.map((c, ci) =>
    c.arms.map((arm) =>
      Array.from({ length: c.seeds }, (_, s) => {
        const setting: ReplicaSetting = {
          label: `${configLabel([positions[ci]])}, ${armLabel(arm)}, seed ${s}`,
          seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s),
          schedule: c.schedule,
          batchSize: arm.batchSize,
          samples: arm.samples,
          beta: 1,
        };
        const key = JSON.stringify([setting.seed, setting.schedule, setting.batchSize, setting.samples]);
        let slot = slotByKey.get(key);
        if (slot === undefined) {
          slot = replicas.length;
          slotByKey.set(key, slot);
          replicas.push(setting);
          owners.push([]);
        }
        if (!owners[slot].includes(positions[ci])) owners[slot].push(positions[ci]);
        return slot;
      }),
    ),
  );

  // A replica shared by several configurations names all of them.
  replicas.forEach((r, slot) => (r.label = r.label.replace(/^config [\d+]+/, configLabel(owners[slot]))));
  const checkpoints = checkpointGrid(base.steps, base.checkpointsPerDecade);
  const index = new Map(checkpoints.map((k, i) => [k, i]));
  const R = replicas.length;
  const J = base.estimatorDraws;
  const Kmax = Math.max(...replicas.map((r) => r.samples));
  // Common random numbers: draw j's noise for point i, sample k at (i·Kmax + k)·dz; fixed for every replica and checkpoint.
  const noise = RandomStream.at(ctx.masterSeed, claimId, 'gradient-estimator-noise');
  const eps = Array.from({ length: J }, () => {
    const e = new Float64Array(n * Kmax * dz);
    noise.fillNormal(e);
    return e;
  });
  const g = replicas.map(() => new Float64Array(checkpoints.length));
  const floor: number[][] = replicas.map(() => []);
  const relSE: number[][] = replicas.map(() => []);
  const exactAtK1: { estimate: number; exact: number }[][] = replicas.map(() => []);
  const p64 = zeroParams(dims);
  const grad = zeroParams(dims);
  const exactGrad = zeroParams(dims);
  const trainer = createTrainer(model, replicas, base.optimizer);
  try {
    trainer.train({
      steps: base.steps,
      measureAt: (k) => index.has(k),
      onMeasure: (k, params) => {
        const i = index.get(k)!;
        for (let r = 0; r < R; r++) {
          const p = toFloat64Params(params.replica(r), p64);
          const K = replicas[r].samples;
          const draws = eps.map((e) => flattenParams(iwaeDraw(p, { dims, sigmaX: base.sigmaX, x: data.x, n, K, eps: e, stride: Kmax }, grad).grad));
          const est = unbiasedSquaredNorm(draws);
          g[r][i] = est.estimate;
          if (est.plugIn > 0) floor[r].push(est.floor / est.plugIn);
          if (est.estimate > 0) relSE[r].push(est.standardError / est.estimate);
          if (K === 1) exactAtK1[r].push({ estimate: est.estimate, exact: squaredNorm(elboGradient(p, moments, base.sigmaX, 1, exactGrad)) });
        }
        progress(k / base.steps);
      },
    });
  } finally {
    trainer.dispose();
  }
  const perConfig: ArmRuns[][] = configs.map((c, ci) =>
    c.arms.map((arm, ai) => {
      const slots = slotOf[ci][ai];
      return {
        g: slots.map((s) => g[s]),
        floorFraction: slots.flatMap((s) => floor[s]),
        relativeSE: slots.flatMap((s) => relSE[s]),
        ...(arm.samples === 1 ? { exactAtK1: slots.flatMap((s) => exactAtK1[s]) } : {}),
      };
    }),
  );
  return perConfig.map((arms) => ({ arms, checkpoints }));
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function evaluate(claimId: string, c: IwaeRateConfig, arms: ArmRuns[], checkpoints: number[], masterSeed: number): CheckResult {
  const n = c.steps;
  const from = Math.max(2, Math.round(n / 10 ** c.decades));
  const windowIdx = checkpoints.map((k, i) => [k, i] as const).filter(([k]) => k >= from).map(([, i]) => i);
  const window = windowIdx.map((i) => checkpoints[i]);
  const thresholds = { maxSlope: c.maxSlope, maxNormalisedSlope: c.maxNormalisedSlope };
  const metrics: Record<string, Metric> = {};
  const verdicts: Verdict[] = [];
  const curves: Record<string, Float64Array> = {};
  const fits: Record<string, RateFit> = {};
  const finalG: number[][] = [];
  const armVerdicts: string[] = [];
  arms.forEach((run, a) => {
    const label = armLabel(c.arms[a]);
    const perSeedG = run.g.map((gs) => sparseRunningAverage(checkpoints, gs));
    finalG.push(perSeedG.map((G) => G[G.length - 1]));
    const fit = fitRateFromRunningAverages(
      perSeedG.map((G) => windowIdx.map((i) => G[i])),
      { window, bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap', label) },
    );
    const armVerdict = rateVerdict(fit, thresholds);
    verdicts.push(armVerdict);
    armVerdicts.push(`${label}: ${armVerdict} (slope ${fit.slope.estimate.toFixed(3)})`);
    Object.assign(metrics, rateMetrics(fit, thresholds, `[${label}]`));
    const mean = new Float64Array(checkpoints.length);
    for (const G of perSeedG) for (let i = 0; i < mean.length; i++) mean[i] += G[i] / perSeedG.length;
    curves[`G_n (${label})`] = mean;
    fits[`G_n (${label})`] = fit;
  });
  // Non-increasing in B·K at the final n: paired bootstrap over the common seeds.
  if (arms.length >= 2) {
    const A = arms.length;
    const intervals = pairedBootstrap(finalG, (m) => [...m, ...Array.from({ length: A - 1 }, (_, a) => Math.log(m[a] / m[a + 1]))], {
      bootstrapSeed: deriveSeed(masterSeed, claimId, 'paired-bootstrap'),
    });
    const slack = Math.log(1 + c.tolerance);
    c.arms.forEach((arm, a) => (metrics[`G_n[${armLabel(arm)}]`] = intervalMetric(intervals[a])));
    for (let a = 0; a + 1 < A; a++) {
      const gain = intervals[A + a];
      verdicts.push(atLeast(gain, -slack));
      metrics[`logGain[BK=${c.arms[a].batchSize * c.arms[a].samples}→${c.arms[a + 1].batchSize * c.arms[a + 1].samples}]`] = intervalMetric(
        gain,
        `lower bound ≥ ${(-slack).toFixed(3)} (G_n non-increasing in B·K, tol ${c.tolerance})`,
      );
    }
  }
  // Estimator error.
  const allFloor = arms.flatMap((r) => r.floorFraction);
  const allSE = arms.flatMap((r) => r.relativeSE);
  metrics.estimatorFloorFraction = { value: median(allFloor) };
  metrics.estimatorRelativeSE = { value: median(allSE) };
  const k1 = arms.flatMap((r) => r.exactAtK1 ?? []);
  const notes: string[] = [`Rate per arm over [${window[0]}, ${window[window.length - 1]}]: ${armVerdicts.join('; ')}.`];
  if (k1.length > 0) {
    const relErr = k1.map((e) => Math.abs(e.estimate - e.exact) / e.exact);
    metrics.estimatorErrorVsExactAtK1 = { value: median(relErr) };
    const sumEst = k1.reduce((u, e) => u + e.estimate, 0);
    const sumExact = k1.reduce((u, e) => u + e.exact, 0);
    metrics.estimatorBiasVsExactAtK1 = { value: sumEst / sumExact - 1 };
    notes.push(
      `Estimator check at K = 1 (closed-form ELBO gradient): median relative error of ‖∇L‖² per checkpoint ${(100 * median(relErr)).toFixed(2)}%, ` +
        `pooled bias ${(100 * (sumEst / sumExact - 1)).toFixed(2)}%.`,
    );
  }
  notes.push(
    `‖∇L_K‖² estimated from ${c.estimatorDraws} common-random-number draws over all ${c.data.n} points; median variance floor ` +
      `${(100 * median(allFloor)).toFixed(2)}% of the plug-in, median jackknife SE ${(100 * median(allSE)).toFixed(1)}% of the estimate (per replica and checkpoint, before averaging over seeds and iterates).`,
  );
  return {
    verdict: allOf(verdicts),
    metrics,
    notes,
    series: { G: gSeries(checkpoints.slice(1), Object.fromEntries(Object.entries(curves).map(([k, v]) => [k, v.subarray(1)])), fits) },
    assumptions: assumptionChecks(c),
  };
}

function assumptionChecks(c: IwaeRateConfig): AssumptionCheck[] {
  const { C, alpha } = c.schedule;
  return [
    { id: 'step-schedule', met: alpha === 0.5, detail: `γ_k = ${C}·k^{-${alpha}}` },
    { id: 'sgd', met: c.optimizer.kind === 'sgd', detail: `optimiser ${c.optimizer.kind}` },
    {
      id: 'exact-measurement',
      met: true,
      detail: `‖∇L_K‖² by an unbiased ${c.estimatorDraws}-draw CRN estimate over the full data set at ${c.checkpointsPerDecade}/decade checkpoints; G_n by the trapezoid rule in k`,
    },
  ];
}
