/**
 * The engine arm of an entropy-sum claim: the model trained by the engine's
 * own full-batch gradient ascent on the ELBO (createTrainer: the analytic
 * kernel when the model has one, else TensorFlow.js autodiff; plain SGD with
 * γ_k = C k^{-α}) to a stationary point, then judged against float64
 * references that share no code with the engine.
 *
 * What is measured, per replica (θ in the engine's own coordinates, ĝ(θ) the
 * exact gradient of the float64 ELBO by central differences, see
 * src/entropy/finite-difference.ts):
 *  1. Steps: for k in stepChecks, the engine's update θ_k − θ_{k−1} must be
 *     γ_k ĝ(θ_{k−1}) with γ_k = C k^{-α} computed here (not by the engine's
 *     schedule), judged per parameter block (a block with small gradients is
 *     not drowned by another's). A wrong gradient term, a wrong sign, a
 *     scaled or biased update, a wrong schedule exponent all move it by ≥ 1%
 *     of the step; the tolerance is float32 rounding (tolerances.step).
 *     When the arm warm-starts near the optimum (steps below float32
 *     resolution) the steps are checked on a fresh `probe` copy instead.
 *     A model with both gradient paths must also have its closed-form kernel
 *     agree with TensorFlow.js autodiff of its objective at the start.
 *  2. End point: the engine's gradient there (the kernel's objectiveAndGradient
 *     or autodiff of the model's objective — what the trainer ascends) must be
 *     ĝ(θ̂), and the engine's objective value the float64 ELBO (which, when
 *     computed from sufficient statistics, must equal the point-by-point
 *     ELBO). An engine that converged to a point where ITS gradient vanishes
 *     but the exact one does not is caught here (error), not mistaken for
 *     slow training.
 *  3. Premise: θ̂ is certified stationary along the rescaling directions when
 *       Σ_i |d_i ĝ_i| ≤ κ · Σ_i |d_i| (ulp(θ̂_i)/(2γ_K) + |g_engine,i − ĝ_i|),
 *     d(θ̂) the rescaling direction in engine coordinates, γ_K the last step.
 *     Why: the engine stores θ in float32, so an update γ_K g_i smaller than
 *     half an ulp of θ_i is lost — SGD can stop anywhere its own gradient is
 *     below ulp(θ_i)/(2γ_K), and the exact gradient there differs from the
 *     engine's by the engine's measured rounding error. κ (stallFactor)
 *     allows the last ulp-sized oscillations (γ H < 2: at most a few ulps).
 *     Why Σ|d_i ĝ_i| is the quantity: the exact decomposition says
 *     F − S = R_z + R_x + B where R_z + R_x is the derivative of F along d,
 *     i.e. ⟨d, ∇F⟩, so |F − S − B| ≤ Σ|d_i ∂_iF| =: bound (plus δ Σ|d_i| for
 *     the difference quotient's error δ). The gap is FIRST order in the
 *     parameter error (∇F ≈ H(θ̂ − θ*)), so a float32 end point earns a bound
 *     of ≈ 1e-6 nats, not the 1e-14 of the float64 arm.
 *  4. Identity: |F − S − B| ≤ bound + rounding at the certified point.
 * Verdicts: 1 or 2 violated, or a gap the decomposition does not explain →
 * `error` (the engine or the harness does not compute what it should); the
 * premise (3) not met with 1 and 2 satisfied → `inconclusive` (training too
 * short: the premise was not reached); 4 violated at a certified point →
 * `fail`; else `pass`. A falsifier perturbs the certified end point (Σ × 1.2,
 * π sharpened, ...): its gap is explained and exceeds the bound → `fail`.
 * All checks are deterministic (full batch, no noise): their false-alarm rate
 * is that of float32 rounding exceeding the stated tolerances, i.e. zero with
 * the margins stated where the tolerances are set.
 * For the report only (no verdict reads it): the gap F − S − B = ⟨d, ∇F⟩ at
 * log-spaced steps of the training, by a central difference of the float64
 * ELBO along d (two evaluations a replica and step), as a series
 * (engineGapSeries): how the gap closes while the engine trains.
 */
