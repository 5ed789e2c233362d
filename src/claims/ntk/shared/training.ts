/**
 * The gradient-descent experiment shared by ntk-lazy-training,
 * ntk-linear-convergence and ntk-krr-equivalence [WH24; Jacot et al. 2018;
 * Du et al. 2019; Lee et al. 2019; Hu, Li & Yu 2020].
 *
 * Problem: n training inputs on the unit sphere, test inputs from a separate
 * stream, targets y from a smooth teacher, centred and scaled to RMS
 * targetScale·√(mean K(x, x)) (the prior's output scale) with a component of
 * weight exciteBottom along the bottom eigenvector of the analytic Θ (the
 * sharp-rate check measures the residual along that direction, so the data
 * must excite it). The analytic Θ (float64) fixes the step η = etaFactor·n/λ_max(Θ),
 * identical across widths.
 *
 * Training: full-batch GD on (1/(2n))‖f − y‖² (+ ridge λ = λ'/n toward θ₀ or
 * toward 0), antisymmetric initialisation (f₀ ≡ 0) or a plain one (f₀ to
 * be subtracted; ntk-krr-equivalence). Every seed of a setup
 * (the claim's or a falsifier's) at one width trains as ONE replica batch;
 * setups may differ only in per-replica settings (step factor,
 * parameterisation, ridge). Recorded per replica: the training residual at
 * every step, the empirical tangent kernel at initialisation (training ×
 * training and test × training) and at the end, and the outputs at the test
 * inputs at the end.
 */
import type { Matrix } from 'ml-matrix';
import { z } from 'zod';
import { fractionBelowOne, intAtLeast, positiveNumber, seedCount } from '../../../config/hyperparameters.ts';
import type { Metric } from '../../../contract/claim.ts';
import { tf } from '../../../engine/backend.ts';
import { deriveSeed } from '../../../engine/rng.ts';
import { reluKernels } from '../../../kernels/relu-ntk.ts';
import { matrixFrom, symmetricEigen, type SymmetricEigen } from '../../../kernels/krr.ts';
import { evaluateTeacher, normaliseTargets, sinusoidTeacher, type SphereData } from '../../../models/ntk/data.ts';
import { GROUPS, WideReluBatch, type Group, type WideReluReplica } from '../../../models/ntk/wide-relu.ts';
import { runGradientDescent } from '../../../models/ntk/gd.ts';
import { familyInputs, inputTensor, validateSeeds, validateTestBed, validateWidths } from './common.ts';
import { blocksDivideWidths, kernelMeanSchema, ntkTestBedSchema, parameterisationSchema, widthLadder } from './schema.ts';
import { autodiffAgreement, downloadKernels, kernelBlocks, ReluKernelDraws, reluKernelConformance, validateKernelMean, type ReluConformance } from './relu-kernel-mean.ts';

/** A ridge in kernel units λ' (training penalty λ = λ'/n) toward θ₀ ('init') or toward 0 ('zero'). */
export const ridgeFields = {
  lambdaPrime: positiveNumber("ridge λ'"),
  toward: z.enum(['init', 'zero'], { error: 'allowed ridge.toward: "init" (θ₀) or "zero"' }),
};

/**
 * A gradient-descent setup's fields (a claim's schema spreads them and adds
 * its criteria; zod 4 cannot extend a refined object, so the cross-field rule
 * is gdSetupRules, applied by each schema).
 */
