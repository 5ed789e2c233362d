/**
 * The wide one-hidden-layer ReLU network of family N ([WH24], on the
 * template of Jacot et al. 2018 and Du et al. 2019) as a replica-batched
 * TensorFlow.js program: R replicas (seeds, and per-replica
 * parameterisations) of one width share one program.
 *
 * NTK parameterisation (CLAIMS.md):
 *   f(x) = (σ_W/√m) aᵀ φ((σ_W/√d) W x + σ_b b) + σ_b b₀,   φ = ReLU, all N(0, 1).
 * Every parameter group g enters as c_g·θ_g (multiplier c_g; trained value θ_g
 * with init N(0, s_g²)) and trains with step η·κ_g:
 *   'ntk'        c = σ_W/√fan_in (σ_b for biases), s = 1, κ = 1;
 *   'standard'   c = 1, s = σ_W/√fan_in (σ_b for biases), κ = 1: the same
 *                function at init, but the tangent kernel grows ∝ m;
 *   'mean-field' output layer scaled by a further 1/√m (readout multiplier
 *                σ_W/m, output bias σ_b/√m) and κ = m for every group: the
 *                tangent kernel is 1/m of the NTK one, so the function-space
 *                step ηκΘ is the same as 'ntk' at initialisation, but each
 *                hidden unit moves √m times further (feature learning, not lazy).
 * Antisymmetric initialisation (Chizat & Bach 2019): hidden units in pairs
 * with identical incoming weights and opposite readout weights, b₀ = 0, so
 * f₀ ≡ 0 while the tangent kernel keeps its limit.
 *
 * Layout and arithmetic (for speed on the WebAssembly backend, whose rank-2
 * matMul without transposes is XNNPACK-fast while batched or transposed
 * matMuls run a slow loop — bench/ntk-gram.bench.ts):
 *   - the stored tensors are the EFFECTIVE weights w_g = c_g θ_g, all replicas
 *     side by side along the unit axis: Wt [d, R·m], b [1, R·m], a [1, R·m],
 *     b0 [1, R]; then H = X·Wt + b is ONE rank-2 matMul for every replica;
 *   - gradients are written out by hand (two rank-2 matMuls) and tested
 *     against tf.grad (test/ntk/wide-relu.test.ts). A step on θ_g becomes
 *     w_g ← w_g − ηκ_g (c_g² ∇_w L + λ(w_g − w̄_g)) for ridge λ toward w̄_g,
 *     the same iterates as GD on θ;
 *   - the tangent kernel w.r.t. θ is Σ_g c_g² J_{w_g} J_{w_g}ᵀ with the closed
 *     per-example structure of a one-hidden-layer net (tangentKernels).
 *
 * All randomness is drawn in JS from each replica's own stream
 * RandomStream.at(seed, 'wide-relu-init', group), so a replica's network does
 * not depend on its batch-mates.
 */
import { tf } from '../../engine/backend.ts';
import { RandomStream } from '../../engine/rng.ts';
import { autodiffTangentKernel } from './empirical-ntk.ts';
import { wideReluLoss } from './wide-relu-loss.ts';
import { firstDifference } from '../../engine/wasm-backend.ts';
import { PortCheckSchedule } from '../../engine/wasm-kernel.ts';

export type Parameterisation = 'ntk' | 'standard' | 'mean-field';
export const PARAMETERISATIONS: readonly Parameterisation[] = ['ntk', 'standard', 'mean-field'];

export const GROUPS = ['W', 'b', 'a', 'b0'] as const;
export type Group = (typeof GROUPS)[number];

export interface WideReluArchitecture {
  /** Input dimension d. */
  d: number;
  /** Hidden width m (even when any replica uses antisymmetric initialisation). */
  width: number;
  sigmaW: number;
  sigmaB: number;
}

export interface WideReluReplica {
  label: string;
  seed: number;
  parameterisation: Parameterisation;
  antisymmetric: boolean;
}

/** Multiplier c, init std s and step-size scale κ of one parameter group. */
export interface GroupScale {
  multiplier: number;
  initStd: number;
  lrScale: number;
}