import { z } from 'zod';
import { positiveInt, positiveNumber, schedule as scheduleSchema } from '../../../config/hyperparameters.ts';
import { tf } from '../../../engine/backend.ts';
import { createTrainer } from '../../../engine/create-trainer.ts';
import { hasKernel, type ReplicaKernel } from '../../../engine/kernel-trainer.ts';
import { replicaStreams, type ReplicaSetting } from '../../../engine/replica.ts';
import type { StepSchedule } from '../../../engine/schedule.ts';
import type { BatchedModel, BatchedParams, ReplicaParams } from '../../../engine/trainer.ts';
import { FD_STEP, absDot, centralGradient, l1, maxAbs, toParams64, zerosLike, type Params64 } from '../../../entropy/finite-difference.ts';
import type { Metric, Series } from '../../../contract/claim.ts';
import { logSpacedSteps } from '../../../stats/grid.ts';
import { allOf, type Verdict } from '../../../stats/verdict.ts';
import { gapOf, predictionErrorOf, unexplainedNote, type IdentityEvaluation } from './common.ts';

export interface ArmReplica {
  label: string;
  seed: number;
  /** The float64 ELBO per point at engine parameters: an oracle sharing no code with the engine. */
  exact(p: Params64): number;
  /** The rescaling direction d(θ) in engine coordinates: R_z + R_x = ⟨d, ∇F⟩ exactly. */
  direction(p: Params64): Params64;
  /**
   * The oracle's own F at the end point when `exact` is a faster route to the
   * same number (sufficient statistics): the two must agree to rounding.
   */
  anchor?(p: Params64): number;
}

/** The engine arm's tolerances (see the header for what each bounds). */
export const armTolerancesSchema = z.object({
  /**
   * Step check: max_i (|Δθ_i − γ_k ĝ_i| − u_i) ≤ step · γ_k max(‖ĝ_b‖∞, 1e-2 ‖ĝ‖∞) for i in block b,
   * u_i = 2^-23 max(|θ_{k−1,i}|, |θ_{k,i}|) the float32 rounding of the stored parameter.
   */
  step: positiveNumber('step-check tolerance'),
  /**
   * End point: max_i |g_engine,i − ĝ_i| · max(1, |θ_i|) ≤ gradient · max(1, |F|): the discrepancy's
   * first-order effect on F of a change of each parameter by its own size, relative to F.
   */
  gradient: positiveNumber('end-point gradient tolerance'),
  /** End point: |F_engine − F_exact| ≤ objective · max(1, |F|). */
  objective: positiveNumber('end-point objective tolerance'),
  /**
   * Premise: certified stationary when Σ|d_i ĝ_i| ≤ stallFactor × the float32 floor
   * Σ_i |d_i| (ulp(θ_i)/(2γ_K) + |g_engine,i − ĝ_i|) (see the header).
   */
  stallFactor: positiveNumber('stall factor κ'),
});

/** Steps k ≥ 1 whose update is compared with γ_k ĝ(θ_{k−1}) (each k ≤ the arm's steps: see stepChecksWithin). */
export const stepChecksSchema = z.array(positiveInt('step check k'), { error: 'stepChecks must be a list of step numbers' });

/** Cross-field rule: every step check k lies within the steps the arm trains (runEngineArm throws otherwise). */
export function stepChecksWithin(stepChecks: readonly number[], steps: number, path: PropertyKey[], ctx: z.RefinementCtx): void {
  stepChecks.forEach((k, i) => {
    if (k > steps) ctx.addIssue({ code: 'custom', path: [...path, i], message: `allowed step check k: an integer 1 ≤ k ≤ steps = ${steps}` });
  });
}

/** The engine arm's training (full batch, plain SGD, γ_k = C k^{-α}) and its checks, without cross-field rules (to compose). */
const engineArmObject = z.object({
  steps: positiveInt('steps'),
  schedule: scheduleSchema,
  /** Steps k ≥ 1 whose update is compared with γ_k ĝ(θ_{k−1}). */
  stepChecks: stepChecksSchema,
  tolerances: armTolerancesSchema,
});

export const engineArmOptionsSchema = engineArmObject.superRefine((o, ctx) => stepChecksWithin(o.stepChecks, o.steps, ['stepChecks'], ctx));

export type EngineArmOptions = z.infer<typeof engineArmOptionsSchema>;

