/**
 * Engine conformance for adam-rate-deep-vae: the theorem's premises measured
 * on the engine instead of declared. Any failure makes the claim `error`: the
 * run measured an engine that is not the algorithm (or the model) the
 * theorem is about.
 *
 *   step-schedule, adam  the autodiff trainer applies γ_k = C k^{-α} and
 *                        bias-corrected Adam (conformance/optimizer-probe.ts:
 *                        a probe with a known gradient against float64 Adam),
 *                        over `probeSteps`; the step size both trainers call,
 *                        at log-spaced k up to the claim's full `steps`, and
 *                        the kernel trainer's Adam over the full `steps` (its
 *                        probe model is tiny: ~0.2 s per 10⁴ steps), so a rule
 *                        that goes wrong late in the run is seen too.
 *   seed independence    every arm's seeds are independent runs
 *                        (shared/seed-independence.ts): replica seeds, their
 *                        streams, the engine's θ₀ and the ‖∇L‖² trajectories
 *                        pairwise distinct; the weight blocks' θ₀ spread
 *                        across seeds matches N(0, scale²/fan_in) (χ², false
 *                        alarm 1e-6), each block standardised by its scale.
 *   smooth-activations   the engine's generalised soft-clipping equals the
 *                        paper's formula f(x) = (1/s) log((1+e^{s(x−s1)})/(1+e^{s(x−s2)})) + s1
 *                        with the paper's constants (s = 5; [0, 50], [−50, 50],
 *                        [−20, 20]), written out here, not imported.
 *   same-objective       on the same mini-batch rows and noise, the engine's
 *                        objective and its TF.js autodiff gradient equal the
 *                        float64 hand-written reference (reference.ts): the
 *                        engine differentiates the deep Gaussian VAE's ELBO
 *                        (decoder variance c², closed-form KL, reparameterisation
 *                        z = μ + σ ε) and nothing else. Deterministic: the
 *                        tolerance (2·10⁻³ of each parameter block's largest
 *                        |gradient| over 8 mini-batches, floored at a tenth of
 *                        the largest block's) is ≥ 20x the float32 rounding
 *                        measured at initial and trained points (≤ 1·10⁻⁴),
 *                        while a dropped term or a wrong constant moves whole blocks.
 *   unbiased-gradients   the mean of M engine stochastic gradients (through the
 *                        trainer: draw → objective → autodiff → one SGD step,
 *                        conformance/gradient-probe.ts) equals the float64
 *                        expected gradient, itself estimated from J antithetic
 *                        noise draws over every data point: a two-sample
 *                        Bonferroni–Welch test (two-sample-mean-test.ts) at
 *                        family-wise false alarm 1e-4 per point. This is what
 *                        sees sampling bugs (rows not uniform, noise of the
 *                        wrong law) that the same-objective check cannot.
 *   kernel port          where the kernel runs as its WebAssembly SIMD port
 *                        (kernel-wasm.ts), the port's objective and gradient
 *                        equal the JavaScript kernel's (kernel.ts) bit for bit
 *                        on a few steps' draws at each probed point: the
 *                        probes see the port, this ties it to the readable
 *                        kernel, so a bug in either reads `error` (deterministic).
 *   uniform sampler      the engine's drawStep draws every data row equally
 *                        often and standard normal noise (samplerConformance:
 *                        χ² of the row counts, moments of the noise).
 * Both gradient checks run at seed 0's initial and final iterate, on a model
 * instance WITHOUT the falsifiers' injected bias: a falsifier that
 * deliberately biases the gradient is judged by the rate measurement, not here.
 *
 * False alarms: two mean tests and the sampler test at 1e-4 each, so ≤ 3·10⁻⁴ per claim run, plus
 * 1e-6 per arm for the θ₀ spread; the other checks are deterministic comparisons with ~30–1000x margins.
 */
import type { AssumptionCheck } from '../../contract/claim.ts';
import { tf } from '../../engine/backend.ts';
import type { OptimizerConfig } from '../../engine/optimizer.ts';
import { replicaStreams, type ReplicaSetting, type ReplicaStreams } from '../../engine/replica.ts';
import type { StepSchedule } from '../../engine/schedule.ts';
import { deriveSeed, RandomStream } from '../../engine/rng.ts';
import { DrawMoments } from '../../stats/mean-test.ts';
import { normalQuantile } from '../../kernels/quadrature.ts';
import { DeepVaeModel, PACKED_PARAM, softClipTensor } from '../../models/deep-vae/engine-model.ts';
import { kernelSoftClip } from '../../models/deep-vae/kernel.ts';
import { deepVaeKernelImplementation } from '../../models/deep-vae/kernel-wasm.ts';
import { kernelPortProbe } from '../shared/kernel-port-probe.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE } from '../../models/deep-vae/soft-clip.ts';
import { deepElboDraws, deepElboDrawsJs, deepOffsets, unflattenDeep, type DeepElboOptions } from '../../models/deep-vae/reference.ts';
import { deepReferenceImplementation } from '../../models/deep-vae/reference-wasm.ts';
import { DEEP_VAE_PARAM_NAMES, deepParamCount, deepVaeShapes, type Activation, type DeepVaeDims, type DeepVaeParams } from '../../models/deep-vae/params.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReparameterisedBatch } from '../../engine/minibatch.ts';
import { probeOptimizer, probeStepSchedule } from '../shared/optimizer-probe.ts';
import { seedIndependence } from '../shared/seed-independence.ts';
import { engineGradientDraws } from '../shared/gradient-probe.ts';
import { describeTwoSampleTest, twoSampleMeanTest } from '../../stats/two-sample-mean-test.ts';

