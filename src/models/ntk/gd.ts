/**
 * Full-batch gradient descent for the wide networks of family N, replica-
 * batched: every replica r minimises
 *   L_r(θ) = (1/(2n)) Σ_i (f_r(x_i) − y_i)² + P_r(θ) + (λ_r/2) ‖θ − θ̄_r‖²
 * with its own fixed step η_r (times the parameterisation's per-group scale
 * κ_{g,r}), where P_r is an optional model penalty (the stochastic network's
 * KL term, inside the model's gradients) and θ̄_r is the ridge anchor: the
 * initial parameters θ₀ (ridge toward initialisation) or 0 (weight decay).
 *
 * Models store effective weights w = c·θ (c = the group's multiplier) and
 * return gradients w.r.t. w; one step on θ is then
 *   w ← w − η κ (c² ∇_w L + λ (w − w̄)),
 * exactly the GD iterates on θ mapped through w = cθ.
 *
 * The loss is the MEAN squared error with the 1/2, so the linearised residual
 * obeys r_{t+1} = (I − ηΘ/n) r_t, stable for η < 2n/λ_max(Θ); with ridge the
 * linearised model converges to f₀ + Θ*(Θ + nλI)⁻¹(y − f₀) (src/kernels/krr.ts).
 *
 * Records the training residuals f_t − y at chosen steps (one small download
 * per recorded step). A replica whose outputs stop being finite (or exceed
 * 10⁸ in magnitude) is marked diverged at that step and left to run (replicas
 * never mix); the loop stops early once every replica has diverged.
 */
import { tf } from '../../engine/backend.ts';
import { gdStep } from './gd-step.ts';
import { firstDifference } from '../../engine/wasm-backend.ts';
import { PortCheckSchedule } from '../../engine/wasm-kernel.ts';

export interface GdModel<G extends string = string> {
  readonly R: number;
  /** Stored (effective) weights. */
  readonly params: Record<G, tf.Variable>;
  /** Per group and replica: multiplier c and step-size scale κ. */
  readonly multipliers: Record<G, Float64Array>;
  readonly lrScales: Record<G, Float64Array>;
  /** A per-replica [R] vector shaped to broadcast against the group's stored tensor. */
  expandPerReplica(group: G, values: ArrayLike<number>): tf.Tensor;
}

export interface GdOptions {
  /** Outputs [R, n] at the training inputs and gradients of Σ_r (data loss + penalty) w.r.t. the stored weights. */
  gradients: () => { f: tf.Tensor2D; grads: Record<string, tf.Tensor> };
  /** Outputs [R, n] only (for the final point). */
  outputs: () => tf.Tensor2D;
  /** Targets at the training inputs (length n). */
  y: Float64Array;
  steps: number;
  /** Step size per replica. */
  eta: Float64Array;
  /** Ridge strength λ_r and whether replica r's anchor is θ₀ (true) or 0 (false). */
  ridge?: { lambda: Float64Array; towardInit: readonly boolean[] };
  /** Steps (0 = initial point) whose residuals are kept; default every step. */
  recordAt?: (t: number) => boolean;
  onProgress?: (t: number, steps: number) => void;
  progressEvery?: number;
}

export interface GdResult {
  /** Steps whose residuals were recorded. */
  steps: number[];
  /** residuals[r][k] = f_r − y at steps[k]. */
  residuals: Float64Array[][];
  /** Step at which replica r diverged, or −1. */
  divergedAt: Int32Array;
  /** Steps actually run (fewer than requested when every replica diverged). */
  stepsRun: number;
}

const DIVERGENCE_LIMIT = 1e8;

function validate(model: GdModel, opts: GdOptions): void {
  const R = model.R;
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new RangeError(`steps = ${opts.steps}; allowed an integer ≥ 0`);
  if (opts.eta.length !== R) throw new RangeError(`eta has ${opts.eta.length} entries for ${R} replicas`);
  for (const e of opts.eta) if (!(e > 0) || !Number.isFinite(e)) throw new RangeError(`step size η = ${e}; allowed a finite η > 0`);
  if (opts.ridge) {
    if (opts.ridge.lambda.length !== R || opts.ridge.towardInit.length !== R) {
      throw new RangeError(`ridge settings need one entry per replica (${R})`);
    }
    for (const l of opts.ridge.lambda) if (!(l >= 0) || !Number.isFinite(l)) throw new RangeError(`ridge λ = ${l}; allowed a finite λ ≥ 0`);
  }
}

