/**
 * The IWAE gradient bias of [SGL24] (NeurIPS 2024 companion of [SGL25]) on
 * the linear Gaussian VAE:
 *   bias(K) = ‖E ∇_θ L_K − ∇_θ log p(x)‖,  θ = decoder (W, b),
 * where ∇_θ L_K = Σ_k ω_k ∇_θ log p(x, z_k) with self-normalised weights and
 * ∇_θ log p(x) is closed form. The claim: bias(K) = O(1/K), i.e. a log-log
 * slope in [−1.3, −0.7] for large K (16..256); and the bounds are ordered
 * L_1 ≤ L_2 ≤ … ≤ log p(x).
 *
 * Monte Carlo design. M independent draws of Kmax samples per point; every K
 * uses the same samples split into Kmax/K blocks (common random numbers
 * across K). A zero-mean control variate (see iwaeDecoderBlocks) makes the
 * estimator's standard deviation O(1/K) like the bias, so its error stays a
 * fixed small fraction of C/K at every K. ‖bias‖² is estimated without the
 * variance floor (an unbiased U-statistic over draws); intervals are a
 * percentile bootstrap over draws.
 *
 * Two arms, judged by the same criteria:
 *   float64  the reference estimator above (iwae-oracle.ts), the exact side;
 *   engine   the ENGINE's estimator: the kernel's objectiveAndGradient (what
 *            the kernel trainer steps with) fed the float64 arm's own rows and
 *            samples through replay streams, block by block, for the first
 *            `engine.draws` draws. Its bias estimate is the float64 arm's
 *            control-variate estimate plus the engine's deviation from the
 *            float64 plain estimate on the same samples: the control variate
 *            has mean 0 whatever the engine computes, so the expectation is
 *            exactly E[engine ∇_θ L_K] − ∇_θ log p(x), and when the engine is
 *            right the deviation is rounding and the noise stays O(1/K).
 *            Its bound L_K likewise (engine value against log p(x)).
 * Engine conformance (own configuration, self-normalised weights): the
 * engine's deviation on identical samples must be rounding (≤ 1e-8 of the
 * scale), and one TF.js autodiff step on identical draws must match the
 * reference (≤ 1e-4, float32); else the verdict is `error`.
 */
import { percentile } from '../../stats/bootstrap.ts';
import { z } from 'zod';
import type { AssumptionCheck, CheckResult, ClaimContext, Metric } from '../../contract/claim.ts';
import { finiteNumber, intAtLeast, listOf, positiveInt, positiveNumber, requireIncreasing } from '../../config/hyperparameters.ts';
import { linearFileData, linearGaussianData } from './shared/schema.ts';
import { dataSource, fromFile, ownData, userRows } from '../shared/user-data.ts';
import { deriveSeed, RandomStream } from '../../engine/rng.ts';
import { generateLinearGaussianData } from '../../models/linear-vae/data.ts';
import { fixedVarianceMlDecoder } from '../../models/linear-vae/ml-decoder.ts';
import { dataMoments, elboGradient, optimalEncoder } from '../../models/linear-vae/oracle.ts';
import type { LinearVaeParams } from '../../models/linear-vae/params.ts';
import { LinearIwaeModel } from '../../models/linear-vae/iwae-engine-model.ts';
import { MeanLogWeightModel } from '../../models/linear-vae/iwae-elbo-objective.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { ReplicaParams } from '../../engine/trainer.ts';
import { DrawMoments, describeMeanTest, meanTest } from '../../stats/mean-test.ts';
import { autodiffAgainstReference, describeDiscrepancy, kernelAgainstReference, kernelPortAgainstJavaScript, KERNEL_TOLERANCE, type IwaeEngineSetup } from './shared/iwae-conformance.ts';
import {
  iwaeDecoderBlocks,
  pointwiseLogMarginal,
  type PointwiseLogMarginal,
  type WeightNormalisation,
} from '../../models/linear-vae/iwae-oracle.ts';
import { PickedRowSums, pickedRowSumsJs } from '../../stats/picked-row-sums.ts';
import { firstBitDifference } from '../../engine/wasm-kernel.ts';
import { leastSquaresLine } from '../../stats/least-squares.ts';
import type { Interval } from '../../stats/rate.ts';
import { allOf, atLeast, atMost, type Verdict } from '../../stats/verdict.ts';
import { intervalMetric } from './shared/report.ts';
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix } from 'ml-matrix';

const weightNormalisation = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('self-normalised') }),
    /** The falsifier's tempered weights ω ∝ w^power (iwae-oracle.ts). */
    z.object({ kind: z.literal('tempered'), power: positiveNumber('tempered weight power') }),
  ],
  { error: 'allowed normalisation.kind: "self-normalised" or "tempered" (the falsifier)' },
) satisfies z.ZodType<WeightNormalisation>;

