/**
 * snn-krr-equivalence check [WH24]: the stochastic latent network
 * (src/models/ntk/stochastic-latent.ts: reparameterised latent layer of width
 * m, noise-averaged output, three parameter groups) trained by full-batch GD
 * on (1/2n)‖f − y‖² plus a regulariser, antisymmetric initialisation (f₀ ≡ 0),
 * in two arms that share every replica's initialisation and noise:
 *   ridge arm  (λ/2)‖θ − θ₀‖², λ = λ'/n, run to convergence: the linearised
 *              model's minimiser is KRR with the summed kernel
 *              Θ = Θ_readout + Θ_mean + Θ_variance and ridge λ'
 *              (src/kernels/krr.ts);
 *   KL arm     the VAE's KL term (β/m)·(1/n) Σ_i Σ_units KL(N(μ, s²) ‖ N(0, 1))
 *              run for T steps: our reading, and why [D]: the KL is a sum of
 *              m unit terms, so only the 1/m scaling keeps the kernel regime
 *              (unscaled, it grows with m and collapses μ → 0, s → 1). Under
 *              it each unit's KL gradient is O(1/m), and with the paired
 *              (antisymmetric) units the twins' KL gradients are identical
 *              while their readouts are opposite, so its first-order effect
 *              on f cancels exactly: in the wide limit the KL arm follows the
 *              UNREGULARISED kernel flow f_T* = Θ*Θ⁻¹(I − (I − ηΘ/n)^T) y,
 *              a KRR-like spectral filter (early stopping), not a ridge.
 * Measured at 32 held-out test inputs, per width and seed:
 *   e_own  against the predictor of the replica's OWN initial summed kernel
 *          Θ₀ (train × train and test × train, the engine's hand-written
 *          kernels, checked against autodiff): what training converges to
 *          at finite width (ridge arm: KRR(Θ₀, λ'); KL arm: the flow of Θ₀);
 *   e_lim  the same against the analytic (infinite-width) Θ, float64
 *          quadrature (src/kernels/stochastic-ntk.ts, independent of the
 *          engine's code).
 * Pass: for each arm, seed-mean e_own at the widest m has bootstrap upper
 * bound < maxError and e_own decreases in m (slope upper bound < 0); and the
 * kernel both predictors are built from is the analytic Θ: the initial
 * kernels of blocks of 64 units (train × train, every seed and width, one
 * arm: the arms share θ₀) are i.i.d. draws whose mean is Θ plus the claim's
 * noise average's known excess (shared/snn-kernel-mean.ts), tested per group
 * and cosine bin (Bonferroni, family-wise false alarm 1e-4; resolution ≈ 0.1%
 * of a group's scale across entries). Every configuration is held to the
 * CLAIM's kernel, so an engine drawing one noise sample (another kernel) fails.
 * Reported: e_lim per width and its slope over m ≥ limitSlopeMinWidth
 * (≈ −0.5, the kernel's O(m^{−1/2}) fluctuation; with 6 seeds and two widths
 * its interval is ±0.3 wide, too wide to judge: calibration at M = 50 read 43
 * runs inconclusive when it was a criterion).
 * Reported, not judged: the issue's literal test for the KL arm — one
 * effective ridge λ_eff fitted at the middle width to the seed-mean KL
 * predictions (against KRR(Θ, λ_eff)), then the KRR(Θ, λ_eff) error at every
 * width. By the derivation above it must plateau at the flow-vs-ridge filter
 * mismatch (≈ 6% here), which is what a fixed ridge cannot express.
 * Conformance (verdict error, the claim's own configuration): the
 * hand-written kernels against per-example autodiff (two replicas, smallest
 * width), the hand-written loss gradients with the KL and ridge-free terms
 * against tf.grads.
 */