/** Relative tolerance per parameter block of the same-objective check (see the header). */
export const SAME_OBJECTIVE_TOLERANCE = 2e-3;
/** Engine mini-batches compared draw by draw with the reference, per point. */
const SAME_OBJECTIVE_DRAWS = 8;
/** Activation check: the engine's float32 soft-clip within this absolute error of the paper's formula (|f| ≤ 50: float32 rounding is ≤ 1e-5). */
const ACTIVATION_TOLERANCE = 1e-4;

/**
 * The unbiasedness test draws mini-batches of at least this many rows. Why:
 * the Welch test needs each coordinate's engine draws to be roughly normal,
 * and an encoder weight on a pixel lit in one image of N is non-zero only in
 * draws that pick that image: Poisson(λ) of the M draws, λ = M·B/N.
 *   - At B = 1, M = 2000, N = 500 (λ = 4) it is zero in e^{-4} ≈ 2% of such
 *     coordinates, whose engine variance then reads 0 and whose z is
 *     meaningless (seen: sgd-rate-deep-vae's full tier, |z| = 133).
 *   - At B = 10 (λ = 40) a run with fewer hits than expected has both a low
 *     mean and a low sample variance (both ∝ the hits N), so z ≈ (N − λ)/√N:
 *     it passes the Bonferroni threshold 5.92 (α = 10⁻⁴ over 2 × 26,964
 *     coordinates) when N ≤ 16, P = 1.4·10⁻⁵ per such coordinate instead of
 *     the nominal 10⁻⁹; over the ~1,300 weights of the full tier's rarest
 *     pixels, about 2% per run (seen: sgd-rate-deep-vae's full tier, master
 *     seed 2, |z| = 5.98 at a weight of a pixel lit in 4 images, one dominant).
 *   - At B = 50 (λ = 200): N ≤ 131, P = 1.3·10⁻⁷ per coordinate, about
 *     1.6·10⁻⁴ per run: the test's own α. More rows per draw also shrink the
 *     standard error a bias is measured against (power), at 5x the cost of a
 *     draw (about 4 s at the full tier).
 * The claim's own B is still what the sampler check and the same-objective
 * check run at; a mini-batch's gradient is the mean of its rows' gradients
 * through the same draw loop, so unbiasedness at B = 50 is the same premise.
 */
const UNBIASED_PROBE_MIN_BATCH = 50;

/** The setting the unbiasedness test draws at: the claim's, with B raised to UNBIASED_PROBE_MIN_BATCH (at most the N data rows: a smaller set is hit often enough per row anyway). */
export function unbiasedProbeSetting<S extends { batchSize: number }>(setting: S, dataSize: number): S {
  return { ...setting, batchSize: Math.max(setting.batchSize, Math.min(UNBIASED_PROBE_MIN_BATCH, dataSize)) };
}

export interface DeepVaeConformanceInput {
  claimId: string;
  masterSeed: number;
  optimizer: OptimizerConfig;
  /** The claim's schedule (the optimiser probe adds two others). */
  schedule: StepSchedule;
  probeSteps: number;
  /** The claim's full run length: the step size and the kernel trainer's optimiser are probed up to it. */
  steps: number;
  /** The claim's initialisation: weights N(0, scale²/fan_in), W3 at outputWeightScale, biases deterministic. */
  init: { weightScale: number; outputWeightScale: number };
  /** The claim's own configuration, per arm: its seeds as the engine trained them. */
  seedRuns: readonly DeepVaeSeedRuns[];
  dims: DeepVaeDims;
  /** The training data as the engine holds it (float32), row-major n × dx. */
  data: Float32Array;
  decoderStd: number;
  setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>;
  /** Engine draws M and reference antithetic draws J of the unbiasedness test. */
  engineDraws: number;
  referenceDraws: number;
  /** Parameter points (packed float32), e.g. seed 0's initial and final iterate. */
  points: { where: string; theta: Float32Array }[];
  /** The float64 reference as it measured (its WebAssembly port where that loads) against its JavaScript, once per run (referencePortCheck). */
  referencePort: PortComparison;
}