export function validateArchitecture(arch: WideReluArchitecture): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} = ${v}; allowed an integer ≥ ${min}`);
  };
  int('input dimension d', arch.d, 1);
  int('width m', arch.width, 1);
  if (!(arch.sigmaW > 0) || !Number.isFinite(arch.sigmaW)) throw new RangeError(`σ_W = ${arch.sigmaW}; allowed a finite σ_W > 0`);
  if (!(arch.sigmaB >= 0) || !Number.isFinite(arch.sigmaB)) throw new RangeError(`σ_b = ${arch.sigmaB}; allowed a finite σ_b ≥ 0`);
}

/** The scale of every group under a parameterisation. */
export function groupScales(arch: WideReluArchitecture, p: Parameterisation): Record<Group, GroupScale> {
  const { d, width: m, sigmaW, sigmaB } = arch;
  if (!PARAMETERISATIONS.includes(p)) throw new RangeError(`parameterisation "${p}"; allowed ${PARAMETERISATIONS.join(', ')}`);
  const scaled = (natural: number): GroupScale =>
    p === 'standard' ? { multiplier: 1, initStd: natural, lrScale: 1 } : { multiplier: natural, initStd: 1, lrScale: p === 'mean-field' ? m : 1 };
  return {
    W: scaled(sigmaW / Math.sqrt(d)),
    b: scaled(sigmaB),
    a: p === 'mean-field' ? { multiplier: sigmaW / m, initStd: 1, lrScale: m } : scaled(sigmaW / Math.sqrt(m)),
    // The whole output layer carries the extra 1/√m, so every group's tangent kernel is 1/m of the NTK one.
    b0: p === 'mean-field' ? { multiplier: sigmaB / Math.sqrt(m), initStd: 1, lrScale: m } : scaled(sigmaB),
  };
}

/**
 * One replica's initial TRAINED parameters θ (float64), row-major:
 * W [m, d], b [m], a [m], b0 [1].
 */
export function initialParams(arch: WideReluArchitecture, replica: WideReluReplica): Record<Group, Float64Array> {
  validateArchitecture(arch);
  const scales = groupScales(arch, replica.parameterisation);
  const { width: m, d } = arch;
  if (replica.antisymmetric && m % 2 !== 0) throw new RangeError(`antisymmetric initialisation needs an even width, got m = ${m}`);
  const per: Record<Group, number> = { W: d, b: 1, a: 1, b0: 1 };
  const out = {} as Record<Group, Float64Array>;
  for (const g of GROUPS) {
    const rows = g === 'b0' ? 1 : m;
    const values = new Float64Array(rows * per[g]);
    const rng = RandomStream.at(replica.seed, 'wide-relu-init', g);
    const std = scales[g].initStd;
    if (g === 'b0' && replica.antisymmetric) {
      // f₀ ≡ 0 needs the output bias at 0 too.
    } else if (replica.antisymmetric && g !== 'b0') {
      // Units i and i + m/2 share incoming weights; their readout weights are opposite.
      const half = (m / 2) * per[g];
      for (let i = 0; i < half; i++) values[i] = std * rng.normal();
      for (let i = 0; i < half; i++) values[half + i] = g === 'a' ? -values[i] : values[i];
    } else {
      for (let i = 0; i < values.length; i++) values[i] = std * rng.normal();
    }
    out[g] = values;
  }
  return out;
}

let variableCounter = 0;

/** Per-group empirical tangent kernels w.r.t. θ, each [R, n1, n2]; `total` is their sum. */
export interface GroupKernels {
  groups: Record<Group, tf.Tensor3D>;
  total: tf.Tensor3D;
}

export class WideReluBatch {
  readonly R: number;
  readonly width: number;
  /** When lossGradients compares the fused module with its ops (wasm-kernel.ts). */
  private readonly lossChecks = new PortCheckSchedule();
  /** Effective weights w_g = c_g θ_g: Wt [d, R·m], b [1, R·m], a [1, R·m], b0 [1, R]. */
  readonly params: Record<Group, tf.Variable>;
  /** Per group and replica: multiplier c and step-size scale κ. */
  readonly multipliers: Record<Group, Float64Array>;
  readonly lrScales: Record<Group, Float64Array>;

  constructor(
    readonly arch: WideReluArchitecture,
    readonly replicas: readonly WideReluReplica[],
  ) {
    validateArchitecture(arch);
    if (replicas.length === 0) throw new RangeError('a replica batch needs at least one replica');
    const R = (this.R = replicas.length);
    const m = (this.width = arch.width);
    const d = arch.d;
    const scales = replicas.map((r) => groupScales(arch, r.parameterisation));
    this.multipliers = {} as Record<Group, Float64Array>;
    this.lrScales = {} as Record<Group, Float64Array>;
    for (const g of GROUPS) {
      this.multipliers[g] = Float64Array.from(scales, (s) => s[g].multiplier);
      this.lrScales[g] = Float64Array.from(scales, (s) => s[g].lrScale);
    }
    const Wt = new Float32Array(d * R * m);
    const b = new Float32Array(R * m);
    const a = new Float32Array(R * m);
    const b0 = new Float32Array(R);
    replicas.forEach((rep, r) => {
      const theta = initialParams(arch, rep);
      const c = scales[r];
      for (let i = 0; i < m; i++) {
        for (let k = 0; k < d; k++) Wt[k * R * m + r * m + i] = c.W.multiplier * theta.W[i * d + k];
        b[r * m + i] = c.b.multiplier * theta.b[i];
        a[r * m + i] = c.a.multiplier * theta.a[i];
      }
      b0[r] = c.b0.multiplier * theta.b0[0];
    });
    // tf.variable copies its initial value: dispose the temporary.
    const v = (t: tf.Tensor, name: string) => {
      const variable = tf.variable(t, true, `wide-relu/${name}/${variableCounter++}`);
      t.dispose();
      return variable;
    };
    this.params = {
      W: v(tf.tensor2d(Wt, [d, R * m]), 'W'),
      b: v(tf.tensor2d(b, [1, R * m]), 'b'),
      a: v(tf.tensor2d(a, [1, R * m]), 'a'),
      b0: v(tf.tensor2d(b0, [1, R]), 'b0'),
    };
  }

  /** A per-replica [R] vector repeated along the unit axis: [1, R·m] (b0: [1, R]), broadcasting against the stored tensor. */
  expandPerReplica(group: Group, values: ArrayLike<number>): tf.Tensor {
    if (values.length !== this.R) throw new RangeError(`need ${this.R} per-replica values, got ${values.length}`);
    if (group === 'b0') return tf.tensor2d(Float32Array.from(values), [1, this.R]);
    const m = this.width;
    const out = new Float32Array(this.R * m);
    for (let r = 0; r < this.R; r++) out.fill(values[r], r * m, (r + 1) * m);
    return tf.tensor2d(out, [1, this.R * m]);
  }

  /** View a stored tensor as [rows, R, m] (b0 stays [1, R]). */
  private split(t: tf.Tensor): tf.Tensor3D {
    return t.reshape([t.shape[0], this.R, this.width]) as tf.Tensor3D;
  }

  /** Outputs [R, n] at inputs X [n, d] (shared by every replica); `params` defaults to the variables. */
  forward(X: tf.Tensor2D, params: Record<Group, tf.Tensor> = this.params): tf.Tensor2D {
    return tf.tidy(() => {
      const H = tf.matMul(X, params.W as tf.Tensor2D).add(params.b);
      const A = this.split(tf.relu(H));
      const f = A.mul(this.split(params.a)).sum(2).add(params.b0); // [n, R]
      return f.transpose() as tf.Tensor2D;
    });
  }

  /**
   * Outputs [R, n] and the gradients of Σ_r (1/(2n)) ‖f_r − y‖² w.r.t. the
   * stored effective weights, by hand: with g = (f − y)/n and δ = 1[H > 0] ⊙ a,
   *   ∇a = Σ_i g_i φ(H_i),  ∇Wt = Xᵀ (g ⊙ δ),  ∇b = Σ_i g_i δ_i,  ∇b0 = Σ_i g_i.
   * `Xt` is Xᵀ [d, n], passed in so the big matMul runs without a transpose.
   */
  lossGradients(X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D): { f: tf.Tensor2D; grads: Record<Group, tf.Tensor> } {
    return tf.tidy(() => {
      // Between the two products, one WebAssembly module where it runs (wide-relu-loss.ts: the bits of the ops below).
      const fused = wideReluLoss({ X, W: this.params.W, b: this.params.b, a: this.params.a, b0: this.params.b0, y, R: this.R, m: this.width });
      if (fused === null) return this.lossGradientsOps(X, Xt, y);
      const grads: Record<Group, tf.Tensor> = { W: tf.matMul(Xt, fused.dH), b: fused.gb, a: fused.ga, b0: fused.g.sum(0, true) };
      const out = { f: fused.f.transpose() as tf.Tensor2D, grads };
      // Compared with the ops during the run (PortCheckSchedule: this network's first call, every 1024th).
      if (this.lossChecks.due()) {
        const spec = this.lossGradientsOps(X, Xt, y);
        for (const [name, port, ops] of [['f', out.f, spec.f], ...(Object.keys(grads) as Group[]).map((k) => [k, grads[k], spec.grads[k]] as const)] as const) {
          const where = firstDifference(port, ops);
          if (where !== null) throw new Error(`the wide ReLU network's fused loss gradient (wide-relu-loss.ts) differs from its ops in ${name}, ${where}`);
        }
      }
      return out;
    });
  }

  /** lossGradients by TensorFlow.js ops: the specification of wide-relu-loss.ts's module, and what runs where it does not. */
  lossGradientsOps(X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D): { f: tf.Tensor2D; grads: Record<Group, tf.Tensor> } {
    return tf.tidy(() => {
      const n = X.shape[0];
      const H = tf.matMul(X, this.params.W).add(this.params.b);
      const A = this.split(tf.relu(H)); // [n, R, m]
      const f = A.mul(this.split(this.params.a)).sum(2).add(this.params.b0); // [n, R]
      const g = f.sub(y).div(n); // y: [n, 1]
      const g3 = g.expandDims(2); // [n, R, 1]
      const dH = this.split(tf.step(H)).mul(this.split(this.params.a)).mul(g3); // [n, R, m]
      const dHflat = dH.reshape([n, this.R * this.width]);
      const grads: Record<Group, tf.Tensor> = {
        W: tf.matMul(Xt, dHflat),
        b: dHflat.sum(0, true),
        a: A.mul(g3).sum(0).reshape([1, this.R * this.width]),
        b0: g.sum(0, true),
      };
      return { f: f.transpose() as tf.Tensor2D, grads };
    });
  }

  /**
   * Empirical tangent kernel J_θ J_θᵀ per group, [R, n1, n2] each, with
   * A = φ(H), δ = 1[H > 0] ⊙ a (both w.r.t. effective weights):
   *   Θ_W = c_W² (δ₁δ₂ᵀ) ⊙ (X₁X₂ᵀ),  Θ_b = c_b² δ₁δ₂ᵀ,  Θ_a = c_a² A₁A₂ᵀ,  Θ_b0 = c_b0².
   * One replica at a time with rank-2 matMuls (fast path); verified against
   * per-example tf.grad in test/ntk/wide-relu.test.ts and, in the claims,
   * against autodiffTangentKernels.
   */
  tangentKernels(X1: tf.Tensor2D, X2: tf.Tensor2D = X1): GroupKernels {
    const n1 = X1.shape[0];
    const n2 = X2.shape[0];
    const parts: Record<Group, tf.Tensor2D[]> = { W: [], b: [], a: [], b0: [] };
    const pre = this.preActivations(X1, X2);
    try {
      for (let r = 0; r < this.R; r++) {
        const k = tf.tidy(() => {
          const u = this.unitKernels(pre, r, 1);
          return Object.fromEntries(GROUPS.map((g) => [g, u[g].reshape([n1, n2])])) as Record<Group, tf.Tensor2D>;
        });
        for (const g of GROUPS) parts[g].push(k[g]);
      }
      return tf.tidy(() => {
        const groups = Object.fromEntries(GROUPS.map((g) => [g, tf.stack(parts[g]) as tf.Tensor3D])) as Record<Group, tf.Tensor3D>;
        return { groups, total: tf.addN(GROUPS.map((g) => groups[g])) as tf.Tensor3D };
      });
    } finally {
      for (const g of GROUPS) for (const t of parts[g]) t.dispose();
      pre.xx.dispose();
    }
  }

  /**
   * The same kernels split by blocks of hidden units: replica r's units in
   * `blocks` blocks of m/blocks units each, [R·blocks, n1, n2] per group
   * (block k of replica r at index r·blocks + k; b0, not a unit parameter, is
   * left out). Σ over a replica's blocks of W, b, a plus c_b0² is its
   * tangentKernels total (the same code computes both). For an
   * antisymmetric replica a block holds whole pairs (units i and i + m/2),
   * so at initialisation the blocks are i.i.d. (src/claims/ntk/shared/kernel-mean.ts).
   */
  blockKernels(X1: tf.Tensor2D, X2: tf.Tensor2D, blocks: number, replicas: readonly number[] = Array.from({ length: this.R }, (_, r) => r)): Record<'W' | 'b' | 'a', tf.Tensor3D> {
    const m = this.width;
    if (!Number.isInteger(blocks) || blocks < 1 || m % (2 * blocks) !== 0) {
      throw new RangeError(`blocks = ${blocks}; allowed an integer ≥ 1 with 2·blocks dividing the width ${m}`);
    }
    const parts: Record<'W' | 'b' | 'a', tf.Tensor3D[]> = { W: [], b: [], a: [] };
    const pre = this.preActivations(X1, X2);
    try {
      for (const r of replicas) {
        const k = tf.tidy(() => {
          const u = this.unitKernels(pre, r, blocks);
          return { W: u.W, b: u.b, a: u.a };
        });
        for (const g of ['W', 'b', 'a'] as const) parts[g].push(k[g]);
      }
      return tf.tidy(() => ({ W: tf.concat(parts.W) as tf.Tensor3D, b: tf.concat(parts.b) as tf.Tensor3D, a: tf.concat(parts.a) as tf.Tensor3D }));
    } finally {
      for (const list of Object.values(parts)) for (const t of list) t.dispose();
      pre.xx.dispose();
    }
  }

  /**
   * Pre-activations H = X·W + b of every replica at X1 and X2 (one rank-2
   * matMul each), downloaded with the readout weights: a replica's columns
   * are then copied out in JavaScript (slicing a column range of a [n, R·m]
   * tensor costs ~10 ms per replica on the WebAssembly backend at m = 4096).
   */
  private preActivations(X1: tf.Tensor2D, X2: tf.Tensor2D) {
    const h = (X: tf.Tensor2D) => {
      const H = tf.tidy(() => tf.matMul(X, this.params.W).add(this.params.b));
      const values = H.dataSync() as Float32Array;
      H.dispose();
      return values;
    };
    const H1 = h(X1);
    return { n1: X1.shape[0], n2: X2.shape[0], H1, H2: X2 === X1 ? H1 : h(X2), a: this.params.a.dataSync() as Float32Array, xx: tf.tidy(() => tf.matMul(X1, X2.transpose())) as tf.Tensor2D };
  }

  /**
   * Column (in the stored [·, R·m] layout) of unit j of block k of replica r
   * at index k·(m/blocks) + j: consecutive units, or for an antisymmetric
   * replica units k·h..(k+1)·h followed by their partners + m/2
   * (h = m/(2·blocks)), so that a block holds whole pairs.
   */
  private blockOrder(r: number, blocks: number): Int32Array {
    const m = this.width;
    const b = m / blocks;
    const anti = this.replicas[r].antisymmetric;
    const unit = (k: number, j: number) => (anti && blocks > 1 ? (j < b / 2 ? k * (b / 2) + j : m / 2 + k * (b / 2) + j - b / 2) : k * b + j);
    const order = new Int32Array(m);
    for (let k = 0; k < blocks; k++) for (let j = 0; j < b; j++) order[k * b + j] = r * m + unit(k, j);
    return order;
  }

  /**
   * Per block of blockKernels (same blocks, same order): the block's means
   * of a_θ², ‖W_θ‖²/d and b_θ² over its units (θ = w/c, the trained
   * parameters). Under the NTK parameterisation's N(0, 1) initialisation each
   * has expectation 1 exactly: the kernel mean test's primary controls (the
   * hidden layer's kernel carries the factor a², the readout's the scale
   * of ‖W‖ and b). Returns [replicas.length·blocks] vectors of 3.
   */
  blockParameterMoments(blocks: number, replicas: readonly number[] = Array.from({ length: this.R }, (_, r) => r)): Float64Array[] {
    const m = this.width;
    const d = this.arch.d;
    const Rm = this.R * m;
    const b = m / blocks;
    const [W, bias, a] = [this.params.W.dataSync(), this.params.b.dataSync(), this.params.a.dataSync()];
    const out: Float64Array[] = [];
    for (const r of replicas) {
      const order = this.blockOrder(r, blocks);
      const [cW, cb, ca] = [this.multipliers.W[r], this.multipliers.b[r], this.multipliers.a[r]];
      for (let k = 0; k < blocks; k++) {
        const v = new Float64Array(3);
        for (let j = 0; j < b; j++) {
          const col = order[k * b + j];
          v[0] += (a[col] / ca) ** 2;
          let w2 = 0;
          for (let q = 0; q < d; q++) w2 += (W[q * Rm + col] / cW) ** 2;
          v[1] += w2 / d;
          v[2] += cb > 0 ? (bias[col] / cb) ** 2 : 1; // σ_b = 0: no bias to measure.
        }
        for (let q = 0; q < 3; q++) v[q] /= b;
        out.push(v);
      }
    }
    return out;
  }

  /**
   * Replica r's per-group kernels over `blocks` blocks of its units,
   * [blocks, n1, n2] each (b0: [1, n1, n2]): the factors A = φ(H) and
   * δ = 1[H > 0] ⊙ a of the block's units, then their Gram matrices. A block
   * of an antisymmetric replica holds units k·h..(k+1)·h and their partners
   * + m/2 (h = m/(2·blocks)). Call inside tf.tidy.
   */
  private unitKernels(pre: ReturnType<WideReluBatch['preActivations']>, r: number, blocks: number): Record<Group, tf.Tensor3D> {
    const m = this.width;
    const Rm = this.R * m;
    const b = m / blocks;
    const order = this.blockOrder(r, blocks);
    const byBlock = (H: Float32Array, n: number) => {
      const out = new Float32Array(blocks * n * b);
      for (let k = 0; k < blocks; k++) for (let i = 0; i < n; i++) for (let j = 0; j < b; j++) out[(k * n + i) * b + j] = H[i * Rm + order[k * b + j]];
      return tf.tensor3d(out, [blocks, n, b]);
    };
    const aOrdered = new Float32Array(order.length);
    for (let q = 0; q < order.length; q++) aOrdered[q] = pre.a[order[q]];
    const aBlock = tf.tensor3d(aOrdered, [blocks, 1, b]);
    const factors = (H: Float32Array, n: number) => {
      const Hb = byBlock(H, n);
      return { A: tf.relu(Hb) as tf.Tensor3D, delta: tf.step(Hb).mul(aBlock) as tf.Tensor3D };
    };
    const one = factors(pre.H1, pre.n1);
    const two = pre.H2 === pre.H1 ? one : factors(pre.H2, pre.n2);
    // Rank-2 matMul with an explicit transpose is the backend's fast path; batched matMul a slow loop.
    const gram = (P: tf.Tensor3D, Q: tf.Tensor3D) =>
      blocks === 1 ? (tf.matMul(P.squeeze([0]) as tf.Tensor2D, (Q.squeeze([0]) as tf.Tensor2D).transpose()).expandDims(0) as tf.Tensor3D) : tf.matMul(P, Q, false, true);
    const c = (g: Group) => this.multipliers[g][r] ** 2;
    const dd = gram(one.delta, two.delta);
    return {
      W: dd.mul(pre.xx).mul(c('W')),
      b: dd.mul(c('b')),
      a: gram(one.A, two.A).mul(c('a')),
      b0: tf.fill([1, pre.n1, pre.n2], c('b0')),
    } as Record<Group, tf.Tensor3D>;
  }

  /**
   * The tangent kernels by TensorFlow.js autodiff through `forward`, one
   * backward pass per example (per-example gradients,
   * src/models/ntk/empirical-ntk.ts): the parameters are taken as θ in
   * per-replica layout [R, ...] and mapped to the stored effective weights
   * w = cθ inside the differentiated function, so the chain rule supplies
   * the multipliers; row i of replica r's Jacobian is ∂f_r(x_i)/∂θ_r and
   * Θ_g = J_g J_gᵀ. Independent of tangentKernels' hand-written structure;
   * the claims use it to check that structure on their own replicas.
   * Memory n·R·m·(d + 2) floats: meant for small widths.
   */
  autodiffTangentKernels(X1: tf.Tensor2D, X2: tf.Tensor2D = X1): GroupKernels {
    const R = this.R;
    const m = this.width;
    const d = this.arch.d;
    const n1 = X1.shape[0];
    const X = X2 === X1 ? X1 : (tf.concat([X1, X2]) as tf.Tensor2D);
    const scale = Object.fromEntries(GROUPS.map((g) => [g, this.expandPerReplica(g, this.multipliers[g])])) as Record<Group, tf.Tensor>;
    // θ per replica: W [R, m, d], b and a [R, m], b0 [R, 1].
    const theta = tf.tidy(() => ({
      W: this.params.W.div(scale.W).reshape([d, R, m]).transpose([1, 2, 0]),
      b: this.params.b.div(scale.b).reshape([R, m]),
      a: this.params.a.div(scale.a).reshape([R, m]),
      b0: this.params.b0.div(scale.b0).reshape([R, 1]),
    })) as Record<Group, tf.Tensor>;
    try {
      const k = autodiffTangentKernel({
        params: theta,
        n: X.shape[0],
        exampleOutput: (p, i) => {
          const w: Record<Group, tf.Tensor> = {
            W: p.W.transpose([2, 0, 1]).reshape([d, R * m]).mul(scale.W),
            b: p.b.reshape([1, R * m]).mul(scale.b),
            a: p.a.reshape([1, R * m]).mul(scale.a),
            b0: p.b0.reshape([1, R]).mul(scale.b0),
          };
          return this.forward(X.slice([i, 0], [1, d]) as tf.Tensor2D, w).reshape([R]) as tf.Tensor1D;
        },
        groups: { W: ['W'], b: ['b'], a: ['a'], b0: ['b0'] },
      });
      if (X === X1) return { groups: k.groups as Record<Group, tf.Tensor3D>, total: k.total };
      // Rows of X1 against rows of X2: the off-diagonal block of the stacked inputs' kernel.
      const cut = (t: tf.Tensor3D) => t.slice([0, 0, n1], [R, n1, X2.shape[0]]) as tf.Tensor3D;
      const out = tf.tidy(() => ({ groups: Object.fromEntries(GROUPS.map((g) => [g, cut(k.groups[g])])) as Record<Group, tf.Tensor3D>, total: cut(k.total) }));
      tf.dispose([k.total, ...Object.values(k.groups)]);
      return out;
    } finally {
      tf.dispose([...Object.values(scale), ...Object.values(theta)]);
      if (X !== X1) X.dispose();
    }
  }

  /**
   * The trained parameters θ = w/c of one replica, in the parameter layout of
   * initialParams (for tests and the autodiff reference).
   */
  replicaTheta(r: number): Record<Group, Float64Array> {
    const { d } = this.arch;
    const m = this.width;
    const R = this.R;
    const Wt = this.params.W.dataSync();
    const b = this.params.b.dataSync();
    const a = this.params.a.dataSync();
    const b0 = this.params.b0.dataSync();
    const c = (g: Group) => this.multipliers[g][r];
    const W = new Float64Array(m * d);
    for (let i = 0; i < m; i++) for (let k = 0; k < d; k++) W[i * d + k] = Wt[k * R * m + r * m + i] / c('W');
    return {
      W,
      b: Float64Array.from({ length: m }, (_, i) => b[r * m + i] / c('b')),
      a: Float64Array.from({ length: m }, (_, i) => a[r * m + i] / c('a')),
      b0: Float64Array.of(b0[r] / c('b0')),
    };
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/**
 * One replica's output in the parameterisation of the claims, written
 * directly from θ with plain tf ops (no layout tricks): the reference the
 * batched program, its hand-written gradients and its tangent kernels are
 * tested against via tf.grad.
 */
export function referenceOutput(arch: WideReluArchitecture, p: Parameterisation, theta: Record<Group, tf.Tensor>, X: tf.Tensor2D): tf.Tensor1D {
  const s = groupScales(arch, p);
  return tf.tidy(() => {
    const H = tf.matMul(X, (theta.W as tf.Tensor2D).mul(s.W.multiplier), false, true).add((theta.b as tf.Tensor1D).mul(s.b.multiplier));
    const out = tf.relu(H).matMul((theta.a as tf.Tensor1D).mul(s.a.multiplier).expandDims(1)).squeeze([1]);
    return out.add((theta.b0 as tf.Tensor1D).mul(s.b0.multiplier)) as tf.Tensor1D;
  });
}