import { Matrix } from 'ml-matrix';
import { z } from 'zod';
import { intAtLeast, klWeight, positiveNumber, seedCount } from '../../config/hyperparameters.ts';
import { blocksDivideWidths, evenWidth, kernelMeanSchema, noiseDrawsSchema, ntkTestBedSchema } from './shared/schema.ts';
import { tf } from '../../engine/backend.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { stochasticKernels, STOCHASTIC_GROUPS, type StochasticGroup } from '../../kernels/stochastic-ntk.ts';
import { krrPredict, matrixFrom, relativeError, symmetricEigen } from '../../kernels/krr.ts';
import { evaluateTeacher, normaliseTargets, sinusoidTeacher } from '../../models/ntk/data.ts';
import { StochasticLatentBatch, type StochasticReplica } from '../../models/ntk/stochastic-latent.ts';
import { runGradientDescent } from '../../models/ntk/gd.ts';
import { allOf } from '../../stats/verdict.ts';
import { bootstrapInterval } from '../../stats/bootstrap.ts';
import { widthSlope } from '../../stats/width-slope.ts';
import type { CheckResult, ClaimContext, Metric, Verdict } from '../../contract/claim.ts';
import { configsByNoise, familyInputs, inputTensor, intervalMetric, PAPER_CONSTANTS_NOTE, replicaSeed, seedMeans, validateSeeds, validateTestBed, validateWidths } from './shared/common.ts';
import { stochasticAutodiffAgreement, stochasticGradientProbe } from './shared/stochastic-autodiff.ts';
import { binLayout, binMeans, describeKernelMeanTest, kernelMeanTest, type BinLayout, type KernelMeanTestResult } from './shared/kernel-mean.ts';
import { kernelMeanVerdict, validateKernelMean } from './shared/relu-kernel-mean.ts';
import { SNN_PARAMETER_MOMENTS, snnExpectedCoordinates } from './shared/snn-kernel-mean.ts';

const CLAIM_ID = 'snn-krr-equivalence';
const ARMS = ['ridge', 'kl'] as const;
type Arm = (typeof ARMS)[number];

/** The configuration of snn-krr-equivalence, as a zod schema (validated before anything runs) with its type inferred from it. */
export const snnKrrConfigSchema = z
  .object({
  bed: ntkTestBedSchema,
  /** Even (antisymmetric initialisation pairs units), increasing, at least 3. */
  widths: z.array(evenWidth(), { error: 'allowed widths: a list of even integers ≥ 2' }).min(3, { error: 'allowed widths: at least 3 even integers ≥ 2' }),
  seeds: seedCount,
  /** Noise draws per latent unit and how they are drawn. */
  samples: intAtLeast('noise draws K per latent unit', 1),
  noise: noiseDrawsSchema,
  /** Gauss–Hermite order per dimension for the analytic kernels. */
  quadratureOrder: intAtLeast('Gauss–Hermite quadrature order', 4),
  /** GD steps of both arms; η = etaFactor·n/λ_max(Θ). */
  steps: intAtLeast('GD steps', 1),
  etaFactor: positiveNumber('step factor'),
  /** Ridge of the ridge arm in kernel units (the training penalty is λ = λ'/n), and its anchor. */
  ridge: z.object({ lambdaPrime: positiveNumber("ridge λ'"), toward: z.enum(['init', 'zero'], { error: 'allowed ridge.toward: "init" or "zero"' }) }),
  /** KL weight β of the KL arm (the training penalty is (β/m)·(1/n) Σ_i Σ_units KL). */
  klBeta: klWeight,
  testPoints: intAtLeast('test points', 1),
  /** Upper bound on the seed-mean error against the own-kernel predictor at the widest m. */
  maxError: positiveNumber('maximum relative error'),
  /** The reported width slope of the error against the analytic-kernel predictor is fitted on the widths ≥ this. */
  limitSlopeMinWidth: intAtLeast('smallest width of the analytic-predictor slope', 2),
  /** The mean test of the initial block kernels against the analytic Θ plus the claim's noise average's excess. */
  kernelMean: kernelMeanSchema,
  /** Seeds whose initial kernels enter the mean test: the trained ones and kernel-only ones beyond them (≥ seeds). */
  kernelSeeds: seedCount,
}).superRefine(blocksDivideWidths);

export type SnnKrrConfig = z.infer<typeof snnKrrConfigSchema>;

function validate(c: SnnKrrConfig): void {
  validateTestBed(c.bed);
  validateWidths(c.widths);
  validateSeeds(c.seeds);
  for (const m of c.widths) if (m % 2 !== 0) throw new RangeError(`width m = ${m}; allowed even widths (antisymmetric pairs)`);
  validateKernelMean(c.kernelMean, c.widths);
  if (c.kernelSeeds < c.seeds) throw new RangeError(`kernelSeeds = ${c.kernelSeeds}; allowed ≥ seeds = ${c.seeds} (the trained replicas' kernels are draws too)`);
  if (c.widths.filter((m) => m >= c.limitSlopeMinWidth).length < 2) throw new RangeError(`limitSlopeMinWidth = ${c.limitSlopeMinWidth} leaves fewer than 2 widths for the analytic-predictor slope`);
}