export interface ArmReplicaResult {
  label: string;
  final: Params64;
  /** ĝ(θ̂) and the engine's gradient there. */
  exactGradient: Params64;
  engineGradient: Params64;
  engineObjective: number;
  exactObjective: number;
  /** Σ|d_i ĝ_i| + δ Σ|d_i| at θ̂: the largest |F − S − B| the measured gradient allows. */
  bound: number;
  /** Σ_i |d_i| (ulp(θ̂_i)/(2γ_K) + |g_engine,i − ĝ_i|): the float32 floor of Σ|d_i ĝ_i|. */
  floor: number;
  /** Σ|d_i ĝ_i| / floor: the premise is ≤ stallFactor. */
  overFloor: number;
  /** Whether Σ|d_i ĝ_i| ≤ stallFactor × floor (the premise). */
  certified: boolean;
  /** Worst step-check error relative to γ_k × its block's gradient scale (after subtracting float32 rounding). */
  stepError: number;
  /** max_i |g_engine,i − ĝ_i| max(1, |θ_i|) / max(1, |F|) at θ̂. */
  gradientError: number;
  /** |F_engine − F_exact| / max(1, |F|) at θ̂. */
  objectiveError: number;
  /** Conformance failures (empty when the engine did what it should). */
  failures: string[];
}

export interface EngineArmRun {
  replicas: ArmReplicaResult[];
  steps: number;
  seconds: number;
  options: EngineArmOptions;
  /** F − S − B = ⟨d, ∇F⟩ per replica (gaps[r][i]) at training steps `steps[i]`: for the report's plot, judged nowhere. */
  trajectory: { steps: number[]; gaps: number[][] };
}

/** Steps at which the trajectory is recorded, per decade of training. */
const TRAJECTORY_PER_DECADE = 6;

/** ⟨d, ∇F⟩ at p: a central difference of F along d (relative step FD_STEP, as for the gradients). */
function alongDirection(f: (p: Params64) => number, p: Params64, d: Params64): number {
  const scale = Math.max(1, maxAbs(d));
  const t = FD_STEP / scale;
  const moved = (sign: number) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.map((x, i) => x + sign * t * d[k][i])]));
  return (f(moved(1)) - f(moved(-1))) / (2 * t);
}

/**
 * The engine arm's gap against its training step, one column per replica
 * (|F − S − B| on log axes), for one or more runs (e.g. one per covariance
 * kind); steps missing from a run are NaN (not drawn).
 */
export function engineGapSeries(...runs: EngineArmRun[]): Record<string, Series> {
  const steps = [...new Set(runs.flatMap((r) => r.trajectory.steps))].sort((a, b) => a - b);
  if (steps.length === 0) return {};
  const y: Record<string, number[]> = {};
  for (const run of runs) {
    run.replicas.forEach((rep, r) => {
      let name = rep.label;
      for (let n = 2; name in y; n++) name = `${rep.label} (${n})`;
      y[name] = steps.map((k) => {
        const i = run.trajectory.steps.indexOf(k);
        return i < 0 ? Number.NaN : Math.abs(run.trajectory.gaps[r][i]);
      });
    });
  }
  const { schedule } = runs[0].options;
  return {
    engineGap: {
      title: 'Engine arm: the gap |F − S − B| = |⟨d, ∇F⟩| (exact decomposition) while the engine trains',
      x: steps,
      y,
      xLabel: `training step k (full-batch SGD, γ_k = ${schedule.C}·k^{-${schedule.alpha}})`,
      yLabel: '|F − S − B| (nats/point; B = 0 for a constant base measure)',
      logX: true,
      logY: true,
    },
  };
}

/** Step checks: a parameter block is judged against max(its own largest gradient, BLOCK_FLOOR × the overall largest). */
const BLOCK_FLOOR = 1e-2;

/** Float32 resolution of a stored parameter: one rounding of the update θ + γg. */
const F32_ULP = 2 ** -23;

