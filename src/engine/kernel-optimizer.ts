/**
 * The optimisers of optimizer.ts as plain loops over one replica's flat
 * parameters, for the kernel trainer (kernel-trainer.ts). Same update rules,
 * ascent on the objective; parameters stay float32 (Float32Array), the Adam
 * moments are kept in float64 because they are private to the optimiser.
 *
 * SGD and Adam run as a WebAssembly SIMD port of KernelSgd / KernelAdam
 * (kernel-optimizer-wasm.ts, bitwise the same parameters) where it loads; this
 * file's loops are its specification and the fallback.
 */
import { validateOptimizer, type ElementwiseOptimizer, type OptimizerConfig } from './optimizer.ts';
import { createWasmOptimizer, type OptimizerStorage } from './kernel-optimizer-wasm.ts';

export interface KernelOptimizer {
  /**
   * θ ← θ + step(g) for replica r's slice [offset, offset + g.length) of every parameter.
   * May return true: every parameter it updated is finite afterwards (as float32), checked on
   * the way (the WebAssembly port does); anything else leaves that check to the caller.
   */
  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, r: number, gamma: number, k: number): boolean | void;
  /**
   * Zeroed arrays (each parameter's total length, each gradient's per-replica length)
   * in which the caller may keep the parameters and the gradient it passes to apply:
   * the WebAssembly port's own memory, so that nothing is copied per step. Absent for
   * the JavaScript optimisers (any arrays do; so do any arrays for the port, copied).
   */
  readonly storage?: OptimizerStorage;
  /** Adam's moments of parameter `name` (all replicas; views, not copies): what the tests and the run-time port check compare besides θ. */
  moments?(name: string): { m: Float64Array; v: Float64Array };
}

class KernelSgd implements KernelOptimizer {
  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, _r: number, gamma: number): void {
    for (const name in grads) {
      const p = params[name];
      const g = grads[name];
      const o = offsets[name];
      for (let i = 0; i < g.length; i++) p[o + i] += gamma * g[i];
    }
  }
}

class KernelAdam implements KernelOptimizer {
  private readonly m: Record<string, Float64Array> = {};
  private readonly v: Record<string, Float64Array> = {};

  constructor(
    private readonly cfg: { beta1: number; beta2: number; epsilon: number },
    sizes: Record<string, number>,
  ) {
    for (const [name, size] of Object.entries(sizes)) {
      this.m[name] = new Float64Array(size);
      this.v[name] = new Float64Array(size);
    }
  }

  moments(name: string): { m: Float64Array; v: Float64Array } {
    return { m: this.m[name], v: this.v[name] };
  }

  /** The bias corrections 1 − β^k of the last k (every replica of a step shares them). */
  private k = -1;
  private c1 = 1;
  private c2 = 1;

  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, _r: number, gamma: number, k: number): void {
    const { beta1, beta2, epsilon } = this.cfg;
    if (k !== this.k) {
      this.k = k;
      this.c1 = 1 - Math.pow(beta1, k);
      this.c2 = 1 - Math.pow(beta2, k);
    }
    const { c1, c2 } = this;
    // Same operations in the same order as the textbook line below (each product and quotient
    // rounded as before): 1 − β are the same doubles, m and v are read back as stored.
    //   m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g g;  θ += γ (m / c1) / (√(v / c2) + ε)
    const b1 = 1 - beta1;
    const b2 = 1 - beta2;
    for (const name in grads) {
      const p = params[name];
      const g = grads[name];
      const m = this.m[name];
      const v = this.v[name];
      const o = offsets[name];
      const n = g.length;
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const j = o + i;
        const mj = beta1 * m[j] + b1 * gi;
        const vj = beta2 * v[j] + b2 * gi * gi;
        m[j] = mj;
        v[j] = vj;
        p[j] += (gamma * (mj / c1)) / (Math.sqrt(vj / c2) + epsilon);
      }
    }
  }
}

class KernelElementwise implements KernelOptimizer {
  private readonly state: Record<string, Float64Array> = {};

  constructor(
    private readonly opt: ElementwiseOptimizer,
    sizes: Record<string, number>,
  ) {
    for (const [name, size] of Object.entries(sizes)) this.state[name] = new Float64Array(size * opt.stateSize);
  }

  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, _r: number, gamma: number, k: number): void {
    const n = this.opt.stateSize;
    for (const name in grads) {
      const p = params[name];
      const g = grads[name];
      const o = offsets[name];
      const state = this.state[name];
      for (let i = 0; i < g.length; i++) p[o + i] = this.opt.step(p[o + i], g[i], state, (o + i) * n, gamma, k);
    }
  }
}

/**
 * `sizes`: each parameter's total length over all replicas; `gradSizes`: the longest
 * gradient apply will be given per parameter (default `sizes`); `implementation`:
 * 'js' for this file's loops whatever loads (the run-time port check compares the two).
 */
export function createKernelOptimizer(cfg: OptimizerConfig, sizes: Record<string, number>, gradSizes: Record<string, number> = sizes, implementation: 'auto' | 'js' = 'auto'): KernelOptimizer {
  validateOptimizer(cfg);
  if (cfg.kind === 'custom') return new KernelElementwise(cfg, sizes);
  if (cfg.kind === 'tfjs') throw new RangeError(`optimizer "${cfg.name}" is a TF.js optimiser: it runs on the TF.js trainer (createTrainer picks it), not on a closed-form kernel`);
  const port = implementation === 'auto' ? createWasmOptimizer(cfg, sizes, gradSizes) : null;
  if (port !== null) return port;
  return cfg.kind === 'sgd' ? new KernelSgd() : new KernelAdam(cfg, sizes);
}