/**
 * Test predictions of the linearised GD flow on the kernel (train, cross) after
 * T steps from f₀ ≡ 0: cross · Σ_k v_k (v_kᵀy) (1 − (1 − ηλ_k/n)^T)/λ_k. For
 * ηλ_k/n ≪ 1 the factor tends to ηT/n (no division by a vanishing eigenvalue).
 */
export function flowPredict(train: Matrix, cross: Matrix, y: ArrayLike<number>, eta: number, steps: number): Float64Array {
  const n = train.rows;
  const eig = symmetricEigen(train.clone().add(train.transpose()).mul(0.5));
  const coef = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let c0 = 0;
    for (let i = 0; i < n; i++) c0 += eig.vectors.get(i, k) * y[i];
    const h = (eta * eig.values[k]) / n;
    // 1 − (1 − h)^T = −expm1(T·log1p(−h)) is accurate for small h (its ratio to λ_k tends to ηT/n at h = 0);
    // a finite kernel's top eigenvalue can put h above 1 (oscillating but stable below 2): plain power there.
    const filter = Math.abs(h) < 1e-12 ? (eta * steps) / n : h < 0.5 ? -Math.expm1(steps * Math.log1p(-h)) / eig.values[k] : (1 - (1 - h) ** steps) / eig.values[k];
    coef[k] = c0 * filter;
  }
  const alpha = new Float64Array(n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) alpha[i] += eig.vectors.get(i, k) * coef[k];
  const out = new Float64Array(cross.rows);
  for (let j = 0; j < cross.rows; j++) for (let i = 0; i < n; i++) out[j] += cross.get(j, i) * alpha[i];
  return out;
}

/**
 * Draws of the kernel mean test from every replica of a batch at its
 * initialisation: per block of units, the train × train block kernel's bin
 * means per group (scaled by the number of blocks, so each has the full
 * kernel's expectation) and the block's parameter moments.
 */
function blockDraws(batch: StochasticLatentBatch, X: tf.Tensor2D, blocks: number, layout: BinLayout): Float64Array[] {
  const nb = layout.counts.length;
  const n = X.shape[0];
  const moments = batch.blockParameterMoments(blocks);
  const k = batch.blockKernels(X, blocks);
  const parts = STOCHASTIC_GROUPS.map((g) => k[g].dataSync() as Float32Array);
  tf.dispose([k.readout, k.mean, k.variance]);
  return moments.map((mom, q) => {
    const draw = new Float64Array(STOCHASTIC_GROUPS.length * nb + SNN_PARAMETER_MOMENTS.length);
    parts.forEach((v, gi) => draw.set(binMeans(layout, [v], [q * n * n], blocks), gi * nb));
    draw.set(mom, STOCHASTIC_GROUPS.length * nb);
    return draw;
  });
}

interface ArmErrors {
  /** own[s][w], lim[s][w]. */
  own: number[][];
  lim: number[][];
  /** Seed-mean test predictions per width (for the fitted-ridge report). */
  meanPrediction: Float64Array[];
}

interface ConfigOutcome {
  arms: Record<Arm, ArmErrors>;
  diverged: number;
}