/** The IWAE-bias configuration, as a zod schema (every message names the setting and the allowed range). */
export const iwaeBiasConfigSchema = z
  .object({
    /** Synthetic linear Gaussian data (θ at its ground truth), or the user's rows (verify --data FILE: θ at their ML decoder). */
    data: z.discriminatedUnion('source', [linearGaussianData.safeExtend(ownData), linearFileData], dataSource),
    sigmaX: positiveNumber('decoder standard deviation σ_x'),
    /**
     * The encoder is the exact posterior's mean map with c_j shifted by
     * `meanShift` posterior standard deviations (mean-field) and log-variances
     * the mean-field optimum plus `logVarianceShift` (> 0: wider than the
     * posterior, so the weights are bounded). Measuring the shift in posterior
     * units keeps the mismatch, and so where the O(1/K) regime starts, the
     * same whatever the data's scale. The decoder is the data's ground truth.
     */
    encoder: z.object({ meanShift: finiteNumber('encoder mean shift'), logVarianceShift: finiteNumber('encoder log-variance shift') }),
    /** Increasing, each dividing the next, e.g. 1, 2, 4, …, 256. */
    Ks: listOf(positiveInt('samples K'), 'Ks', 2),
    /** The slope is fitted over K ≥ slopeFrom. */
    slopeFrom: positiveInt('slope start K'),
    slopeRange: z.tuple([finiteNumber('slope range lower end'), finiteNumber('slope range upper end')], { error: 'slopeRange must be a pair [lower, upper]' }),
    draws: intAtLeast('draws', 10),
    normalisation: weightNormalisation,
    /**
     * The engine arm: `draws` of the float64 arm's draws go through the engine's
     * kernel too. estimator 'iwae' is the engine as it is; 'mean-log-weight' is
     * the falsifier engine-estimator-is-elbo (iwae-elbo-objective.ts: uniform
     * weights, i.e. the ELBO's gradient, whose bias does not shrink with K).
     */
    engine: z.object({
      estimator: z.enum(['iwae', 'mean-log-weight'], { error: 'allowed engine.estimator: "iwae" or "mean-log-weight" (the falsifier)' }),
      draws: intAtLeast('engine draws', 10),
    }),
    /** The Monte Carlo error counts as small when the floor/bias² and relative SE of bias² at Kmax stay below these. */
    maxFloorFraction: positiveNumber('variance floor fraction threshold'),
    maxRelativeError: positiveNumber('relative error threshold'),
    resamples: positiveInt('bootstrap resamples'),
  })
  .superRefine((c, ctx) => {
    requireIncreasing(c.Ks, ['Ks'], 'Ks', ctx);
    c.Ks.forEach((K, i) => {
      if (i > 0 && K > c.Ks[i - 1] && K % c.Ks[i - 1] !== 0) ctx.addIssue({ code: 'custom', path: ['Ks', i], message: `allowed Ks: increasing, each dividing the next (got ${c.Ks.join(', ')})` });
    });
    if (c.Ks.filter((K) => K >= c.slopeFrom).length < 2) ctx.addIssue({ code: 'custom', path: ['slopeFrom'], message: `allowed slope start K: at most the second-largest K, leaving ≥ 2 of Ks = ${c.Ks.join(', ')} to fit` });
    if (!(c.slopeRange[0] < c.slopeRange[1])) ctx.addIssue({ code: 'custom', path: ['slopeRange'], message: 'allowed slopeRange: [lower, upper] with lower < upper' });
    if (fromFile(c.data) && c.data.dz > c.data.dx) {
      ctx.addIssue({ code: 'custom', path: ['data', 'dz'], message: `allowed latent dimension d_z: an integer 1 ≤ d_z ≤ d_x = ${c.data.dx} (the ML decoder has one column per principal direction of the rows)` });
    }
    if (c.engine.draws > c.draws) ctx.addIssue({ code: 'custom', path: ['engine', 'draws'], message: `allowed engine draws: an integer 10 ≤ engine draws ≤ draws = ${c.draws}` });
  });

export type IwaeBiasConfig = z.infer<typeof iwaeBiasConfigSchema>;

function validate(c: IwaeBiasConfig): void {
  if (c.Ks.length < 2) throw new RangeError(`Ks: ${c.Ks.length} given; allowed at least 2`);
  if (c.Ks.filter((K) => K >= c.slopeFrom).length < 2) throw new RangeError(`slopeFrom = ${c.slopeFrom}; allowed a value leaving ≥ 2 K's to fit`);
  if (!Number.isInteger(c.draws) || c.draws < 10) throw new RangeError(`draws = ${c.draws}; allowed an integer ≥ 10`);
  if (!(c.slopeRange[0] < c.slopeRange[1])) throw new RangeError(`slopeRange = [${c.slopeRange}]; allowed lower < upper`);
  if (!Number.isInteger(c.engine.draws) || c.engine.draws < 10 || c.engine.draws > c.draws) throw new RangeError(`engine.draws = ${c.engine.draws}; allowed an integer in [10, draws = ${c.draws}]`);
  if (c.engine.estimator !== 'iwae' && c.engine.estimator !== 'mean-log-weight') throw new RangeError(`engine.estimator = ${String(c.engine.estimator)}; allowed "iwae" or "mean-log-weight"`);
}

/** The encoder/decoder point at which the bias is measured. */
export function iwaeBiasPoint(c: IwaeBiasConfig, W: Float64Array, b: Float64Array): LinearVaeParams {
  const { dx, dz } = c.data;
  const enc = optimalEncoder(W, b, { dx, dz }, c.sigmaX);
  return {
    W: W.slice(),
    b: b.slice(),
    V: enc.V.slice(),
    c: enc.c.map((v, j) => v + c.encoder.meanShift * Math.exp(0.5 * enc.sMeanField[j])),
    s: enc.sMeanField.map((v) => v + c.encoder.logVarianceShift),
  };
}

/**
 * The smallest eigenvalue of 2Λ_p − Λ_q (posterior precision Λ_p = I + WᵀW/σ²,
 * q precision diag e^{−s}): the importance weights w = p(x, z)/q(z|x) have a
 * finite second moment under q iff it is > 0. The O(1/K) bias rests on that;
 * with infinite-variance weights the bias decays more slowly (calibration:
 * slopes −0.6 at K = 16..256 for a q with mean-field variances × e^0.5).
 */
