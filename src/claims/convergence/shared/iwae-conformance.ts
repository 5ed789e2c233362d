/**
 * Engine conformance of the linear IWAE model: does the engine compute the
 * importance-weighted bound and its gradient that the theorems are about?
 * Measured, not declared, against the float64 reference of iwae-oracle.ts
 * (independent code: it shares no function with the engine model), three ways:
 *
 *   1. Identical draws (deterministic). The kernel (what the kernel trainer
 *      steps with) and the TensorFlow.js objective under autodiff (the
 *      ReplicaTrainer's path) each take one step's draws from a replica's
 *      streams; the same rows and noise, replayed from twin streams (kernel) or
 *      read back from the step's input tensors (TF.js), go through the float64
 *      reference. The bound and every gradient coordinate must agree to the
 *      path's rounding: 1e-8 of the scale for the kernel (float64 arithmetic on
 *      float32 parameters and data, as the reference gets them: only summation
 *      order differs, ~1e-14), 1e-4 for TF.js (float32 throughout: unit
 *      roundoff 6e-8 over sums of ≤ B·K·d_x ≈ 10³ terms of size O(10) leaves
 *      ≥ 10x margin, while a wrong term, weight or axis moves a coordinate by
 *      ≫ 1%). Catches any formula bug in either path or in the reference.
 *   2. Unbiasedness (statistical): M stochastic gradients drawn by the kernel
 *      from its own streams (rows uniform with replacement, fresh noise) minus
 *      M independent float64 estimates of the exact ∇L_K over the whole data
 *      set (antithetic pairs): the differences must have mean 0, by the
 *      Bonferroni max-|t| test of src/stats/mean-test.ts (family-wise false
 *      alarm 1e-4). This is the theorems' "unbiased gradient" assumption,
 *      measured; it also sees sampling bugs that identical draws replay.
 *   3. The reference anchored to a closed form: at K = 1, L_1 is the ELBO, whose
 *      gradient is closed form (oracle.ts); the reference's K = 1 estimates must
 *      have it as their mean (same test). Catches a reference whose
 *      reparameterised gradient is wrong in a way the engine shares.
 */
import { tf } from '../../../engine/backend.ts';
import { RandomStream } from '../../../engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../../engine/replica.ts';
import type { ReplicaParams } from '../../../engine/trainer.ts';
import type { LinearIwaeModel } from '../../../models/linear-vae/iwae-engine-model.ts';
import { iwaeDraw } from '../../../models/linear-vae/iwae-oracle.ts';
import { dataMoments, elboGradient } from '../../../models/linear-vae/oracle.ts';
import { zeroParams, type LinearVaeDims, type LinearVaeParams } from '../../../models/linear-vae/params.ts';
import { DrawMoments, describeMeanTest, meanTest, type MeanTestResult } from '../../../stats/mean-test.ts';
import { kernelPortProbe, paramCoordinate } from '../../shared/kernel-port-probe.ts';

export const KERNEL_TOLERANCE = 1e-8;
export const AUTODIFF_TOLERANCE = 1e-4;

/** What the reference needs to know about the engine model. */
export interface IwaeEngineSetup {
  model: LinearIwaeModel;
  dims: LinearVaeDims;
  sigmaX: number;
}

const BLOCKS = ['W', 'b', 'V', 'c', 's'] as const;

/** The blocks the model trains (s only when the encoder variance is learned, V and c unless the encoder mean is fixed), in W, b, V, c, s order. */
export function trainedBlocks(model: LinearIwaeModel): (typeof BLOCKS)[number][] {
  if (model.fixedEncoderMean) return ['W', 'b'];
  return model.encoderLogVariance === null ? [...BLOCKS] : ['W', 'b', 'V', 'c'];
}

/** Flattens the trained blocks of a gradient (W, b, V, c[, s]) into one vector. */
export function flattenTrained(g: LinearVaeParams, model: LinearIwaeModel, out?: Float64Array): Float64Array {
  const names = trainedBlocks(model);
  const size = names.reduce((u, nm) => u + g[nm].length, 0);
  const v = out ?? new Float64Array(size);
  let o = 0;
  for (const nm of names) {
    v.set(g[nm], o);
    o += g[nm].length;
  }
  return v;
}