export const gdSetupFields = {
  bed: ntkTestBedSchema,
  widths: widthLadder(),
  seeds: seedCount,
  steps: intAtLeast('steps', 10),
  /** η = etaFactor · n / λ_max(analytic Θ); stable GD needs etaFactor < 2 (the falsifiers go above on purpose). */
  etaFactor: positiveNumber('step factor η·λ_max/n'),
  parameterisation: parameterisationSchema,
  /** Ridge in kernel units λ' (training penalty λ = λ'/n) toward θ₀ or toward 0; null for none. */
  ridge: z.object(ridgeFields, { error: 'allowed ridge: null (none) or { lambdaPrime > 0, toward: "init" or "zero" }' }).nullable(),
  /** Target RMS in units of √(mean K(x, x)). */
  targetScale: positiveNumber('target scale'),
  /** Weight of the bottom-eigenvector component of the targets, in [0, 1). */
  exciteBottom: fractionBelowOne('bottom-eigenvector weight exciteBottom'),
  testPoints: intAtLeast('test points', 1),
  /**
   * Antisymmetric initialisation (f₀ ≡ 0, checked: |f₀| ≤ 1e-4·RMS(y)) or a
   * plain one (f₀ a draw of the prior, to be subtracted by the predictor).
   */
  antisymmetric: z.boolean({ error: 'allowed antisymmetric: true or false' }),
  /** The kernel mean test of Θ₀ against the analytic kernel (src/claims/ntk/shared/kernel-mean.ts). */
  kernelMean: kernelMeanSchema,
};

/** Cross-field rules of a setup: every width a whole number of kernel-mean blocks. */
export function gdSetupRules(c: { widths: readonly number[]; kernelMean: { blockUnits: number } }, ctx: z.RefinementCtx): void {
  blocksDivideWidths(c, ctx);
}

/** The GD experiment's configuration, as a zod schema (claims spread gdSetupFields into their own). */
export const gdSetupSchema = z.object(gdSetupFields).superRefine(gdSetupRules);

export type GdSetup = z.infer<typeof gdSetupSchema>;

export interface TrainingProblem {
  train: SphereData;
  test: SphereData;
  y: Float64Array;
  /** Analytic NTK on the training inputs, its eigen-decomposition, and test × train. */
  kernel: Matrix;
  eigen: SymmetricEigen;
  cross: Matrix;
  /** η at etaFactor = 1, i.e. n/λ_max. */
  baseEta: number;
}

export interface TrainedReplica {
  /** residuals[t] = f_t − y on the training inputs, t = 0..stepsRun. */
  residuals: Float64Array[];
  kernel0: Matrix;
  /** Empirical tangent kernel at initialisation between test and training inputs. */
  cross0: Matrix;
  /** Outputs at the test inputs at initialisation (f₀*). */
  test0: Float64Array;
  /** Null when the replica diverged. */
  kernelT: Matrix | null;
  testOutputs: Float64Array | null;
  divergedAt: number;
  eta: number;
}

function sharedKey(s: GdSetup): string {
  return JSON.stringify([s.bed, s.widths, s.seeds, s.steps, s.targetScale, s.exciteBottom, s.testPoints, s.antisymmetric, s.kernelMean]);
}

export function validateSetup(s: GdSetup): void {
  validateTestBed(s.bed);
  validateWidths(s.widths);
  validateSeeds(s.seeds);
  if (!Number.isInteger(s.steps) || s.steps < 10) throw new RangeError(`steps = ${s.steps}; allowed an integer ≥ 10`);
  if (!(s.etaFactor > 0)) throw new RangeError(`etaFactor = ${s.etaFactor}; allowed > 0`);
  if (!(s.targetScale > 0)) throw new RangeError(`targetScale = ${s.targetScale}; allowed > 0`);
  if (!(s.exciteBottom >= 0 && s.exciteBottom < 1)) throw new RangeError(`exciteBottom = ${s.exciteBottom}; allowed 0 ≤ w < 1`);
  if (!Number.isInteger(s.testPoints) || s.testPoints < 1) throw new RangeError(`testPoints = ${s.testPoints}; allowed an integer ≥ 1`);
  if (s.ridge && !(s.ridge.lambdaPrime > 0)) throw new RangeError(`ridge λ' = ${s.ridge.lambdaPrime}; allowed > 0`);
  validateKernelMean(s.kernelMean, s.widths);
}

