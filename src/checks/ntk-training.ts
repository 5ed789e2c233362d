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
 * toward 0), antisymmetric initialisation (f₀ ≡ 0). Every setup of one call
 * (the claim's and its falsifiers') and every seed of a width train as ONE
 * replica batch; setups may differ only in per-replica settings (step factor,
 * parameterisation, ridge). Recorded per replica: the training residual at
 * every step, the empirical tangent kernel at initialisation (training ×
 * training and test × training) and at the end, and the outputs at the test
 * inputs at the end.
 */
import type { Matrix } from 'ml-matrix';
import { tf } from '../engine/backend.ts';
import { deriveSeed } from '../engine/rng.ts';
import { reluKernels } from '../kernels/relu-ntk.ts';
import { matrixFrom, symmetricEigen, type SymmetricEigen } from '../kernels/krr.ts';
import { evaluateTeacher, normaliseTargets, sinusoidTeacher, type SphereData } from '../models/ntk/data.ts';
import { WideReluBatch, type Parameterisation, type WideReluReplica } from '../models/ntk/wide-relu.ts';
import { runGradientDescent } from '../models/ntk/gd.ts';
import { familyInputs, inputTensor, validateSeeds, validateTestBed, validateWidths, type NtkTestBed } from './ntk-common.ts';

export interface GdSetup {
  bed: NtkTestBed;
  widths: number[];
  seeds: number;
  steps: number;
  /** η = etaFactor · n / λ_max(analytic Θ); stable GD needs etaFactor < 2. */
  etaFactor: number;
  parameterisation: Parameterisation;
  /** Ridge in kernel units λ' (training penalty λ = λ'/n) toward θ₀ or toward 0; null for none. */
  ridge: { lambdaPrime: number; toward: 'init' | 'zero' } | null;
  /** Target RMS in units of √(mean K(x, x)). */
  targetScale: number;
  /** Weight of the bottom-eigenvector component of the targets, in [0, 1). */
  exciteBottom: number;
  testPoints: number;
}

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
  /** Null when the replica diverged. */
  kernelT: Matrix | null;
  testOutputs: Float64Array | null;
  divergedAt: number;
  eta: number;
}

function sharedKey(s: GdSetup): string {
  return JSON.stringify([s.bed, s.widths, s.seeds, s.steps, s.targetScale, s.exciteBottom, s.testPoints]);
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

/**
 * Train every setup (all seeds, all widths); results[setup][width][seed].
 * `stream` names the data set and replica seeds, so claims sharing a stream
 * share their problem and initialisations.
 */
export function trainSetups(
  masterSeed: number,
  stream: string,
  setups: readonly GdSetup[],
  progress: (fraction: number, message?: string) => void,
): { problem: TrainingProblem; results: TrainedReplica[][][] } {
  setups.forEach(validateSetup);
  const key = sharedKey(setups[0]);
  for (const s of setups) {
    if (sharedKey(s) !== key) throw new RangeError('setups trained together must share test bed, widths, seeds, steps, targets and test points');
  }
  const base = setups[0];
  const problem = trainingProblem(masterSeed, stream, base);
  const { n } = base.bed;
  const X = inputTensor(problem.train);
  const Xt = X.transpose() as tf.Tensor2D;
  const Xtest = inputTensor(problem.test);
  const yT = tf.tensor2d(Float32Array.from(problem.y), [n, 1]);
  const results: TrainedReplica[][][] = setups.map(() => base.widths.map(() => []));
  const work = base.widths.reduce((a, m) => a + m, 0);
  let done = 0;
  try {
    for (const [w, m] of base.widths.entries()) {
      const replicas: WideReluReplica[] = [];
      const eta: number[] = [];
      const lambda: number[] = [];
      const towardInit: boolean[] = [];
      setups.forEach((s, si) => {
        for (let k = 0; k < base.seeds; k++) {
          replicas.push({
            label: `setup ${si}, seed ${k}, m=${m}`,
            seed: deriveSeed(masterSeed, stream, 'seed', k, 'width', m),
            parameterisation: s.parameterisation,
            antisymmetric: true,
          });
          eta.push(s.etaFactor * problem.baseEta);
          lambda.push(s.ridge ? s.ridge.lambdaPrime / n : 0);
          towardInit.push(s.ridge ? s.ridge.toward === 'init' : true);
        }
      });
      const batch = new WideReluBatch({ d: base.bed.d, width: m, sigmaW: base.bed.sigmaW, sigmaB: base.bed.sigmaB }, replicas);
      try {
        const kernels = (): Float32Array => {
          const k = batch.tangentKernels(X);
          const v = k.total.dataSync() as Float32Array;
          tf.dispose([k.total, ...Object.values(k.groups)]);
          return v;
        };
        const k0 = kernels();
        const c0 = (() => {
          const k = batch.tangentKernels(Xtest, X);
          const v = k.total.dataSync() as Float32Array;
          tf.dispose([k.total, ...Object.values(k.groups)]);
          return v;
        })();
        const anyRidge = lambda.some((l) => l > 0);
        const gd = runGradientDescent(batch, {
          gradients: () => batch.lossGradients(X, Xt, yT),
          outputs: () => batch.forward(X),
          y: problem.y,
          steps: base.steps,
          eta: Float64Array.from(eta),
          ...(anyRidge ? { ridge: { lambda: Float64Array.from(lambda), towardInit } } : {}),
          onProgress: (t) => progress((done + (m * t) / base.steps) / work, `m = ${m}, step ${t}`),
        });
        const kT = kernels();
        const fTest = tf.tidy(() => batch.forward(Xtest));
        const test = fTest.dataSync();
        fTest.dispose();
        const nt = problem.test.n;
        replicas.forEach((_, r) => {
          const si = Math.floor(r / base.seeds);
          const diverged = gd.divergedAt[r] >= 0;
          results[si][w].push({
            residuals: gd.residuals[r],
            kernel0: matrixFrom(k0, n, n, r * n * n),
            cross0: matrixFrom(c0, nt, n, r * nt * n),
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
      progress(done / work, `m = ${m} done`);
    }
  } finally {
    tf.dispose([X, Xt, Xtest, yT]);
  }
  return { problem, results };
}
