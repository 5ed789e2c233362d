/**
 * Does the engine's trainer apply the optimiser and the step schedule the
 * claim says it does? The theorems are about SGD / bias-corrected Adam with
 * γ_k = C k^{-α}; a trainer that silently uses another exponent, drops Adam's
 * bias correction or mixes up replicas' settings is not the algorithm the
 * theorem is about, whatever the rate measurement then says.
 *
 * Probe: a tiny model with a known gradient, g(θ) = −a ⊙ (θ − t) + e_k, where
 * e_k ~ N(0, 0.5²) is drawn by the model from the replica's noise stream at
 * every step and logged (so the gradients vary in time as real stochastic
 * gradients do, which Adam's moments need to be exercised). The engine trains
 * it through createTrainer on both gradient paths (the closed-form kernel
 * trainer and the TensorFlow.js autodiff trainer), with the claim's optimiser
 * and three replicas of different schedules (the claim's own, and two others
 * so that per-replica settings cannot be confused). A float64 reference
 * (reference-optimizers.ts) replays the same gradients. The engine's float32
 * parameters must follow the reference to within TOLERANCE at every step.
 *
 * Tolerance: the engine holds θ in float32 (relative rounding 6e-8 per step);
 * the probe's objective contracts (a ∈ [0.5, 2], steps ≤ 1), so rounding does
 * not accumulate: a correct engine stays within ~1e-6 (measured: see the
 * test). 1e-4 is two orders of magnitude above that and far below any real
 * bug's effect (a wrong exponent changes γ_2 by 19% already).
 */
import { tf } from '../../engine/backend.ts';
import { createTrainer, type GradientPath } from '../../engine/create-trainer.ts';
import type { OptimizerConfig } from '../../engine/optimizer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { StepSchedule } from '../../engine/schedule.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { ReferenceOptimizer, referenceStep } from './reference-optimizers.ts';
import { stepSize } from '../../engine/schedule.ts';
import { logSpacedSteps } from '../../stats/grid.ts';
import { createKernelOptimizer, type KernelOptimizer } from '../../engine/kernel-optimizer.ts';
import { kernelOptimizerImplementation } from '../../engine/kernel-optimizer-wasm.ts';
import { RandomStream } from '../../engine/rng.ts';

const TOLERANCE = 1e-4;
const NOISE = 0.5;
/** Per-coordinate curvatures and targets of the probe (two parameter blocks, 3 + 4 coordinates). */
const A = [0.5, 0.8, 1.1, 1.4, 1.7, 2.0, 0.65];
const T = [1.0, -0.5, 0.25, 2.0, -1.5, 0.75, -0.25];
const INIT = [0.1, 0.2, -0.3, 0.0, 0.5, -0.2, 0.3];
const SHAPES = { u: [3], w: [2, 2] };

function flatten(p: ReplicaParams): number[] {
  return [...p.u, ...p.w];
}

/** The probe model; `log[r]` collects replica r's noise draws, one 7-vector per step, exactly as used. */
class ProbeModel implements BatchedModel<tf.Tensor2D>, ReplicaKernel {
  readonly name = 'optimizer-probe';
  readonly dataSize = 1;
  readonly paramShapes = SHAPES;
  readonly log: number[][][];

  constructor(replicas: number) {
    this.log = Array.from({ length: replicas }, () => []);
  }

  initialParams(): ReplicaParams {
    return { u: Float32Array.from(INIT.slice(0, 3)), w: Float32Array.from(INIT.slice(3)) };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): tf.Tensor2D {
    const e = new Float32Array(replicas.length * A.length);
    streams.forEach((s, r) => {
      for (let i = 0; i < A.length; i++) e[r * A.length + i] = NOISE * s.noise.normal();
      this.log[r].push(Array.from(e.subarray(r * A.length, (r + 1) * A.length)));
    });
    return tf.tensor2d(e, [replicas.length, A.length]);
  }