/** Inputs, targets and analytic kernels of a setup (float64). */
export function trainingProblem(masterSeed: number, stream: string, s: GdSetup): TrainingProblem {
  const { d, n } = s.bed;
  const hyper = { sigmaW: s.bed.sigmaW, sigmaB: s.bed.sigmaB };
  const train = familyInputs(masterSeed, stream, d, n, 'train');
  const test = familyInputs(masterSeed, stream, d, s.testPoints, 'test');
  const { ntk: kernel, nngp } = reluKernels(train, train, hyper);
  const cross = reluKernels(test, train, hyper).ntk;
  const eigen = symmetricEigen(kernel);
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += nngp.get(i, i) / n;
  const teacher = sinusoidTeacher(d, deriveSeed(masterSeed, 'ntk', stream, 'teacher'));
  const bottom = Float64Array.from({ length: n }, (_, i) => eigen.vectors.get(i, 0));
  const y = normaliseTargets(evaluateTeacher(teacher, train), {
    rms: s.targetScale * Math.sqrt(meanDiag),
    ...(s.exciteBottom > 0 ? { excite: { direction: bottom, weight: s.exciteBottom } } : {}),
  });
  return { train, test, y, kernel, eigen, cross, baseEta: n / eigen.values[n - 1] };
}

/** Engine conformance measured while training (src/claims/ntk/shared/relu-kernel-mean.ts). */
export interface TrainingConformance {
  /** Hand-written loss gradients vs tf.grads of the loss through forward, at initialisation, worst over batches. */
  gradient: { worst: number; ok: boolean; message: string };
  /** Hand-written kernels vs autodiff (smallest width, first two seeds of an NTK-parameterisation setup). */
  autodiff: { worst: number; ok: boolean; message: string } | null;
  /** The trainer's first two steps against the GD update on θ written out (smallest width, the claim's own setup). */
  step: { worst: number; ok: boolean; message: string } | null;
  /** Antisymmetric setups whose initial outputs are not 0 (the premise f₀ ≡ 0). */
  f0: string[];
  /** Mean test of Θ₀ (train × train and test × train) of the NTK-parameterisation replicas against the analytic kernel. */
  kernelMean: ReluConformance | null;
}

/**
 * tf.grads of Σ_r (1/(2n))‖f_r − y‖² through forward w.r.t. the stored
 * weights against the hand-written lossGradients, per group: the largest
 * difference relative to the group's largest entry. Both float32 (sums of
 * n = 32 terms): ~1e-6 relative; 2e-4 is far above rounding and far below a
 * wrong normalisation (a factor 2 or n) or a dropped or scaled term.
 */
export function gradientAgreement(batch: WideReluBatch, X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D, tolerance = 2e-4): { worst: number; group: string; ok: boolean } {
  const n = X.shape[0];
  const names = [...GROUPS];
  const hand = batch.lossGradients(X, Xt, y);
  const ref = tf.grads((...ps: tf.Tensor[]) => {
    const w = Object.fromEntries(names.map((g, j) => [g, ps[j]])) as Record<Group, tf.Tensor>;
    return batch.forward(X, w).sub(y.transpose()).square().sum().div(2 * n) as tf.Scalar;
  })(names.map((g) => batch.params[g]));
  let worst = 0;
  let group = names[0] as string;
  try {
    names.forEach((g, j) => {
      const a = hand.grads[g].dataSync();
      const b = ref[j].dataSync();
      let diff = 0;
      let scale = 1e-30;
      for (let q = 0; q < b.length; q++) {
        diff = Math.max(diff, Math.abs(a[q] - b[q]));
        scale = Math.max(scale, Math.abs(b[q]));
      }
      if (diff / scale > worst) {
        worst = diff / scale;
        group = g;
      }
    });
  } finally {
    tf.dispose([hand.f, ...Object.values(hand.grads), ...ref]);
  }
  return { worst, group, ok: worst <= tolerance };
}