export interface PortComparison {
  ok: boolean;
  detail: string;
}

/**
 * The float64 reference as it runs (reference-wasm.ts's WebAssembly port, where that
 * loads) against its JavaScript (reference.ts's deepElboDrawsJs) on one measurement the
 * claim made: `values` and `grads` are what deepElboDraws returned for p, o and epsList.
 * Every value and gradient coordinate must be the same float (Object.is). The port is
 * tested bit for bit in the suite, but the run checks it again because a held-out bug in
 * either (or a mutant of the JavaScript reference, which the port would bypass) must not
 * pass unseen: any difference reads `error`. Costs one JavaScript call of the same draws.
 */
export function referencePortCheck(p: DeepVaeParams, o: Omit<DeepElboOptions, 'eps'>, epsList: readonly ArrayLike<number>[], values: Float64Array, grads: readonly Float64Array[], where: string): PortComparison {
  if (deepReferenceImplementation() === 'js') return { ok: true, detail: 'the float64 reference runs as JavaScript here (VAE_CLAIMS_DEEP_REFERENCE=js, or no WebAssembly SIMD): no port to compare' };
  const P = deepParamCount(o.dims);
  const js = epsList.map(() => new Float64Array(P));
  const jsValues = deepElboDrawsJs(p, o, epsList, js);
  const coordinate = deepCoordinateName(o.dims);
  for (let d = 0; d < epsList.length; d++) {
    if (!Object.is(values[d], jsValues[d])) return { ok: false, detail: `draw ${d}'s ELBO ${values[d]} (WebAssembly) ≠ ${jsValues[d]} (JavaScript) at ${where}` };
    const i = js[d].findIndex((v, k) => !Object.is(v, grads[d][k]));
    if (i >= 0) return { ok: false, detail: `draw ${d}'s gradient at ${coordinate(i)}: ${grads[d][i]} (WebAssembly) ≠ ${js[d][i]} (JavaScript) at ${where}` };
  }
  return { ok: true, detail: `the float64 reference's WebAssembly SIMD port equals its JavaScript bit for bit (ELBO and all ${P} gradient coordinates of ${epsList.length} draws) at ${where}` };
}

/** One arm's seeds: replica seed, ‖∇L‖² at the checkpoints and the engine's packed θ₀. */
export interface DeepVaeSeedRuns {
  activation: Activation;
  runs: { seed: number; g: Float64Array; theta: Float32Array }[];
}

/**
 * Seed independence of one arm. The packed θ₀ is compared whole; its weight
 * blocks (2-D, random N(0, scale²/fan_in)), each divided by its scale, are
 * the spread test's N(0, 1) entries.
 */
function deepSeedIndependence(arm: DeepVaeSeedRuns, dims: DeepVaeDims, init: DeepVaeConformanceInput['init'], label: string) {
  const shapes = deepVaeShapes(dims);
  const offsets = deepOffsets(dims);
  const blocks = DEEP_VAE_PARAM_NAMES.filter((name) => shapes[name].length === 2)
    .map((name) => ({ name, scale: (name === 'W3' ? init.outputWeightScale : init.weightScale) / Math.sqrt(shapes[name][1]), size: shapes[name][0] * shapes[name][1] }))
    .filter((b) => b.scale > 0);
  const runs = arm.runs.map((r) => {
    const initial: Record<string, Float32Array | Float64Array> = { [PACKED_PARAM]: r.theta };
    for (const b of blocks) initial[`${b.name}/scale`] = Float64Array.from(r.theta.subarray(offsets[b.name], offsets[b.name] + b.size), (v) => v / b.scale);
    return { seed: r.seed, g: r.g, initial: initial as ReplicaParams };
  });
  return seedIndependence(runs, { scale: 1, randomBlocks: blocks.map((b) => `${b.name}/scale`) }, label);
}

export interface ConformanceResult {
  ok: boolean;
  assumptions: AssumptionCheck[];
  /** Every failure's message, joined (for the claim's error). */
  error?: string;
  /** activationError and sameObjectiveError are absent for a user's model (nothing to compare with). */
  metrics: { optimizerProbeError: number; activationError?: number; sameObjectiveError?: number; unbiasedMaxZRatio: number; samplerRatio: number };
}

/** Name of flattened coordinate i, e.g. "∂W1[12]". */
export function deepCoordinateName(dims: DeepVaeDims): (i: number) => string {
  const offsets = deepOffsets(dims);
  return (i: number) => {
    let name: string = DEEP_VAE_PARAM_NAMES[0];
    for (const n of DEEP_VAE_PARAM_NAMES) if (offsets[n] <= i) name = n;
    return `∂${name}[${i - offsets[name as keyof typeof offsets]}]`;
  };
}

