/**
 * The stochastic latent network of [WH24] (a VAE latent layer in the NTK
 * regime) as a replica-batched TensorFlow.js program:
 *   μ_r(x) = (σ_W/√d) u_rᵀx + σ_b b_r,   ρ_r(x) = (σ_W/√d) v_rᵀx + σ_b c_r,
 *   s_r = softplus(ρ_r),   z_{rk} = μ_r + s_r ε_{rk}   (reparameterised),
 *   f(x) = (1/√m) Σ_r a_r ḡ_r(x),   ḡ_r(x) = (1/K) Σ_k ψ(z_{rk}(x)),   ψ = ReLU,
 * all parameters N(0, 1). The analysed output is the noise average
 * E_ε ψ(μ + sε); the engine estimates it with a FIXED set of K noise draws
 * per latent unit (drawn at initialisation, shared by all inputs and steps).
 *
 * Noise draws:
 *   'stratified' ε_{rk} = Φ⁻¹((k + U_{rk})/K), U uniform: one draw per
 *     probability stratum. Unbiased for every unit's noise average, with a
 *     variance far below the O(K⁻¹) of plain draws; the bias it leaves in the
 *     empirical kernel, E[Cov(ḡ(x), ḡ(x'))], is bounded in
 *     test/ntk/kernels.test.ts (for the indicator features by 1/(4K²)).
 *   'iid' K plain N(0, 1) draws; K = 1 is the single-sample falsifier, whose
 *     kernel converges to a different limit (the noise shared across inputs
 *     adds E[Cov_ε(ψ(z), ψ(z'))]).
 * Antisymmetric initialisation pairs units (identical u, v, b, c and noise,
 * opposite a) so f₀ ≡ 0.
 *
 * Parameterisations (per batch, StochasticArchitecture.parameterisation):
 *   'ntk'       (default) the multipliers above — σ_W/√d on u and v, σ_b on
 *               b and c, 1/√m on the readout — and N(0, 1) parameters;
 *   'standard'  no multipliers (all 1) and the parameters drawn with those
 *               scales as standard deviations instead (u, v ~ N(0, σ_W²/d),
 *               b, c ~ N(0, σ_b²), a ~ N(0, 1/m)): the same function at
 *               initialisation, but the tangent kernel w.r.t. the stored
 *               parameters changes — the readout's grows ∝ m, the heads' use
 *               XXᵀ + 1 in place of σ_W² XXᵀ/d + σ_b² (the falsifier of
 *               ntk-min-eigenvalue, as for the wide ReLU network's 'standard').
 *
 * Parameter groups for the per-group tangent kernels: readout {a}, mean head
 * {u, b}, variance head {v, c}.
 *
 * Layout (as src/models/ntk/wide-relu.ts, for the WebAssembly backend's fast
 * rank-2 matMul): all replicas side by side along the unit axis, Ut and Vt
 * [d, R·m], b, c, a [1, R·m], noise [1, R·m, K]; gradients by hand, tested
 * against tf.grad (test/ntk/stochastic-latent.test.ts).
 */
import { tf } from '../../engine/backend.ts';
import { RandomStream } from '../../engine/rng.ts';
import { normalQuantileFast } from '../../stats/normal.ts';
import type { StochasticGroup } from '../../kernels/stochastic-ntk.ts';
import { autodiffTangentKernel } from './empirical-ntk.ts';
import { sortNoise, stochasticLossGradients, stochasticLossWork, type SortedNoise, type StochasticLossWork } from './stochastic-latent-loss.ts';

export type NoiseDraws = 'stratified' | 'iid';

export type StochasticParameterisation = 'ntk' | 'standard';
export const STOCHASTIC_PARAMETERISATIONS: readonly StochasticParameterisation[] = ['ntk', 'standard'];

export interface StochasticArchitecture {
  d: number;
  width: number;
  sigmaW: number;
  sigmaB: number;
  /** Noise draws per latent unit. */
  samples: number;
  /** Default 'ntk' (see the top of this file). */
  parameterisation?: StochasticParameterisation;
}