export function weightVarianceMargin(p: LinearVaeParams, c: IwaeBiasConfig): number {
  const { dx, dz } = c.data;
  const v = c.sigmaX * c.sigmaX;
  const M = new Matrix(dz, dz);
  for (let i = 0; i < dz; i++) {
    for (let j = 0; j < dz; j++) {
      let wtw = 0;
      for (let r = 0; r < dx; r++) wtw += p.W[r * dz + i] * p.W[r * dz + j];
      M.set(i, j, 2 * ((i === j ? 1 : 0) + wtw / v) - (i === j ? Math.exp(-p.s[i]) : 0));
    }
  }
  return Math.min(...new EigenvalueDecomposition(M, { assumeSymmetric: true }).realEigenvalues);
}

/**
 * The K → ∞ limit of a tempered estimator (ω ∝ w^a): E_π[∇_θ log p(x, z)] with
 * π ∝ q^{1−a} p(z|x)^a, Gaussian; minus ∇_θ log p(x) (= E_{p(z|x)}[…]); averaged
 * over points. Returns its norm: the bias plateau a tempered normalisation predicts.
 */
export function temperedBiasPlateau(p: LinearVaeParams, c: IwaeBiasConfig, x: Float64Array, exact: PointwiseLogMarginal, a: number): number {
  const { dx, dz, n } = c.data;
  const v = c.sigmaX * c.sigmaX;
  // Posterior precision Λ_p = I + WᵀW/v; q precision diag e^{−s}.
  const Lp = new Matrix(dz, dz);
  for (let j = 0; j < dz; j++) {
    for (let l = 0; l < dz; l++) {
      let t = j === l ? 1 : 0;
      for (let i = 0; i < dx; i++) t += (p.W[i * dz + j] * p.W[i * dz + l]) / v;
      Lp.set(j, l, t);
    }
  }
  const Lpi = new Matrix(dz, dz);
  for (let j = 0; j < dz; j++) for (let l = 0; l < dz; l++) Lpi.set(j, l, a * Lp.get(j, l) + (j === l ? (1 - a) * Math.exp(-p.s[j]) : 0));
  const chol = new CholeskyDecomposition(Lpi);
  const Spi = chol.solve(Matrix.eye(dz, dz));
  const d = dx * dz + dx;
  const mean = new Float64Array(d);
  for (let pt = 0; pt < n; pt++) {
    const xo = pt * dx;
    // Posterior mean m_p = Λ_p⁻¹ Wᵀ(x − b)/v; q mean μ_q = V x + c.
    const rhs = new Matrix(dz, 1);
    for (let j = 0; j < dz; j++) {
      let t = 0;
      for (let i = 0; i < dx; i++) t += (p.W[i * dz + j] * (x[xo + i] - p.b[i])) / v;
      // Λ_p m_p = Wᵀ(x − b)/v, so a Λ_p m_p contributes a·t directly.
      let muq = p.c[j];
      for (let i = 0; i < dx; i++) muq += p.V[j * dx + i] * x[xo + i];
      rhs.set(j, 0, a * t + (1 - a) * Math.exp(-p.s[j]) * muq);
    }
    const m = chol.solve(rhs).to1DArray();
    for (let i = 0; i < dx; i++) {
      let wm = 0;
      for (let j = 0; j < dz; j++) wm += p.W[i * dz + j] * m[j];
      const r = x[xo + i] - p.b[i] - wm;
      for (let j = 0; j < dz; j++) {
        // E_π[r zᵀ]_ij = r_i m_j − Σ_l W_il Σ_π,lj.
        let ws = 0;
        for (let l = 0; l < dz; l++) ws += p.W[i * dz + l] * Spi.get(l, j);
        mean[i * dz + j] += ((r * m[j] - ws) / v - exact.grad[pt * d + i * dz + j]) / n;
      }
      mean[dx * dz + i] += (r / v - exact.grad[pt * d + dx * dz + i]) / n;
    }
  }
  return Math.sqrt(mean.reduce((u, t) => u + t * t, 0));
}

/** Family-wise false alarm of the exact side's importance-sampling check (Bonferroni over d + 1 coordinates). */
const ANCHOR_FALSE_ALARM = 1e-4;

export async function checkIwaeBias(claimId: string, configs: readonly IwaeBiasConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  configs.forEach(validate);
  const arms = new Map<string, Float64Arm>();
  // Draws that may feed an engine arm keep their samples and plain estimates.
  const keep = Math.max(0, ...configs.filter((c) => c.normalisation.kind === 'self-normalised').map((c) => c.engine.draws));
  const out: CheckResult[] = [];
  for (const [i, c] of configs.entries()) {
    const progress = (f: number) => ctx.progress((i + f) / configs.length);
    const prep = prepare(claimId, c, ctx);
    const key = JSON.stringify([c.data, c.sigmaX, c.encoder, c.Ks, c.draws, c.normalisation]);
    let arm = arms.get(key);
    if (!arm) arms.set(key, (arm = float64Arm(claimId, c, prep, ctx.masterSeed, c.normalisation.kind === 'self-normalised' ? keep : 0, (f) => progress(0.7 * f))));
    out.push(evaluate(claimId, c, prep, arm, ctx.masterSeed, (f) => progress(0.7 + 0.3 * f)));
  }
  return out;
}

/** Data, the measurement point and the exact log-marginal, all rounded to float32 so the engine and the reference see the same numbers. */
interface Prepared {
  dims: { dx: number; dz: number };
  x: Float64Array;
  x32: Float32Array;
  p: LinearVaeParams;
  exact: PointwiseLogMarginal;
  logp: number;
  /** (1/n) Σ_i ∇_{W,b} log p(x_i). */
  meanMu: Float64Array;
}