export async function checkSnnKrr(configs: readonly SnnKrrConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  configs.forEach(validate);
  const base = configs[0];
  for (const c of configs) {
    if (JSON.stringify([c.bed, c.widths, c.seeds, c.quadratureOrder, c.testPoints, c.steps, c.etaFactor, c.kernelMean, c.kernelSeeds]) !== JSON.stringify([base.bed, base.widths, base.seeds, base.quadratureOrder, base.testPoints, base.steps, base.etaFactor, base.kernelMean, base.kernelSeeds])) {
      throw new RangeError(`${CLAIM_ID}: every configuration must share the test bed, widths, seeds, quadrature order, test points, steps, step factor and kernel-mean settings`);
    }
  }
  const { bed, widths, seeds, steps } = base;
  const n = bed.n;
  const hyper = { sigmaW: bed.sigmaW, sigmaB: bed.sigmaB };
  const train = familyInputs(ctx.masterSeed, CLAIM_ID, bed.d, n, 'train');
  const test = familyInputs(ctx.masterSeed, CLAIM_ID, bed.d, base.testPoints, 'test');
  const nt = test.n;
  const K = stochasticKernels(train, train, hyper, base.quadratureOrder);
  const cross = stochasticKernels(test, train, hyper, base.quadratureOrder);
  const eig = symmetricEigen(K.total);
  // Targets: the smooth teacher at the prior's output scale (the readout kernel's mean diagonal).
  let priorScale = 0;
  for (let i = 0; i < n; i++) priorScale += K.groups.readout.get(i, i) / n;
  const teacher = sinusoidTeacher(bed.d, deriveSeed(ctx.masterSeed, 'ntk', CLAIM_ID, 'teacher'));
  const y = normaliseTargets(evaluateTeacher(teacher, train), { rms: Math.sqrt(priorScale) });
  // The analytic kernel's step (the KL arm's limit predictor and the reported contraction); each replica
  // trains at the same factor of its own kernel's limit (below), which tends to this as m grows.
  const eta = (base.etaFactor * n) / eig.values[n - 1];
  const limitFlow = flowPredict(K.total, cross.total, y, eta, steps);
  const X = inputTensor(train);
  const Xt = X.transpose() as tf.Tensor2D;
  const Xtest = inputTensor(test);
  const Xall = tf.concat([X, Xtest], 0) as tf.Tensor2D;
  const yT = tf.tensor2d(Float32Array.from(y), [n, 1]);
  const outcomes: ConfigOutcome[] = configs.map(() => ({
    arms: Object.fromEntries(ARMS.map((a) => [a, { own: Array.from({ length: seeds }, () => new Array<number>(widths.length)), lim: Array.from({ length: seeds }, () => new Array<number>(widths.length)), meanPrediction: [] }])) as unknown as Record<Arm, ArmErrors>,
    diverged: 0,
  }));
  // Kernel mean test: the initial kernels of blocks of kernelMean.blockUnits units (train × train, binned by
  // cosine) of every seed and width are i.i.d. draws (one arm's replicas: the two arms share θ₀).
  const layout = binLayout([{ rows: train, cols: train }], base.kernelMean.offDiagonalBins);
  const nb = layout.counts.length;
  const draws = configs.map(() => [] as Float64Array[]);
  let autodiff: { worst: number; ok: boolean; message: string } | undefined;
  let gradient: { worst: number; ok: boolean; message: string } | undefined;
  const limitKrr = configs.map((c) => krrPredict({ train: K.total, cross: cross.total, y, lambdaPrime: c.ridge.lambdaPrime }));
  const totalWork = widths.reduce((a, m) => a + m, 0);
  let done = 0;
  try {
    for (const [w, m] of widths.entries()) {
      // One batch per width and noise scheme: every configuration's replicas of both arms (common random numbers).
      for (const cis of configsByNoise(configs)) {
        const c0 = configs[cis[0]];
        const replicas: StochasticReplica[] = [];
        const kl: number[] = [];
        const lambda: number[] = [];
        const towardInit: boolean[] = [];
        // slot: (configuration, arm, seed) → replica. Configurations that train an arm identically (a
        // falsifier that changes only the other arm) share its replicas instead of training copies.
        const slot: { ci: number; arm: Arm; s: number; r: number }[] = [];
        const index = new Map<string, number>();
        for (const ci of cis) {
          const c = configs[ci];
          for (const arm of ARMS) {
            const weight = arm === 'kl' ? c.klBeta / m : 0;
            const ridge = arm === 'ridge' ? c.ridge.lambdaPrime / n : 0;
            for (let s = 0; s < seeds; s++) {
              const key = `${arm}/${s}/${weight}/${ridge}/${ridge > 0 ? c.ridge.toward : ''}`;
              if (!index.has(key)) {
                index.set(key, replicas.length);
                replicas.push({ label: `${arm} arm, seed ${s}, m=${m}, ${c.noise} K=${c.samples}`, seed: replicaSeed(ctx.masterSeed, CLAIM_ID, s, m), noise: c.noise, antisymmetric: true });
                kl.push(weight);
                lambda.push(ridge);
                towardInit.push(c.ridge.toward === 'init');
              }
              slot.push({ ci, arm, s, r: index.get(key)! });
            }
          }
        }
        const arch = { d: bed.d, width: m, ...hyper, samples: c0.samples };
        const klWeights = Float64Array.from(kl);
        if (w === 0 && cis.includes(0)) {
          // Per-example autodiff costs n backward passes: two replicas of the claim (one per arm) at the smallest width.
          const pair = [0, seeds].map((r) => replicas[r]);
          const small = new StochasticLatentBatch(arch, pair);
          try {
            autodiff = stochasticAutodiffAgreement(small, X);
          } finally {
            small.dispose();
          }
          gradient = stochasticGradientProbe(arch, pair, Float64Array.from([kl[0], kl[seeds]]), X, Xt, yT);
        }
        if (base.kernelSeeds > seeds) {
          // Kernel-only replicas (seeds beyond the trained ones): their initial block kernels are more draws
          // of the mean test, which is about initialisation only (no training needed).
          const extra: StochasticReplica[] = Array.from({ length: base.kernelSeeds - seeds }, (_, i) => ({ label: `kernel-only, seed ${seeds + i}, m=${m}, ${c0.noise} K=${c0.samples}`, seed: replicaSeed(ctx.masterSeed, CLAIM_ID, seeds + i, m), noise: c0.noise, antisymmetric: true }));
          const only = new StochasticLatentBatch(arch, extra);
          try {
            for (const draw of blockDraws(only, X, m / c0.kernelMean.blockUnits, layout)) for (const ci of cis) draws[ci].push(draw);
          } finally {
            only.dispose();
          }
        }
        const batch = new StochasticLatentBatch(arch, replicas);
        try {
          // Each replica's own initial summed kernel on [train; test] (one replica at a time inside).
          // Each replica's initial kernels on [train; test] by blocks of units: their sum is the replica's own
          // summed kernel Θ₀; the train × train part of each block is a draw of the kernel mean test.
          const blocks = m / c0.kernelMean.blockUnits;
          const N = n + nt;
          const moments = batch.blockParameterMoments(blocks);
          const k = batch.blockKernels(Xall, blocks);
          const parts = Object.fromEntries(STOCHASTIC_GROUPS.map((g) => [g, k[g].dataSync() as Float32Array])) as Record<StochasticGroup, Float32Array>;
          tf.dispose([k.readout, k.mean, k.variance]);
          const own = new Float64Array(replicas.length * N * N);
          const blockTrain = new Float64Array(n * n);
          for (let r = 0; r < replicas.length; r++) {
            // Draws from each configuration's ridge-arm replicas (the KL arm's share their θ₀).
            const drawOf = slot.filter((x) => x.r === r && x.arm === 'ridge').map((x) => x.ci);
            for (let b = 0; b < blocks; b++) {
              const draw = drawOf.length > 0 ? new Float64Array(STOCHASTIC_GROUPS.length * nb + SNN_PARAMETER_MOMENTS.length) : null;
              for (const [gi, g] of STOCHASTIC_GROUPS.entries()) {
                const v = parts[g];
                const off = (r * blocks + b) * N * N;
                for (let q = 0; q < N * N; q++) own[r * N * N + q] += v[off + q];
                if (!draw) continue;
                for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) blockTrain[i * n + j] = v[off + i * N + j];
                draw.set(binMeans(layout, [blockTrain], [0], blocks), gi * nb);
              }
              if (!draw) continue;
              draw.set(moments[r * blocks + b], STOCHASTIC_GROUPS.length * nb);
              for (const ci of drawOf) draws[ci].push(draw);
            }
          }
          const ownTrain = (r: number) => matrixFrom(own, N, N, r * N * N).subMatrix(0, n - 1, 0, n - 1);
          // Each replica steps at etaFactor·n/λ_max of its OWN initial kernel (what a user can compute; half the
          // stability limit at etaFactor 1): a network whose kernel is not the analytic one still trains stably,
          // so a wrong kernel shows as the errors against the analytic predictors, not as a divergence.
          const etas = Float64Array.from(replicas, (_, r) => {
            const k = ownTrain(r);
            return (c0.etaFactor * n) / symmetricEigen(k.clone().add(k.transpose()).mul(0.5)).values[n - 1];
          });
          const gd = runGradientDescent(batch, {
            gradients: () => batch.lossGradients(X, Xt, yT, klWeights),
            outputs: () => batch.forward(X),
            y,
            steps,
            eta: etas,
            ridge: { lambda: Float64Array.from(lambda), towardInit },
            recordAt: (t) => t === steps,
            onProgress: (t) => ctx.progress((done + (m * t) / steps) / totalWork, `training at m = ${m}`),
          });
          const out = tf.tidy(() => batch.forward(Xtest));
          const values = out.dataSync();
          out.dispose();
          const sums = new Map<string, Float64Array>();
          slot.forEach(({ ci, arm, s, r }) => {
            const c = configs[ci];
            if (gd.divergedAt[r] >= 0) outcomes[ci].diverged++;
            const pred = Float64Array.from(values.subarray(r * nt, (r + 1) * nt));
            const full = matrixFrom(own, N, N, r * N * N);
            const Kt = full.subMatrix(0, n - 1, 0, n - 1);
            const Kc = full.subMatrix(n, N - 1, 0, n - 1);
            const ownPred = arm === 'ridge' ? krrPredict({ train: Kt, cross: Kc, y, lambdaPrime: c.ridge.lambdaPrime }) : flowPredict(Kt, Kc, y, etas[r], steps);
            const limPred = arm === 'ridge' ? limitKrr[ci] : limitFlow;
            const e = outcomes[ci].arms[arm];
            e.own[s][w] = relativeError(pred, ownPred);
            e.lim[s][w] = relativeError(pred, limPred);
            const key = `${ci}/${arm}`;
            if (!sums.has(key)) sums.set(key, new Float64Array(nt));
            const acc = sums.get(key)!;
            for (let j = 0; j < nt; j++) acc[j] += pred[j] / seeds;
          });
          for (const ci of cis) for (const arm of ARMS) outcomes[ci].arms[arm].meanPrediction[w] = sums.get(`${ci}/${arm}`)!;
        } finally {
          batch.dispose();
        }
      }
      done += m;
    }
  } finally {
    tf.dispose([X, Xt, Xtest, Xall, yT]);
  }
  // Every configuration's kernels are held to what the CLAIM says the network's kernel is: the analytic Θ
  // plus the claim's own noise average's excess (a falsifier that changes the noise must be seen here).
  const expected = snnExpectedCoordinates(train, K, layout, hyper, base);
  const means = configs.map((c, ci) => kernelMeanTest({ draws: draws[ci], ...expected, falseAlarm: c.kernelMean.falseAlarm }));
  return configs.map((c, ci) => judge(c, ci, outcomes[ci], { autodiff, gradient, eta, lambdaMin: eig.values[0], lambdaMax: eig.values[n - 1], K, cross, y, masterSeed: ctx.masterSeed, kernelMean: means[ci] }));
}