/** The spacing of float32 numbers at |x| (2^-149 at 0). */
export function ulp32(x: number): number {
  const a = Math.abs(Math.fround(x));
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/**
 * Autodiff of the model's objective (what ReplicaTrainer ascends) at given
 * parameters and inputs, per replica: the objective and its gradient.
 */
export function autodiffAt<T>(model: BatchedModel<T>, settings: readonly ReplicaSetting[], points: readonly Record<string, ArrayLike<number>>[], inputs: T): { objective: number[]; gradient: Params64[] } {
  const names = Object.keys(model.paramShapes);
  const R = points.length;
  let out: { objective: number[]; gradient: Params64[] } = { objective: [], gradient: [] };
  tf.tidy(() => {
    const vars = names.map((n) => {
      const size = model.paramShapes[n].reduce((a, b) => a * b, 1);
      const flat = new Float32Array(R * size);
      points.forEach((p, r) => flat.set(p[n], r * size));
      return tf.variable(tf.tensor(flat, [R, ...model.paramShapes[n]]), true);
    });
    const byName = () => Object.fromEntries(names.map((n, i) => [n, vars[i] as tf.Tensor]));
    const { grads } = tf.variableGrads(() => model.objective(byName(), inputs, settings).sum() as tf.Scalar, vars);
    const values = model.objective(byName(), inputs, settings).dataSync();
    const gradient = points.map(() => ({}) as Params64);
    names.forEach((n, i) => {
      const g = grads[vars[i].name].dataSync();
      const size = g.length / R;
      for (let r = 0; r < R; r++) gradient[r][n] = Float64Array.from(g.subarray(r * size, (r + 1) * size));
    });
    vars.forEach((v) => v.dispose());
    out = { objective: Array.from(values), gradient };
  });
  return out;
}

/** The engine's objective and gradient at given parameters, per replica, by the path the trainer uses (full batch). */
export function engineGradients<T>(model: BatchedModel<T>, settings: readonly ReplicaSetting[], points: readonly Params64[]): { objective: number[]; gradient: Params64[] } {
  if (hasKernel(model)) {
    const kernel = model as unknown as ReplicaKernel;
    const objective: number[] = [];
    const gradient: Params64[] = [];
    points.forEach((p, r) => {
      const view: ReplicaParams = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));
      const grad = zerosLike(p);
      objective.push(kernel.objectiveAndGradient(view, settings[r], replicaStreams(settings[r].seed), grad, r));
      gradient.push(grad);
    });
    return { objective, gradient };
  }
  const inputs = model.drawStep(settings, settings.map((s) => replicaStreams(s.seed)));
  try {
    return autodiffAt(model, settings, points, inputs);
  } finally {
    model.disposeInputs(inputs);
  }
}

function copy(p: Params64): Params64 {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()]));
}

interface StepConformance {
  /** Worst step-check error per replica, relative to γ_k ‖ĝ‖∞ (after subtracting float32 rounding). */
  errors: number[];
  failures: string[][];
}

/** Step checks (header, 1) from parameter snapshots at k − 1 and k. */
function checkSteps(replicas: readonly ArmReplica[], snapshots: ReadonlyMap<number, Params64[]>, schedule: StepSchedule, stepChecks: readonly number[], tol: number): StepConformance {
  const errors = replicas.map(() => 0);
  const failures: string[][] = replicas.map(() => []);
  replicas.forEach((rep, r) => {
    for (const k of [...stepChecks].sort((a, b) => a - b)) {
      const before = snapshots.get(k - 1)![r];
      const after = snapshots.get(k)![r];
      const g = centralGradient((p) => rep.exact(p), copy(before));
      const gamma = schedule.C * Math.pow(k, -schedule.alpha);
      const overall = maxAbs(g);
      let worst = { name: '', index: -1, error: 0, observed: 0, expected: 0 };
      for (const [name, v] of Object.entries(after)) {
        // Judged per parameter block, so a block whose gradient is small next to another's is not drowned out;
        // blocks below BLOCK_FLOOR of the largest gradient are judged at that floor (difference quotients are
        // accurate to ≈ 1e-10 of the largest, float32 autodiff to ≈ 1e-6 of it).
        let blockMax = 0;
        for (let i = 0; i < v.length; i++) blockMax = Math.max(blockMax, Math.abs(g[name][i]));
        const scale = gamma * Math.max(blockMax, BLOCK_FLOOR * overall);
        for (let i = 0; i < v.length; i++) {
          const observed = v[i] - before[name][i];
          const expected = gamma * g[name][i];
          const rounding = F32_ULP * Math.max(Math.abs(v[i]), Math.abs(before[name][i]));
          const error = Math.max(0, Math.abs(observed - expected) - rounding) / scale;
          if (!(error <= worst.error) || worst.index < 0) worst = { name, index: i, error, observed, expected };
        }
      }
      errors[r] = Math.max(errors[r], worst.error);
      if (!(worst.error <= tol)) {
        failures[r].push(
          `step ${k}: the engine moved ${worst.name}[${worst.index}] by ${worst.observed.toExponential(4)} where gradient ascent with ` +
            `γ_${k} = ${schedule.C}·${k}^-${schedule.alpha} = ${gamma.toPrecision(6)} on the exact ELBO moves it by ${worst.expected.toExponential(4)} ` +
            `(error ${worst.error.toExponential(2)} of γ times the block's largest gradient, allowed ${tol.toExponential(0)}): the engine's gradient, update rule or step size is wrong`,
        );
      }
    }
  });
  return { errors, failures };
}

