/**
 * Optimisers as ASCENT on the objective (the ELBO), with a per-replica step
 * size: γ_{r,k} = C_r · k^{-α_r} arrives as a [R] tensor and broadcasts over
 * each parameter's trailing dimensions.
 */
import { tf } from './backend.ts';
import { fusedAdamStep, tfjsAdamImplementation } from './tfjs-adam-kernel.ts';

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

/**
 * A TensorFlow.js optimiser (tf.train.adam, tf.train.rmsprop, …, or a user's
 * subclass of tf.train.Optimizer), given as a factory so that every group of
 * replicas gets its own instance and state. The trainer sets the instance's
 * learning rate to the claim's γ_k = C·k^{-α} before every step and hands it
 * the negated gradient (TF.js optimisers descend a loss; the claims ascend the
 * ELBO). Runs on the TF.js trainer only (models with a closed-form kernel
 * switch to autodiff for it).
 */
export interface TfjsOptimizer {
  kind: 'tfjs';
  /** Reported in claim ids and reports, e.g. "tf.train.rmsprop". */
  name: string;
  create(learningRate: number): tf.Optimizer;
}

export type OptimizerConfig = { kind: 'sgd' } | { kind: 'adam'; beta1: number; beta2: number; epsilon: number } | ElementwiseOptimizer | TfjsOptimizer;

/** "sgd", "adam", or the user's optimiser's own name. */
export function optimizerName(cfg: OptimizerConfig): string {
  return cfg.kind === 'custom' || cfg.kind === 'tfjs' ? cfg.name : cfg.kind;
}


export const ADAM_DEFAULTS = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

export interface Optimizer {
  /** θ ← θ + step(g); `gamma` is [R], `k` is the 1-based iteration. */
  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, gamma: tf.Tensor1D, k: number): void;
  dispose(): void;
}

function broadcastTo(gamma: tf.Tensor1D, like: tf.Tensor): tf.Tensor {
  return gamma.reshape([gamma.shape[0], ...like.shape.slice(1).map(() => 1)]);
}

/**
 * Steps at which the TF.js Adam runs its op chain beside the fused step and requires the same
 * bits: the first four, then every power of two (≤ 2 log₂ n checks in n steps). A bug in
 * either, or a mutant of the chain, makes the run throw instead of training on one of them
 * unseen.
 */
function checkedStep(k: number): boolean {
  return k <= 4 || (k & (k - 1)) === 0;
}

