/**
 * snn-ntk check [WH24]: the stochastic latent network (reparameterised VAE
 * latent layer of width m, noise-averaged output; src/models/ntk/stochastic-latent.ts)
 * has three tangent kernels — mean head, variance head, readout — each
 * converging to a deterministic limit (src/kernels/stochastic-ntk.ts, float64
 * quadrature with its error estimate).
 *
 * Kernel part (the verdict): per width m, seed s and group g the relative
 * Frobenius error of the engine's per-group empirical kernel against the
 * limit; slope of log(seed-mean error) vs log m with a bootstrap over seeds
 * must lie in slopeBand for every group (≈ −0.5; CLAIMS.md "slope ≈ −0.5",
 * band as for ntk-init-limit). A single noise sample per unit instead of the
 * noise average converges to a different kernel: the errors plateau.
 * Kernel mean (also the verdict): the kernels of blocks of kernelMean.blockUnits
 * units of every seed and width are i.i.d. draws whose mean is the limit plus
 * the K-draw noise average's excess (exact on the diagonal, bounded off it:
 * shared/snn-kernel-mean.ts); per group and entry bin they are tested with
 * the control-variate Bonferroni test of src/claims/ntk/shared/kernel-mean.ts
 * (family-wise false alarm 1e-4): a group's kernel a few percent off fails.
 * The replicas' kernels for the slopes are the sums of their blocks' (one
 * computation for both).
 * Conformance (verdict error, the claim's own configuration): the
 * hand-written kernels against per-example autodiff through forward (two
 * replicas, smallest width) and the study's hand-written loss gradients (KL
 * terms included) against tf.grads.
 *
 * Regulariser study (reported, run for the claim's own configuration only):
 * GD to convergence on (1/2n)‖f − y‖² plus one of
 *   'ridge-init'  (λ/2)‖θ − θ₀‖²,
 *   'kl-scaled'   (β/m)·(1/n) Σ_i Σ_units KL(N(μ, s²) ‖ N(0, 1)),
 *   'kl'          β·(1/n) Σ_i Σ_units KL (unscaled),
 * with antisymmetric initialisation (f₀ ≡ 0); test predictions compared with
 * KRR(Θ_total, λ' = nλ) — the predictor ridge-to-init provably converges to —
 * and with the unregularised kernel flow after the same T steps,
 * Θ*Θ⁻¹(I − (I − ηΘ/n)^T) y (what a regulariser whose effect vanishes gives).
 */
import { Matrix } from 'ml-matrix';
import { z } from 'zod';
import { intAtLeast, klWeight, positiveNumber, seedCount } from '../../config/hyperparameters.ts';
import { blocksDivideWidths, evenWidth, kernelMeanSchema, noiseDrawsSchema, ntkTestBedSchema, slopeBandSchema, widthLadder } from './shared/schema.ts';
import { tf } from '../../engine/backend.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { stochasticKernels, STOCHASTIC_GROUPS, type StochasticGroup } from '../../kernels/stochastic-ntk.ts';
import { binLayout, binMeans, describeKernelMeanTest, kernelMeanTest } from './shared/kernel-mean.ts';
import { kernelMeanVerdict, validateKernelMean } from './shared/relu-kernel-mean.ts';
import { krrPredict, matrixFrom, relativeError, relativeFrobenius, symmetricEigen } from '../../kernels/krr.ts';
import { evaluateTeacher, normaliseTargets, sinusoidTeacher } from '../../models/ntk/data.ts';
import { StochasticLatentBatch, type StochasticReplica } from '../../models/ntk/stochastic-latent.ts';
import { runGradientDescent } from '../../models/ntk/gd.ts';
import { allOf, withinBand } from '../../stats/verdict.ts';
import type { CheckResult, ClaimContext, Metric } from '../../contract/claim.ts';
import {
  configsByNoise,
  familyInputs,
  inputTensor,
  intervalMetric,
  PAPER_CONSTANTS_NOTE,
  replicaSeed,
  seedMeans,
  validateSeeds,
  validateTestBed,
  validateWidths,
} from './shared/common.ts';
import { widthSlope } from '../../stats/width-slope.ts';
import { stochasticAutodiffAgreement, stochasticGradientProbe } from './shared/stochastic-autodiff.ts';
import { SNN_PARAMETER_MOMENTS, snnExpectedCoordinates } from './shared/snn-kernel-mean.ts';