/**
 * Train `model` for the step checks alone (a fresh start, where gradients are
 * large): used when the arm's own training starts where the float32 steps are
 * already below the parameters' resolution (a warm start near the optimum).
 */
function probeSteps<T>(model: BatchedModel<T>, replicas: readonly ArmReplica[], settings: readonly ReplicaSetting[], opts: EngineArmOptions): StepConformance & { start: Params64[] } {
  const last = Math.max(...opts.stepChecks);
  const wanted = new Set([0, ...opts.stepChecks.flatMap((k) => [k - 1, k])]);
  const snapshots = new Map<number, Params64[]>();
  const trainer = createTrainer(model, settings, { kind: 'sgd' });
  try {
    trainer.train({ steps: last, measureAt: (k) => wanted.has(k), onMeasure: (k, p) => snapshots.set(k, replicas.map((_, r) => toParams64(p.replica(r)))) });
  } finally {
    trainer.dispose();
  }
  return { ...checkSteps(replicas, snapshots, opts.schedule, opts.stepChecks, opts.tolerances.step), start: snapshots.get(0)! };
}

/**
 * A model with both gradient paths (closed-form kernel, which the arm trains
 * with, and a TensorFlow.js objective for autodiff): the two must agree at
 * the start, replica by replica — objective to 1e-5 relative, gradient to
 * 1e-4 of each block's scale (max(‖g_b‖∞, 1e-2 ‖g‖∞)). Autodiff runs in
 * float32 over sums of ≤ 10³ terms: its rounding is ≲ 1e-5 of these scales,
 * while a wrong term in either path moves them by ≥ 1%.
 */
function pathAgreement<T>(model: BatchedModel<T>, settings: readonly ReplicaSetting[], points: readonly Params64[]): string[][] {
  const out = points.map(() => [] as string[]);
  if (!hasKernel(model) || typeof model.objective !== 'function') return out;
  const kernel = engineGradients(model, settings, points);
  const inputs = model.drawStep(settings, settings.map((s) => replicaStreams(s.seed)));
  let auto: { objective: number[]; gradient: Params64[] };
  try {
    auto = autodiffAt(model, settings, points, inputs);
  } finally {
    model.disposeInputs(inputs);
  }
  points.forEach((_, r) => {
    const f = kernel.objective[r];
    const oErr = Math.abs(auto.objective[r] - f) / Math.max(1, Math.abs(f));
    if (!(oErr <= 1e-5)) {
      out[r].push(`start: the kernel's objective ${f.toPrecision(10)} and TensorFlow.js's ${auto.objective[r].toPrecision(10)} disagree (relative ${oErr.toExponential(2)}, allowed 1e-5): one of the engine's two paths computes another objective`);
    }
    const overall = maxAbs(kernel.gradient[r]);
    for (const [name, g] of Object.entries(kernel.gradient[r])) {
      let blockMax = 0;
      for (let i = 0; i < g.length; i++) blockMax = Math.max(blockMax, Math.abs(g[i]));
      const scale = Math.max(blockMax, BLOCK_FLOOR * overall, 1e-300);
      for (let i = 0; i < g.length; i++) {
        const err = Math.abs(auto.gradient[r][name][i] - g[i]) / scale;
        if (!(err <= 1e-4)) {
          out[r].push(
            `start: ∂F/∂${name}[${i}] is ${g[i].toExponential(4)} by the kernel and ${auto.gradient[r][name][i].toExponential(4)} by TensorFlow.js autodiff ` +
              `(error ${err.toExponential(2)} of the block's scale, allowed 1e-4): the engine's two gradient paths disagree`,
          );
          break;
        }
      }
    }
  });
  return out;
}

export interface ArmObserver {
  /** Steps (0 = start) at which `see` gets the parameters, besides the arm's own measurements. */
  at(k: number): boolean;
  see(k: number, params: BatchedParams): void;
}