  objective(params: Record<string, tf.Tensor>, e: tf.Tensor2D): tf.Tensor1D {
    const R = e.shape[0];
    const theta = tf.concat([params.u.reshape([R, 3]), params.w.reshape([R, 4])], 1);
    const diff = theta.sub(tf.tensor1d(T).expandDims(0));
    const quad = diff.square().mul(tf.tensor1d(A).expandDims(0)).sum(1).mul(-0.5);
    return quad.add(theta.mul(e).sum(1)) as tf.Tensor1D;
  }

  disposeInputs(e: tf.Tensor2D): void {
    e.dispose();
  }

  objectiveAndGradient(params: ReplicaParams, _replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const theta = flatten(params);
    const e = theta.map(() => NOISE * streams.noise.normal());
    this.log[index].push(e);
    let value = 0;
    const g = theta.map((x, i) => {
      value += -0.5 * A[i] * (x - T[i]) ** 2 + x * e[i];
      return -A[i] * (x - T[i]) + e[i];
    });
    grad.u.set(g.slice(0, 3));
    grad.w.set(g.slice(3));
    return value;
  }
}

export interface OptimizerProbeResult {
  ok: boolean;
  path: GradientPath;
  steps: number;
  /** Largest |θ_engine − θ_reference| / (1 + |θ_reference|) over steps, replicas and coordinates, and where. */
  worst: { error: number; step: number; replica: string; coordinate: number };
  detail: string;
}

/**
 * Trains the probe with `optimizer` on `path` and compares with the float64
 * reference. `schedule` is the claim's; two more replicas use other schedules.
 */
/** Steps of the full-length probe when the optimiser is a TF.js object (see probeOptimizer). */
const TFJS_FULL_PROBE_STEPS = 500;

export function probeOptimizer(
  optimizer: OptimizerConfig,
  schedule: StepSchedule,
  path: GradientPath,
  steps: number,
  /** Tests only: what the ENGINE is given instead of the claimed settings (the reference keeps the claimed ones). */
  engineGiven: { optimizer?: OptimizerConfig; schedule?: StepSchedule } = {},
): OptimizerProbeResult {
  if (optimizer.kind === 'tfjs' && path === 'analytic') {
    // A TF.js optimiser runs on the TF.js trainer whatever the model (createTrainer): the
    // "analytic" probe would train the same trainer again, at the claim's full length
    // (≈ 1 ms a step there). The autodiff probe at the claim's probe length already covers it.
    path = 'autodiff';
    steps = Math.min(steps, TFJS_FULL_PROBE_STEPS);
  }
  const others = (s: StepSchedule): StepSchedule[] => [s, { C: s.C * 0.7, alpha: 0.25 }, { C: s.C * 1.3, alpha: Math.min(1, s.alpha + 0.25) }];
  const schedules = others(schedule);
  const engineSchedules = others(engineGiven.schedule ?? schedule);
  const replicas: ReplicaSetting[] = engineSchedules.map((s, i) => ({
    label: `probe ${i} (C = ${+s.C.toPrecision(6)}, α = ${s.alpha})`,
    seed: deriveSeed('optimizer-probe', i),
    schedule: s,
    batchSize: 1,
    samples: 1,
    beta: 1,
  }));
  const model = new ProbeModel(replicas.length);
  const references = schedules.map((s) => ({ opt: new ReferenceOptimizer(optimizer, s, A.length), theta: Float64Array.from(INIT) }));
  let worst = { error: 0, step: 0, replica: replicas[0].label, coordinate: 0 };
  const trainer = createTrainer(model, replicas, engineGiven.optimizer ?? optimizer, path);
  try {
    trainer.train({
      steps,
      onMeasure: (k, params) => {
        for (let r = 0; r < replicas.length; r++) {
          const ref = references[r];
          if (k > 0) {
            const e = model.log[r][k - 1];
            const g = Array.from(ref.theta, (x, i) => -A[i] * (x - T[i]) + e[i]);
            ref.opt.step(ref.theta, g);
          }
          const engine = flatten(params.replica(r));
          engine.forEach((x, i) => {
            const error = Math.abs(x - ref.theta[i]) / (1 + Math.abs(ref.theta[i]));
            if (!(error <= worst.error)) worst = { error: Number.isNaN(error) ? Infinity : error, step: k, replica: replicas[r].label, coordinate: i };
          });
        }
      },
    });
  } finally {
    trainer.dispose();
    for (const ref of references) ref.opt.dispose();
  }
  // The kernel trainer's SGD and Adam run as a WebAssembly port where it loads: the probe above
  // then saw the port only, so the port is also held to the JavaScript optimiser, bit for bit.
  const port = path === 'analytic' && (optimizer.kind === 'sgd' || optimizer.kind === 'adam') ? probeOptimizerPort(optimizer, schedules, steps) : null;
  const ok = worst.error <= TOLERANCE && (port === null || port.ok);
  const name =
    optimizer.kind === 'sgd'
      ? 'SGD'
      : optimizer.kind === 'tfjs'
        ? `the user's TF.js optimiser "${optimizer.name}" (a fresh instance replayed on one variable per replica, learning rate γ_k: this checks the trainer's plumbing and γ_k, not the rule)`
        : optimizer.kind === 'custom'
        ? `the user's optimiser "${optimizer.name}" (its own rule replayed in float64: this checks the trainer's plumbing and γ_k, not the rule)`
        : `Adam (β1 = ${optimizer.beta1}, β2 = ${optimizer.beta2}, ε = ${optimizer.epsilon})`;
  const detail =
    `${path === 'analytic' ? 'kernel' : 'TF.js autodiff'} trainer, ${name}, ${steps} steps of a probe with a known stochastic gradient: ` +
    `largest deviation from the float64 reference ${worst.error.toExponential(2)} (tolerance ${TOLERANCE}) at step ${worst.step}, ${worst.replica}, coordinate ${worst.coordinate}` +
    (port === null ? '' : `; ${port.detail}`);
  return { ok, path, steps, worst, detail };
}

