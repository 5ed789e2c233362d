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
   * per-example tf.grad in test/ntk/wide-relu.test.ts.
   */
  tangentKernels(X1: tf.Tensor2D, X2: tf.Tensor2D = X1): GroupKernels {
    const m = this.width;
    const parts: Record<Group, tf.Tensor2D[]> = { W: [], b: [], a: [], b0: [] };
    try {
      for (let r = 0; r < this.R; r++) {
        const k = tf.tidy(() => {
          const Wr = this.params.W.slice([0, r * m], [-1, m]) as tf.Tensor2D;
          const br = this.params.b.slice([0, r * m], [1, m]);
          const ar = this.params.a.slice([0, r * m], [1, m]);
          const factors = (X: tf.Tensor2D) => {
            const H = tf.matMul(X, Wr).add(br);
            return { A: tf.relu(H), delta: tf.step(H).mul(ar) };
          };
          const one = factors(X1);
          const two = X2 === X1 ? one : factors(X2);
          const c = (g: Group) => this.multipliers[g][r] ** 2;
          const dd = tf.matMul(one.delta, two.delta.transpose());
          const xx = tf.matMul(X1, X2.transpose());
          return {
            W: dd.mul(xx).mul(c('W')),
            b: dd.mul(c('b')),
            a: tf.matMul(one.A, two.A.transpose()).mul(c('a')),
            b0: tf.fill([X1.shape[0], X2.shape[0]], c('b0')),
          } as Record<Group, tf.Tensor2D>;
        });
        for (const g of GROUPS) parts[g].push(k[g]);
      }
      return tf.tidy(() => {
        const groups = Object.fromEntries(GROUPS.map((g) => [g, tf.stack(parts[g]) as tf.Tensor3D])) as Record<Group, tf.Tensor3D>;
        return { groups, total: tf.addN(GROUPS.map((g) => groups[g])) as tf.Tensor3D };
      });
    } finally {
      for (const g of GROUPS) for (const t of parts[g]) t.dispose();
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