export function runGradientDescent<G extends string>(model: GdModel<G>, opts: GdOptions): GdResult {
  validate(model, opts);
  const R = model.R;
  const n = opts.y.length;
  const groups = Object.keys(model.params) as G[];
  const record = opts.recordAt ?? (() => true);
  // Per group: ηκc² on the gradient, ηκλ on the ridge term, and the anchors w̄ (fixed for the run).
  const gradCoef = {} as Record<G, tf.Tensor>;
  const ridgeCoef = {} as Record<G, tf.Tensor>;
  const anchor = {} as Record<G, tf.Tensor>;
  for (const g of groups) {
    const k = model.lrScales[g];
    const c = model.multipliers[g];
    gradCoef[g] = model.expandPerReplica(g, Array.from(opts.eta, (e, r) => e * k[r] * c[r] * c[r]));
    if (opts.ridge) {
      const { lambda, towardInit } = opts.ridge;
      ridgeCoef[g] = model.expandPerReplica(g, Array.from(opts.eta, (e, r) => e * k[r] * lambda[r]));
      const mask = model.expandPerReplica(g, towardInit.map((b) => (b ? 1 : 0)));
      anchor[g] = tf.tidy(() => model.params[g].mul(mask));
      mask.dispose();
    }
  }
  const result: GdResult = {
    steps: [],
    residuals: Array.from({ length: R }, () => []),
    divergedAt: new Int32Array(R).fill(-1),
    stepsRun: 0,
  };
  const observe = (t: number, f: tf.Tensor2D) => {
    const values = f.dataSync();
    const keep = record(t);
    if (keep) result.steps.push(t);
    for (let r = 0; r < R; r++) {
      const res = new Float64Array(n);
      let ok = true;
      for (let i = 0; i < n; i++) {
        const v = values[r * n + i];
        if (!Number.isFinite(v) || Math.abs(v) > DIVERGENCE_LIMIT) ok = false;
        res[i] = v - opts.y[i];
      }
      if (!ok && result.divergedAt[r] < 0) result.divergedAt[r] = t;
      if (keep) result.residuals[r].push(res);
    }
  };
  const every = opts.progressEvery ?? Math.max(1, Math.floor(opts.steps / 50));
  const checks = new PortCheckSchedule();
  try {
    for (let t = 0; ; t++) {
      if (t === opts.steps) {
        const f = opts.outputs();
        try {
          observe(t, f);
        } finally {
          f.dispose();
        }
        result.stepsRun = t;
        break;
      }
      const { f, grads } = opts.gradients();
      try {
        observe(t, f);
        tf.tidy(() => {
          const check = checks.due();
          for (const g of groups) {
            const p = model.params[g];
            // One pass where gd-step.ts's module runs (the bits of the ops below).
            const fused = gdStep(p, grads[g], gradCoef[g], opts.ridge ? { anchor: anchor[g], coef: ridgeCoef[g] } : null);
            const ops = () => {
              let step = grads[g].mul(gradCoef[g]);
              if (opts.ridge) step = step.add(p.sub(anchor[g]).mul(ridgeCoef[g]));
              return p.sub(step);
            };
            if (fused === null) {
              p.assign(ops());
              continue;
            }
            // Compared with the ops during the run (wasm-kernel.ts's PortCheckSchedule: first step, every 1024th).
            if (check) {
              const where = firstDifference(fused, ops());
              if (where !== null) throw new Error(`gradient descent's fused update (gd-step.ts) differs from its ops at step ${t}, parameters ${g}, ${where}`);
            }
            p.assign(fused);
          }
        });
      } finally {
        tf.dispose([f, ...Object.values(grads)]);
      }
      result.stepsRun = t + 1;
      if (result.divergedAt.every((s) => s >= 0)) break;
      if ((t + 1) % every === 0) opts.onProgress?.(t + 1, opts.steps);
    }
  } finally {
    tf.dispose([...Object.values<tf.Tensor>(gradCoef), ...Object.values<tf.Tensor>(ridgeCoef), ...Object.values<tf.Tensor>(anchor)]);
  }
  return result;
}