/**
 * Train the replicas (one batch, plain SGD, full batch) and measure steps 1–4
 * of the header. `model` is built for `replicas`, in order; the caller
 * disposes it. `probe` (optional, same replicas, fresh initialisation): where
 * the step checks run when `model` starts from a warm start.
 */
export function runEngineArm<T>(
  model: BatchedModel<T>,
  replicas: readonly ArmReplica[],
  opts: EngineArmOptions,
  progress: (f: number) => void = () => {},
  observer?: ArmObserver,
  probe?: BatchedModel<T>,
): EngineArmRun {
  const t0 = performance.now();
  const { steps, schedule, stepChecks, tolerances: tol } = opts;
  for (const k of stepChecks) if (!Number.isInteger(k) || k < 1 || k > steps) throw new RangeError(`engine arm: step check at k = ${k}; allowed integers 1 ≤ k ≤ steps = ${steps}`);
  const settings: ReplicaSetting[] = replicas.map((r) => ({ label: r.label, seed: r.seed, schedule, batchSize: model.dataSize, samples: 1, beta: 1 }));
  const wanted = new Set([0, steps, ...(probe ? [] : stepChecks.flatMap((k) => [k - 1, k]))]);
  const snapshots = new Map<number, Params64[]>();
  const traced = new Set(logSpacedSteps(1, steps, TRAJECTORY_PER_DECADE));
  const trajectory: EngineArmRun['trajectory'] = { steps: [], gaps: replicas.map(() => []) };
  const trainer = createTrainer(model, settings, { kind: 'sgd' });
  try {
    trainer.train({
      steps,
      measureAt: (k) => wanted.has(k) || traced.has(k) || (observer?.at(k) ?? false),
      onMeasure: (k, p) => {
        if (wanted.has(k)) snapshots.set(k, replicas.map((_, r) => toParams64(p.replica(r))));
        if (traced.has(k)) {
          trajectory.steps.push(k);
          replicas.forEach((rep, r) => {
            const at = toParams64(p.replica(r));
            trajectory.gaps[r].push(alongDirection((q) => rep.exact(q), at, rep.direction(at)));
          });
        }
        if (observer?.at(k)) observer.see(k, p);
      },
      progressEvery: Math.max(1, Math.floor(steps / 10)),
      onProgress: (k) => progress(k / steps),
    });
  } finally {
    trainer.dispose();
  }
  // Step checks and the agreement of the two gradient paths at a start where gradients are O(1).
  let stepped: StepConformance;
  let paths: string[][];
  if (probe) {
    const p = probeSteps(probe, replicas, settings, opts);
    stepped = p;
    paths = pathAgreement(probe, settings, p.start);
  } else {
    stepped = checkSteps(replicas, snapshots, schedule, stepChecks, tol.step);
    paths = pathAgreement(model, settings, snapshots.get(0)!);
  }
  const finals = snapshots.get(steps)!;
  const engine = engineGradients(model, settings, finals);
  const results = replicas.map((rep, r): ArmReplicaResult => {
    const failures: string[] = [...stepped.failures[r], ...paths[r]];
    const exact = (p: Params64) => rep.exact(p);
    // 2. End point.
    const final = finals[r];
    const exactGradient = centralGradient(exact, copy(final));
    const exactObjective = rep.exact(final);
    const scaleF = Math.max(1, Math.abs(exactObjective));
    let worstG = { name: '', index: -1, error: 0 };
    for (const [name, v] of Object.entries(final)) {
      for (let i = 0; i < v.length; i++) {
        const error = (Math.abs(engine.gradient[r][name][i] - exactGradient[name][i]) * Math.max(1, Math.abs(v[i]))) / scaleF;
        if (!(error <= worstG.error) || worstG.index < 0) worstG = { name, index: i, error };
      }
    }
    const gradientError = worstG.error;
    if (!(gradientError <= tol.gradient)) {
      failures.push(
        `end point: the engine's gradient ∂F/∂${worstG.name}[${worstG.index}] = ${engine.gradient[r][worstG.name]?.[worstG.index]?.toExponential(4)} but the exact ` +
          `gradient is ${exactGradient[worstG.name]?.[worstG.index]?.toExponential(4)} (discrepancy × max(1, |θ_i|) = ${gradientError.toExponential(2)} of max(1, |F|), ` +
          `allowed ${tol.gradient.toExponential(0)}): the engine converged to a point that is not stationary for the ELBO`,
      );
    }
    const objectiveError = Math.abs(engine.objective[r] - exactObjective) / Math.max(1, Math.abs(exactObjective));
    if (!(objectiveError <= tol.objective)) {
      failures.push(
        `end point: the engine's objective is ${engine.objective[r].toPrecision(10)} but the float64 ELBO is ${exactObjective.toPrecision(10)} ` +
          `(relative ${objectiveError.toExponential(2)}, allowed ${tol.objective.toExponential(0)}): the engine optimises another objective`,
      );
    }
    if (rep.anchor) {
      const anchored = rep.anchor(final);
      if (!(Math.abs(anchored - exactObjective) <= 1e-10 * Math.max(1, Math.abs(anchored)))) {
        failures.push(
          `end point: the float64 ELBO from sufficient statistics (${exactObjective.toPrecision(14)}) disagrees with the point-by-point ELBO ` +
            `(${anchored.toPrecision(14)}): the harness's references contradict each other`,
        );
      }
    }
    // 3. Premise: the first-order bound on the gap, against the float32 floor.
    const d = rep.direction(final);
    const fdError = 1e-9 * Math.max(1, Math.abs(exactObjective));
    const first = absDot(d, exactGradient);
    const bound = first + fdError * l1(d);
    const gammaLast = schedule.C * Math.pow(steps, -schedule.alpha);
    let floor = 0;
    for (const [name, v] of Object.entries(final)) {
      for (let i = 0; i < v.length; i++) floor += Math.abs(d[name][i]) * (ulp32(v[i]) / (2 * gammaLast) + Math.abs(engine.gradient[r][name][i] - exactGradient[name][i]));
    }
    const certified = first <= tol.stallFactor * floor;
    return {
      label: rep.label,
      final,
      exactGradient,
      engineGradient: engine.gradient[r],
      engineObjective: engine.objective[r],
      exactObjective,
      bound,
      floor,
      overFloor: first / floor,
      certified,
      stepError: stepped.errors[r],
      gradientError,
      objectiveError,
      failures,
    };
  });
  return { replicas: results, steps, seconds: (performance.now() - t0) / 1000, options: opts, trajectory };
}