/**
 * Multipliers of the heads' inputs (c_W on u and v, c_b on b and c), the
 * divisor of the readout (√m: f = (1/√m) Σ a ḡ) and every parameter's
 * initial standard deviation, under the architecture's parameterisation.
 */
export function stochasticScales(arch: StochasticArchitecture): { cW: number; cB: number; readoutDivisor: number; gramDivisor: number; initStd: Record<StochasticParam, number> } {
  // gramDivisor = readoutDivisor², kept exact (m itself) for the per-unit Gram sums of the kernels.
  const natural = { cW: arch.sigmaW / Math.sqrt(arch.d), cB: arch.sigmaB, readoutDivisor: Math.sqrt(arch.width), gramDivisor: arch.width };
  if ((arch.parameterisation ?? 'ntk') === 'ntk') return { ...natural, initStd: { u: 1, b: 1, v: 1, c: 1, a: 1 } };
  return {
    cW: 1,
    cB: 1,
    readoutDivisor: 1,
    gramDivisor: 1,
    initStd: { u: natural.cW, b: natural.cB, v: natural.cW, c: natural.cB, a: 1 / natural.readoutDivisor },
  };
}

export interface StochasticReplica {
  label: string;
  seed: number;
  noise: NoiseDraws;
  antisymmetric: boolean;
}

export const STOCHASTIC_PARAM_GROUPS: Record<StochasticGroup, string[]> = {
  readout: ['a'],
  mean: ['u', 'b'],
  variance: ['v', 'c'],
};

const PARAM_NAMES = ['u', 'b', 'v', 'c', 'a'] as const;