function prepare(claimId: string, c: IwaeBiasConfig, ctx: Pick<ClaimContext, 'masterSeed' | 'data'>): Prepared {
  const { dx, dz, n } = c.data;
  const dims = { dx, dz };
  // The user's rows (verify --data) with the decoder at their ML solution for σ_x (no generating model is known),
  // else synthetic data with the decoder at its ground truth.
  let decoder: { W: Float64Array; b: Float64Array };
  let x32: Float32Array;
  if (fromFile(c.data)) {
    x32 = Float32Array.from(userRows(claimId, n, dx, ctx.data));
    decoder = fixedVarianceMlDecoder(Float64Array.from(x32), n, dims, c.sigmaX);
  } else {
    const data = generateLinearGaussianData({ ...c.data, seed: deriveSeed(ctx.masterSeed, claimId, 'data') });
    x32 = Float32Array.from(data.x);
    decoder = data;
  }
  const x = Float64Array.from(x32);
  const raw = iwaeBiasPoint(c, decoder.W, decoder.b);
  const round = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
  const p: LinearVaeParams = { W: round(raw.W), b: round(raw.b), V: round(raw.V), c: round(raw.c), s: round(raw.s) };
  const exact = pointwiseLogMarginal(p.W, p.b, dims, c.sigmaX, x, n);
  const d = dx * dz + dx;
  const meanMu = new Float64Array(d);
  for (let pt = 0; pt < n; pt++) for (let t = 0; t < d; t++) meanMu[t] += exact.grad[pt * d + t] / n;
  return { dims, x, x32, p, exact, logp: exact.logp.reduce((u, v) => u + v, 0) / n, meanMu };
}

/** The float64 arm's draws: control-variate estimates for every draw; for the first `kept`, their samples and plain estimates too. */
interface Float64Arm {
  M: number;
  L: number;
  d: number;
  biasDraws: Float64Array; // draw m, level l at (m·L + l)·d
  biasNorms: Float64Array;
  gapDraws: Float64Array;
  kept: { eps: Float64Array; plainBias: Float64Array[]; plainGap: number[] }[];
  /** The control variate's average per draw: mean 0 iff the closed-form ∇_{W,b} log p(x) and p(x) are right. */
  anchor: DrawMoments;
}

function float64Arm(claimId: string, c: IwaeBiasConfig, prep: Prepared, masterSeed: number, kept: number, progress: (f: number) => void): Float64Arm {
  const { dx, dz, n } = c.data;
  const { dims, x, p, exact } = prep;
  const Ks = c.Ks;
  const L = Ks.length;
  const Kmax = Ks[L - 1];
  const d = dx * dz + dx;
  const M = c.draws;
  // Common random numbers: the claim and its falsifiers see the same noise.
  const noise = RandomStream.at(masterSeed, claimId, 'iwae-noise');
  const biasDraws = new Float64Array(M * L * d);
  const biasNorms = new Float64Array(M * L);
  const gapDraws = new Float64Array(M * L);
  const keptDraws: Float64Arm['kept'] = [];
  const anchor = new DrawMoments(d + 1);
  for (let m = 0; m < M; m++) {
    const eps = new Float64Array(n * Kmax * dz);
    noise.fillNormal(eps);
    const r = iwaeDecoderBlocks(p, dims, c.sigmaX, x, n, Ks, eps, { normalisation: c.normalisation, controlVariate: true, exact });
    for (let l = 0; l < L; l++) {
      biasDraws.set(r.biases[l], (m * L + l) * d);
      let q = 0;
      for (const t of r.biases[l]) q += t * t;
      biasNorms[m * L + l] = q;
      gapDraws[m * L + l] = r.gaps[l];
    }
    anchor.add(r.anchor!);
    if (m < kept) {
      const plain = iwaeDecoderBlocks(p, dims, c.sigmaX, x, n, Ks, eps, { normalisation: c.normalisation, exact });
      keptDraws.push({ eps, plainBias: plain.biases, plainGap: plain.gaps });
    }
    if (m % 50 === 0) progress(m / M);
  }
  return { M, L, d, biasDraws, biasNorms, gapDraws, kept: keptDraws, anchor };
}

/**
 * A stream that hands out given values in order: the engine's kernel draws
 * its rows and noise through it, so it processes exactly the reference's
 * samples. Drawing more than supplied, or an index out of range, throws.
 */
class ReplayStream {
  private i = 0;
  constructor(
    private readonly values: ArrayLike<number>,
    private readonly what: string,
  ) {}
  get consumed(): number {
    return this.i;
  }
  private next(): number {
    if (this.i >= this.values.length) throw new Error(`the engine drew more ${this.what} than the ${this.values.length} the reference supplied`);
    return this.values[this.i++];
  }
  int(n: number): number {
    const v = this.next();
    if (!(v >= 0 && v < n)) throw new Error(`replayed row ${v} outside [0, ${n})`);
    return v;
  }
  normal(): number {
    return this.next();
  }
  fillNormal(out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
    for (let t = 0; t < count; t++) out[offset + t] = this.next();
  }
  /** A run of rows at once, as the kernel's WebAssembly port draws them (each checked as int() does). */
  fillInt(out: Int32Array, n: number, offset = 0, count = out.length - offset): void {
    for (let t = 0; t < count; t++) out[offset + t] = this.int(n);
  }
  uniform(): number {
    throw new Error('replay stream: the engine asked for a uniform draw, which the reference does not supply');
  }
}

interface EngineArm {
  biasDraws: Float64Array;
  biasNorms: Float64Array;
  gapDraws: Float64Array;
  M: number;
  /** Largest engine − float64 deviation on identical samples (relative to max(1, ‖·‖∞)), and where. */
  deviation: number;
  worst: string;
  /** Samples the engine left unread (should be 0). */
  unread: number;
}