export interface ArmJudgement {
  verdict: Verdict;
  metrics: Record<string, Metric>;
  notes: string[];
}

/**
 * Verdict of the engine arm for one configuration: `evals[r]` is replica r's
 * end point as the configuration evaluates it (unperturbed for the claim,
 * perturbed for a falsifier), with the gap the configuration tests (F − S,
 * or F − S − B). See the header for the verdict rules.
 */
/** The same run restricted to some replicas (a configuration's own, in a batch shared with falsifiers). */
export function subRun(run: EngineArmRun, indices: readonly number[]): EngineArmRun {
  return { ...run, replicas: indices.map((i) => run.replicas[i]), trajectory: { steps: run.trajectory.steps, gaps: indices.map((i) => run.trajectory.gaps[i]) } };
}

export function judgeEngineArm(run: EngineArmRun, evals: readonly IdentityEvaluation[], predictionTolerance = 1e-9): ArmJudgement {
  if (evals.length !== run.replicas.length) throw new Error(`judgeEngineArm: ${evals.length} evaluations for ${run.replicas.length} replicas`);
  const { tolerances: tol } = run.options;
  const notes: string[] = [];
  const verdicts: Verdict[] = [];
  run.replicas.forEach((r, i) => {
    const e = evals[i];
    const rounding = 1e-10 * Math.max(1, Math.abs(e.diag.elbo));
    if (r.failures.length > 0) {
      verdicts.push('error');
      notes.push(...r.failures.map((f) => `engine arm, ${r.label}: ${f}`));
    }
    if (!(predictionErrorOf(e) <= predictionTolerance)) {
      verdicts.push('error');
      notes.push(`engine arm: ${unexplainedNote(e, predictionTolerance)}`);
    }
    const gap = gapOf(e, 'absolute');
    if (!r.certified) {
      verdicts.push('inconclusive');
      notes.push(
        `engine arm, ${r.label}: the end point is not certified stationary: Σ|d_i ∂_iF| = ${r.bound.toExponential(2)} nats/point exceeds ` +
          `${tol.stallFactor} × the float32 floor ${r.floor.toExponential(2)} (ratio ${r.overFloor.toFixed(2)}) after ${run.steps} steps (the engine's gradient agrees with the exact one: training too short, premise not reached)`,
      );
    } else if (!(gap <= r.bound + rounding)) {
      verdicts.push('fail');
      notes.push(
        `engine arm, ${e.label}: identity violated at a certified stationary point: |F − S| = ${gap.toExponential(3)} nats/point > ` +
          `the bound ${r.bound.toExponential(2)} that the measured gradient allows (F = ${e.diag.elbo.toPrecision(10)}, S = ${e.diag.entropySum.toPrecision(10)})`,
      );
    } else verdicts.push('pass');
  });
  const max = (f: (r: ArmReplicaResult) => number) => run.replicas.reduce((m, r) => Math.max(m, f(r)), 0);
  const metrics: Record<string, Metric> = {
    engineWorstGap: { value: evals.reduce((m, e) => Math.max(m, Math.abs(e.diag.gap)), 0), criterion: '|F − S| ≤ the first-order bound of the same replica (nats/point)' },
    engineBound: { value: max((r) => r.bound), criterion: `Σ|d_i ∂_iF| ≤ ${tol.stallFactor} × the float32 floor (end point certified stationary)` },
    engineFloor: { value: max((r) => r.floor), criterion: 'Σ_i |d_i| (ulp(θ_i)/(2γ_K) + |g_engine,i − ∂_iF|): the float32 floor of the bound' },
    engineGradientOverFloor: { value: max((r) => r.overFloor), criterion: `Σ|d_i ∂_iF| / floor ≤ ${tol.stallFactor} (premise: stationary to float32 resolution)` },
    engineStepError: { value: max((r) => r.stepError), criterion: `≤ ${tol.step.toExponential(0)} of γ_k × the block's gradient scale (the engine's update is gradient ascent on the exact ELBO)` },
    engineGradientError: { value: max((r) => r.gradientError), criterion: `max_i |g_engine,i − ∂_iF| max(1, |θ_i|) ≤ ${tol.gradient.toExponential(0)} max(1, |F|) (end point)` },
    engineObjectiveError: { value: max((r) => r.objectiveError), criterion: `≤ ${tol.objective.toExponential(0)} relative (engine objective = float64 ELBO)` },
    engineSteps: { value: run.steps },
    engineSeconds: { value: run.seconds },
  };
  notes.push(
    `engine arm: ${run.replicas.length} replica(s), ${run.steps} full-batch SGD steps, γ_k = ${run.options.schedule.C}·k^-${run.options.schedule.alpha}; ` +
      `bounds (float32 floors) ${run.replicas.map((r) => `${r.label}: ${r.bound.toExponential(2)} (${r.floor.toExponential(2)})`).join(', ')}; gaps ${evals.map((e) => e.diag.gap.toExponential(2)).join(', ')}`,
  );
  return { verdict: allOf(verdicts), metrics, notes };
}