/**
 * The trainer's first two steps (src/models/ntk/gd.ts) against gradient
 * descent on θ written out: with w = cθ, one step on θ is
 *   Δw = −η κ (c² ∇_w L(w) + λ (w − w̄)),   w̄ = w₀ (ridge toward θ₀) or 0,
 * ∇_w L by tf.grads of (1/(2n))‖f − y‖² through forward (independent of the
 * hand-written lossGradients). Two steps, so that a ridge toward θ₀ is active
 * in the second. Per group, the largest |Δw − Δw_ref| relative to the
 * largest |Δw_ref|: float32 cancellation in w₁ − w₀ costs ~1e-7·|w|/|Δw|
 * (|Δw| ≳ 1e-3·|w| here), so 1e-3 is far above rounding and far below a
 * wrong step (a missing multiplier, a factor n or 2, a ridge toward the
 * wrong anchor).
 */
export function stepAgreement(batch: WideReluBatch, s: GdSetup, baseEta: number, X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D, tolerance = 1e-3): { worst: number; ok: boolean; message: string } {
  const R = batch.R;
  const n = X.shape[0];
  const eta = s.etaFactor * baseEta;
  const lambda = s.ridge ? s.ridge.lambdaPrime / n : 0;
  const towardInit = s.ridge ? s.ridge.toward === 'init' : true;
  const snapshot = () => Object.fromEntries(GROUPS.map((g) => [g, Float64Array.from(batch.params[g].dataSync())])) as Record<Group, Float64Array>;
  const w0 = snapshot();
  let w1 = w0;
  runGradientDescent(batch, {
    gradients: () => batch.lossGradients(X, Xt, y),
    outputs: () => batch.forward(X),
    y: Float64Array.from(y.dataSync()),
    steps: 2,
    eta: new Float64Array(R).fill(eta),
    ...(s.ridge ? { ridge: { lambda: new Float64Array(R).fill(lambda), towardInit: new Array<boolean>(R).fill(towardInit) } } : {}),
    progressEvery: 1,
    onProgress: (t) => {
      if (t === 1) w1 = snapshot();
    },
  });
  const w2 = snapshot();
  // Per-entry coefficient ηκ and multiplier c of the replica owning the entry.
  const perEntry = (g: Group, values: Float64Array, i: number) => values[g === 'b0' ? i % R : Math.floor((i % (R * batch.width)) / batch.width)];
  const reference = (w: Record<Group, Float64Array>): Record<Group, Float64Array> => {
    const tensors = GROUPS.map((g) => tf.tensor(Float32Array.from(w[g]), batch.params[g].shape));
    const grads = tf.grads((...ps: tf.Tensor[]) => {
      const p = Object.fromEntries(GROUPS.map((g, j) => [g, ps[j]])) as Record<Group, tf.Tensor>;
      return batch.forward(X, p).sub(y.transpose()).square().sum().div(2 * n) as tf.Scalar;
    })(tensors);
    const out = {} as Record<Group, Float64Array>;
    GROUPS.forEach((g, j) => {
      const grad = grads[j].dataSync();
      out[g] = Float64Array.from(grad, (v, i) => {
        const c = perEntry(g, batch.multipliers[g], i);
        const k = perEntry(g, batch.lrScales[g], i);
        const anchor = towardInit ? w0[g][i] : 0;
        return -eta * k * (c * c * v + lambda * (w[g][i] - anchor));
      });
    });
    tf.dispose([...tensors, ...grads]);
    return out;
  };
  let worst = 0;
  let where = '';
  for (const [t, from, to] of [
    [1, w0, w1],
    [2, w1, w2],
  ] as const) {
    const ref = reference(from);
    for (const g of GROUPS) {
      let diff = 0;
      let scale = 1e-30;
      for (let i = 0; i < ref[g].length; i++) {
        diff = Math.max(diff, Math.abs(to[g][i] - from[g][i] - ref[g][i]));
        scale = Math.max(scale, Math.abs(ref[g][i]));
      }
      if (diff / scale > worst) [worst, where] = [diff / scale, `step ${t}, group ${g}`];
    }
  }
  return {
    worst,
    ok: worst <= tolerance,
    message: `the trainer's first two steps vs Δw = −ηκ(c²∇L + λ(w − w̄)) with tf.grads (${R} replicas at m = ${batch.width}${s.ridge ? `, ridge λ = ${lambda.toPrecision(3)} toward ${s.ridge.toward}` : ''}): largest difference ${worst.toExponential(2)} of the largest step entry, at ${where} (tolerance ${tolerance})`,
  };
}

