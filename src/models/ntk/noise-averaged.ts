/**
 * The noise-averaged stochastic latent network of [WH24] in closed form, as a
 * replica-batched TensorFlow.js program: the same network and parameters as
 * src/models/ntk/stochastic-latent.ts,
 *   μ_r(x) = c_W u_rᵀx + c_b b_r,   ρ_r(x) = c_W v_rᵀx + c_b c_r,   s_r = softplus(ρ_r),
 *   f(x) = (1/√m) Σ_r a_r ḡ_r(x),   ḡ_r(x) = E_ε relu(μ_r + s_r ε),
 * but with the noise average taken exactly instead of over a fixed set of
 * draws: for ReLU, with t = μ/s,
 *   E_ε relu(μ + sε) = μ Φ(t) + s φ(t),   ∂/∂μ = Φ(t),   ∂/∂s = φ(t)
 * (Φ, φ the standard normal cdf and density; Φ by the backend's erf). This is
 * the output WH24's Lemma 1 analyses (integration and differentiation
 * interchanged), so gradient descent on (1/(2n))‖f − y‖² here is gradient
 * descent on the noise-averaged loss, with no noise left in it.
 *
 * Parameters are drawn by stochasticInitialState from the same streams as the
 * stochastic network's (a replica with the same seed starts from the same θ₀,
 * whatever its noise draws), in the same stored layout: Ut, Vt [d, R·m];
 * b, c, a [1, R·m]; multipliers and step scales 1 (the NTK multipliers are
 * constants inside the forward). Gradients by hand, checked against tf.grads
 * in the claim that trains it and in test/ntk/noise-averaged.test.ts.
 */
import { tf } from '../../engine/backend.ts';
import {
  stochasticInitialState,
  stochasticScales,
  storedLayoutAutodiffKernels,
  storedLayoutVariables,
  validateStochasticArchitecture,
  type StochasticArchitecture,
  type StochasticParam,
} from './stochastic-latent.ts';

const PARAM_NAMES: readonly StochasticParam[] = ['u', 'b', 'v', 'c', 'a'];

/** The architecture without noise draws (the average is exact). */
export type NoiseAveragedArchitecture = Omit<StochasticArchitecture, 'samples'>;

export interface NoiseAveragedReplica {
  label: string;
  seed: number;
  antisymmetric: boolean;
}

/** The closed-form noise average and its two derivatives at the pre-activations. */
function closedForm(mu: tf.Tensor, rho: tf.Tensor): { g: tf.Tensor; cdf: tf.Tensor; pdf: tf.Tensor } {
  const s = tf.softplus(rho);
  const t = mu.div(s);
  const cdf = tf.erf(t.mul(Math.SQRT1_2)).add(1).mul(0.5);
  const pdf = t.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
  return { g: mu.mul(cdf).add(s.mul(pdf)), cdf, pdf };
}

export class NoiseAveragedLatentBatch {
  readonly R: number;
  readonly width: number;
  readonly params: Record<StochasticParam, tf.Variable>;
  readonly multipliers: Record<StochasticParam, Float64Array>;
  readonly lrScales: Record<StochasticParam, Float64Array>;
  private readonly cW: number;
  private readonly cB: number;
  private readonly readoutDivisor: number;

  constructor(
    readonly arch: NoiseAveragedArchitecture,
    readonly replicas: readonly NoiseAveragedReplica[],
  ) {
    const full: StochasticArchitecture = { ...arch, samples: 1 };
    validateStochasticArchitecture(full);
    if (replicas.length === 0) throw new RangeError('a replica batch needs at least one replica');
    this.R = replicas.length;
    const { d, width: m } = arch;
    this.width = m;
    // The noise draws of stochasticInitialState are ignored: the parameters come from their own streams.
    const states = replicas.map((r) => stochasticInitialState(full, { ...r, noise: 'stratified' }));
    ({ params: this.params, multipliers: this.multipliers, lrScales: this.lrScales } = storedLayoutVariables(states, d, m, 'noise-averaged'));
    const scales = stochasticScales(full);
    this.cW = scales.cW;
    this.cB = scales.cB;
    this.readoutDivisor = scales.readoutDivisor;
  }

  /** A per-replica [R] vector repeated along the unit axis, [1, R·m]. */
  expandPerReplica(_group: StochasticParam, values: ArrayLike<number>): tf.Tensor {
    if (values.length !== this.R) throw new RangeError(`need ${this.R} per-replica values, got ${values.length}`);
    const m = this.width;
    const out = new Float32Array(this.R * m);
    for (let r = 0; r < this.R; r++) out.fill(values[r], r * m, (r + 1) * m);
    return tf.tensor2d(out, [1, this.R * m]);
  }

  private preActivations(X: tf.Tensor2D, p: Record<StochasticParam, tf.Tensor>): { mu: tf.Tensor2D; rho: tf.Tensor2D } {
    const mu = tf.matMul(X, p.u).mul(this.cW).add(p.b.mul(this.cB)) as tf.Tensor2D;
    const rho = tf.matMul(X, p.v).mul(this.cW).add(p.c.mul(this.cB)) as tf.Tensor2D;
    return { mu, rho };
  }