export const REGULARISERS = ['ridge-init', 'kl-scaled', 'kl'] as const;
export type Regulariser = (typeof REGULARISERS)[number];

/** The configuration of snn-ntk, as a zod schema (validated before anything runs) with its type inferred from it. */
export const snnConfigSchema = z
  .object({
    bed: ntkTestBedSchema,
    widths: widthLadder(),
    seeds: seedCount,
    /** Noise draws per latent unit and how they are drawn. */
    samples: intAtLeast('noise draws K per latent unit', 1),
    noise: noiseDrawsSchema,
    /** Gauss–Hermite order per dimension for the limit kernels. */
    quadratureOrder: intAtLeast('Gauss–Hermite quadrature order', 4),
    slopeBand: slopeBandSchema,
    /** The mean test of the block kernels against the limit plus the noise average's excess. */
    kernelMean: kernelMeanSchema,
    /** The regulariser study (reported, not judged). */
    study: z.object({
      /** Even (antisymmetric initialisation); any order. */
      widths: z.array(evenWidth('study width m'), { error: 'allowed study widths: a list of even integers ≥ 2' }).min(1, { error: 'allowed study widths: at least 1 even integer ≥ 2' }),
      seeds: seedCount,
      steps: intAtLeast('study steps', 1),
      /** Ridge in kernel units; the training penalty is λ = λ'/n. */
      lambdaPrime: positiveNumber("study ridge λ'"),
      /** KL weight β of the two KL regularisers. */
      beta: klWeight,
      testPoints: intAtLeast('study test points', 1),
    }),
  })
  .superRefine(blocksDivideWidths);

export type SnnConfig = z.infer<typeof snnConfigSchema>;

function validate(c: SnnConfig): void {
  validateTestBed(c.bed);
  validateWidths(c.widths);
  validateSeeds(c.seeds);
  if (!Number.isInteger(c.samples) || c.samples < 1) throw new RangeError(`samples K = ${c.samples}; allowed an integer ≥ 1`);
  if (!Number.isInteger(c.quadratureOrder) || c.quadratureOrder < 4) throw new RangeError(`quadratureOrder = ${c.quadratureOrder}; allowed an integer ≥ 4`);
  validateKernelMean(c.kernelMean, c.widths);
  validateSeeds(c.study.seeds);
  if (c.study.widths.length < 1) throw new RangeError('the regulariser study needs at least one width');
  if (!(c.study.lambdaPrime > 0)) throw new RangeError(`study λ' = ${c.study.lambdaPrime}; allowed > 0`);
}