/**
 * Train every setup (all seeds, all widths); results[setup][width][seed].
 * `stream` names the data set and replica seeds, so claims sharing a stream
 * share their problem and initialisations. Each setup trains as its own
 * replica batch per width (replicas never mix, so the trajectories are the
 * same as in one batch): a setup whose replicas all diverge (a falsifier's
 * step above the stability limit, the standard parameterisation) stops there
 * instead of running its batch-mates' full T steps.
 *
 * Conformance, on the way: the hand-written loss gradients against autodiff
 * at initialisation (every batch); the hand-written kernels against autodiff
 * (two replicas at the smallest width); and the initial kernels Θ₀ of the
 * NTK-parameterisation replicas (train × train and test × train, every seed
 * and width; setups of one parameterisation share their initialisations)
 * against the analytic kernel by the kernel mean test.
 */
export function trainSetups(
  masterSeed: number,
  stream: string,
  setups: readonly GdSetup[],
  progress: (fraction: number, message?: string) => void,
): { problem: TrainingProblem; results: TrainedReplica[][][]; conformance: TrainingConformance } {
  setups.forEach(validateSetup);
  const key = sharedKey(setups[0]);
  for (const s of setups) {
    if (sharedKey(s) !== key) throw new RangeError('setups trained together must share test bed, widths, seeds, steps, targets, test points and kernel-mean settings');
  }
  const base = setups[0];
  const problem = trainingProblem(masterSeed, stream, base);
  const { n } = base.bed;
  const hyper = { sigmaW: base.bed.sigmaW, sigmaB: base.bed.sigmaB };
  const X = inputTensor(problem.train);
  const Xt = X.transpose() as tf.Tensor2D;
  const Xtest = inputTensor(problem.test);
  const yT = tf.tensor2d(Float32Array.from(problem.y), [n, 1]);
  const results: TrainedReplica[][][] = setups.map(() => base.widths.map(() => []));
  const ntkSetup = setups.findIndex((s) => s.parameterisation === 'ntk');
  const kb = kernelBlocks(
    [
      { rows: problem.train, cols: problem.train, rowsTensor: X, colsTensor: X },
      { rows: problem.test, cols: problem.train, rowsTensor: Xtest, colsTensor: X },
    ],
    base.kernelMean.offDiagonalBins,
  );
  const draws = new ReluKernelDraws(kb, base.kernelMean.blockUnits, base.bed.sigmaB);
  let gradient = { worst: 0, group: 'W', ok: true, where: '' };
  // Antisymmetric pairs cancel exactly but for float32 rounding (~1e-6 here); 1e-4 of the targets' RMS is far above it.
  const f0Limit = 1e-4 * Math.sqrt(problem.y.reduce((a, v) => a + v * v, 0) / n);
  const f0Violations: string[] = [];
  let autodiff: TrainingConformance['autodiff'] = null;
  let step: TrainingConformance['step'] = null;
  const work = base.widths.reduce((a, m) => a + m, 0) * setups.length;
  let done = 0;
  const replicaOf = (si: number, k: number, m: number): WideReluReplica => ({
    label: `setup ${si}, seed ${k}, m=${m}`,
    seed: deriveSeed(masterSeed, stream, 'seed', k, 'width', m),
    parameterisation: setups[si].parameterisation,
    antisymmetric: base.antisymmetric,
  });
  try {
    for (const [w, m] of base.widths.entries()) {
      const arch = { d: base.bed.d, width: m, ...hyper };
      if (w === 0 && ntkSetup >= 0) {
        // Autodiff costs n backward passes over the batch: two replicas at the smallest width.
        const small = new WideReluBatch(arch, [0, 1].map((k) => replicaOf(ntkSetup, k, m)));
        try {
          autodiff = autodiffAgreement(small, X);
        } finally {
          small.dispose();
        }
      }
      if (w === 0) {
        // The trainer's first two steps of the claim's own setup against the GD update written out (two replicas).
        const small = new WideReluBatch(arch, [0, 1].map((k) => replicaOf(0, k, m)));
        try {
          step = stepAgreement(small, setups[0], problem.baseEta, X, Xt, yT);
        } finally {
          small.dispose();
        }
      }
      for (const [si, s] of setups.entries()) {
        const replicas = Array.from({ length: base.seeds }, (_, k) => replicaOf(si, k, m));
        const eta = new Float64Array(base.seeds).fill(s.etaFactor * problem.baseEta);
        const batch = new WideReluBatch(arch, replicas);
        try {
          const k0 = downloadKernels(batch.tangentKernels(X));
          if (si === ntkSetup) draws.add(batch, replicas.map((_, r) => r), k0);
          const c0 = downloadKernels(batch.tangentKernels(Xtest, X)).total;
          const f0Test = tf.tidy(() => batch.forward(Xtest));
          const test0 = f0Test.dataSync();
          f0Test.dispose();
          if (base.antisymmetric) {
            const f0 = tf.tidy(() => batch.forward(X).abs().max());
            const worst = f0.dataSync()[0];
            f0.dispose();
            if (worst > f0Limit) f0Violations.push(`setup ${si}, m = ${m}: max |f₀| = ${worst.toExponential(2)} > ${f0Limit.toExponential(2)} (1e-4 × RMS(y))`);
          }
          const g = gradientAgreement(batch, X, Xt, yT);
          if (g.worst > gradient.worst) gradient = { ...g, where: `setup ${si} (${s.parameterisation}), m = ${m}` };
          const gd = runGradientDescent(batch, {
            gradients: () => batch.lossGradients(X, Xt, yT),
            outputs: () => batch.forward(X),
            y: problem.y,
            steps: base.steps,
            eta,
            ...(s.ridge ? { ridge: { lambda: new Float64Array(base.seeds).fill(s.ridge.lambdaPrime / n), towardInit: replicas.map(() => s.ridge!.toward === 'init') } } : {}),
            onProgress: (t) => progress((done + (m * t) / base.steps) / work, `m = ${m}, setup ${si}, step ${t}`),
          });
          const kT = downloadKernels(batch.tangentKernels(X)).total;
          const fTest = tf.tidy(() => batch.forward(Xtest));
          const test = fTest.dataSync();
          fTest.dispose();
          const nt = problem.test.n;
          replicas.forEach((_, r) => {
            const diverged = gd.divergedAt[r] >= 0;
            results[si][w].push({
              residuals: gd.residuals[r],
              kernel0: matrixFrom(k0.total, n, n, r * n * n),
              cross0: matrixFrom(c0, nt, n, r * nt * n),
              test0: Float64Array.from(test0.subarray(r * nt, (r + 1) * nt)),
              kernelT: diverged ? null : matrixFrom(kT, n, n, r * n * n),
              testOutputs: diverged ? null : Float64Array.from(test.subarray(r * nt, (r + 1) * nt)),
              divergedAt: gd.divergedAt[r],
              eta: eta[r],
            });
          });
        } finally {
          batch.dispose();
        }
        done += m;
        progress(done / work, `m = ${m}, setup ${si} done`);
      }
    }
  } finally {
    tf.dispose([X, Xt, Xtest, yT]);
  }
  const conformance: TrainingConformance = {
    gradient: {
      worst: gradient.worst,
      ok: gradient.ok,
      message: `hand-written loss gradients vs tf.grads through forward at initialisation: largest difference ${gradient.worst.toExponential(2)} of the group's largest entry, in group ${gradient.group}${gradient.where ? ` (${gradient.where})` : ''} (tolerance 2e-4)`,
    },
    autodiff,
    step,
    f0: f0Violations,
    kernelMean: ntkSetup >= 0 ? reluKernelConformance(draws, hyper, 'correct', base.kernelMean.falseAlarm) : null,
  };
  return { problem, results, conformance };
}