interface Shared {
  autodiff: { worst: number; ok: boolean; message: string } | undefined;
  gradient: { worst: number; ok: boolean; message: string } | undefined;
  eta: number;
  lambdaMin: number;
  lambdaMax: number;
  K: ReturnType<typeof stochasticKernels>;
  cross: ReturnType<typeof stochasticKernels>;
  y: Float64Array;
  masterSeed: number;
  kernelMean: KernelMeanTestResult;
}

/**
 * The issue's literal test of the KL arm (reported): λ_eff minimising the
 * error of the seed-mean predictions at the middle width against
 * KRR(Θ, λ_eff) on a log grid (10^{−4}..10^{1}, 20 points per decade), then
 * that predictor's error at every width.
 */
function fittedRidge(meanPrediction: Float64Array[], widths: readonly number[], sh: Shared): { lambda: number; errors: number[] } {
  const mid = Math.floor(widths.length / 2);
  let best = { err: Infinity, lambda: 0 };
  for (let e = -4; e <= 1 + 1e-9; e += 0.05) {
    const lambda = 10 ** e;
    const err = relativeError(meanPrediction[mid], krrPredict({ train: sh.K.total, cross: sh.cross.total, y: sh.y, lambdaPrime: lambda }));
    if (err < best.err) best = { err, lambda };
  }
  const pred = krrPredict({ train: sh.K.total, cross: sh.cross.total, y: sh.y, lambdaPrime: best.lambda });
  return { lambda: best.lambda, errors: meanPrediction.map((p) => relativeError(p, pred)) };
}