/** The paper's generalised soft-clipping with its constants, written out (stable form of log((1+e^a)/(1+e^b))). */
function paperSoftClip(x: number, s1: number, s2: number): number {
  const s = 5;
  const logOnePlusExp = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
  return (logOnePlusExp(s * (x - s1)) - logOnePlusExp(s * (x - s2))) / s + s1;
}

/** Largest |engine soft-clip − paper formula| over a grid covering every range's corners. */
export function activationConformance(): { error: number; detail: string } {
  const xs = Float32Array.from({ length: 481 }, (_, i) => -60 + i * 0.25);
  const cases: [string, typeof HIDDEN_RANGE, number, number][] = [
    ['hidden', HIDDEN_RANGE, 0, 50],
    ['mean heads', MEAN_RANGE, -50, 50],
    ['log-variance head', LOG_VARIANCE_RANGE, -20, 20],
  ];
  let error = 0;
  let where = '';
  for (const [name, range, s1, s2] of cases) {
    // Both engines' activations: TF.js (autodiff path) and the closed-form kernel's own.
    const engine = tf.tidy(() => softClipTensor(tf.tensor1d(xs), range).dataSync());
    const kernel = Float64Array.from(xs, (x) => kernelSoftClip(x, range));
    for (const [which, values] of [['TF.js', engine], ['kernel', kernel]] as const) {
      xs.forEach((x, i) => {
        const e = Math.abs(values[i] - paperSoftClip(x, s1, s2));
        if (!(e <= error)) {
          error = Number.isNaN(e) ? Infinity : e;
          where = `${name} at x = ${x}: ${which} ${values[i]}, paper ${paperSoftClip(x, s1, s2).toPrecision(7)} (s = 5, [${s1}, ${s2}])`;
        }
      });
    }
  }
  return { error, detail: `largest deviation of the engine's soft-clip from the paper's formula ${error.toExponential(2)} (tolerance ${ACTIVATION_TOLERANCE}), ${where}` };
}

/**
 * The engine's objective and gradient on `draws` engine mini-batches at
 * `theta`, against the float64 reference on the same rows and noise, for both
 * of the engine's gradient paths: TF.js autodiff of the model's objective,
 * and the closed-form kernel the claim trains with (kernel.ts; its draws come
 * from fresh streams of the same seeds, so a kernel that drew other rows or
 * noise than drawStep would deviate here too). Returns the largest
 * block-relative gradient error (and objective error) over both.
 */