/** "∂W[3]" for coordinate i of a flattened trained-block vector. */
export function coordinateName(i: number, model: LinearIwaeModel, dims: LinearVaeDims): string {
  const sizes = { W: dims.dx * dims.dz, b: dims.dx, V: dims.dz * dims.dx, c: dims.dz, s: dims.dz };
  let o = 0;
  for (const nm of trainedBlocks(model)) {
    if (i < o + sizes[nm]) return `∂${nm}[${i - o}]`;
    o += sizes[nm];
  }
  return `coordinate ${i}`;
}

/** A replica's float32 parameters as the reference's float64 layout (s = s₀ for a fixed-variance encoder, V and c the model's for a fixed mean). */
export function toReference(model: LinearIwaeModel, dims: LinearVaeDims, p: ReplicaParams, into?: LinearVaeParams): LinearVaeParams {
  const out = into ?? zeroParams(dims);
  out.W.set(p.W);
  out.b.set(p.b);
  out.V.set(model.fixedEncoderMean?.V ?? p.V);
  out.c.set(model.fixedEncoderMean?.c ?? p.c);
  if (model.encoderLogVariance === null) out.s.set(p.s);
  else out.s.fill(model.encoderLogVariance);
  return out;
}

export interface DrawDiscrepancy {
  path: 'kernel' | 'TF.js autodiff';
  /** |engine bound − reference bound| / max(1, |reference bound|). */
  valueError: number;
  /** max_i |engine ∂_i − reference ∂_i| / max(1, max_i |reference ∂_i|). */
  gradientError: number;
  worst: string;
  tolerance: number;
  ok: boolean;
}

function compare(path: DrawDiscrepancy['path'], tolerance: number, value: number, grad: LinearVaeParams, ref: { value: number; grad: LinearVaeParams }, setup: IwaeEngineSetup): DrawDiscrepancy {
  const e = flattenTrained(grad, setup.model);
  const r = flattenTrained(ref.grad, setup.model);
  let scale = 1;
  for (const v of r) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let err = 0;
  for (let i = 0; i < r.length; i++) {
    const d = Math.abs(e[i] - r[i]);
    // NaN must count as a discrepancy, not slip through a comparison.
    if (!(d <= err)) {
      err = Number.isNaN(d) ? Infinity : d;
      worst = i;
    }
  }
  const valueError = Math.abs(value - ref.value) / Math.max(1, Math.abs(ref.value));
  const gradientError = err / scale;
  const v = Number.isNaN(valueError) ? Infinity : valueError;
  return {
    path,
    valueError: v,
    gradientError,
    worst: `${coordinateName(worst, setup.model, setup.dims)} (engine ${e[worst]?.toPrecision(6)}, reference ${r[worst]?.toPrecision(6)})`,
    tolerance,
    ok: v <= tolerance && gradientError <= tolerance,
  };
}

/**
 * The kernel's step (objective and gradient) on a replica's draws against the
 * reference on the same rows and noise, replayed from twin streams in the
 * kernel's documented order: per point a row index from the data stream, then
 * K·d_z normals (sample-major) from the noise stream.
 */
export function kernelAgainstReference(setup: IwaeEngineSetup, params: ReplicaParams, setting: ReplicaSetting): DrawDiscrepancy {
  const { model, dims, sigmaX } = setup;
  const { dx, dz } = dims;
  const { batchSize: B, samples: K } = setting;
  const grad = Object.fromEntries(Object.entries(model.paramShapes).map(([nm, sh]) => [nm, new Float64Array(sh.reduce((a, b) => a * b, 1))]));
  const value = model.objectiveAndGradient(params, setting, replicaStreams(setting.seed), grad);
  const twin = replicaStreams(setting.seed);
  const x = new Float64Array(B * dx);
  const eps = new Float64Array(B * K * dz);
  for (let i = 0; i < B; i++) {
    const row = twin.data.int(model.dataSize);
    x.set(model.data.subarray(row * dx, (row + 1) * dx), i * dx);
    for (let t = 0; t < K * dz; t++) eps[i * K * dz + t] = twin.noise.normal();
  }
  const ref = iwaeDraw(toReference(model, dims, params), { dims, sigmaX, x, n: B, K, eps });
  const g = zeroParams(dims);
  for (const nm of trainedBlocks(model)) g[nm].set(grad[nm]);
  return compare('kernel', KERNEL_TOLERANCE, value, g, ref, setup);
}