function judge(c: SnnKrrConfig, ci: number, o: ConfigOutcome, sh: Shared): CheckResult {
  const { widths, seeds } = c;
  const n = c.bed.n;
  // Conformance is the claim's own configuration's (falsifiers change the setting on purpose).
  const conformance = ci === 0 ? [sh.autodiff, sh.gradient].filter((x): x is { worst: number; ok: boolean; message: string } => !!x) : [];
  const problems = conformance.filter((x) => !x.ok).map((x) => `The engine does not compute what it should: ${x.message}.`);
  const contraction = (1 - (sh.eta * (sh.lambdaMin + c.ridge.lambdaPrime)) / n) ** c.steps;
  const assumptions = [
    { id: 'ridge-to-initialisation', met: c.ridge.toward === 'init', detail: `ridge arm: λ = λ'/n = ${c.ridge.lambdaPrime}/${n} toward ${c.ridge.toward === 'init' ? 'θ₀' : '0'}` },
    { id: 'noise-average', met: c.noise === 'stratified' && c.samples > 1, detail: `${c.samples} ${c.noise} noise draws per latent unit, fixed at initialisation` },
    { id: 'kl-scaling', met: true, detail: `KL arm: weight β/m with β = ${c.klBeta} (our reading; the paper's scaling could not be read)` },
    { id: 'converged', met: contraction < 1e-3, detail: `ridge arm: ${c.steps} steps, η = ${sh.eta.toFixed(3)}; linearised contraction of the slowest mode (1 − η(λ_min + λ')/n)^T = ${contraction.toExponential(1)}` },
  ];
  const notes = [PAPER_CONSTANTS_NOTE, ...conformance.map((x) => `Conformance: ${x.message}.`), ...problems];
  const metrics: Record<string, Metric> = {};
  for (const x of conformance) metrics[x === sh.autodiff ? 'kernelAutodiffDifference' : 'gradientAutodiffDifference'] = { value: x.worst, criterion: '≤ 2e-4 of the largest entry (hand-written vs autodiff)' };
  if (problems.length > 0) return { verdict: 'error', metrics, assumptions, notes };
  if (o.diverged > 0) {
    notes.push(`${o.diverged} replica(s) diverged (outputs non-finite or above 1e8): GD at η = ${sh.eta.toFixed(3)} is not the converging dynamics the claim is about.`);
    return { verdict: 'fail', metrics: { ...metrics, diverged: { value: o.diverged } }, assumptions, notes };
  }
  const widest = widths.length - 1;
  const boot = (label: string) => ({ bootstrapSeed: deriveSeed(sh.masterSeed, CLAIM_ID, 'bootstrap', label) });
  const verdicts: Verdict[] = [];
  const series: NonNullable<CheckResult['series']> = {};
  const armLabel: Record<Arm, string> = { ridge: `ridge toward θ₀ vs KRR(λ' = ${c.ridge.lambdaPrime})`, kl: `KL (β/m) vs the kernel flow after ${c.steps} steps` };
  for (const arm of ARMS) {
    const e = o.arms[arm];
    const errWide = bootstrapInterval(
      e.own.map((row) => row[widest]),
      boot(`${arm}-widest`),
    );
    const ownSlope = widthSlope(e.own, widths, boot(`${arm}-own-slope`));
    // The analytic-predictor slope on the upper ladder only: at small m the relative error is O(1) and saturates
    // (a predictor dominated by its kernel's fluctuation is not in the m^{-1/2} regime), which would flatten
    // the claim's slope and steepen a plateau's (the K = 1 falsifier: 1.00 → 0.63 → 0.61 at m = 64/256/1024).
    const upper = widths.map((m, w) => (m >= c.limitSlopeMinWidth ? w : -1)).filter((w) => w >= 0);
    const limSlope = widthSlope(
      e.lim.map((row) => upper.map((w) => row[w])),
      upper.map((w) => widths[w]),
      boot(`${arm}-limit-slope`),
    );
    verdicts.push(errWide.upper < c.maxError ? 'pass' : errWide.lower >= c.maxError ? 'fail' : 'inconclusive', ownSlope.upper < 0 ? 'pass' : ownSlope.lower >= 0 ? 'fail' : 'inconclusive');
    // The analytic-predictor slope is reported, not judged: with 6 seeds and two widths its interval is
    // ±0.3 wide (calibration: 43/50 runs inconclusive when it was judged against −0.25, and the single-noise
    // falsifier caught 13/50); the kernel it tests is judged sharply by the kernel mean test below.
    const ownMeans = seedMeans(e.own);
    const limMeans = seedMeans(e.lim);
    Object.assign(metrics, {
      [`${arm}ErrorAtWidest`]: intervalMetric(errWide, `upper bound < ${c.maxError} at m = ${widths[widest]} (${armLabel[arm]}, the replica's own Θ₀)`),
      [`${arm}ErrorSlope`]: intervalMetric(ownSlope, 'upper bound < 0 (decreasing in m)'),
      [`${arm}LimitErrorSlope`]: intervalMetric(limSlope, `reported: over m ≥ ${c.limitSlopeMinWidth} (vs the analytic Θ's predictor: ≈ −0.5, the kernel's O(m^{-1/2}) fluctuation)`),
      ...Object.fromEntries(widths.map((m, w) => [`${arm}Error_m${m}`, { value: ownMeans[w] }])),
      ...Object.fromEntries(widths.map((m, w) => [`${arm}LimitError_m${m}`, { value: limMeans[w] }])),
    });
    series[`${arm}Error`] = {
      x: widths,
      y: { "vs own Θ₀'s predictor": ownMeans, "vs analytic Θ's predictor": limMeans },
      xLabel: 'width m',
      yLabel: 'relative error of trained test predictions',
      title: `${armLabel[arm]}: relative test-prediction error against width (seed means)`,
      logX: true,
      logY: true,
    };
  }
  // The kernel both predictors are built from: the initial kernels' mean against the analytic Θ.
  const mean = sh.kernelMean;
  verdicts.push(kernelMeanVerdict(mean, c.kernelMean));
  metrics.kernelMeanMaxT = { value: mean.maxAbsT, criterion: `≤ ${mean.threshold.toFixed(2)} (Bonferroni over ${mean.coordinates.length} coordinates, family-wise false alarm ${c.kernelMean.falseAlarm}; ${mean.draws} block draws of ${c.kernelMean.blockUnits} units)` };
  metrics.kernelMeanShapeResolution = { value: mean.shapeResolution, criterion: `≤ ${c.kernelMean.maxShapeResolution} (shift across entries seen with probability ≈ 0.98, relative to the group's scale)` };
  metrics.kernelMeanScaleResolution = { value: mean.scaleResolution, criterion: `≤ ${c.kernelMean.maxScaleResolution} (diagonal shift seen with probability ≈ 0.98, relative to the group's scale)` };
  notes.push(`Initial kernels' mean vs the analytic Θ (with the claim's ${c.samples}-draw ${c.noise} noise average's excess): ${describeKernelMeanTest(mean)}.`);
  const fit = fittedRidge(o.arms.kl.meanPrediction, widths, sh);
  widths.forEach((m, w) => (metrics[`klFittedRidgeError_m${m}`] = { value: fit.errors[w], criterion: `reported: seed-mean KL-arm predictions vs KRR(Θ, λ_eff = ${fit.lambda.toExponential(2)}) fitted at m = ${widths[Math.floor(widths.length / 2)]}` }));
  metrics.klFittedRidge = { value: fit.lambda, criterion: 'reported: the one effective ridge fitted at the middle width' };
  notes.push(
    `KL arm against one fitted ridge (reported, not judged): λ_eff = ${fit.lambda.toExponential(2)} at m = ${widths[Math.floor(widths.length / 2)]}; error ${fit.errors.map((v, w) => `${v.toFixed(3)} (m = ${widths[w]})`).join(', ')}. ` +
      'A plateau is expected: in the kernel regime the 1/m-scaled KL vanishes from function space and the KL arm follows the kernel flow, whose spectral filter 1 − (1 − ηλ/n)^T is not a ridge filter λ/(λ + λ′) for any single λ′.',
  );
  series.klFittedRidge = { x: widths, y: { 'KL arm vs KRR(Θ, λ_eff)': fit.errors }, xLabel: 'width m', yLabel: 'relative error of seed-mean test predictions', logX: true, logY: true };
  void seeds;
  return { verdict: allOf(verdicts), metrics, series, assumptions, notes };
}