/**
 * The kernel optimiser as it runs (its WebAssembly SIMD port, src/engine/kernel-optimizer-wasm.ts,
 * where that loads) against its JavaScript code (src/engine/kernel-optimizer.ts), bit for bit:
 * θ (float32) and, for Adam, the moments m, v (float64: a one-ulp difference shows there long
 * before it reaches a float32 θ) after every one of `steps` steps of three replicas with the
 * probe's schedules, on the probe's parameter blocks (lengths 3 and 4: the port's SIMD pairs and
 * scalar tail, replica slices at odd and even offsets), the port using its own memory as the
 * kernel trainer does, with gradients of every scale (1e-9 to 1e3, exact zeros) from a seeded
 * stream. Deterministic (no false alarm): the two are one specification, so any difference is a
 * bug of one of them, or a mutant of the JavaScript optimiser that the port would bypass, and
 * reads `error` (test/conformance/conformance.test.ts). Null where the JavaScript optimiser runs.
 */
export function probeOptimizerPort(optimizer: { kind: 'sgd' } | { kind: 'adam'; beta1: number; beta2: number; epsilon: number }, schedules: readonly StepSchedule[], steps: number, jsGiven?: KernelOptimizer): { ok: boolean; detail: string } | null {
  if (kernelOptimizerImplementation() === 'js') return null;
  const R = schedules.length;
  const sizes: Record<string, number> = Object.fromEntries(Object.entries(SHAPES).map(([n, shape]) => [n, shape.reduce((a, b) => a * b, 1)]));
  const totals = Object.fromEntries(Object.entries(sizes).map(([n, size]) => [n, R * size]));
  const port = createKernelOptimizer(optimizer, totals, sizes);
  const storage = port.storage;
  if (storage === undefined) return null; // its memory could not be allocated: the JavaScript optimiser runs (for the trainer too)
  const js = jsGiven ?? createKernelOptimizer(optimizer, totals, sizes, 'js');
  const start = new RandomStream(deriveSeed('optimizer-probe', 'port', 'start'));
  const jsParams: Record<string, Float32Array> = {};
  for (const [n, total] of Object.entries(totals)) {
    jsParams[n] = Float32Array.from({ length: total }, () => start.normal());
    storage.params[n].set(jsParams[n]);
  }
  const jsGrads = Object.fromEntries(Object.entries(sizes).map(([n, size]) => [n, new Float64Array(size)]));
  const offsets = schedules.map((_, r) => Object.fromEntries(Object.entries(sizes).map(([n, size]) => [n, r * size])));
  const noise = new RandomStream(deriveSeed('optimizer-probe', 'port', 'gradients'));
  const differs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
    return -1;
  };
  for (let k = 1; k <= steps; k++) {
    for (let r = 0; r < R; r++) {
      for (const n of Object.keys(sizes)) {
        const g = jsGrads[n];
        for (let i = 0; i < g.length; i++) g[i] = noise.int(20) === 0 ? 0 : noise.normal() * 10 ** (noise.int(13) - 9);
        storage.grads[n].set(g);
      }
      const gamma = stepSize(schedules[r], k);
      js.apply(jsParams, jsGrads, offsets[r], r, gamma, k);
      port.apply(storage.params, storage.grads, offsets[r], r, gamma, k);
    }
    for (const n of Object.keys(sizes)) {
      const arrays: [string, ArrayLike<number>, ArrayLike<number>][] = [['θ', storage.params[n], jsParams[n]]];
      if (optimizer.kind === 'adam') {
        const [a, b] = [port.moments!(n), js.moments!(n)];
        arrays.push(['m', a.m, b.m], ['v', a.v, b.v]);
      }
      for (const [what, a, b] of arrays) {
        const i = differs(a, b);
        if (i >= 0) return { ok: false, detail: `the kernel optimiser's WebAssembly port differs from its JavaScript code: ${what} of ${n}[${i}] is ${a[i]} (WebAssembly) ≠ ${b[i]} (JavaScript) after step ${k}` };
      }
    }
  }
  const size = Object.values(totals).reduce((a, b) => a + b, 0);
  return { ok: true, detail: `the kernel optimiser's WebAssembly SIMD port equals its JavaScript code bit for bit (θ${optimizer.kind === 'adam' ? ', m and v' : ''} of ${size} coordinates, ${R} replicas) after each of ${steps} steps` };
}