export function sameObjectiveError(model: DeepVaeModel, input: Pick<DeepVaeConformanceInput, 'dims' | 'decoderStd' | 'setting'>, theta: Float32Array, seed: number, draws = SAME_OBJECTIVE_DRAWS): { error: number; detail: string } {
  const { dims, setting } = input;
  const P = deepParamCount(dims);
  const replicas: ReplicaSetting[] = Array.from({ length: draws }, (_, r) => ({ label: `same-objective draw ${r}`, seed: deriveSeed(seed, r), schedule: { C: 1, alpha: 0 }, ...setting }));
  const streams = replicas.map((r) => replicaStreams(r.seed));
  const inputs = model.drawStep(replicas, streams);
  const tiled = new Float32Array(draws * P);
  for (let r = 0; r < draws; r++) tiled.set(theta, r * P);
  const thetaT = tf.tensor2d(tiled, [draws, P]);
  let value: Float32Array;
  let grad: Float32Array;
  let x: Float32Array;
  let eps: Float32Array;
  try {
    value = tf.tidy(() => model.objective({ [PACKED_PARAM]: thetaT }, inputs).dataSync() as Float32Array);
    grad = tf.tidy(() => tf.grads((t: tf.Tensor) => model.objective({ [PACKED_PARAM]: t }, inputs).sum() as tf.Scalar)([thetaT])[0].dataSync() as Float32Array);
    x = inputs.x.dataSync() as Float32Array;
    eps = inputs.eps.dataSync() as Float32Array;
  } finally {
    thetaT.dispose();
    model.disposeInputs(inputs);
  }
  const kernelValue = new Float64Array(draws);
  const kernelGrad = new Float64Array(draws * P);
  replicas.forEach((rep, r) => {
    const g = kernelGrad.subarray(r * P, (r + 1) * P);
    kernelValue[r] = model.objectiveAndGradient({ [PACKED_PARAM]: theta }, rep, replicaStreams(rep.seed), { [PACKED_PARAM]: g });
  });
  const engines = [
    { name: 'TF.js autodiff', value: value as ArrayLike<number>, grad: grad as ArrayLike<number> },
    { name: 'kernel', value: kernelValue, grad: kernelGrad },
  ];
  const { batchSize: B, samples: K, beta } = setting;
  const p = unflattenDeep(Float64Array.from(theta), dims);
  const offsets = deepOffsets(dims);
  const sizes = DEEP_VAE_PARAM_NAMES.map((n, i) => (i + 1 < DEEP_VAE_PARAM_NAMES.length ? offsets[DEEP_VAE_PARAM_NAMES[i + 1]] : P) - offsets[n]);
  const refs = Array.from({ length: draws }, () => new Float64Array(P));
  let error = 0;
  let detail = 'no draws';
  for (let r = 0; r < draws; r++) {
    const rows = Float64Array.from(x.subarray(r * B * dims.dx, (r + 1) * B * dims.dx));
    const noise = Float64Array.from(eps.subarray(r * B * K * dims.dz, (r + 1) * B * K * dims.dz));
    const [refValue] = deepElboDraws(p, { dims, activation: 'soft-clip', decoderStd: input.decoderStd, beta, x: rows, n: B, K }, [noise], [refs[r]]);
    for (const engine of engines) {
      const valueError = Math.abs(engine.value[r] - refValue) / Math.max(1, Math.abs(refValue));
      if (!(valueError <= error)) {
        error = Number.isNaN(valueError) ? Infinity : valueError;
        detail = `${engine.name} objective of draw ${r}: engine ${engine.value[r]}, float64 reference ${refValue.toPrecision(8)}`;
      }
    }
  }
  // Scales over all draws: a block's largest |gradient|, floored at a tenth of the largest block's
  // (float32 resolves a coordinate relative to the terms it sums, not to its own, possibly cancelled, value).
  const blockScale = DEEP_VAE_PARAM_NAMES.map((name, b) => {
    let scale = 0;
    for (const ref of refs) for (let i = 0; i < sizes[b]; i++) scale = Math.max(scale, Math.abs(ref[offsets[name] + i]));
    return scale;
  });
  const floor = 0.1 * Math.max(...blockScale);
  DEEP_VAE_PARAM_NAMES.forEach((name, b) => {
    const o = offsets[name];
    const scale = Math.max(blockScale[b], floor, 1e-12);
    refs.forEach((ref, r) => {
      for (const engine of engines) {
        for (let i = 0; i < sizes[b]; i++) {
          const e = Math.abs(engine.grad[r * P + o + i] - ref[o + i]) / scale;
          if (!(e <= error)) {
            error = Number.isNaN(e) ? Infinity : e;
            detail = `${engine.name} ∂${name}[${i}] of draw ${r}: engine ${engine.grad[r * P + o + i].toExponential(4)}, float64 reference ${ref[o + i].toExponential(4)} (block scale ${scale.toExponential(2)})`;
          }
        }
      }
    });
  });
  return { error, detail: `largest block-relative deviation over TF.js autodiff and the kernel ${error.toExponential(2)} (tolerance ${SAME_OBJECTIVE_TOLERANCE}): ${detail}` };
}

/** Float64 estimate of the expected gradient at theta: J draws, each over every point with antithetic noise (ε, −ε). */
export function referenceGradientDraws(theta: Float32Array, input: Pick<DeepVaeConformanceInput, 'dims' | 'data' | 'decoderStd' | 'setting'>, J: number, stream: RandomStream): DrawMoments {
  const { dims } = input;
  const P = deepParamCount(dims);
  const n = input.data.length / dims.dx;
  const p = unflattenDeep(Float64Array.from(theta), dims);
  const x = Float64Array.from(input.data);
  const moments = new DrawMoments(P);
  const grad = new Float64Array(P);
  for (let j = 0; j < J; j++) {
    const eps = antitheticNoise(n, dims.dz, stream);
    deepElboDraws(p, { dims, activation: 'soft-clip', decoderStd: input.decoderStd, beta: input.setting.beta, x, n, K: 2 }, [eps], [grad]);
    moments.add(grad);
  }
  return moments;
}

/** Noise for every point i: sample 0 is ε_i, sample 1 is −ε_i (layout (i·2 + k)·dz). */
export function antitheticNoise(n: number, dz: number, stream: RandomStream): Float64Array {
  const eps = new Float64Array(n * 2 * dz);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dz; j++) {
      const v = stream.normal();
      eps[2 * i * dz + j] = v;
      eps[(2 * i + 1) * dz + j] = -v;
    }
  }
  return eps;
}

/** One step's rows [R·B·dx] and noise [R·B·K·dz] for replicas that share B and K, each from its own streams. */
export type RowsAndNoise = (replicas: ReplicaSetting[], streams: ReplicaStreams[]) => { x: Float32Array; eps: Float32Array | Float64Array };

/** What a model's drawStep draws (the TF.js path's sampler). */
export function drawStepRows(model: Pick<BatchedModel<ReparameterisedBatch>, 'drawStep' | 'disposeInputs'>): RowsAndNoise {
  return (replicas, streams) => {
    const inputs = model.drawStep(replicas, streams);
    try {
      return { x: inputs.x.dataSync() as Float32Array, eps: inputs.eps.dataSync() as Float32Array };
    } finally {
      model.disposeInputs(inputs);
    }
  };
}