export async function checkSnnNtk(configs: readonly SnnConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  configs.forEach(validate);
  const base = configs[0];
  for (const c of configs) {
    if (JSON.stringify([c.bed, c.widths, c.seeds, c.quadratureOrder, c.kernelMean]) !== JSON.stringify([base.bed, base.widths, base.seeds, base.quadratureOrder, base.kernelMean])) {
      throw new RangeError('snn-ntk: every configuration must share the test bed, widths, seeds, quadrature order and kernel-mean settings');
    }
  }
  const { bed, widths, seeds } = base;
  const hyper = { sigmaW: bed.sigmaW, sigmaB: bed.sigmaB };
  const train = familyInputs(ctx.masterSeed, 'snn-ntk', bed.d, bed.n, 'train');
  const limit = stochasticKernels(train, train, hyper, base.quadratureOrder);
  const X = inputTensor(train);
  const n = bed.n;
  const layout = binLayout([{ rows: train, cols: train }], base.kernelMean.offDiagonalBins);
  // errors[config][group][seed][width]; block draws per configuration (coordinates: groups × bins).
  const errors = configs.map(() => Object.fromEntries(STOCHASTIC_GROUPS.map((g) => [g, Array.from({ length: seeds }, () => new Array<number>(widths.length))])) as Record<StochasticGroup, number[][]>);
  const draws = configs.map(() => [] as Float64Array[]);
  let autodiff: { worst: number; ok: boolean; message: string } | undefined;
  const nb = layout.counts.length;
  const totalWork = widths.reduce((a, m) => a + m, 0) * 2;
  let done = 0;
  try {
    for (const [w, m] of widths.entries()) {
      // One batch per width and noise scheme: every configuration's replicas (they differ only in noise draws).
      for (const cis of configsByNoise(configs)) {
        const c = configs[cis[0]];
        const replicas: StochasticReplica[] = Array.from({ length: seeds }, (_, s) => ({
          label: `seed ${s}, m=${m}, ${c.noise} K=${c.samples}`,
          seed: replicaSeed(ctx.masterSeed, 'snn-ntk', s, m),
          noise: c.noise,
          antisymmetric: false,
        }));
        const arch = { d: bed.d, width: m, ...hyper, samples: c.samples };
        if (w === 0 && cis.includes(0)) {
          // Per-example autodiff costs n backward passes: two of the claim's replicas at the smallest width.
          const small = new StochasticLatentBatch(arch, replicas.slice(0, 2));
          try {
            autodiff = stochasticAutodiffAgreement(small, X);
          } finally {
            small.dispose();
          }
        }
        const batch = new StochasticLatentBatch(arch, replicas);
        const blocks = m / base.kernelMean.blockUnits;
        try {
          // The replica kernels are the sums of their unit blocks' kernels (one computation for both).
          const k = batch.blockKernels(X, blocks);
          const values = Object.fromEntries(STOCHASTIC_GROUPS.map((g) => [g, k[g].dataSync() as Float32Array])) as Record<StochasticGroup, Float32Array>;
          tf.dispose([k.readout, k.mean, k.variance]);
          const nn = n * n;
          // Draw (s, b) of this batch at index base + s·blocks + b of each configuration's list.
          const base = cis.map((ci) => draws[ci].length);
          const moments = batch.blockParameterMoments(blocks);
          for (const ci of cis) for (let q = 0; q < seeds * blocks; q++) draws[ci].push(Float64Array.from([...new Float64Array(STOCHASTIC_GROUPS.length * nb), ...moments[q]]));
          for (const [gi, g] of STOCHASTIC_GROUPS.entries()) {
            const v = values[g];
            for (let s = 0; s < seeds; s++) {
              const kernel = new Float64Array(nn);
              for (let b = 0; b < blocks; b++) {
                const off = (s * blocks + b) * nn;
                for (let q = 0; q < nn; q++) kernel[q] += v[off + q];
              }
              for (const ci of cis) errors[ci][g][s][w] = relativeFrobenius(matrixFrom(kernel, n, n), limit.groups[g]);
              for (let b = 0; b < blocks; b++) {
                const means = binMeans(layout, [v], [(s * blocks + b) * nn], blocks);
                cis.forEach((ci, k) => draws[ci][base[k] + s * blocks + b].set(means, gi * nb));
              }
            }
          }
        } finally {
          batch.dispose();
        }
      }
      done += 2 * m;
      ctx.progress((0.5 * done) / totalWork, `kernels at m = ${m}`);
    }
  } finally {
    X.dispose();
  }
  const study = regulariserStudy(base, ctx, (f) => ctx.progress(0.5 + 0.5 * f, 'regulariser study'));
  return configs.map((c, ci) => {
    const metrics: Record<string, Metric> = {};
    const verdicts = STOCHASTIC_GROUPS.map((g) => {
      const slope = widthSlope(errors[ci][g], widths, { bootstrapSeed: deriveSeed(ctx.masterSeed, 'snn-ntk', 'bootstrap', g) });
      metrics[`slope_${g}`] = intervalMetric(slope, `95% interval inside [${c.slopeBand[0]}, ${c.slopeBand[1]}] (≈ −0.5)`);
      const means = seedMeans(errors[ci][g]);
      widths.forEach((m, w) => (metrics[`error_${g}_m${m}`] = { value: means[w] }));
      return withinBand(slope, c.slopeBand[0], c.slopeBand[1]);
    });
    const expected = snnExpectedCoordinates(train, limit, layout, hyper, c);
    const mean = kernelMeanTest({ draws: draws[ci], ...expected, falseAlarm: c.kernelMean.falseAlarm });
    verdicts.push(kernelMeanVerdict(mean, c.kernelMean));
    metrics.kernelMeanMaxT = { value: mean.maxAbsT, criterion: `≤ ${mean.threshold.toFixed(2)} (Bonferroni over ${mean.coordinates.length} coordinates, family-wise false alarm ${c.kernelMean.falseAlarm}; ${mean.draws} block draws of ${c.kernelMean.blockUnits} units)` };
    metrics.kernelMeanShapeResolution = { value: mean.shapeResolution, criterion: `≤ ${c.kernelMean.maxShapeResolution} (shift across entries seen with probability ≈ 0.98, relative to the group's scale)` };
    metrics.kernelMeanScaleResolution = { value: mean.scaleResolution, criterion: `≤ ${c.kernelMean.maxScaleResolution} (diagonal shift seen with probability ≈ 0.98, relative to the group's scale)` };
    for (const co of mean.coordinates) {
      metrics[`kernelMean ${co.label}`] = { value: co.estimate, lower: co.estimate - mean.threshold * co.standardError, upper: co.estimate + mean.threshold * co.standardError, criterion: `within the allowance of the expected ${co.expected.toPrecision(5)}` };
    }
    metrics.quadratureError = { value: limit.quadratureError, criterion: `max |K_N − K_2N| over entries and groups (N = ${limit.order})` };
    // Conformance is judged on the claim's own configuration (the falsifier changes the noise on purpose).
    const harness = ci === 0 ? [...(autodiff && !autodiff.ok ? [`The engine's hand-written kernels are not its autodiff kernels: ${autodiff.message}.`] : []), ...(study.gradient && !study.gradient.ok ? [`The engine's loss gradients are not the gradients of its loss: ${study.gradient.message}.`] : [])] : [];
    if (ci === 0) {
      if (autodiff) metrics.autodiffDifference = { value: autodiff.worst, criterion: '≤ 2e-4 of the largest entry (hand-written vs autodiff kernels, smallest width)' };
      if (study.gradient) metrics.gradientDifference = { value: study.gradient.worst, criterion: '≤ 2e-4 of the largest entry (hand-written vs autodiff loss gradients, study)' };
    }
    const notes = [PAPER_CONSTANTS_NOTE, ...(ci === 0 ? [autodiff?.message, study.gradient?.message].filter((x): x is string => !!x).map((x) => `Conformance: ${x}.`) : []), ...harness, `Kernel mean vs limit (with the ${c.samples}-draw ${c.noise} noise average's exact diagonal excess and bounded off-diagonal excess): ${describeKernelMeanTest(mean)}.`];
    if (ci === 0) {
      Object.assign(metrics, study.metrics);
      notes.push(...study.notes);
    }
    return {
      verdict: harness.length > 0 ? 'error' : allOf(verdicts),
      metrics,
      series: {
        kernelError: {
          x: widths,
          y: Object.fromEntries(STOCHASTIC_GROUPS.map((g) => [`${g} head`, seedMeans(errors[ci][g])])),
          xLabel: 'width m',
          yLabel: 'relative Frobenius error of the per-group empirical NTK',
          logX: true,
          logY: true,
        },
        ...(ci === 0 ? study.series : {}),
      },
      assumptions: [
        { id: 'noise-average', met: c.noise === 'stratified' && c.samples >= 8, detail: `${c.samples} ${c.noise} noise draws per latent unit` },
        { id: 'quadrature', met: limit.quadratureError < 1e-8, detail: `Gauss–Hermite N = ${limit.order}; |K_N − K_2N| ≤ ${limit.quadratureError.toExponential(1)}` },
      ],
      notes,
    };
  });
}