/** Relative tolerance of the step-size grid check: both sides are float64 evaluations of one formula (a few ulps apart). */
const STEP_SIZE_TOLERANCE = 1e-12;

export interface StepScheduleProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * The step size γ_k = C·k^{-α} the engine's trainers compute (src/engine/schedule.ts,
 * which both trainers call with their own step counter), against the float64
 * reference at log-spaced k up to `steps` (20 per decade, both ends): a schedule that
 * is right for the first few thousand steps and wrong later (a decay capped at some
 * k, a floor on γ) is seen wherever the claim trains, not only where the optimiser
 * probe runs. Deterministic (no false alarm).
 */
export function probeStepSchedule(
  schedule: StepSchedule,
  steps: number,
  /** Tests only: the step-size function to probe instead of the engine's. */
  engineStepSize: (schedule: StepSchedule, k: number) => number = stepSize,
): StepScheduleProbeResult {
  const ks = logSpacedSteps(1, Math.max(1, steps), 20);
  let worst = { error: 0, k: 1, engine: engineStepSize(schedule, 1), reference: referenceStep(schedule.C, schedule.alpha, 1) };
  for (const k of ks) {
    const engine = engineStepSize(schedule, k);
    const reference = referenceStep(schedule.C, schedule.alpha, k);
    const error = Math.abs(engine - reference) / Math.abs(reference);
    if (!(error <= worst.error)) worst = { error: Number.isNaN(error) ? Infinity : error, k, engine, reference };
  }
  const ok = worst.error <= STEP_SIZE_TOLERANCE;
  const detail =
    `step size γ_k at ${ks.length} log-spaced k ∈ [1, ${steps}] against C·k^{-α} = ${schedule.C}·k^{-${schedule.alpha}}: ` +
    `largest relative deviation ${worst.error.toExponential(2)} (tolerance ${STEP_SIZE_TOLERANCE}) at k = ${worst.k} (engine ${worst.engine.toPrecision(6)}, reference ${worst.reference.toPrecision(6)})`;
  return { ok, detail };
}