function engineArm(c: IwaeBiasConfig, prep: Prepared, f64: Float64Arm, progress: (f: number) => void): EngineArm {
  const { dx, dz, n } = c.data;
  const { dims, x32, p, logp, meanMu } = prep;
  const Ks = c.Ks;
  const { L, d } = f64;
  const Kmax = Ks[L - 1];
  const M = c.engine.draws;
  const opts = { dims, data: x32, sigmaX: c.sigmaX };
  const model = c.engine.estimator === 'iwae' ? new LinearIwaeModel(opts) : new MeanLogWeightModel(opts);
  const params: ReplicaParams = { W: Float32Array.from(p.W), b: Float32Array.from(p.b), V: Float32Array.from(p.V), c: Float32Array.from(p.c), s: Float32Array.from(p.s) };
  const grad = Object.fromEntries(Object.entries(model.paramShapes).map(([nm, sh]) => [nm, new Float64Array(sh.reduce((a, b) => a * b, 1))]));
  const rows = Array.from({ length: n }, (_, i) => i);
  const biasDraws = new Float64Array(M * L * d);
  const biasNorms = new Float64Array(M * L);
  const gapDraws = new Float64Array(M * L);
  const dec = new Float64Array(d);
  let deviation = 0;
  let worst = '';
  let unread = 0;
  for (let m = 0; m < M; m++) {
    const { eps, plainBias, plainGap } = f64.kept[m];
    for (let l = 0; l < L; l++) {
      const K = Ks[l];
      const blocks = Kmax / K;
      const setting: ReplicaSetting = { label: `iwae-bias engine arm, K = ${K}`, seed: 1, schedule: { C: 1, alpha: 0 }, batchSize: n, samples: K, beta: 1 };
      dec.fill(0);
      let bound = 0;
      const normals = new Float64Array(n * K * dz);
      for (let blk = 0; blk < blocks; blk++) {
        for (let i = 0; i < n; i++) normals.set(eps.subarray((i * Kmax + blk * K) * dz, (i * Kmax + blk * K + K) * dz), i * K * dz);
        const data = new ReplayStream(rows, 'rows');
        const noise = new ReplayStream(normals, 'normals');
        const streams = { init: data, data, noise } as unknown as ReplicaStreams;
        bound += model.objectiveAndGradient(params, setting, streams, grad) / blocks;
        unread += n - data.consumed + normals.length - noise.consumed;
        for (let t = 0; t < dx * dz; t++) dec[t] += grad.W[t] / blocks;
        for (let t = 0; t < dx; t++) dec[dx * dz + t] += grad.b[t] / blocks;
      }
      // The reference's plain estimate on the same samples: f64Dec = plainBias + mean ∇log p; bound = log p − plainGap.
      let scale = 1;
      for (let t = 0; t < d; t++) scale = Math.max(scale, Math.abs(plainBias[l][t] + meanMu[t]));
      const o = (m * L + l) * d;
      let q = 0;
      for (let t = 0; t < d; t++) {
        const dev = dec[t] - (plainBias[l][t] + meanMu[t]);
        if (!(Math.abs(dev) / scale <= deviation)) {
          deviation = Number.isNaN(dev) ? Infinity : Math.abs(dev) / scale;
          worst = `draw ${m}, K = ${K}, ${t < dx * dz ? `∂W[${t}]` : `∂b[${t - dx * dz}]`}`;
        }
        const v = f64.biasDraws[o + t] + dev;
        biasDraws[o + t] = v;
        q += v * v;
      }
      biasNorms[m * L + l] = q;
      const f64Bound = logp - plainGap[l];
      const devBound = Math.abs(bound - f64Bound) / Math.max(1, Math.abs(f64Bound));
      if (!(devBound <= deviation)) {
        deviation = Number.isNaN(devBound) ? Infinity : devBound;
        worst = `draw ${m}, K = ${K}, the bound L_K (engine ${bound.toPrecision(8)}, reference ${f64Bound.toPrecision(8)})`;
      }
      gapDraws[m * L + l] = f64.gapDraws[m * L + l] + (f64Bound - bound);
    }
    if (m % 10 === 0) progress(m / M);
  }
  return { biasDraws, biasNorms, gapDraws, M, deviation, worst, unread };
}

/** Intervals of one arm: bootstrap over draws of the U-statistic ‖bias‖², the gaps and the log-log slope. */
interface ArmAnalysis {
  slope: Interval;
  bias: Interval[];
  gaps: Interval[];
  /** L_{K_l} − L_{K_{l−1}}. */
  steps: Interval[];
  floorFraction: number;
  biasSE: number;
}