/**
 * The kernel as it runs (its WebAssembly SIMD port where that loads) against its JavaScript
 * kernel on the same draws, bit for bit (kernel-port-probe.ts): the comparison with the
 * float64 reference above sees only the port, so a bug in the JavaScript kernel alone (or
 * the port alone, within 1e-8) needs this. `ok` with a note when no port runs.
 */
export function kernelPortAgainstJavaScript(setup: IwaeEngineSetup, params: ReplicaParams, setting: ReplicaSetting, where: string, seedLabel: (string | number)[]): { ok: boolean; detail: string } {
  const twin = setup.model.javascriptTwin();
  if (twin === null) return { ok: true, detail: 'the kernel runs as JavaScript here (no WebAssembly port to compare)' };
  const { seed: _seed, label: _label, ...rest } = setting;
  return kernelPortProbe(twin, setup.model, [{ params, setting: rest, where }], seedLabel, paramCoordinate(setup.model));
}

/**
 * TensorFlow.js autodiff of the model's objective on one step's inputs (drawn
 * by drawStep from a replica's streams) against the reference on the rows and
 * noise read back from those inputs.
 */
export function autodiffAgainstReference(setup: IwaeEngineSetup, params: ReplicaParams, setting: ReplicaSetting): DrawDiscrepancy {
  const { model, dims, sigmaX } = setup;
  const { dx, dz } = dims;
  const { batchSize: B, samples: K } = setting;
  const inputs = model.drawStep([setting], [replicaStreams(setting.seed)]);
  try {
    const x = Float64Array.from(inputs.x.dataSync());
    const eps = Float64Array.from(inputs.eps.dataSync());
    if (x.length !== B * dx || eps.length !== B * K * dz) throw new Error(`drawStep returned ${x.length / dx} points × ${eps.length / (dz * Math.max(1, x.length / dx))} samples, expected ${B} × ${K}`);
    let out: { value: number; grads: Record<string, Float64Array> } = { value: NaN, grads: {} };
    tf.tidy(() => {
      const vars = Object.entries(model.paramShapes).map(([nm, sh]) => [nm, tf.variable(tf.tensor(params[nm], [1, ...sh]), true)] as const);
      try {
        const named = Object.fromEntries(vars);
        const { value, grads } = tf.variableGrads(() => model.objective(named, inputs, [setting]).sum() as tf.Scalar, vars.map(([, v]) => v));
        out = { value: value.dataSync()[0], grads: Object.fromEntries(vars.map(([nm, v]) => [nm, Float64Array.from(grads[v.name].dataSync())])) };
      } finally {
        vars.forEach(([, v]) => v.dispose());
      }
    });
    const ref = iwaeDraw(toReference(model, dims, params), { dims, sigmaX, x, n: B, K, eps });
    const g = zeroParams(dims);
    for (const nm of trainedBlocks(model)) g[nm].set(out.grads[nm]);
    return compare('TF.js autodiff', AUTODIFF_TOLERANCE, out.value, g, ref, setup);
  } finally {
    model.disposeInputs(inputs);
  }
}

export function describeDiscrepancy(d: DrawDiscrepancy, where: string): string {
  return (
    `${d.path} vs float64 reference on identical draws at ${where}: bound off by ${d.valueError.toExponential(2)}, ` +
    `gradient off by ${d.gradientError.toExponential(2)} (relative to max(1, ‖∇‖∞)) at ${d.worst}; tolerance ${d.tolerance}`
  );
}