/**
 * The conformance findings that make a claim's own verdict `error` (the
 * engine does not compute what it is supposed to): a gradient or kernel
 * disagreeing with autodiff, a total that is not the sum of its groups, and
 * — unless the claim judges it itself (`kernelMeanIsClaim`) — an initial
 * kernel whose mean is not the analytic NTK.
 */
export function conformanceProblems(c: TrainingConformance, kernelMeanIsClaim = false): string[] {
  const out: string[] = [];
  if (!c.gradient.ok) out.push(`The engine's loss gradients are not the gradients of its loss: ${c.gradient.message}.`);
  if (c.autodiff && !c.autodiff.ok) out.push(`The engine's hand-written tangent kernels are not its autodiff kernels: ${c.autodiff.message}.`);
  if (c.step && !c.step.ok) out.push(`The trainer's step is not the gradient-descent step: ${c.step.message}.`);
  if (c.f0.length > 0) out.push(`Antisymmetric initialisation does not give f₀ ≡ 0: ${c.f0.join('; ')}.`);
  if (c.kernelMean) {
    out.push(...c.kernelMean.defects);
    if (!kernelMeanIsClaim && !c.kernelMean.test.ok) out.push(`The initial tangent kernel's mean is not the analytic NTK: ${c.kernelMean.message}.`);
  }
  return out;
}

