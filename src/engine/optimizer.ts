/**
 * Optimisers as ASCENT on the objective (the ELBO), with a per-replica step
 * size: γ_{r,k} = C_r · k^{-α_r} arrives as a [R] tensor and broadcasts over
 * each parameter's trailing dimensions.
 */
import { tf } from './backend.ts';

export type OptimizerConfig =
  | { kind: 'sgd' }
  | { kind: 'adam'; beta1: number; beta2: number; epsilon: number };

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

/** Rejects optimiser constants outside their allowed ranges, naming the range. */
export function validateOptimizer(cfg: OptimizerConfig): void {
  if (cfg.kind === 'sgd') return;
  if (cfg.kind !== 'adam') throw new RangeError(`optimizer "${(cfg as { kind: string }).kind}"; allowed: sgd, adam`);
  const { beta1, beta2, epsilon } = cfg;
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`Adam β1 = ${beta1}; allowed 0 ≤ β1 < 1`);
  if (!(beta2 > 0 && beta2 < 1)) throw new RangeError(`Adam β2 = ${beta2}; allowed 0 < β2 < 1`);
  if (!(epsilon > 0)) throw new RangeError(`Adam ε = ${epsilon}; allowed ε > 0`);
}

export function createOptimizer(cfg: OptimizerConfig): Optimizer {
  validateOptimizer(cfg);
  return cfg.kind === 'sgd' ? new Sgd() : new Adam(cfg);
}