function analyse(c: IwaeBiasConfig, arm: { biasDraws: Float64Array; biasNorms: Float64Array; gapDraws: Float64Array; M: number }, bootstrapSeed: number): ArmAnalysis {
  const Ks = c.Ks;
  const L = Ks.length;
  const d = c.data.dx * c.data.dz + c.data.dx;
  const { biasDraws, biasNorms, gapDraws, M } = arm;
  const fitIdx = Ks.map((_, l) => l).filter((l) => Ks[l] >= c.slopeFrom);
  const logK = fitIdx.map((l) => Math.log(Ks[l]));
  // Statistics of one (re)sample of draws: ‖bias‖² per K (U-statistic), gaps per K, slope.
  const S = new Float64Array(L * d);
  // Σ over the picked draws of each draw's L·d bias coordinates (a draw's are one contiguous row):
  // picked-row-sums.ts, two coordinates per SIMD add, each sum in pick order.
  const rowSums = new PickedRowSums(biasDraws.subarray(0, M * L * d), L * d);
  const stats = (pick: ArrayLike<number>) => {
    rowSums.sum(pick, pick.length, S);
    const Q = new Float64Array(L);
    const gap = new Float64Array(L);
    for (let i = 0; i < pick.length; i++) {
      const m = pick[i];
      for (let l = 0; l < L; l++) {
        Q[l] += biasNorms[m * L + l];
        gap[l] += gapDraws[m * L + l] / pick.length;
      }
    }
    const J = pick.length;
    const bias2 = new Float64Array(L);
    const plug = new Float64Array(L);
    for (let l = 0; l < L; l++) {
      let ss = 0;
      for (let t = 0; t < d; t++) ss += S[l * d + t] ** 2;
      bias2[l] = (ss - Q[l]) / (J * (J - 1));
      plug[l] = ss / (J * J);
    }
    const slope = leastSquaresLine(logK, fitIdx.map((l) => 0.5 * Math.log(Math.max(bias2[l], Number.MIN_VALUE)))).slope;
    return { bias2, plug, gap, slope };
  };
  const all = Array.from({ length: M }, (_, i) => i);
  const point = stats(all);
  // The sums' port is tested bit for bit in the suite; the run checks it again on the point
  // estimate's sums (every draw once; S holds them), because a held-out bug in it must not
  // pass unseen: any difference is an error, not a verdict. Costs one JavaScript pass.
  if (rowSums.implementation !== 'js') {
    const js = new Float64Array(L * d);
    pickedRowSumsJs(biasDraws, L * d, all, M, js);
    const t = firstBitDifference(S, js);
    if (t >= 0) throw new Error(`iwae-bias: the WebAssembly sums of the draws (src/stats/picked-row-sums.ts) disagree with their JavaScript at coordinate ${t}: ${S[t]} vs ${js[t]}`);
  }
  const rng = new RandomStream(bootstrapSeed);
  const B = c.resamples;
  const bootSlope = new Float64Array(B);
  const bootBias = Ks.map(() => new Float64Array(B));
  const bootGap = Ks.map(() => new Float64Array(B));
  const bootStep = Ks.slice(1).map(() => new Float64Array(B));
  const pick = new Int32Array(M);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < M; i++) pick[i] = rng.int(M);
    const s = stats(pick);
    bootSlope[b] = s.slope;
    for (let l = 0; l < L; l++) {
      bootBias[l][b] = Math.sqrt(Math.max(s.bias2[l], 0));
      bootGap[l][b] = s.gap[l];
      if (l > 0) bootStep[l - 1][b] = s.gap[l - 1] - s.gap[l];
    }
  }
  const interval = (estimate: number, boot: Float64Array): Interval => {
    boot.sort();
    return { estimate, lower: percentile(boot, 0.025), upper: percentile(boot, 0.975), level: 0.95 };
  };
  const bias = Ks.map((_, l) => interval(Math.sqrt(Math.max(point.bias2[l], 0)), bootBias[l]));
  return {
    slope: interval(point.slope, bootSlope),
    bias,
    gaps: Ks.map((_, l) => interval(point.gap[l], bootGap[l])),
    // L_{K_{l}} − L_{K_{l−1}} = gap_{l−1} − gap_l.
    steps: Ks.slice(1).map((_, i) => interval(point.gap[i] - point.gap[i + 1], bootStep[i])),
    floorFraction: (point.plug[L - 1] - point.bias2[L - 1]) / point.bias2[L - 1],
    biasSE: (bias[L - 1].upper - bias[L - 1].lower) / (2 * 1.96),
  };
}

/** The claim's criteria on one arm: slope inside the range, bounds ordered, L_Kmax ≤ log p(x). */
function armVerdicts(c: IwaeBiasConfig, a: ArmAnalysis): Verdict[] {
  const [lo, hi] = c.slopeRange;
  return [atLeast(a.slope, lo), atMost(a.slope, hi), ...a.steps.map((s) => atLeast(s, 0)), atLeast(a.gaps[a.gaps.length - 1], 0)];
}

function armMetrics(c: IwaeBiasConfig, a: ArmAnalysis, prefix: string): Record<string, Metric> {
  const Ks = c.Ks;
  const Kmax = Ks[Ks.length - 1];
  const [lo, hi] = c.slopeRange;
  const metrics: Record<string, Metric> = {
    [`${prefix}slope`]: intervalMetric(a.slope, `log-log slope of ‖E∇L_K − ∇log p‖ over K ∈ [${c.slopeFrom}, ${Kmax}]: interval within [${lo}, ${hi}]`),
  };
  Ks.forEach((K, l) => (metrics[`${prefix}bias[K=${K}]`] = intervalMetric(a.bias[l])));
  Ks.slice(1).forEach((K, i) => (metrics[`${prefix}L[K=${K}]−L[K=${Ks[i]}]`] = intervalMetric(a.steps[i], 'lower bound ≥ 0 (bounds ordered)')));
  metrics[`${prefix}logp−L[K=${Kmax}]`] = intervalMetric(a.gaps[a.gaps.length - 1], 'lower bound ≥ 0 (L_K ≤ log p(x))');
  return metrics;
}