/** What the closed-form kernel steps with (kernel.ts's own draws). */
function kernelRows(model: DeepVaeModel, data: Float32Array, dx: number): RowsAndNoise {
  return (replicas, streams) => {
    const draws = replicas.map((r, i) => model.kernelDraw(r, streams[i]));
    const B = replicas[0].batchSize;
    const x = new Float32Array(replicas.length * B * dx);
    draws.forEach((d, r) => d.rows.forEach((row, i) => x.set(data.subarray(row * dx, (row + 1) * dx), (r * B + i) * dx)));
    const eps = new Float64Array(draws.reduce((a, d) => a + d.eps.length, 0));
    let o = 0;
    for (const d of draws) {
      eps.set(d.eps, o);
      o += d.eps.length;
    }
    return { x, eps };
  };
}

/**
 * The engine's sampler, measured directly (what the mean test cannot resolve:
 * a row never drawn biases the gradient by ~1% of one point's, which would
 * need ~5·10⁴ draws to see). From `batches` mini-batches drawn by the
 * engine's own sampler (`source`: drawStep's, or the kernel's) with fresh streams:
 *   rows   every data row's count against the uniform expectation, Pearson's
 *          χ² with n − 1 degrees of freedom (identical rows pooled); threshold
 *          from the Wilson–Hilferty approximation (accurate to ~1% of the
 *          quantile at n − 1 ≥ 30, well inside the margin below);
 *   noise  per latent coordinate, the mean (z = mean·√N) and the variance
 *          ((s² − 1)/√(2/N)) of the reparameterisation noise, which must be
 *          standard normal.
 * Bonferroni over the 1 + 2·d_z statistics at family-wise false alarm 1e-4.
 * Power: a missing row adds ≈ E = B·batches/n to χ² (E = 200 here, against a
 * threshold ≈ 60 above the mean 99); noise of scale 1.05 moves z by ≈ 10.
 */
export function samplerConformance(
  source: RowsAndNoise,
  input: { dims: Pick<DeepVaeDims, 'dx' | 'dz'>; data: Float32Array; setting: DeepVaeConformanceInput['setting'] }, seed: number, batches = 2000): { ok: boolean; detail: string; worstRatio: number } {
  const { dims, setting } = input;
  const n = input.data.length / dims.dx;
  const index = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = Array.from(input.data.subarray(i * dims.dx, (i + 1) * dims.dx)).join(',');
    index.set(key, [...(index.get(key) ?? []), i]);
  }
  const groups = [...index.values()];
  const groupOf = new Map<string, number>([...index.keys()].map((k, g) => [k, g]));
  const counts = new Float64Array(groups.length);
  const K = setting.samples;
  const sum = new Float64Array(dims.dz);
  const sumSq = new Float64Array(dims.dz);
  let noiseCount = 0;
  let rows = 0;
  let unknown = 0;
  const chunk = 200;
  for (let start = 0; start < batches; start += chunk) {
    const count = Math.min(chunk, batches - start);
    const replicas: ReplicaSetting[] = Array.from({ length: count }, (_, r) => ({ label: `sampler ${start + r}`, seed: deriveSeed(seed, start + r), schedule: { C: 1, alpha: 0 }, ...setting }));
    const { x, eps } = source(replicas, replicas.map((r) => replicaStreams(r.seed)));
    {
      const B = setting.batchSize;
      for (let r = 0; r < count; r++) {
        for (let b = 0; b < B; b++) {
          const o = (r * B + b) * dims.dx;
          const g = groupOf.get(Array.from(x.subarray(o, o + dims.dx)).join(','));
          if (g === undefined) unknown++;
          else counts[g]++;
          rows++;
          for (let k = 0; k < K; k++) {
            for (let j = 0; j < dims.dz; j++) {
              const e = eps[((r * B + b) * K + k) * dims.dz + j];
              sum[j] += e;
              sumSq[j] += e * e;
            }
            noiseCount++;
          }
        }
      }
    }
  }
  const tests = 1 + 2 * dims.dz;
  const z = normalQuantile(1 - 1e-4 / (2 * tests));
  let chi2 = 0;
  groups.forEach((g, i) => {
    const expected = (rows * g.length) / n;
    chi2 += (counts[i] - expected) ** 2 / expected;
  });
  const nu = groups.length - 1;
  // Wilson–Hilferty: χ²_ν quantile ≈ ν (1 − 2/(9ν) + z √(2/(9ν)))³ (one-sided, at 1e-4/tests).
  const zOne = normalQuantile(1 - 1e-4 / tests);
  const chi2Threshold = nu * (1 - 2 / (9 * nu) + zOne * Math.sqrt(2 / (9 * nu))) ** 3;
  const parts: { ratio: number; text: string }[] = [
    { ratio: unknown > 0 ? Infinity : chi2 / chi2Threshold, text: `row counts χ² = ${chi2.toFixed(1)} on ${nu} degrees of freedom (threshold ${chi2Threshold.toFixed(1)}; ${unknown} rows not in the data)` },
  ];
  for (let j = 0; j < dims.dz; j++) {
    const mean = sum[j] / noiseCount;
    const variance = sumSq[j] / noiseCount - mean * mean;
    parts.push({ ratio: Math.abs(mean * Math.sqrt(noiseCount)) / z, text: `noise coordinate ${j}: mean ${mean.toExponential(2)}` });
    parts.push({ ratio: Math.abs((variance - 1) / Math.sqrt(2 / noiseCount)) / z, text: `noise coordinate ${j}: variance ${variance.toFixed(4)}` });
  }
  const worst = parts.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return {
    ok: worst.ratio <= 1,
    worstRatio: worst.ratio,
    detail: `${rows} drawn rows and ${noiseCount} noise vectors: worst ${worst.text} (|z| threshold ${z.toFixed(2)}, family-wise false alarm ≤ 1e-4)`,
  };
}