/** Report metrics and notes of the conformance measurements. */
export function conformanceReport(c: TrainingConformance): { metrics: Record<string, Metric>; notes: string[] } {
  const metrics: Record<string, Metric> = {
    gradientDifference: { value: c.gradient.worst, criterion: '≤ 2e-4 of the largest entry (hand-written loss gradients vs tf.grads, at initialisation)' },
  };
  const notes = [`Conformance: ${c.gradient.message}.`];
  if (c.step) {
    metrics.stepDifference = { value: c.step.worst, criterion: '≤ 1e-3 of the largest entry (the trainer\'s first two steps vs the GD update written out)' };
    notes.push(`Conformance: ${c.step.message}.`);
  }
  if (c.autodiff) {
    metrics.autodiffDifference = { value: c.autodiff.worst, criterion: '≤ 2e-4 of the largest entry (hand-written vs autodiff kernels, smallest width)' };
    notes.push(`Conformance: ${c.autodiff.message}.`);
  }
  if (c.kernelMean) {
    const t = c.kernelMean.test;
    metrics.kernelMeanMaxT = { value: t.maxAbsT, criterion: `≤ ${t.threshold.toFixed(2)} (initial kernels Θ₀ vs the analytic NTK; Bonferroni over ${t.coordinates.length} coordinates, family-wise false alarm ${t.falseAlarm}; ${t.draws} block draws)` };
    metrics.kernelMeanShapeResolution = { value: t.shapeResolution, criterion: 'shift across entries seen with probability ≈ 0.98, relative to the group scale' };
    metrics.kernelMeanScaleResolution = { value: t.scaleResolution, criterion: 'diagonal shift seen with probability ≈ 0.98, relative to the group scale' };
    notes.push(`Initial kernel mean vs analytic NTK: ${c.kernelMean.message}.`);
  }
  return { metrics, notes };
}