/** An unbiased float64 estimate of ∇L_K over the whole data set from one antithetic pair of noise draws (ε, −ε). */
export function referenceGradientPair(setup: IwaeEngineSetup, p: LinearVaeParams, x: ArrayLike<number>, n: number, K: number, eps: Float64Array, minus: Float64Array, scratch: LinearVaeParams, out: Float64Array): Float64Array {
  const { dims, sigmaX, model } = setup;
  for (let t = 0; t < eps.length; t++) minus[t] = -eps[t];
  const a = flattenTrained(iwaeDraw(p, { dims, sigmaX, x, n, K, eps }, scratch).grad, model, out).slice();
  flattenTrained(iwaeDraw(p, { dims, sigmaX, x, n, K, eps: minus }, scratch).grad, model, out);
  for (let i = 0; i < out.length; i++) out[i] = 0.5 * (out[i] + a[i]);
  return out;
}

export interface UnbiasednessOptions {
  /** Mini-batch of the engine's draws (uniform rows with replacement). */
  batchSize: number;
  samples: number;
  draws: number;
  seed: number;
  falseAlarm: number;
}

/**
 * Mean test of (engine stochastic gradient − independent reference estimate of
 * ∇L_K) against 0: the kernel's gradient is unbiased for the exact gradient of
 * the expected bound over the data set.
 */
export function engineGradientUnbiased(setup: IwaeEngineSetup, params: ReplicaParams, o: UnbiasednessOptions): MeanTestResult {
  const { model, dims } = setup;
  const n = model.dataSize;
  const K = o.samples;
  const setting: ReplicaSetting = { label: 'conformance', seed: o.seed, schedule: { C: 1, alpha: 0 }, batchSize: o.batchSize, samples: K, beta: 1 };
  const streams = replicaStreams(o.seed);
  const noise = RandomStream.at(o.seed, 'reference-noise');
  const grad = Object.fromEntries(Object.entries(model.paramShapes).map(([nm, sh]) => [nm, new Float64Array(sh.reduce((a, b) => a * b, 1))]));
  const p = toReference(model, dims, params);
  const g = zeroParams(dims);
  const size = flattenTrained(g, model).length;
  const engine = new Float64Array(size);
  const ref = new Float64Array(size);
  const eps = new Float64Array(n * K * dims.dz);
  const minus = new Float64Array(eps.length);
  const scratch = zeroParams(dims);
  const moments = new DrawMoments(size);
  for (let m = 0; m < o.draws; m++) {
    model.objectiveAndGradient(params, setting, streams, grad);
    for (const nm of trainedBlocks(model)) g[nm].set(grad[nm]);
    flattenTrained(g, model, engine);
    noise.fillNormal(eps);
    referenceGradientPair(setup, p, model.data, n, K, eps, minus, scratch, ref);
    for (let i = 0; i < size; i++) engine[i] -= ref[i];
    moments.add(engine);
  }
  return meanTest(moments, new Float64Array(size), o.falseAlarm);
}

/**
 * The reference at K = 1 against the closed-form ELBO gradient (oracle.ts):
 * M antithetic pairs over the whole data set must have it as their mean.
 */
export function referenceAnchoredAtK1(setup: IwaeEngineSetup, params: ReplicaParams, draws: number, seed: number, falseAlarm: number): MeanTestResult {
  const { model, dims, sigmaX } = setup;
  const n = model.dataSize;
  const p = toReference(model, dims, params);
  const exact = flattenTrained(elboGradient(p, dataMoments(model.data, n, dims.dx), sigmaX, 1), model);
  const noise = RandomStream.at(seed, 'reference-anchor-noise');
  const eps = new Float64Array(n * dims.dz);
  const minus = new Float64Array(eps.length);
  const scratch = zeroParams(dims);
  const out = new Float64Array(exact.length);
  const moments = new DrawMoments(exact.length);
  for (let m = 0; m < draws; m++) {
    noise.fillNormal(eps);
    moments.add(referenceGradientPair(setup, p, model.data, n, 1, eps, minus, scratch, out));
  }
  return meanTest(moments, exact, falseAlarm);
}

export function describeUnbiasedness(t: MeanTestResult, setup: IwaeEngineSetup): string {
  return describeMeanTest(t, (i) => coordinateName(i, setup.model, setup.dims));
}