export function validateStochasticArchitecture(arch: StochasticArchitecture): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} = ${v}; allowed an integer ≥ ${min}`);
  };
  int('input dimension d', arch.d, 1);
  int('width m', arch.width, 1);
  int('noise draws K', arch.samples, 1);
  if (!(arch.sigmaW > 0) || !Number.isFinite(arch.sigmaW)) throw new RangeError(`σ_W = ${arch.sigmaW}; allowed a finite σ_W > 0`);
  if (!(arch.sigmaB >= 0) || !Number.isFinite(arch.sigmaB)) throw new RangeError(`σ_b = ${arch.sigmaB}; allowed a finite σ_b ≥ 0`);
  const p = arch.parameterisation ?? 'ntk';
  if (!STOCHASTIC_PARAMETERISATIONS.includes(p)) throw new RangeError(`parameterisation "${p}"; allowed ${STOCHASTIC_PARAMETERISATIONS.join(', ')}`);
}

/** One replica's initial parameters and noise draws (float32). */
export function stochasticInitialState(arch: StochasticArchitecture, replica: StochasticReplica): { params: Record<string, Float32Array>; noise: Float32Array } {
  const { d, width: m, samples: K } = arch;
  if (replica.antisymmetric && m % 2 !== 0) throw new RangeError(`antisymmetric initialisation needs an even width, got m = ${m}`);
  const units = replica.antisymmetric ? m / 2 : m;
  const sizes: Record<string, number> = { u: d, b: 1, v: d, c: 1, a: 1 };
  const params: Record<string, Float32Array> = {};
  const { initStd } = stochasticScales(arch);
  for (const name of PARAM_NAMES) {
    const per = sizes[name];
    const values = new Float32Array(m * per);
    const rng = RandomStream.at(replica.seed, 'stochastic-latent-init', name);
    const std = initStd[name];
    for (let i = 0; i < units * per; i++) values[i] = std === 1 ? rng.normal() : std * rng.normal();
    if (replica.antisymmetric) {
      for (let i = 0; i < units * per; i++) values[units * per + i] = name === 'a' ? -values[i] : values[i];
    }
    params[name] = values;
  }
  const noise = new Float32Array(m * K);
  const rng = RandomStream.at(replica.seed, 'stochastic-latent-noise', replica.noise);
  for (let r = 0; r < units; r++) {
    for (let k = 0; k < K; k++) {
      // AS 241, not normalQuantile: the same float32 values (normalQuantileFast) at 1/45 of the cost.
      noise[r * K + k] = replica.noise === 'stratified' ? normalQuantileFast((k + Math.max(rng.uniform(), Number.EPSILON)) / K) : rng.normal();
    }
  }
  if (replica.antisymmetric) noise.copyWithin(units * K, 0, units * K);
  return { params, noise };
}

let variableCounter = 0;

/**
 * The replicas' parameters (stochasticInitialState's, u and v [m, d] row-major)
 * as variables in the stored layout — Ut, Vt [d, R·m]; b, c, a [1, R·m],
 * replica r's units at columns r·m..(r+1)·m — with unit multipliers and
 * step-size scales: shared by the sampled and the noise-averaged networks.
 */
export function storedLayoutVariables(
  states: readonly { params: Record<StochasticParam, Float32Array> }[],
  d: number,
  m: number,
  prefix: string,
): { params: Record<StochasticParam, tf.Variable>; multipliers: Record<StochasticParam, Float64Array>; lrScales: Record<StochasticParam, Float64Array> } {
  const R = states.length;
  const params = {} as Record<StochasticParam, tf.Variable>;
  const multipliers = {} as Record<StochasticParam, Float64Array>;
  const lrScales = {} as Record<StochasticParam, Float64Array>;
  for (const name of PARAM_NAMES) {
    const rows = name === 'u' || name === 'v' ? d : 1;
    const flat = new Float32Array(rows * R * m);
    states.forEach((st, r) => {
      const src = st.params[name];
      for (let i = 0; i < m; i++) for (let k = 0; k < rows; k++) flat[k * R * m + r * m + i] = src[i * rows + k];
    });
    const initial = tf.tensor2d(flat, [rows, R * m]);
    params[name] = tf.variable(initial, true, `${prefix}/${name}/${variableCounter++}`);
    initial.dispose();
    multipliers[name] = new Float64Array(R).fill(1);
    lrScales[name] = new Float64Array(R).fill(1);
  }
  return { params, multipliers, lrScales };
}

/** The parameter of each entry of blockParameterMoments (a², ‖u‖²/d, b², ‖v‖²/d, c²). */
const MOMENT_PARAMS = ['a', 'u', 'b', 'v', 'c'] as const;

export type StochasticParam = (typeof PARAM_NAMES)[number];

/** Per-replica KL weights for lossGradients: the loss adds w_r · (1/n) Σ_i Σ_units KL. */
export type KlWeights = Float64Array;

export class StochasticLatentBatch {
  readonly R: number;
  readonly width: number;
  /** Stored parameters θ (multipliers are fixed constants): Ut, Vt [d, R·m]; b, c, a [1, R·m]. */
  readonly params: Record<StochasticParam, tf.Variable>;
  readonly multipliers: Record<StochasticParam, Float64Array>;
  readonly lrScales: Record<StochasticParam, Float64Array>;
  /** Fixed noise draws [1, R·m, K]. */
  readonly noise: tf.Tensor3D;
  private readonly cW: number;
  private readonly cB: number;
  /** √m under the NTK parameterisation (f = (1/√m) Σ a ḡ), 1 under the standard one; gramDivisor its square. */
  private readonly readoutDivisor: number;
  private readonly gramDivisor: number;
  private readonly initStd: Record<StochasticParam, number>;
  /** lossGradients' sorted noise draws (the noise is fixed) and work arrays, made on first use. */
  private sortedNoise: SortedNoise | null = null;
  private lossWork: StochasticLossWork | null = null;

  constructor(
    readonly arch: StochasticArchitecture,
    readonly replicas: readonly StochasticReplica[],
  ) {
    validateStochasticArchitecture(arch);
    if (replicas.length === 0) throw new RangeError('a replica batch needs at least one replica');
    const R = (this.R = replicas.length);
    const { d, width: m, samples: K } = arch;
    this.width = m;
    const states = replicas.map((r) => stochasticInitialState(arch, r));
    ({ params: this.params, multipliers: this.multipliers, lrScales: this.lrScales } = storedLayoutVariables(states, d, m, 'stochastic-latent'));
    const noise = new Float32Array(R * m * K);
    states.forEach((st, r) => noise.set(st.noise, r * m * K));
    this.noise = tf.tensor3d(noise, [1, R * m, K]);
    const scales = stochasticScales(arch);
    this.cW = scales.cW;
    this.cB = scales.cB;
    this.readoutDivisor = scales.readoutDivisor;
    this.gramDivisor = scales.gramDivisor;
    this.initStd = scales.initStd;
  }

  /** A per-replica [R] vector repeated along the unit axis, [1, R·m]. */
  expandPerReplica(_group: StochasticParam, values: ArrayLike<number>): tf.Tensor {
    if (values.length !== this.R) throw new RangeError(`need ${this.R} per-replica values, got ${values.length}`);
    const m = this.width;
    const out = new Float32Array(this.R * m);
    for (let r = 0; r < this.R; r++) out.fill(values[r], r * m, (r + 1) * m);
    return tf.tensor2d(out, [1, this.R * m]);
  }

  /** μ, ρ [n, R·m] and the latent samples z = μ + softplus(ρ) ε [n, R·m, K]. */
  private latent(X: tf.Tensor2D, p: Record<StochasticParam, tf.Tensor> = this.params): { mu: tf.Tensor2D; rho: tf.Tensor2D; z: tf.Tensor3D } {
    const mu = tf.matMul(X, p.u).mul(this.cW).add(p.b.mul(this.cB)) as tf.Tensor2D;
    const rho = tf.matMul(X, p.v).mul(this.cW).add(p.c.mul(this.cB)) as tf.Tensor2D;
    const z = mu.expandDims(2).add(tf.softplus(rho).expandDims(2).mul(this.noise)) as tf.Tensor3D;
    return { mu, rho, z };
  }

  /** [n, R·m] → [n, R] by summing each replica's units with weights a/√m (standard parameterisation: a). */
  private readout(G: tf.Tensor2D, a: tf.Tensor = this.params.a): tf.Tensor2D {
    const n = G.shape[0];
    return G.mul(a)
      .reshape([n, this.R, this.width])
      .sum(2)
      .div(this.readoutDivisor) as tf.Tensor2D;
  }

  /** Noise-averaged outputs [R, n] at inputs X [n, d]; `params` (stored layout) defaults to the variables. */
  forward(X: tf.Tensor2D, params: Record<StochasticParam, tf.Tensor> = this.params): tf.Tensor2D {
    return tf.tidy(() => this.readout(tf.relu(this.latent(X, params).z).mean(2) as tf.Tensor2D, params.a).transpose());
  }

  /**
   * Outputs [R, n] and the gradients of Σ_r [(1/(2n))‖f_r − y‖² + w_r (1/n) Σ_i Σ_units KL]
   * w.r.t. the stored parameters, by hand. With g = (f − y)/n, α = a/√m,
   * P = mean_k 1[z_k > 0], P_ε = mean_k 1[z_k > 0] ε_k:
   *   ∂/∂a = Σ_i g_i ḡ_i/√m,  ∂/∂μ = g α P + w μ/n,  ∂/∂ρ = (g α P_ε + w (s − 1/s)/n) σ(ρ),
   * then ∂/∂U = c_W Xᵀ ∂/∂μ, ∂/∂b = c_b Σ_i ∂/∂μ (same for V, c through ρ).
   * μ, ρ and the two products with Xᵀ are backend matMuls; everything between them
   * is one fused float64 loop over sorted noise draws (stochastic-latent-loss.ts).
   */
  lossGradients(X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D, kl?: KlWeights): { f: tf.Tensor2D; grads: Record<StochasticParam, tf.Tensor> } {
    const n = X.shape[0];
    const units = this.R * this.width;
    const p = this.params;
    const { mu, rho } = this.downloadMuRho(X);
    this.sortedNoise ??= sortNoise(this.noise.dataSync(), units, this.arch.samples);
    if (this.lossWork === null || this.lossWork.dMu.length !== n * units) this.lossWork = stochasticLossWork(n, units, this.sortedNoise);
    const work = this.lossWork;
    const out = stochasticLossGradients(
      { n, R: this.R, m: this.width, mu, rho, a: p.a.dataSync(), noise: this.sortedNoise, y: y.dataSync(), readoutDivisor: this.readoutDivisor, kl },
      work,
    );
    return tf.tidy(() => {
      // A loop, not Float32Array.from(v, (x) => x * scale): the same values, but V8 runs from() with a
      // map function element by element through its iterator protocol, 32x slower (24 ms against
      // 0.7 ms for 163,840 values here): it was 9% of snn-ntk's run.
      const row = (v: Float64Array, scale: number) => {
        const out = new Float32Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = v[i] * scale;
        return tf.tensor2d(out, [1, units]);
      };
      const grads: Record<StochasticParam, tf.Tensor> = {
        u: tf.matMul(Xt, tf.tensor2d(work.dMu, [n, units])).mul(this.cW),
        b: row(out.sumMu, this.cB),
        v: tf.matMul(Xt, tf.tensor2d(work.dRho, [n, units])).mul(this.cW),
        c: row(out.sumRho, this.cB),
        a: row(out.a, 1),
      };
      return { f: tf.tensor2d(Float32Array.from(out.f), [this.R, n]), grads };
    });
  }

  /** The KL term (1/n) Σ_i Σ_units KL(N(μ, s²) ‖ N(0, 1)) per replica [R] (for tests and reports). */
  klTerm(X: tf.Tensor2D, params: Record<StochasticParam, tf.Tensor> = this.params): tf.Tensor1D {
    return tf.tidy(() => {
      const { mu, rho } = this.latent(X, params);
      const s = tf.softplus(rho);
      const kl = mu.square().add(s.square()).sub(1).sub(s.square().log()).mul(0.5);
      return kl.reshape([X.shape[0], this.R, this.width]).sum(2).mean(0) as tf.Tensor1D;
    });
  }

  /**
   * Per-group empirical tangent kernels [R, n, n] from the closed structure
   * of the per-example gradients (Q = σ_W² XXᵀ/d + σ_b²):
   *   Θ_a = ḠḠᵀ/m,   Θ_μ = ((P⊙a)(P⊙a)ᵀ/m) ⊙ Q,   Θ_s = ((P_ε⊙σ(ρ)⊙a)(·)ᵀ/m) ⊙ Q
   * (standard parameterisation: no /m, and Q = XXᵀ + 1).
   * One replica at a time (the [n, m, K] latent tensor is the memory peak)
   * with rank-2 matMuls; verified against per-example tf.grad in the tests.
   */
  tangentKernels(X: tf.Tensor2D): Record<StochasticGroup, tf.Tensor3D> & { total: tf.Tensor3D } {
    const k = this.blockKernels(X, 1);
    return { ...k, total: tf.tidy(() => tf.addN([k.readout, k.mean, k.variance]) as tf.Tensor3D) };
  }

  /**
   * The same kernels split by blocks of latent units: replica r's units in
   * `blocks` blocks of m/blocks units, [R·blocks, n, n] per group (block k of
   * replica r at index r·blocks + k; a replica's blocks sum to its kernel).
   * An antisymmetric replica's block holds whole pairs (units i and i + m/2,
   * which share parameters and noise), so at initialisation the blocks are
   * i.i.d. (src/claims/ntk/shared/kernel-mean.ts).
   */
  blockKernels(X: tf.Tensor2D, blocks: number): Record<StochasticGroup, tf.Tensor3D> {
    const m = this.width;
    if (!Number.isInteger(blocks) || blocks < 1 || m % (2 * blocks) !== 0) {
      throw new RangeError(`blocks = ${blocks}; allowed an integer ≥ 1 with 2·blocks dividing the width ${m}`);
    }
    const parts: Record<StochasticGroup, tf.Tensor3D[]> = { readout: [], mean: [], variance: [] };
    const pre = this.preActivations(X);
    try {
      for (let r = 0; r < this.R; r++) {
        const k = tf.tidy(() => this.unitKernels(pre, r, blocks));
        for (const g of ['readout', 'mean', 'variance'] as const) parts[g].push(k[g]);
      }
      return tf.tidy(() => ({
        readout: tf.concat(parts.readout) as tf.Tensor3D,
        mean: tf.concat(parts.mean) as tf.Tensor3D,
        variance: tf.concat(parts.variance) as tf.Tensor3D,
      }));
    } finally {
      for (const list of Object.values(parts)) for (const t of list) t.dispose();
      pre.Q.dispose();
    }
  }

  /** μ and ρ [n, R·m] at X (one rank-2 matMul each), downloaded. */
  private downloadMuRho(X: tf.Tensor2D): { mu: Float32Array; rho: Float32Array } {
    const p = this.params;
    const download = (f: () => tf.Tensor) => {
      const t = tf.tidy(f);
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    };
    return {
      mu: download(() => tf.matMul(X, p.u).mul(this.cW).add(p.b.mul(this.cB))),
      rho: download(() => tf.matMul(X, p.v).mul(this.cW).add(p.c.mul(this.cB))),
    };
  }

  /**
   * μ and ρ of every replica at X (one rank-2 matMul each), downloaded with
   * a and the noise: a replica's units are then copied out in JavaScript
   * (slicing a column range of a [n, R·m] tensor is slow on the WebAssembly
   * backend).
   */
  private preActivations(X: tf.Tensor2D) {
    const p = this.params;
    return {
      n: X.shape[0],
      ...this.downloadMuRho(X),
      a: p.a.dataSync() as Float32Array,
      noise: this.noise.dataSync() as Float32Array,
      Q: tf.tidy(() => tf.matMul(X, X.transpose()).mul(this.cW * this.cW).add(this.cB * this.cB)) as tf.Tensor2D,
    };
  }

  /**
   * Column (in the stored [·, R·m] layout) of unit j of block k of replica r
   * at index k·(m/blocks) + j; an antisymmetric replica's block holds whole
   * pairs (units k·h..(k+1)·h and their partners + m/2, h = m/(2·blocks)).
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
   * Per block of blockKernels (same blocks and order, every replica): the
   * block's means of a², ‖u‖²/d, b², ‖v‖²/d and c² over its units, each of
   * expectation 1 under the N(0, 1) initialisation — the kernel mean test's
   * primary controls (the heads' kernels carry a², the features the scale
   * of the pre-activations). [R·blocks] vectors of 5.
   */
  blockParameterMoments(blocks: number): Float64Array[] {
    const m = this.width;
    const d = this.arch.d;
    const Rm = this.R * m;
    const b = m / blocks;
    const v = Object.fromEntries(PARAM_NAMES.map((k) => [k, this.params[k].dataSync()])) as Record<StochasticParam, Float32Array>;
    const out: Float64Array[] = [];
    for (let r = 0; r < this.R; r++) {
      const order = this.blockOrder(r, blocks);
      for (let k = 0; k < blocks; k++) {
        const acc = new Float64Array(5);
        for (let j = 0; j < b; j++) {
          const col = order[k * b + j];
          let u2 = 0;
          let v2 = 0;
          for (let q = 0; q < d; q++) {
            u2 += v.u[q * Rm + col] ** 2;
            v2 += v.v[q * Rm + col] ** 2;
          }
          acc[0] += v.a[col] ** 2;
          acc[1] += u2 / d;
          acc[2] += v.b[col] ** 2;
          acc[3] += v2 / d;
          acc[4] += v.c[col] ** 2;
        }
        for (let q = 0; q < 5; q++) acc[q] /= b;
        // The standard parameterisation draws with the multipliers as standard deviations: back to expectation 1.
        MOMENT_PARAMS.forEach((p, q) => {
          if (this.initStd[p] !== 1) acc[q] /= this.initStd[p] ** 2;
        });
        out.push(acc);
      }
    }
    return out;
  }

  /** Replica r's per-group kernels over `blocks` blocks of its units, [blocks, n, n] each. Call inside tf.tidy. */
  private unitKernels(pre: ReturnType<StochasticLatentBatch['preActivations']>, r: number, blocks: number): Record<StochasticGroup, tf.Tensor3D> {
    const m = this.width;
    const K = this.arch.samples;
    const Rm = this.R * m;
    const b = m / blocks;
    const n = pre.n;
    const order = this.blockOrder(r, blocks);
    const byBlock = (H: Float32Array) => {
      const out = new Float32Array(blocks * n * b);
      for (let k = 0; k < blocks; k++) for (let i = 0; i < n; i++) for (let j = 0; j < b; j++) out[(k * n + i) * b + j] = H[i * Rm + order[k * b + j]];
      return tf.tensor4d(out, [blocks, n, b, 1]);
    };
    const eps = new Float32Array(m * K);
    for (let q = 0; q < m; q++) eps.set(pre.noise.subarray(order[q] * K, (order[q] + 1) * K), q * K);
    const epsT = tf.tensor4d(eps, [blocks, 1, b, K]);
    const aOrdered = new Float32Array(order.length);
    for (let q = 0; q < order.length; q++) aOrdered[q] = pre.a[order[q]];
    const a = tf.tensor3d(aOrdered, [blocks, 1, b]);
    const mu = byBlock(pre.mu);
    const rho = byBlock(pre.rho);
    const z = mu.add(tf.softplus(rho).mul(epsT));
    const on = tf.step(z);
    const G = tf.relu(z).mean(3) as tf.Tensor3D;
    const P = on.mean(3).mul(a) as tf.Tensor3D;
    const Peps = on.mul(epsT).mean(3).mul(tf.sigmoid(rho).squeeze([3])).mul(a) as tf.Tensor3D;
    // Rank-2 matMul with an explicit transpose is the backend's fast path; batched matMul a slow loop.
    const gram = (A: tf.Tensor3D) =>
      (blocks === 1 ? tf.matMul(A.squeeze([0]) as tf.Tensor2D, (A.squeeze([0]) as tf.Tensor2D).transpose()).expandDims(0) : tf.matMul(A, A, false, true)).div(this.gramDivisor) as tf.Tensor3D;
    return { readout: gram(G), mean: gram(P).mul(pre.Q), variance: gram(Peps).mul(pre.Q) } as Record<StochasticGroup, tf.Tensor3D>;
  }

  /**
   * The per-group tangent kernels by TensorFlow.js autodiff through
   * `forward` (per-example gradients, src/models/ntk/empirical-ntk.ts), the
   * parameters taken per replica ([R, m, d] for u and v, [R, m] for b, c, a)
   * and mapped to the stored layout inside the differentiated function.
   * Independent of the hand-written structure of blockKernels; the claim
   * checks that structure with it. Memory n·R·m·(2d + 3) floats: small widths.
   */
  autodiffTangentKernels(X: tf.Tensor2D): Record<StochasticGroup, tf.Tensor3D> & { total: tf.Tensor3D } {
    return storedLayoutAutodiffKernels(this.params, (x, stored) => this.forward(x, stored), { R: this.R, m: this.width, d: this.arch.d }, X);
  }

  /** One replica's parameters in the layout of stochasticInitialState (u, v: [m, d] row-major). */
  replicaTheta(r: number): Record<StochasticParam, Float64Array> {
    const { d } = this.arch;
    const m = this.width;
    const R = this.R;
    const out = {} as Record<StochasticParam, Float64Array>;
    for (const name of PARAM_NAMES) {
      const rows = name === 'u' || name === 'v' ? d : 1;
      const all = this.params[name].dataSync();
      const v = new Float64Array(m * rows);
      for (let i = 0; i < m; i++) for (let k = 0; k < rows; k++) v[i * rows + k] = all[k * R * m + r * m + i];
      out[name] = v;
    }
    return out;
  }

  /** One replica's noise draws [m·K]. */
  replicaNoise(r: number): Float32Array {
    const m = this.width;
    const K = this.arch.samples;
    return (this.noise.dataSync() as Float32Array).slice(r * m * K, (r + 1) * m * K);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
    this.noise.dispose();
    // lossGradients' work arrays (a WebAssembly memory of ~90 MB at m = 4096, 12 replicas): released now, not at GC.
    this.lossWork = null;
    this.sortedNoise = null;
  }
}

/**
 * One replica's noise-averaged output written directly with plain tf ops
 * (θ in the layout of stochasticInitialState, noise [m, K]): the reference
 * for the batched program's gradients and kernels (tests, via tf.grad).
 */
export function stochasticReferenceOutput(
  arch: StochasticArchitecture,
  theta: Record<StochasticParam, tf.Tensor>,
  noise: tf.Tensor2D,
  X: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const { cW, cB, readoutDivisor } = stochasticScales(arch);
    const mu = tf.matMul(X, theta.u as tf.Tensor2D, false, true).mul(cW).add(theta.b.mul(cB));
    const rho = tf.matMul(X, theta.v as tf.Tensor2D, false, true).mul(cW).add(theta.c.mul(cB));
    const z = mu.expandDims(2).add(tf.softplus(rho).expandDims(2).mul(noise.expandDims(0)));
    const g = tf.relu(z).mean(2);
    return g.matMul(theta.a.expandDims(1)).squeeze([1]).div(readoutDivisor) as tf.Tensor1D;
  });
}

/**
 * Per-group tangent kernels [R, n, n] by per-example autodiff through
 * `forward` (src/models/ntk/empirical-ntk.ts) for any network whose
 * parameters are stored in this file's layout (Ut, Vt [d, R·m]; b, c, a
 * [1, R·m]): the parameters are re-laid per replica ([R, m, d], [R, m]) and
 * mapped back to the stored layout inside the differentiated function.
 * Memory n·R·m·(2d + 3) floats: small widths.
 */
export function storedLayoutAutodiffKernels(
  params: Record<StochasticParam, tf.Tensor>,
  forward: (X: tf.Tensor2D, stored: Record<StochasticParam, tf.Tensor>) => tf.Tensor2D,
  { R, m, d }: { R: number; m: number; d: number },
  X: tf.Tensor2D,
): Record<StochasticGroup, tf.Tensor3D> & { total: tf.Tensor3D } {
  const perReplica = tf.tidy(() =>
    Object.fromEntries(PARAM_NAMES.map((k) => [k, k === 'u' || k === 'v' ? params[k].reshape([d, R, m]).transpose([1, 2, 0]) : params[k].reshape([R, m])])),
  ) as Record<StochasticParam, tf.Tensor>;
  try {
    const k = autodiffTangentKernel({
      params: perReplica,
      n: X.shape[0],
      exampleOutput: (p, i) => {
        const stored = Object.fromEntries(
          PARAM_NAMES.map((name) => [name, name === 'u' || name === 'v' ? p[name].transpose([2, 0, 1]).reshape([d, R * m]) : p[name].reshape([1, R * m])]),
        ) as Record<StochasticParam, tf.Tensor>;
        return forward(X.slice([i, 0], [1, d]) as tf.Tensor2D, stored).reshape([R]) as tf.Tensor1D;
      },
      groups: STOCHASTIC_PARAM_GROUPS,
    });
    return { readout: k.groups.readout, mean: k.groups.mean, variance: k.groups.variance, total: k.total };
  } finally {
    tf.dispose(Object.values(perReplica));
  }
}
