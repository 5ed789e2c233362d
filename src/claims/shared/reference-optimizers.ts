/**
 * Float64 reference optimisers, written from the papers and not from the
 * engine's code, for the engine-conformance probe (optimizer-probe.ts):
 *   step size      γ_k = C·k^{-α}, k = 1, 2, … ([SGL25]: α = 1/2)
 *   SGD (ascent)   θ_k = θ_{k-1} + γ_k g_k
 *   Adam (ascent)  Kingma & Ba 2015, Algorithm 1 with bias correction:
 *                  m_k = β1 m_{k-1} + (1 − β1) g_k,   v_k = β2 v_{k-1} + (1 − β2) g_k²,
 *                  m̂_k = m_k / (1 − β1^k),           v̂_k = v_k / (1 − β2^k),
 *                  θ_k = θ_{k-1} + γ_k m̂_k / (√v̂_k + ε)
 * ([SGL25] analyses Adam with the step γ_k = C k^{-1/2} in place of Kingma & Ba's constant α.)
 */
import { tf } from '../../engine/backend.ts';
import type { ElementwiseOptimizer, TfjsOptimizer } from '../../engine/optimizer.ts';

/**
 * A user's optimiser is its own reference: the probe then checks the trainer's plumbing and schedule, not the rule.
 * An elementwise rule is replayed in float64; a TF.js optimiser on one float32 variable holding the replica alone,
 * with the learning rate γ_k set through TF.js's own API and the negated gradient (descent on −ELBO).
 */
export type ReferenceOptimizerConfig = { kind: 'sgd' } | { kind: 'adam'; beta1: number; beta2: number; epsilon: number } | ElementwiseOptimizer | TfjsOptimizer;

export function referenceStep(C: number, alpha: number, k: number): number {
  // Written as a quotient rather than a negative power: an independent expression of the same formula.
  return C / k ** alpha;
}

/** A float64 optimiser over one flat parameter vector. */
export class ReferenceOptimizer {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private custom = new Float64Array(0);
  private tfjs: { opt: tf.Optimizer; theta: tf.Variable } | null = null;
  private k = 0;

  constructor(
    private readonly cfg: ReferenceOptimizerConfig,
    private readonly schedule: { C: number; alpha: number },
    size: number,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** θ ← one ascent step along the gradient g (in place). */
  step(theta: Float64Array, g: ArrayLike<number>): void {
    this.k += 1;
    const k = this.k;
    const gamma = referenceStep(this.schedule.C, this.schedule.alpha, k);
    if (this.cfg.kind === 'tfjs') {
      if (this.tfjs === null) {
        const opt = this.cfg.create(gamma);
        this.tfjs = { opt, theta: tf.variable(tf.tensor1d(Float32Array.from(theta)), true) };
      }
      const { opt, theta: v } = this.tfjs;
      const fields = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
      fields.learningRate = gamma;
      fields.setLearningRate?.(gamma);
      const descent = tf.tensor1d(Float32Array.from(g, (x) => -x));
      opt.applyGradients({ [v.name]: descent });
      descent.dispose();
      theta.set(v.dataSync());
      return;
    }
    if (this.cfg.kind === 'custom') {
      if (this.custom.length !== theta.length * this.cfg.stateSize) this.custom = new Float64Array(theta.length * this.cfg.stateSize);
      for (let i = 0; i < theta.length; i++) theta[i] = this.cfg.step(theta[i], g[i], this.custom, i * this.cfg.stateSize, gamma, k);
      return;
    }
    if (this.cfg.kind === 'sgd') {
      for (let i = 0; i < theta.length; i++) theta[i] += gamma * g[i];
      return;
    }
    const { beta1, beta2, epsilon } = this.cfg;
    for (let i = 0; i < theta.length; i++) {
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g[i];
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g[i] * g[i];
      const mHat = this.m[i] / (1 - beta1 ** k);
      const vHat = this.v[i] / (1 - beta2 ** k);
      theta[i] += (gamma * mHat) / (Math.sqrt(vHat) + epsilon);
    }
  }

  /** Frees a TF.js reference's optimiser and variable (no-op otherwise). */
  dispose(): void {
    this.tfjs?.opt.dispose();
    this.tfjs?.theta.dispose();
    this.tfjs = null;
  }
}