/**
 * The float64 closed-form (or Newton) M-step maximises F at fixed q, so the
 * engine's end point, trained by gradient ascent on the same F, cannot beat
 * it: F(θ̂) − F(M-step) ≤ 1e-10 · max(1, |F|) (float64 rounding; the engine's
 * end point is below the maximum by ≈ ‖∇F‖²/H ≈ 1e-14). A larger excess means
 * the reference M-step is not the maximiser (e.g. wrong means: the identity
 * itself cannot see that, the gap moves only at second order) → `error`.
 * `mStepElbo[r]` is F at the M-step of replica r's q, by the oracle.
 */
export function mStepAgreement(run: EngineArmRun, mStepElbo: readonly number[]): { failures: string[]; worstExcess: number } {
  const failures: string[] = [];
  let worstExcess = -Infinity;
  run.replicas.forEach((r, i) => {
    const excess = (r.exactObjective - mStepElbo[i]) / Math.max(1, Math.abs(mStepElbo[i]));
    worstExcess = Math.max(worstExcess, excess);
    if (!(excess <= 1e-10)) {
      failures.push(
        `engine arm, ${r.label}: the engine's end point has F = ${r.exactObjective.toPrecision(14)}, above the float64 M-step's ${mStepElbo[i].toPrecision(14)} ` +
          `(relative ${excess.toExponential(2)}): the reference M-step is not the maximiser of F at this q`,
      );
    }
  });
  return { failures, worstExcess };
}
