/**
 * Optimisers as ASCENT on the objective (the ELBO), with a per-replica step
 * size: γ_{r,k} = C_r · k^{-α_r} arrives as a [R] tensor and broadcasts over
 * each parameter's trailing dimensions.
 */
import { tf } from './backend.ts';

/**
 * A user's optimiser: an elementwise update rule with its own per-coordinate
 * state, applied by both trainers (the kernel trainer in its fused loop, the
 * TF.js trainer on the downloaded gradients). Ascent: `g` is the gradient of
 * the objective to increase; return the new θ. `state` holds `stateSize`
 * numbers for this coordinate from `offset` on, zero at the start; γ is the
 * claim's step C·k^{-α} for this replica; k ≥ 1 the iteration. SGD is
 * `θ + γ g`; Adam, AMSGrad, RMSProp, Adagrad and momentum all fit.
 */
export interface ElementwiseOptimizer {
  kind: 'custom';
  /** Reported in claim ids and reports, e.g. "amsgrad". */
  name: string;
  stateSize: number;
  step(theta: number, g: number, state: Float64Array, offset: number, gamma: number, k: number): number;
}

export type OptimizerConfig = { kind: 'sgd' } | { kind: 'adam'; beta1: number; beta2: number; epsilon: number } | ElementwiseOptimizer;


export const ADAM_DEFAULTS = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

export interface Optimizer {
  /** θ ← θ + step(g); `gamma` is [R], `k` is the 1-based iteration. */
  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, gamma: tf.Tensor1D, k: number): void;
  dispose(): void;
}

function broadcastTo(gamma: tf.Tensor1D, like: tf.Tensor): tf.Tensor {
  return gamma.reshape([gamma.shape[0], ...like.shape.slice(1).map(() => 1)]);
}

class Sgd implements Optimizer {
  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, gamma: tf.Tensor1D): void {
    tf.tidy(() => {
      for (const [name, p] of Object.entries(params)) {
        p.assign(p.add(grads[name].mul(broadcastTo(gamma, p))));
      }
    });
  }
  dispose(): void {}
}

/** Bias-corrected Adam (Kingma & Ba), as analysed in [SGL25] with γ_k = C k^{-1/2}. */
class Adam implements Optimizer {
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};

  constructor(private readonly cfg: { beta1: number; beta2: number; epsilon: number }) {}

  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, gamma: tf.Tensor1D, k: number): void {
    const { beta1, beta2, epsilon } = this.cfg;
    const c1 = 1 - Math.pow(beta1, k);
    const c2 = 1 - Math.pow(beta2, k);
    tf.tidy(() => {
      for (const [name, p] of Object.entries(params)) {
        const g = grads[name];
        this.m[name] ??= tf.variable(tf.zerosLike(p), false);
        this.v[name] ??= tf.variable(tf.zerosLike(p), false);
        const m = this.m[name].mul(beta1).add(g.mul(1 - beta1));
        const v = this.v[name].mul(beta2).add(g.square().mul(1 - beta2));
        this.m[name].assign(m);
        this.v[name].assign(v);
        const update = m.div(c1).div(v.div(c2).sqrt().add(epsilon));
        p.assign(p.add(update.mul(broadcastTo(gamma, p))));
      }
    });
  }

  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v)]) t.dispose();
  }
}

/**
 * The TF.js trainer's side of an elementwise optimiser: parameters and
 * gradients are downloaded, updated coordinate by coordinate in float64, and
 * uploaded. Slower than a tensor program, but any rule a user writes runs
 * unchanged on every model.
 */
class TfElementwise implements Optimizer {
  private readonly state: Record<string, Float64Array> = {};

  constructor(private readonly opt: ElementwiseOptimizer) {}

  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, gamma: tf.Tensor1D, k: number): void {
    const gammas = gamma.dataSync();
    const R = gammas.length;
    for (const [name, p] of Object.entries(params)) {
      const theta = p.dataSync() as Float32Array;
      const g = grads[name].dataSync();
      const per = theta.length / R;
      this.state[name] ??= new Float64Array(theta.length * this.opt.stateSize);
      const state = this.state[name];
      const next = new Float32Array(theta.length);
      for (let i = 0; i < theta.length; i++) {
        next[i] = this.opt.step(theta[i], g[i], state, i * this.opt.stateSize, gammas[Math.floor(i / per)], k);
      }
      const t = tf.tensor(next, p.shape);
      p.assign(t);
      t.dispose();
    }
  }

  dispose(): void {}
}

/** Rejects optimiser constants outside their allowed ranges, naming the range. */
export function validateOptimizer(cfg: OptimizerConfig): void {
  if (cfg.kind === 'sgd') return;
  if (cfg.kind === 'custom') {
    if (typeof cfg.step !== 'function') throw new RangeError(`optimizer "${cfg.name}": step must be a function (θ, g, state, offset, γ, k) → θ'`);
    if (!Number.isInteger(cfg.stateSize) || cfg.stateSize < 0) throw new RangeError(`optimizer "${cfg.name}": stateSize = ${cfg.stateSize}; allowed an integer ≥ 0`);
    if (typeof cfg.name !== 'string' || cfg.name === '') throw new RangeError('a custom optimizer needs a name (it is reported)');
    return;
  }
  if (cfg.kind !== 'adam') throw new RangeError(`optimizer "${(cfg as { kind: string }).kind}"; allowed: sgd, adam, custom`);
  const { beta1, beta2, epsilon } = cfg;
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`Adam β1 = ${beta1}; allowed 0 ≤ β1 < 1`);
  if (!(beta2 > 0 && beta2 < 1)) throw new RangeError(`Adam β2 = ${beta2}; allowed 0 < β2 < 1`);
  if (!(epsilon > 0)) throw new RangeError(`Adam ε = ${epsilon}; allowed ε > 0`);
}

export function createOptimizer(cfg: OptimizerConfig): Optimizer {
  validateOptimizer(cfg);
  return cfg.kind === 'sgd' ? new Sgd() : cfg.kind === 'custom' ? new TfElementwise(cfg) : new Adam(cfg);
}