function requireSameBits(name: string, k: number, fused: tf.Tensor[], chain: tf.Tensor[]): void {
  ['m', 'v', 'θ'].forEach((what, i) => {
    const a = fused[i].dataSync();
    const b = chain[i].dataSync();
    for (let j = 0; j < a.length; j++) {
      if (!Object.is(a[j], b[j])) {
        throw new Error(`TF.js Adam: the fused WebAssembly step gives ${what}[${j}] = ${a[j]} for parameter ${name} at step ${k}, the op chain ${b[j]}`);
      }
    }
  });
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
    const fusedHere = tfjsAdamImplementation() === 'wasm-simd';
    tf.tidy(() => {
      for (const [name, p] of Object.entries(params)) {
        const g = grads[name];
        this.m[name] ??= tf.variable(tf.zerosLike(p), false);
        this.v[name] ??= tf.variable(tf.zerosLike(p), false);
        // One fused pass on the WebAssembly backend (tfjs-adam-kernel.ts), the same bits as the
        // chain below, which it replaces; the chain also runs beside it at checked steps.
        const fused = fusedHere ? fusedAdamStep(p, g, this.m[name], this.v[name], gamma, { beta1, beta2, epsilon, c1, c2 }) : null;
        if (fused === null || checkedStep(k)) {
          const m = this.m[name].mul(beta1).add(g.mul(1 - beta1));
          const v = this.v[name].mul(beta2).add(g.square().mul(1 - beta2));
          const update = m.div(c1).div(v.div(c2).sqrt().add(epsilon));
          const next = p.add(update.mul(broadcastTo(gamma, p)));
          if (fused !== null) requireSameBits(name, k, fused, [m, v, next]);
          this.m[name].assign(m);
          this.v[name].assign(v);
          p.assign(next);
        } else {
          this.m[name].assign(fused[0]);
          this.v[name].assign(fused[1]);
          p.assign(fused[2]);
        }
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

/**
 * γ_k as a TF.js optimiser's learning rate: SGD and momentum hold it in a
 * kept scalar that only setLearningRate refreshes; Adam, Adamax, RMSProp,
 * Adagrad and Adadelta read the field in every applyGradients.
 */
function setLearningRate(opt: tf.Optimizer, gamma: number): void {
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  o.learningRate = gamma;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(gamma);
}

/**
 * The TF.js trainer's side of a tf.train.Optimizer. Replicas with the same
 * schedule see the same γ_k at every step, so each such group shares one
 * optimiser instance applied to the group's rows of every parameter (TF.js
 * optimisers are elementwise in their state, so rows never interact). One
 * group covering the whole batch in order (the usual case) is updated in
 * place; otherwise each group's rows live in their own variables and are
 * gathered back into the batch after the step.
 */
class TfjsAdapter implements Optimizer {
  private readonly groups: number[][];
  private readonly instances: tf.Optimizer[] = [];
  /** Per group, per parameter: the group's rows (multi-group batches only). */
  private readonly rows: Record<string, tf.Variable>[] = [];
  private readonly inverse: tf.Tensor1D | null;
  private static counter = 0;

  constructor(
    private readonly cfg: TfjsOptimizer,
    /** Per replica: its group (replicas that share a schedule). */
    groupOf: readonly number[],
  ) {
    const count = Math.max(...groupOf) + 1;
    this.groups = Array.from({ length: count }, (_, g) => groupOf.flatMap((h, r) => (h === g ? [r] : [])));
    const order = this.groups.flat();
    const inPlace = this.groups.length === 1 && order.every((r, i) => r === i);
    this.inverse = inPlace ? null : tf.tensor1d(order.map((_, r) => order.indexOf(r)), 'int32');
  }

  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, gamma: tf.Tensor1D, k: number): void {
    const gammas = gamma.dataSync();
    this.groups.forEach((members, g) => {
      if (this.instances[g] === undefined) {
        this.instances[g] = this.cfg.create(gammas[members[0]]);
        if (this.inverse) {
          const idx = tf.tensor1d(members, 'int32');
          this.rows[g] = Object.fromEntries(
            Object.entries(params).map(([name, p]) => [name, tf.variable(tf.gather(p, idx), true, `tfjs-optimizer/${this.cfg.name}/${TfjsAdapter.counter++}/${name}`)]),
          );
          idx.dispose();
        }
      }
      const opt = this.instances[g];
      setLearningRate(opt, gammas[members[0]]);
      const named: tf.NamedTensorMap = {};
      if (this.inverse) {
        const idx = tf.tensor1d(members, 'int32');
        for (const [name, v] of Object.entries(this.rows[g])) named[v.name] = tf.neg(tf.gather(grads[name], idx));
        idx.dispose();
      } else {
        for (const [name, p] of Object.entries(params)) named[p.name] = tf.neg(grads[name]);
      }
      opt.applyGradients(named);
      for (const t of Object.values(named)) t.dispose();
    });
    if (this.inverse) {
      for (const [name, p] of Object.entries(params)) {
        tf.tidy(() => p.assign(tf.gather(tf.concat(this.groups.map((_, g) => this.rows[g][name])), this.inverse!)));
      }
    }
    void k;
  }

  dispose(): void {
    for (const o of this.instances) o.dispose();
    for (const r of this.rows) for (const v of Object.values(r)) v.dispose();
    this.inverse?.dispose();
  }
}

/** Rejects optimiser constants outside their allowed ranges, naming the range. */
export function validateOptimizer(cfg: OptimizerConfig): void {
  if (cfg.kind === 'sgd') return;
  if (cfg.kind === 'tfjs') {
    if (typeof cfg.name !== 'string' || cfg.name === '') throw new RangeError('a TF.js optimizer needs a name (it is reported)');
    if (typeof cfg.create !== 'function') throw new RangeError(`optimizer "${cfg.name}": create must be a function (learningRate) → tf.train.Optimizer`);
    return;
  }
  if (cfg.kind === 'custom') {
    if (typeof cfg.step !== 'function') throw new RangeError(`optimizer "${cfg.name}": step must be a function (θ, g, state, offset, γ, k) → θ'`);
    if (!Number.isInteger(cfg.stateSize) || cfg.stateSize < 0) throw new RangeError(`optimizer "${cfg.name}": stateSize = ${cfg.stateSize}; allowed an integer ≥ 0`);
    if (typeof cfg.name !== 'string' || cfg.name === '') throw new RangeError('a custom optimizer needs a name (it is reported)');
    return;
  }
  if (cfg.kind !== 'adam') throw new RangeError(`optimizer "${(cfg as { kind: string }).kind}"; allowed: sgd, adam, custom, tfjs`);
  const { beta1, beta2, epsilon } = cfg;
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`Adam β1 = ${beta1}; allowed 0 ≤ β1 < 1`);
  if (!(beta2 > 0 && beta2 < 1)) throw new RangeError(`Adam β2 = ${beta2}; allowed 0 < β2 < 1`);
  if (!(epsilon > 0)) throw new RangeError(`Adam ε = ${epsilon}; allowed ε > 0`);
}

/** `groupOf[r]`: replica r's group of replicas that share one schedule (a TF.js optimiser's instance per group); default all one group. */
export function createOptimizer(cfg: OptimizerConfig, groupOf: readonly number[] = [0]): Optimizer {
  validateOptimizer(cfg);
  if (cfg.kind === 'tfjs') return new TfjsAdapter(cfg, groupOf);
  return cfg.kind === 'sgd' ? new Sgd() : cfg.kind === 'custom' ? new TfElementwise(cfg) : new Adam(cfg);
}