function evaluate(claimId: string, c: IwaeBiasConfig, prep: Prepared, f64: Float64Arm, masterSeed: number, progress: (f: number) => void): CheckResult {
  const { n } = c.data;
  const { p, x, exact, logp } = prep;
  const Ks = c.Ks;
  const L = Ks.length;
  const Kmax = Ks[L - 1];
  const M = c.draws;
  const ref = analyse(c, f64, deriveSeed(masterSeed, claimId, 'bootstrap'));
  const verdicts = armVerdicts(c, ref);
  const metrics: Record<string, Metric> = armMetrics(c, ref, '');
  metrics.logp = { value: logp };
  const { floorFraction, biasSE } = ref;
  metrics[`mcFloorOverBias2[K=${Kmax}]`] = { value: floorFraction };
  metrics[`mcRelativeError[K=${Kmax}]`] = { value: biasSE / ref.bias[L - 1].estimate };
  // C/K reference through the fit: the C the measured bias implies at Kmax.
  const Cfit = ref.bias[L - 1].estimate * Kmax;
  metrics['C (bias·K at Kmax)'] = { value: Cfit };
  const notes: string[] = [];
  if (c.normalisation.kind === 'tempered') {
    const plateau = temperedBiasPlateau(p, c, x, exact, c.normalisation.power);
    metrics.predictedBiasAtLargeK = { value: plateau };
    metrics.measuredBiasAtLargeK = intervalMetric(ref.bias[L - 1]);
    notes.push(`Tempered weights (ω ∝ w^${c.normalisation.power}) converge to E under q^{1−a}p(z|x)^a: predicted bias plateau ${plateau.toPrecision(4)}, measured at K=${Kmax}: ${ref.bias[L - 1].estimate.toPrecision(4)}.`);
  }
  if (fromFile(c.data)) {
    const norm = Math.sqrt(prep.meanMu.reduce((u, v) => u + v * v, 0));
    notes.push(
      `θ on the user's rows (${n} points in R^${c.data.dx}): the decoder is their maximum-likelihood solution at σ_x = ${c.sigmaX} ` +
        `(b = the rows' mean, W = U_dz (Λ_dz − σ_x²)^{1/2} from their sample covariance), not a generating model's; there ‖(1/N) Σ_n ∇_θ log p(x_n)‖ = ${norm.toExponential(2)} (0 at the ML point, up to the float32 rounding of θ).`,
    );
  }
  notes.push(
    `float64 arm: ${M} draws of ${Kmax} samples per point for ${n} points; at K=${Kmax} the subtracted variance floor is ` +
      `${(100 * floorFraction).toFixed(2)}% of bias² and the bias norm's bootstrap SE is ${((100 * biasSE) / ref.bias[L - 1].estimate).toFixed(1)}% of it ` +
      `(C/K with C ≈ ${Cfit.toPrecision(3)} is ${(Cfit / Kmax).toPrecision(3)} there).`,
  );
  // The exact side anchored: the closed-form ∇_{W,b} log p(x) and p(x) against their importance-sampling estimates.
  const anchor = meanTest(f64.anchor, new Float64Array(f64.d + 1), ANCHOR_FALSE_ALARM);
  const anchorName = (i: number) => (i === f64.d ? 'p(x) (E[w/p(x)] − 1)' : i < c.data.dx * c.data.dz ? `∂W[${i}] log p(x)` : `∂b[${i - c.data.dx * c.data.dz}] log p(x)`);
  metrics.exactSideMaxT = { value: anchor.maxAbsZ, criterion: `≤ ${anchor.threshold.toFixed(2)} (closed-form ∇log p(x), p(x) vs importance sampling; Bonferroni, false alarm ${ANCHOR_FALSE_ALARM})` };
  if (!anchor.ok) {
    verdicts.push('error');
    notes.push(`The exact side is wrong: the closed-form ${anchorName(anchor.worst)} disagrees with its importance-sampling estimate (Fisher's identity): ${describeMeanTest(anchor, anchorName)}.`);
  }
  const weightMargin = weightVarianceMargin(p, c);
  const assumptions: AssumptionCheck[] = [
    {
      id: 'mc-error-small',
      met: floorFraction <= c.maxFloorFraction && biasSE / ref.bias[L - 1].estimate <= c.maxRelativeError,
      detail: `at K=${Kmax}: floor/bias² = ${floorFraction.toExponential(2)} (≤ ${c.maxFloorFraction}), SE/bias = ${(biasSE / ref.bias[L - 1].estimate).toFixed(3)} (≤ ${c.maxRelativeError})`,
    },
    {
      id: 'finite-weight-variance',
      met: weightMargin > 0,
      detail: `λ_min(2Λ_p − Λ_q) = ${weightMargin.toPrecision(3)} (> 0: E_q[w²] < ∞, the O(1/K) regime exists)`,
    },
    { id: 'imperfect-encoder', met: ref.gaps[0].lower > 0, detail: `log p(x) − L_1 = ${ref.gaps[0].estimate.toPrecision(4)} > 0: q is not the posterior, so the bias is not trivially 0` },
    {
      id: 'float64',
      met: anchor.ok,
      detail: `reference estimator and ∇log p(x) in float64 outside TensorFlow.js; closed-form ∇log p(x) and p(x) agree with importance sampling (${describeMeanTest(anchor, anchorName)})`,
    },
    {
      id: 'self-normalised-weights',
      met: c.normalisation.kind === 'self-normalised',
      detail: c.normalisation.kind === 'self-normalised' ? 'ω = w / Σw' : `tempered ω ∝ w^${c.normalisation.power}`,
    },
  ];
  const biasCurves: Record<string, number[]> = {
    '‖E∇L_K − ∇log p(x)‖ (float64)': ref.bias.map((b) => b.estimate),
    lower: ref.bias.map((b) => b.lower),
    upper: ref.bias.map((b) => b.upper),
    'C/K (through K_max)': Ks.map((K) => Cfit / K),
  };

  // The engine arm: only where the engine can compute the configured estimator (it has no tempered weights).
  if (c.normalisation.kind === 'self-normalised') {
    const eng = engineArm(c, prep, f64, progress);
    const a = analyse(c, eng, deriveSeed(masterSeed, claimId, 'bootstrap', 'engine'));
    verdicts.push(...armVerdicts(c, a));
    Object.assign(metrics, armMetrics(c, a, 'engine.'));
    biasCurves['‖E∇L_K − ∇log p(x)‖ (engine)'] = a.bias.map((b) => b.estimate);
    notes.push(
      `engine arm (${c.engine.estimator === 'iwae' ? "the kernel's IWAE estimator" : 'falsifier: the kernel with the mean of the log-weights'}): the first ${eng.M} draws ` +
        `through objectiveAndGradient, block by block; slope ${a.slope.estimate.toFixed(3)} [${a.slope.lower.toFixed(3)}, ${a.slope.upper.toFixed(3)}], ` +
        `bias at K=${Kmax} ${a.bias[L - 1].estimate.toPrecision(3)}; largest deviation from the float64 estimator on identical samples ${eng.deviation.toExponential(2)} (${eng.worst}).`,
    );
    if (c.engine.estimator === 'mean-log-weight') {
      // Uniform weights: E = ∇_{W,b} ELBO for every K (closed form), so the bias plateaus at ‖∇ELBO − ∇log p‖.
      const g = elboGradient(p, dataMoments(x, n, c.data.dx), c.sigmaX, 1);
      let q = 0;
      g.W.forEach((v, t) => (q += (v - prep.meanMu[t]) ** 2));
      g.b.forEach((v, t) => (q += (v - prep.meanMu[g.W.length + t]) ** 2));
      metrics.predictedBiasAtLargeK = { value: Math.sqrt(q) };
      metrics.measuredBiasAtLargeK = intervalMetric(a.bias[L - 1]);
    } else {
      const conf = engineConformance(c, prep, eng);
      verdicts.push(conf.verdict);
      Object.assign(metrics, conf.metrics);
      notes.push(...conf.notes);
      assumptions.push(conf.assumption);
    }
  }
  return {
    verdict: allOf(verdicts),
    metrics,
    assumptions,
    notes,
    series: {
      bias: { x: [...Ks], y: biasCurves, xLabel: 'K (importance samples)', yLabel: 'decoder-gradient bias', logX: true, logY: true },
      gap: {
        x: [...Ks],
        y: { 'log p(x) − L_K': ref.gaps.map((g) => g.estimate) },
        xLabel: 'K (importance samples)',
        yLabel: 'log p(x) − L_K (nats per point)',
        logX: true,
        logY: true,
      },
    },
  };
}