interface StudyResult {
  metrics: Record<string, Metric>;
  notes: string[];
  series: CheckResult['series'];
  /** Hand-written loss gradients (with the KL terms) vs tf.grads, at initialisation of the first study width. */
  gradient: { worst: number; ok: boolean; message: string } | undefined;
}

/** GD to convergence under the three regularisers; errors against KRR(nλ) and the unregularised kernel flow. */
function regulariserStudy(c: SnnConfig, ctx: ClaimContext, progress: (f: number) => void): StudyResult {
  const { bed, study } = c;
  const n = bed.n;
  const hyper = { sigmaW: bed.sigmaW, sigmaB: bed.sigmaB };
  const train = familyInputs(ctx.masterSeed, 'snn-ntk', bed.d, n, 'train');
  const test = familyInputs(ctx.masterSeed, 'snn-ntk', bed.d, study.testPoints, 'test');
  const K = stochasticKernels(train, train, hyper, c.quadratureOrder);
  const cross = stochasticKernels(test, train, hyper, c.quadratureOrder);
  const eig = symmetricEigen(K.total);
  let priorScale = 0;
  for (let i = 0; i < n; i++) priorScale += K.groups.readout.get(i, i) / n;
  const teacher = sinusoidTeacher(bed.d, deriveSeed(ctx.masterSeed, 'ntk', 'snn-ntk', 'teacher'));
  const y = normaliseTargets(evaluateTeacher(teacher, train), { rms: Math.sqrt(priorScale) });
  const eta = n / eig.values[n - 1];
  const lambda = study.lambdaPrime / n;
  const krr = krrPredict({ train: K.total, cross: cross.total, y, lambdaPrime: study.lambdaPrime });
  // Unregularised kernel flow after T steps: f_T* = Θ* Θ⁻¹ (I − (I − ηΘ/n)^T) y.
  const flowTrain = new Matrix(n, 1);
  for (let k = 0; k < n; k++) {
    let c0 = 0;
    for (let i = 0; i < n; i++) c0 += eig.vectors.get(i, k) * y[i];
    const coef = (c0 * (1 - (1 - (eta * eig.values[k]) / n) ** study.steps)) / eig.values[k];
    for (let i = 0; i < n; i++) flowTrain.set(i, 0, flowTrain.get(i, 0) + coef * eig.vectors.get(i, k));
  }
  const flow = cross.total.mmul(flowTrain).getColumn(0);
  const X = inputTensor(train);
  const Xt = X.transpose() as tf.Tensor2D;
  const Xtest = inputTensor(test);
  const yT = tf.tensor2d(Float32Array.from(y), [n, 1]);
  let gradient: StudyResult['gradient'];
  const errKrr: Record<Regulariser, number[]> = { 'ridge-init': [], 'kl-scaled': [], kl: [] };
  const errFlow: Record<Regulariser, number[]> = { 'ridge-init': [], 'kl-scaled': [], kl: [] };
  const notes: string[] = [];
  try {
    for (const [w, m] of study.widths.entries()) {
      const replicas: StochasticReplica[] = [];
      const kl: number[] = [];
      const ridge: number[] = [];
      for (const reg of REGULARISERS) {
        for (let s = 0; s < study.seeds; s++) {
          replicas.push({ label: `${reg}, seed ${s}, m=${m}`, seed: replicaSeed(ctx.masterSeed, 'snn-ntk-study', s, m), noise: c.noise, antisymmetric: true });
          kl.push(reg === 'kl-scaled' ? study.beta / m : reg === 'kl' ? study.beta : 0);
          ridge.push(reg === 'ridge-init' ? lambda : 0);
        }
      }
      const batch = new StochasticLatentBatch({ d: bed.d, width: m, ...hyper, samples: c.samples }, replicas);
      try {
        const klWeights = Float64Array.from(kl);
        if (w === 0) gradient = stochasticGradientProbe(batch.arch, replicas, klWeights, X, Xt, yT);
        const gd = runGradientDescent(batch, {
          gradients: () => batch.lossGradients(X, Xt, yT, klWeights),
          outputs: () => batch.forward(X),
          y,
          steps: study.steps,
          eta: new Float64Array(replicas.length).fill(eta),
          ridge: { lambda: Float64Array.from(ridge), towardInit: replicas.map(() => true) },
          recordAt: (t) => t === study.steps,
          onProgress: (t) => progress((w + t / study.steps) / study.widths.length),
        });
        const out = tf.tidy(() => batch.forward(Xtest));
        const values = out.dataSync();
        out.dispose();
        REGULARISERS.forEach((reg, ri) => {
          let eK = 0;
          let eF = 0;
          let diverged = 0;
          for (let s = 0; s < study.seeds; s++) {
            const r = ri * study.seeds + s;
            if (gd.divergedAt[r] >= 0) diverged++;
            const pred = values.subarray(r * test.n, (r + 1) * test.n);
            eK += relativeError(pred, krr) / study.seeds;
            eF += relativeError(pred, flow) / study.seeds;
          }
          if (diverged > 0) notes.push(`${reg} at m = ${m}: ${diverged}/${study.seeds} seeds diverged.`);
          errKrr[reg].push(eK);
          errFlow[reg].push(eF);
        });
      } finally {
        batch.dispose();
      }
    }
  } finally {
    tf.dispose([X, Xt, Xtest, yT]);
  }
  const metrics: Record<string, Metric> = {};
  const last = study.widths.length - 1;
  for (const reg of REGULARISERS) {
    study.widths.forEach((m, w) => {
      metrics[`study_${reg}_vsKrr_m${m}`] = { value: errKrr[reg][w], criterion: `reported: relative error vs KRR(Θ, λ' = nλ = ${study.lambdaPrime})` };
      metrics[`study_${reg}_vsFlow_m${m}`] = { value: errFlow[reg][w], criterion: `reported: relative error vs the unregularised kernel flow after ${study.steps} steps` };
    });
  }
  const best = [...REGULARISERS].sort((a, b) => errKrr[a][last] - errKrr[b][last])[0];
  const mTop = study.widths[last];
  notes.push(
    `Regulariser study (m = ${study.widths.join(', ')}, ${study.seeds} seeds, ${study.steps} GD steps, λ' = ${study.lambdaPrime}, β = ${study.beta}): ` +
      `at m = ${mTop} the error vs KRR(λ' = nλ) is ` +
      REGULARISERS.map((r) => `${r} ${errKrr[r][last].toFixed(3)}`).join(', ') +
      `; vs the unregularised kernel flow ` +
      REGULARISERS.map((r) => `${r} ${errFlow[r][last].toFixed(3)}`).join(', ') +
      `. Closest to KRR: ${best}.`,
  );
  return {
    metrics,
    notes,
    gradient,
    series: {
      regulariserStudy: {
        x: study.widths,
        y: Object.fromEntries(REGULARISERS.flatMap((r) => [[`${r} vs KRR`, errKrr[r]], [`${r} vs flow`, errFlow[r]]])),
        xLabel: 'width m',
        yLabel: 'relative error of trained test predictions',
        logX: true,
        logY: true,
      },
    },
  };
}