/**
 * The optimiser and the step size, measured on the engine (model-independent:
 * shared with a user's model, adam-rate-deep-vae.user-model.ts). Pushes its
 * failures and assumptions; returns the probe's worst error.
 */
export function optimizerConformance(input: Pick<DeepVaeConformanceInput, 'optimizer' | 'schedule' | 'probeSteps' | 'steps'>, failures: string[], assumptions: AssumptionCheck[]): number {
  const probe = probeOptimizer(input.optimizer, input.schedule, 'autodiff', input.probeSteps);
  if (!probe.ok) failures.push(`the engine's trainer does not apply the stated optimiser and step schedule: ${probe.detail}`);
  // The step size over the claim's whole run, and the kernel trainer's optimiser over its full steps.
  const stepSchedule = probeStepSchedule(input.schedule, input.steps);
  if (!stepSchedule.ok) failures.push(`the engine's step size is not the stated γ_k = C k^{-α} over the run: ${stepSchedule.detail}`);
  const fullProbe = probeOptimizer(input.optimizer, input.schedule, 'analytic', input.steps);
  if (!fullProbe.ok) failures.push(`the engine's optimiser does not follow the stated rule over the claim's ${input.steps} steps: ${fullProbe.detail}`);
  const { C, alpha } = input.schedule;
  assumptions.push({ id: 'step-schedule', met: probe.ok && stepSchedule.ok && fullProbe.ok && alpha === 0.5, detail: `γ_k = ${C}·k^{-${alpha}}; measured on the engine: ${probe.detail}; ${stepSchedule.detail}; ${fullProbe.detail}` });
  if (input.optimizer.kind === 'adam') {
    const { beta1, beta2 } = input.optimizer;
    assumptions.push({ id: 'adam-momentum', met: probe.ok && beta1 < Math.sqrt(beta2) && beta2 < 1, detail: `β1 = ${beta1}, √β2 = ${Math.sqrt(beta2).toFixed(4)}; bias-corrected Adam measured on the engine (see step-schedule)` });
  }
  return probe.worst.error;
}

/** The kernel as it runs (its WebAssembly port where that loads) against the JavaScript kernel, at every probed point (kernel-port-probe.ts). */
function kernelPortCheck(input: DeepVaeConformanceInput): { ok: boolean; detail: string } {
  if (deepVaeKernelImplementation() === 'js') return { ok: true, detail: 'the kernel runs as JavaScript here (no WebAssembly port to compare)' };
  const opts = { dims: input.dims, data: input.data, decoderStd: input.decoderStd };
  const points = input.points.map((point) => ({ params: { [PACKED_PARAM]: point.theta }, setting: { schedule: input.schedule, ...input.setting }, where: point.where }));
  return kernelPortProbe(new DeepVaeModel({ ...opts, kernelImplementation: 'js' }), new DeepVaeModel(opts), points, [input.masterSeed, input.claimId], deepCoordinateName(input.dims));
}