  /** [n, R·m] → [n, R]: each replica's units summed with weights a/√m. */
  private readout(G: tf.Tensor, a: tf.Tensor): tf.Tensor2D {
    const n = G.shape[0];
    return G.mul(a).reshape([n, this.R, this.width]).sum(2).div(this.readoutDivisor) as tf.Tensor2D;
  }

  /**
   * Noise-averaged outputs [R, n] at inputs X [n, d]. `params` (stored layout)
   * defaults to the variables; any tensors of that layout will do, e.g. the
   * parameters of a StochasticLatentBatch of the same width and replica count.
   */
  forward(X: tf.Tensor2D, params: Record<StochasticParam, tf.Tensor> = this.params): tf.Tensor2D {
    return tf.tidy(() => {
      const { mu, rho } = this.preActivations(X, params);
      return this.readout(closedForm(mu, rho).g, params.a).transpose() as tf.Tensor2D;
    });
  }

  /**
   * Outputs [R, n] and the gradients of Σ_r (1/(2n))‖f_r − y‖² w.r.t. the
   * stored parameters, by hand: with g = (f − y)/n and α = a/√m,
   *   ∂/∂a = Σ_i g_i ḡ_i/√m,  ∂/∂μ = g α Φ(t),  ∂/∂ρ = g α φ(t) σ(ρ),
   * then ∂/∂U = c_W Xᵀ ∂/∂μ, ∂/∂b = c_b Σ_i ∂/∂μ (V, c through ρ alike).
   */
  lossGradients(X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D): { f: tf.Tensor2D; grads: Record<StochasticParam, tf.Tensor> } {
    return tf.tidy(() => {
      const n = X.shape[0];
      const m = this.width;
      const { mu, rho } = this.preActivations(X, this.params);
      const { g: G, cdf, pdf } = closedForm(mu, rho);
      const f = this.readout(G, this.params.a); // [n, R]
      const res = f.sub(y).div(n);
      // The residual broadcast over each replica's units ([n, R, 1] against [·, R, m]): the same
      // products as against a tiled copy, without the copy.
      const R = this.R;
      const g3 = res.expandDims(2);
      const units = (t: tf.Tensor) => t.reshape([t.shape[0], R, m]);
      const flat = (t: tf.Tensor) => t.reshape([t.shape[0], R * m]) as tf.Tensor2D;
      const alpha = units(this.params.a.div(this.readoutDivisor));
      const gAlpha = g3.mul(alpha);
      const dMu = flat(gAlpha.mul(units(cdf)));
      const dRho = flat(gAlpha.mul(units(pdf)).mul(units(tf.sigmoid(rho))));
      const grads: Record<StochasticParam, tf.Tensor> = {
        u: tf.matMul(Xt, dMu).mul(this.cW),
        b: dMu.sum(0, true).mul(this.cB),
        v: tf.matMul(Xt, dRho).mul(this.cW),
        c: dRho.sum(0, true).mul(this.cB),
        a: flat(units(G).mul(g3)).sum(0, true).div(this.readoutDivisor),
      };
      return { f: f.transpose() as tf.Tensor2D, grads };
    });
  }

  /**
   * Per-group tangent kernels [R, n, n] by TensorFlow.js autodiff through
   * forward (per-example tf.grads, src/models/ntk/empirical-ntk.ts): the
   * engine's own Jacobian, against which the float64 kernels are checked.
   * Memory n·R·m·(2d + 3) floats: small widths.
   */
  autodiffTangentKernels(X: tf.Tensor2D): { readout: tf.Tensor3D; mean: tf.Tensor3D; variance: tf.Tensor3D; total: tf.Tensor3D } {
    return storedLayoutAutodiffKernels(this.params, (x, stored) => this.forward(x, stored), { R: this.R, m: this.width, d: this.arch.d }, X);
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/**
 * Every replica's parameters out of a stored [·, R·m] layout (this class's or
 * a StochasticLatentBatch's), each in the layout of stochasticInitialState
 * (u, v: [m, d] row-major), float64; one download per parameter.
 */
export function replicaParameters(params: Record<StochasticParam, tf.Tensor>, d: number, m: number, R: number): Record<StochasticParam, Float64Array>[] {
  const out = Array.from({ length: R }, () => ({}) as Record<StochasticParam, Float64Array>);
  for (const name of PARAM_NAMES) {
    const rows = name === 'u' || name === 'v' ? d : 1;
    const all = params[name].dataSync();
    for (let r = 0; r < R; r++) {
      const v = new Float64Array(m * rows);
      for (let i = 0; i < m; i++) for (let k = 0; k < rows; k++) v[i * rows + k] = all[k * R * m + r * m + i];
      out[r][name] = v;
    }
  }
  return out;
}