/** The engine's estimator must be the reference's on identical samples (kernel) and on identical draws (TF.js autodiff). */
function engineConformance(c: IwaeBiasConfig, prep: Prepared, eng: EngineArm): { verdict: Verdict; metrics: Record<string, Metric>; notes: string[]; assumption: AssumptionCheck } {
  const { n } = c.data;
  const setup: IwaeEngineSetup = { model: new LinearIwaeModel({ dims: prep.dims, data: prep.x32, sigmaX: c.sigmaX }), dims: prep.dims, sigmaX: c.sigmaX };
  const params: ReplicaParams = { W: Float32Array.from(prep.p.W), b: Float32Array.from(prep.p.b), V: Float32Array.from(prep.p.V), c: Float32Array.from(prep.p.c), s: Float32Array.from(prep.p.s) };
  const K = c.Ks.find((k) => k >= c.slopeFrom) ?? c.Ks[c.Ks.length - 1];
  const setting: ReplicaSetting = { label: 'iwae-bias conformance', seed: 7, schedule: { C: 1, alpha: 0 }, batchSize: n, samples: K, beta: 1 };
  const failures: string[] = [];
  if (!(eng.deviation <= KERNEL_TOLERANCE)) failures.push(`the kernel's estimator deviates from the float64 estimator on identical samples by ${eng.deviation.toExponential(2)} at ${eng.worst} (tolerance ${KERNEL_TOLERANCE})`);
  if (eng.unread > 0) failures.push(`the kernel left ${eng.unread} supplied rows/normals unread: it does not draw what the reference replays`);
  const kernel = kernelAgainstReference(setup, params, setting);
  const autodiff = autodiffAgainstReference(setup, params, setting);
  for (const dsc of [kernel, autodiff]) if (!dsc.ok) failures.push(describeDiscrepancy(dsc, `the bias point (B = ${n}, K = ${K})`));
  const port = kernelPortAgainstJavaScript(setup, params, setting, `the bias point (B = ${n}, K = ${K})`, ['iwae-bias']);
  if (!port.ok) failures.push(`the engine's WebAssembly kernel is not the JavaScript kernel it ports: ${port.detail}`);
  // The engine-estimator-is-elbo falsifier's engine (MeanLogWeightModel) runs the same port with its mean
  // pooling: compared with its own JavaScript kernel here, since its expected failure would hide a bug of its own.
  const elbo = kernelPortAgainstJavaScript({ ...setup, model: new MeanLogWeightModel({ dims: prep.dims, data: prep.x32, sigmaX: c.sigmaX }) }, params, setting, `the bias point, the ELBO estimator's engine`, ['iwae-bias', 'elbo']);
  if (!elbo.ok) failures.push(`the ELBO estimator's WebAssembly kernel (the falsifier's engine) is not its JavaScript kernel: ${elbo.detail}`);
  const metrics: Record<string, Metric> = {
    engineDeviation: { value: eng.deviation, criterion: `≤ ${KERNEL_TOLERANCE} (kernel vs float64 estimator on identical samples; relative to max(1, ‖·‖∞))` },
    autodiffVsReference: { value: Math.max(autodiff.valueError, autodiff.gradientError), criterion: `≤ ${autodiff.tolerance} (one TF.js step on identical draws, float32)` },
  };
  return {
    verdict: failures.length > 0 ? 'error' : 'pass',
    metrics,
    notes: failures.length > 0 ? [`Engine conformance FAILED, so the engine arm is not evidence about the theorem: ${failures.join('; ')}.`] : [],
    assumption: {
      id: 'engine-computes-iwae',
      met: failures.length === 0,
      detail: `kernel estimator within ${eng.deviation.toExponential(1)} of the float64 estimator on identical samples; one TF.js autodiff step within ${Math.max(autodiff.valueError, autodiff.gradientError).toExponential(1)} of the reference; ${port.detail}; the ELBO estimator's engine: ${elbo.detail}`,
    },
  };
}