export function deepVaeConformance(input: DeepVaeConformanceInput): ConformanceResult {
  const failures: string[] = [];
  const assumptions: AssumptionCheck[] = [];
  const optimizerProbeError = optimizerConformance(input, failures, assumptions);

  const activation = activationConformance();
  const activationOk = activation.error <= ACTIVATION_TOLERANCE;
  if (!activationOk) failures.push(`the engine's activation is not the paper's generalised soft-clipping: ${activation.detail}`);
  assumptions.push({ id: 'smooth-activations', met: activationOk, detail: `generalised soft-clipping, s = 5 (hidden [0, 50], mean heads [−50, 50], log-variance [−20, 20]); measured: ${activation.detail}` });

  // The engine's model without any falsifier injection: what the claim's own configuration trains.
  const model = new DeepVaeModel({ dims: input.dims, data: input.data, decoderStd: input.decoderStd });
  const name = deepCoordinateName(input.dims);
  // Both samplers: drawStep's (the TF.js path) and the kernel's, which the claim trains with.
  const samplers = [
    { name: 'TF.js path (drawStep)', result: samplerConformance(drawStepRows(model), input, deriveSeed(input.masterSeed, input.claimId, 'sampler')) },
    { name: 'kernel', result: samplerConformance(kernelRows(model, input.data, input.dims.dx), input, deriveSeed(input.masterSeed, input.claimId, 'kernel-sampler')) },
  ];
  const sampler = {
    ok: samplers.every((x) => x.result.ok),
    worstRatio: Math.max(...samplers.map((x) => x.result.worstRatio)),
    detail: samplers.map((x) => `${x.name}: ${x.result.detail}`).join('; '),
  };
  let sameError = 0;
  let worstZ = 0;
  let gradientsOk = true;
  const gradientDetails: string[] = [];
  input.points.forEach((point, i) => {
    const same = sameObjectiveError(model, input, point.theta, deriveSeed(input.masterSeed, input.claimId, 'same-objective', i));
    sameError = Math.max(sameError, same.error);
    if (!(same.error <= SAME_OBJECTIVE_TOLERANCE)) {
      gradientsOk = false;
      failures.push(`the engine does not compute the deep VAE's ELBO and its gradient at ${point.where}: ${same.detail}`);
    }
    // Through the path the claim trains with: the closed-form kernel (createTrainer's pick).
    const engine = engineGradientDraws(model, { [PACKED_PARAM]: point.theta }, { setting: unbiasedProbeSetting(input.setting, model.dataSize), draws: input.engineDraws, path: 'analytic', seedLabel: [input.masterSeed, input.claimId, 'unbiased', i] });
    const reference = referenceGradientDraws(point.theta, input, input.referenceDraws, RandomStream.at(input.masterSeed, input.claimId, 'unbiased-reference', i));
    // The engine's draws are read out as θ_1 − θ in float32 (gradient-probe.ts): each is rounded to
    // within ulp(θ_i)/2 ≤ 2^{-24}|θ_i|, and a gradient below that rounds the same way every draw, so
    // differences up to 2^{-23}|θ_i| are the read-out's resolution, not bias (seen at the full tier:
    // a pixel lit in 1 image of 500 gave |z| = 20 for a 3·10⁻¹¹ difference).
    const resolution = Float64Array.from(point.theta, (t) => 2 ** -23 * Math.abs(t));
    const test = twoSampleMeanTest(engine, reference, 1e-4, resolution);
    worstZ = Math.max(worstZ, Math.abs(test.z) / test.threshold);
    const detail = `${point.where}: ${describeTwoSampleTest(test, name)}`;
    if (!test.ok) {
      gradientsOk = false;
      failures.push(`the engine's stochastic gradient is not unbiased for the expected ELBO's gradient at ${detail}`);
    }
    gradientDetails.push(`same objective at ${point.where}: ${same.detail}; unbiased at ${detail}`);
  });
  if (!sampler.ok) failures.push(`the engine's sampler does not draw rows uniformly and standard normal noise: ${sampler.detail}`);
  const port = kernelPortCheck(input);
  if (!port.ok) failures.push(`the engine's WebAssembly kernel is not the JavaScript kernel it ports: ${port.detail}`);
  assumptions.push({
    id: 'unbiased-gradients',
    met: gradientsOk && sampler.ok && port.ok,
    detail: `B = ${input.setting.batchSize} points with replacement (the unbiasedness test draws B = ${unbiasedProbeSetting(input.setting, model.dataSize).batchSize}), K = ${input.setting.samples}; measured on the engine: sampler: ${sampler.detail}; ${gradientDetails.join('; ')}; ${port.detail}`,
  });

  if (!input.referencePort.ok) failures.push(`the float64 reference's WebAssembly port is not its JavaScript reference: ${input.referencePort.detail}`);
  assumptions.push({ id: 'exact-measurement', met: input.referencePort.ok, detail: input.referencePort.detail });

  // Every arm's seeds are independent runs (the bootstrap over seeds assumes it).
  const seeds = input.seedRuns.map((arm) => deepSeedIndependence(arm, input.dims, input.init, input.seedRuns.length > 1 ? `${arm.activation} arm` : ''));
  for (const s of seeds) if (!s.ok) failures.push(s.error!);
  assumptions.push({ id: 'independent-seeds', met: seeds.every((s) => s.ok), detail: `measured on the engine: ${seeds.map((s) => s.detail).join('; ')}` });

  const ok = failures.length === 0;
  return {
    ok,
    assumptions,
    ...(ok ? {} : { error: failures.join('; ') }),
    metrics: { optimizerProbeError, activationError: activation.error, sameObjectiveError: sameError, unbiasedMaxZRatio: worstZ, samplerRatio: sampler.worstRatio },
  };
}
