/**
 * Float64 reference for the importance-weighted bound (IWAE) of the linear
 * Gaussian VAE (model and layout: params.ts):
 *   L_K(x) = E_ε log (1/K) Σ_k w_k,   w_k = p(x, z_k) / q(z_k | x),
 *   z_k = μ + σ ⊙ ε_k,  μ = V x + c,  σ = e^{s/2},  ε_k ~ N(0, I).
 * With v = σ_x² and r_k = x − W z_k − b (the (2π)^{dz/2} factors of p(z) and
 * q(z|x) cancel):
 *   log w_k = −(dx/2) log(2πv) − ‖r_k‖²/(2v) − ½‖z_k‖² + ½ Σ_j s_j + ½‖ε_k‖².
 * Its reparameterised gradient, with ω = softmax(log w) the self-normalised
 * weights and h_k = Wᵀ r_k / v − z_k = ∂ log w_k / ∂z_k:
 *   ∂W = Σ ω_k r_k z_kᵀ / v,  ∂b = Σ ω_k r_k / v,
 *   ∂c = Σ ω_k h_k,  ∂V = (Σ ω_k h_k) xᵀ,  ∂s_j = ½ Σ ω_k h_kj σ_j ε_kj + ½.
 * L_K has no closed form for K > 1 (L_1 is the ELBO; L_K ↑ log p(x) as K → ∞),
 * so its gradient is estimated here by Monte Carlo with caller-supplied noise
 * (common random numbers), and ‖∇L_K‖² by an unbiased U-statistic over
 * independent noise draws (the estimator's variance floor subtracted).
 * The exact ∇_{W,b} log p(x), the target of the IWAE gradient bias, is closed
 * form: log p(x) = log N(x; b, C), C = W Wᵀ + v I.
 */
import { Matrix } from 'ml-matrix';
import { marginalCholesky } from './oracle.ts';
import { zeroParams, type LinearVaeDims, type LinearVaeParams } from './params.ts';
import { iwaeDecoderBlocksWasm, iwaeDrawWasm } from './iwae-oracle-wasm.ts';
import { firstBitDifference, PortCheckSchedule } from '../../engine/wasm-kernel.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * How the importance weights are normalised. 'self-normalised' is IWAE's
 * ω = w / Σ w. 'tempered' (ω ∝ w^power, power ≠ 1) is a deliberately biased
 * normalisation, the falsifier of iwae-bias: it converges, as K → ∞, to an
 * expectation under q^{1−power} p(z|x)^{power} instead of the posterior.
 */
export type WeightNormalisation = { kind: 'self-normalised' } | { kind: 'tempered'; power: number };

export const SELF_NORMALISED: WeightNormalisation = { kind: 'self-normalised' };

function weightPower(norm: WeightNormalisation): number {
  if (norm.kind === 'self-normalised') return 1;
  if (!(norm.power > 0) || !Number.isFinite(norm.power)) throw new RangeError(`tempered weights: power = ${norm.power}; allowed a finite power > 0`);
  return norm.power;
}

function checkDims(p: LinearVaeParams, dims: LinearVaeDims, who: string): void {
  const { dx, dz } = dims;
  if (p.W.length !== dx * dz || p.b.length !== dx || p.V.length !== dz * dx || p.c.length !== dz || p.s.length !== dz) {
    throw new Error(`${who}: parameter shapes do not match dx=${dx}, dz=${dz}`);
  }
}

function checkSigma(sigmaX: number, who: string): number {
  if (!(sigmaX > 0) || !Number.isFinite(sigmaX)) throw new Error(`${who}: sigmaX must be a finite number > 0, got ${sigmaX}`);
  return sigmaX * sigmaX;
}

/** Scratch buffers sized per (dx, dz, K); everything here is synchronous. */
class Work {
  readonly mu: Float64Array;
  readonly sigma: Float64Array;
  readonly z: Float64Array;
  readonly r: Float64Array;
  readonly h: Float64Array;
  readonly logW: Float64Array;
  readonly omega: Float64Array;
  readonly H: Float64Array;
  constructor(
    readonly dx: number,
    readonly dz: number,
    readonly K: number,
  ) {
    this.mu = new Float64Array(dz);
    this.sigma = new Float64Array(dz);
    this.z = new Float64Array(K * dz);
    this.r = new Float64Array(K * dx);
    this.h = new Float64Array(K * dz);
    this.logW = new Float64Array(K);
    this.omega = new Float64Array(K);
    this.H = new Float64Array(dz);
  }
}

let work: Work | null = null;
function workFor(dx: number, dz: number, K: number): Work {
  if (!work || work.dx !== dx || work.dz !== dz || work.K < K) work = new Work(dx, dz, K);
  return work;
}

/**
 * log w_k for one point x (offset xo in x) and K noise vectors eps[eo + k·dz + j];
 * fills w.z, w.r, w.logW for k < K. Returns nothing: the caller reads w.
 */
function logWeights(p: LinearVaeParams, dims: LinearVaeDims, v: number, x: ArrayLike<number>, xo: number, eps: ArrayLike<number>, eo: number, K: number, w: Work): void {
  const { dx, dz } = dims;
  const { mu, sigma, z, r, logW } = w;
  // Locals, not property loads, in the loops (this runs for every sample of every measurement).
  const { W, b, V, c, s } = p;
  let halfSumS = 0;
  for (let j = 0; j < dz; j++) {
    let m = c[j];
    const vo = j * dx;
    for (let i = 0; i < dx; i++) m += V[vo + i] * x[xo + i];
    mu[j] = m;
    sigma[j] = Math.exp(0.5 * s[j]);
    halfSumS += 0.5 * s[j];
  }
  const logNorm = -0.5 * dx * (LOG_2PI + Math.log(v));
  const half = 0.5 / v;
  for (let k = 0; k < K; k++) {
    const zo = k * dz;
    const eko = eo + zo;
    let zz = 0;
    let ee = 0;
    for (let j = 0; j < dz; j++) {
      const e = eps[eko + j];
      const zj = mu[j] + sigma[j] * e;
      z[zo + j] = zj;
      zz += zj * zj;
      ee += e * e;
    }
    let rr = 0;
    const ro = k * dx;
    for (let i = 0; i < dx; i++) {
      let m = b[i];
      const wo = i * dz;
      for (let j = 0; j < dz; j++) m += W[wo + j] * z[zo + j];
      const ri = x[xo + i] - m;
      r[ro + i] = ri;
      rr += ri * ri;
    }
    logW[k] = logNorm - rr * half - 0.5 * zz + halfSumS + 0.5 * ee;
  }
}

/** log (1/K) Σ_k exp(power·logW_k) / power and the normalised weights ω ∝ exp(power·logW). */
function normalise(logW: Float64Array, K: number, power: number, omega: Float64Array): number {
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, power * logW[k]);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    omega[k] = Math.exp(power * logW[k] - max);
    sum += omega[k];
  }
  for (let k = 0; k < K; k++) omega[k] /= sum;
  return (max + Math.log(sum / K)) / power;
}

export interface IwaeDrawOptions {
  dims: LinearVaeDims;
  sigmaX: number;
  /** Data, row-major n × dx. */
  x: ArrayLike<number>;
  n: number;
  K: number;
  /**
   * Noise for this draw: point i's sample k uses eps[(i·stride + k)·dz + j].
   * stride ≥ K (default K) lets arms with K < stride use the first K samples
   * of a shared, larger draw (nested common random numbers).
   */
  eps: ArrayLike<number>;
  stride?: number;
  normalisation?: WeightNormalisation;
  /**
   * The encoder blocks (V, c, s) of the gradient: 'iwae' (default) the
   * reparameterised gradient of the bound; 'dreg' the doubly reparameterised
   * estimator of Tucker et al. 2018 (eq. 7): Σ_k ω_k² ∂log w_k/∂z_k · ∂z_k/∂φ,
   * the derivative in z taken at fixed q (h_k + ε_k/σ), no score term. Same
   * expectation ∇_φ L_K; the decoder blocks are the same either way.
   */
  encoderGradient?: 'iwae' | 'dreg';
}

/** iwaeDraw's e^{s/2} for the port (reused: everything here is synchronous). */
let drawSigma = new Float64Array(0);

/**
 * One Monte Carlo draw of the data-averaged bound (1/n) Σ_i log (1/K) Σ_k w_ik
 * and of its reparameterised gradient (ascent direction, all five blocks),
 * written into `out` (overwritten) when given.
 */
export function iwaeDraw(p: LinearVaeParams, opts: IwaeDrawOptions, out?: LinearVaeParams): { value: number; grad: LinearVaeParams } {
  const { dims, x, n, K } = opts;
  const { dx, dz } = dims;
  const v = checkSigma(opts.sigmaX, 'iwaeDraw');
  checkDims(p, dims, 'iwaeDraw');
  const stride = opts.stride ?? K;
  if (!Number.isInteger(K) || K < 1 || stride < K) throw new RangeError(`iwaeDraw: K = ${K} (stride ${stride}); allowed an integer 1 ≤ K ≤ stride`);
  if (x.length < n * dx) throw new RangeError(`iwaeDraw: x has ${x.length} values, need n·dx = ${n * dx}`);
  if (opts.eps.length < n * stride * dz) throw new RangeError(`iwaeDraw: eps has ${opts.eps.length} values, need n·stride·dz = ${n * stride * dz}`);
  const power = weightPower(opts.normalisation ?? SELF_NORMALISED);
  const dreg = (opts.encoderGradient ?? 'iwae') === 'dreg';
  const g = out ?? zeroParams(dims);
  // The WebAssembly port (iwae-oracle-wasm.ts), the same bits, with logWeights' point-independent constants by its expressions.
  if (drawSigma.length !== dz) drawSigma = new Float64Array(dz);
  const sigma = drawSigma;
  let halfSumS = 0;
  for (let j = 0; j < dz; j++) {
    sigma[j] = Math.exp(0.5 * p.s[j]);
    halfSumS += 0.5 * p.s[j];
  }
  const ported = iwaeDrawWasm(p, { dims, x, n, K, stride, eps: opts.eps, power, dreg, invV: 1 / v, half: 0.5 / v, logNorm: -0.5 * dx * (LOG_2PI + Math.log(v)), halfSumS, sigma }, g);
  if (ported === null) return iwaeDrawJs(p, opts, g);
  if (portChecks.draw.due()) {
    const js = iwaeDrawJs(p, opts, zeroParams(dims));
    checkPortAgrees('iwaeDraw', [ported, ...g.W, ...g.b, ...g.V, ...g.c, ...g.s], [js.value, ...js.grad.W, ...js.grad.b, ...js.grad.V, ...js.grad.c, ...js.grad.s]);
  }
  return { value: ported, grad: g };
}

/** When the ports (iwae-oracle-wasm.ts) are compared with this file's JavaScript during the run (wasm-kernel.ts's PortCheckSchedule). */
const portChecks = { draw: new PortCheckSchedule(), blocks: new PortCheckSchedule() };

function checkPortAgrees(what: string, port: ArrayLike<number>, js: ArrayLike<number>): void {
  const i = firstBitDifference(port, js);
  if (i >= 0) throw new Error(`the IWAE reference's WebAssembly port (iwae-oracle-wasm.ts) disagrees with its JavaScript in ${what}, output ${i}: ${port[i]} vs ${js[i]}: the measurement is not its specification`);
}

/** iwaeDraw in JavaScript (after its validation): the readable specification the port reproduces bit for bit. */
export function iwaeDrawJs(p: LinearVaeParams, opts: IwaeDrawOptions, g: LinearVaeParams): { value: number; grad: LinearVaeParams } {
  const { dims, x, n, K } = opts;
  const { dx, dz } = dims;
  const v = opts.sigmaX * opts.sigmaX;
  const stride = opts.stride ?? K;
  const power = weightPower(opts.normalisation ?? SELF_NORMALISED);
  const dreg = (opts.encoderGradient ?? 'iwae') === 'dreg';
  for (const block of [g.W, g.b, g.V, g.c, g.s]) block.fill(0);
  const w = workFor(dx, dz, K);
  const { z, r, logW, omega, H, sigma } = w;
  const { W } = p;
  const { W: gW, b: gb, V: gV, c: gc, s: gs } = g;
  const eps = opts.eps;
  const invV = 1 / v;
  let value = 0;
  for (let pt = 0; pt < n; pt++) {
    const xo = pt * dx;
    const eo = pt * stride * dz;
    logWeights(p, dims, v, x, xo, opts.eps, eo, K, w);
    value += normalise(logW, K, power, omega);
    H.fill(0);
    for (let k = 0; k < K; k++) {
      const om = omega[k];
      const zo = k * dz;
      const ro = k * dx;
      // h_k = Wᵀ r_k / v − z_k
      for (let j = 0; j < dz; j++) {
        let t = 0;
        for (let i = 0; i < dx; i++) t += W[i * dz + j] * r[ro + i];
        const hk = t * invV - z[zo + j];
        const e = eps[eo + zo + j];
        if (dreg) {
          // ∂log w/∂z at fixed q: h_k + (z_k − μ)/σ² = h_k + ε_k/σ; weight ω_k².
          const dk = hk + e / sigma[j];
          H[j] += om * om * dk;
          gs[j] += 0.5 * om * om * dk * sigma[j] * e;
        } else {
          H[j] += om * hk;
          gs[j] += 0.5 * om * hk * sigma[j] * e;
        }
      }
      for (let i = 0; i < dx; i++) {
        const ri = om * r[ro + i] * invV;
        gb[i] += ri;
        const wo = i * dz;
        for (let j = 0; j < dz; j++) gW[wo + j] += ri * z[zo + j];
      }
    }
    for (let j = 0; j < dz; j++) {
      gc[j] += H[j];
      // ∂/∂s_j of ½ Σ s in every log w_k, times Σ_k ω_k = 1 (DReG: no score term).
      if (!dreg) gs[j] += 0.5;
      const vo = j * dx;
      for (let i = 0; i < dx; i++) gV[vo + i] += H[j] * x[xo + i];
    }
  }
  for (const block of [g.W, g.b, g.V, g.c, g.s]) for (let i = 0; i < block.length; i++) block[i] /= n;
  return { value: value / n, grad: g };
}

/** The bound (1/n) Σ_i log (1/K) Σ_k w_ik for one draw, without the gradient (cheaper). */
export function iwaeValue(p: LinearVaeParams, opts: IwaeDrawOptions): number {
  const { dims, x, n, K } = opts;
  const v = checkSigma(opts.sigmaX, 'iwaeValue');
  checkDims(p, dims, 'iwaeValue');
  const stride = opts.stride ?? K;
  if (opts.eps.length < n * stride * dims.dz) throw new RangeError(`iwaeValue: eps has ${opts.eps.length} values, need ${n * stride * dims.dz}`);
  const power = weightPower(opts.normalisation ?? SELF_NORMALISED);
  const w = workFor(dims.dx, dims.dz, K);
  let value = 0;
  for (let pt = 0; pt < n; pt++) {
    logWeights(p, dims, v, x, pt * dims.dx, opts.eps, pt * stride * dims.dz, K, w);
    value += normalise(w.logW, K, power, w.omega);
  }
  return value / n;
}

/** Flatten the five blocks into one vector (W, b, V, c, s order). */
export function flattenParams(g: LinearVaeParams, out?: Float64Array): Float64Array {
  const size = g.W.length + g.b.length + g.V.length + g.c.length + g.s.length;
  const v = out ?? new Float64Array(size);
  let o = 0;
  for (const block of [g.W, g.b, g.V, g.c, g.s]) {
    v.set(block, o);
    o += block.length;
  }
  return v;
}

export { unbiasedSquaredNorm, type SquaredNormEstimate } from '../../stats/unbiased-squared-norm.ts';

export interface PointwiseLogMarginal {
  /** log p(x_i), one per point. */
  logp: Float64Array;
  /** ∇_{W,b} log p(x_i): point i's [∂W (dx·dz), ∂b (dx)] at i·(dx·dz + dx). */
  grad: Float64Array;
}

/**
 * Exact log N(x_i; b, C) and its gradient in (W, b) per point, C = W Wᵀ + σ_x² I:
 *   ∂b = a,  ∂W = (a aᵀ − C⁻¹) W,  a = C⁻¹ (x_i − b).
 */
export function pointwiseLogMarginal(W: Float64Array, b: Float64Array, dims: LinearVaeDims, sigmaX: number, x: ArrayLike<number>, n: number): PointwiseLogMarginal {
  const v = checkSigma(sigmaX, 'pointwiseLogMarginal');
  const { dx, dz } = dims;
  if (W.length !== dx * dz || b.length !== dx) throw new Error(`pointwiseLogMarginal: W has ${W.length} values and b ${b.length}, expected ${dx * dz} and ${dx}`);
  if (x.length < n * dx) throw new Error(`pointwiseLogMarginal: x has ${x.length} values, need n·dx = ${n * dx}`);
  const { chol, logDet } = marginalCholesky(W, dims, v, 'pointwiseLogMarginal');
  const Cinv = chol.solve(Matrix.eye(dx, dx)).to1DArray();
  // C⁻¹ W, shared by every point: ∂W = a (aᵀW) − C⁻¹W.
  const CinvW = new Float64Array(dx * dz);
  for (let i = 0; i < dx; i++) {
    for (let j = 0; j < dz; j++) {
      let t = 0;
      for (let l = 0; l < dx; l++) t += Cinv[i * dx + l] * W[l * dz + j];
      CinvW[i * dz + j] = t;
    }
  }
  const d = dx * dz + dx;
  const logp = new Float64Array(n);
  const grad = new Float64Array(n * d);
  const a = new Float64Array(dx);
  const aW = new Float64Array(dz);
  for (let pt = 0; pt < n; pt++) {
    let quad = 0;
    for (let i = 0; i < dx; i++) {
      let t = 0;
      for (let l = 0; l < dx; l++) t += Cinv[i * dx + l] * (x[pt * dx + l] - b[l]);
      a[i] = t;
    }
    for (let i = 0; i < dx; i++) quad += a[i] * (x[pt * dx + i] - b[i]);
    for (let j = 0; j < dz; j++) {
      let t = 0;
      for (let i = 0; i < dx; i++) t += a[i] * W[i * dz + j];
      aW[j] = t;
    }
    const o = pt * d;
    for (let i = 0; i < dx; i++) {
      for (let j = 0; j < dz; j++) grad[o + i * dz + j] = a[i] * aW[j] - CinvW[i * dz + j];
      grad[o + dx * dz + i] = a[i];
    }
    logp[pt] = -0.5 * (dx * LOG_2PI + logDet + quad);
  }
  return { logp, grad };
}

export interface LogMarginalGradient {
  /** dx*dz row-major, ∂/∂W of (1/n) Σ log p(x_i). */
  W: Float64Array;
  b: Float64Array;
  /** (1/n) Σ log p(x_i). */
  value: number;
}

/** Exact ∇_{W,b} of (1/n) Σ_i log p(x_i) (the average of pointwiseLogMarginal). */
export function logMarginalGradient(W: Float64Array, b: Float64Array, dims: LinearVaeDims, sigmaX: number, x: ArrayLike<number>, n: number): LogMarginalGradient {
  const { dx, dz } = dims;
  const pw = pointwiseLogMarginal(W, b, dims, sigmaX, x, n);
  const d = dx * dz + dx;
  const mean = new Float64Array(d);
  for (let pt = 0; pt < n; pt++) for (let t = 0; t < d; t++) mean[t] += pw.grad[pt * d + t] / n;
  return { W: mean.slice(0, dx * dz), b: mean.slice(dx * dz), value: pw.logp.reduce((u, w) => u + w, 0) / n };
}

export interface DecoderBlockEstimates {
  /**
   * Per K (in the order given): the decoder gradient estimate minus the exact
   * ∇_{W,b} log p(x) — [∂W (dx·dz), ∂b (dx)] averaged over points and blocks —
   * so its expectation is the IWAE gradient bias at K.
   */
  biases: Float64Array[];
  /** Per K: log p(x) − the bound estimate, averaged over points and blocks (expectation log p − L_K ≥ 0). */
  gaps: number[];
  /**
   * With the control variate: its average over all Kmax samples and the
   * points, [(1/Kmax) Σ_k (w_k/p(x)) (f_k − ∇log p(x)) (d values), (1/Kmax) Σ_k w_k/p(x) − 1].
   * By Fisher's identity its expectation is exactly 0 when the closed-form
   * ∇_{W,b} log p(x) and p(x) are right: an importance-sampling check of the
   * exact side (the bias and gap estimates themselves hardly depend on it —
   * the control variate replaces ∇log p by its unbiased estimate, to first order).
   */
  anchor?: Float64Array;
}

export interface DecoderBlockOptions {
  normalisation?: WeightNormalisation;
  /**
   * Subtract the zero-mean control variate Σ_k w_k (f_k − ∇log p) / (K p(x))
   * from each block's gradient estimate and (Σ w_k/(K p(x)) − 1) from its
   * bound. Both have expectation exactly 0 (E_q[w] = p(x) and, by Fisher's
   * identity, E_q[w ∇ log p(x, z)] = ∇p(x)), so the expectations — the bias
   * and the gap being measured — are unchanged, while the leading O(1/√K)
   * fluctuation cancels: the estimator's standard deviation becomes O(1/K),
   * like the bias itself, instead of O(1/√K).
   */
  controlVariate?: boolean;
}

/**
 * One draw of Kmax = max(Ks) samples per point, split for every K into
 * Kmax/K disjoint blocks of K consecutive samples; the block estimates of the
 * decoder gradient Σ_k ω_k ∇_{W,b} log p(x, z_k) (weights normalised within
 * the block) and of the bound are averaged over blocks. Blocks of size K are
 * unions of blocks of the previous size, so every K uses the same samples
 * (common random numbers) and, per draw, the plain bound estimates are
 * ordered by Jensen's inequality. Ks must increase, each dividing the next
 * (e.g. 1, 2, 4, …, 256). eps: n·Kmax·dz, point i's sample k at (i·Kmax + k)·dz.
 */
export function iwaeDecoderBlocks(
  p: LinearVaeParams,
  dims: LinearVaeDims,
  sigmaX: number,
  x: ArrayLike<number>,
  n: number,
  Ks: readonly number[],
  eps: ArrayLike<number>,
  opts: DecoderBlockOptions & { exact?: PointwiseLogMarginal } = {},
): DecoderBlockEstimates {
  const { dx, dz } = dims;
  const v = checkSigma(sigmaX, 'iwaeDecoderBlocks');
  checkDims(p, dims, 'iwaeDecoderBlocks');
  const power = weightPower(opts.normalisation ?? SELF_NORMALISED);
  const cv = opts.controlVariate ?? false;
  const Kmax = Ks[Ks.length - 1];
  Ks.forEach((K, i) => {
    if (!Number.isInteger(K) || K < 1 || (i > 0 && K % Ks[i - 1] !== 0) || Kmax % K !== 0) {
      throw new RangeError(`iwaeDecoderBlocks: Ks = ${Ks.join(', ')}; allowed increasing integers, each dividing the next`);
    }
  });
  if (eps.length < n * Kmax * dz) throw new RangeError(`iwaeDecoderBlocks: eps has ${eps.length} values, need n·Kmax·dz = ${n * Kmax * dz}`);
  const exact = opts.exact ?? pointwiseLogMarginal(p.W, p.b, dims, sigmaX, x, n);
  const d = dx * dz + dx;
  // The WebAssembly port (iwae-oracle-wasm.ts), the same bits, with logWeights' point-independent constants by its expressions.
  const sigma = new Float64Array(dz);
  let halfSumS = 0;
  for (let j = 0; j < dz; j++) {
    sigma[j] = Math.exp(0.5 * p.s[j]);
    halfSumS += 0.5 * p.s[j];
  }
  const ported = { biases: Ks.map(() => new Float64Array(d)), gaps: Ks.map(() => 0), anchor: new Float64Array(d + 1) };
  const call = { dims, x, n, eps, power, invV: 1 / v, half: 0.5 / v, logNorm: -0.5 * dx * (LOG_2PI + Math.log(v)), halfSumS, sigma, Ks, cv, logp: exact.logp, exactGrad: exact.grad };
  if (!iwaeDecoderBlocksWasm(p, call, ported.biases, ported.gaps, ported.anchor)) return iwaeDecoderBlocksJs(p, dims, v, x, n, Ks, eps, power, cv, exact);
  if (portChecks.blocks.due()) {
    const js = iwaeDecoderBlocksJs(p, dims, v, x, n, Ks, eps, power, cv, exact);
    const flat = (e: DecoderBlockEstimates) => [...e.gaps, ...e.biases.flatMap((b) => [...b]), ...(e.anchor ?? [])];
    checkPortAgrees('iwaeDecoderBlocks', flat(ported), flat(js));
  }
  return cv ? ported : { biases: ported.biases, gaps: ported.gaps };
}

/** iwaeDecoderBlocks in JavaScript (after its validation; v = σ_x²): the readable specification the port reproduces bit for bit. */
export function iwaeDecoderBlocksJs(p: LinearVaeParams, dims: LinearVaeDims, v: number, x: ArrayLike<number>, n: number, Ks: readonly number[], eps: ArrayLike<number>, power: number, cv: boolean, exact: PointwiseLogMarginal): DecoderBlockEstimates {
  const { dx, dz } = dims;
  const Kmax = Ks[Ks.length - 1];
  const d = dx * dz + dx;
  const K0 = Ks[0];
  // Per block at the current level: Σ w̃ f (d values), Σ w̃^power, Σ w̃ (the untempered weights, for the control variate),
  // with w̃ = w e^{−shift}; merged pairwise (or by the level ratio) going up.
  let blocks = Kmax / K0;
  let A = new Float64Array(blocks * d);
  let Wp = new Float64Array(blocks);
  let Acv = new Float64Array(blocks * d);
  let W1 = new Float64Array(blocks);
  const biases = Ks.map(() => new Float64Array(d));
  const gaps = Ks.map(() => 0);
  const anchor = new Float64Array(d + 1);
  const w = workFor(dx, dz, Kmax);
  const wk1 = new Float64Array(Kmax);
  for (let pt = 0; pt < n; pt++) {
    logWeights(p, dims, v, x, pt * dx, eps, pt * Kmax * dz, Kmax, w);
    const logZ = exact.logp[pt];
    const mu = exact.grad.subarray(pt * d, (pt + 1) * d);
    let shift = -Infinity;
    for (let k = 0; k < Kmax; k++) shift = Math.max(shift, power * w.logW[k]);
    blocks = Kmax / K0;
    A = A.length === blocks * d ? A.fill(0) : new Float64Array(blocks * d);
    Acv = Acv.length === blocks * d ? Acv.fill(0) : new Float64Array(blocks * d);
    Wp = Wp.length === blocks ? Wp.fill(0) : new Float64Array(blocks);
    W1 = W1.length === blocks ? W1.fill(0) : new Float64Array(blocks);
    const { r, z, logW } = w;
    const invV = 1 / v;
    for (let k = 0; k < Kmax; k++) {
      const blk = Math.floor(k / K0);
      const wp = Math.exp(power * logW[k] - shift);
      // Untempered weight relative to p(x): w_k / Z.
      const wk = cv ? Math.exp(logW[k] - logZ) : 0;
      wk1[k] = wk;
      Wp[blk] += wp;
      W1[blk] += wk;
      const o = blk * d;
      const ro = k * dx;
      const zo = k * dz;
      for (let i = 0; i < dx; i++) {
        const ri = r[ro + i] * invV;
        const oi = o + i * dz;
        for (let j = 0; j < dz; j++) {
          const f = ri * z[zo + j];
          A[oi + j] += wp * f;
          if (cv) Acv[oi + j] += wk * (f - mu[i * dz + j]);
        }
        A[o + dx * dz + i] += wp * ri;
        if (cv) Acv[o + dx * dz + i] += wk * (ri - mu[dx * dz + i]);
      }
    }
    for (let level = 0; level < Ks.length; level++) {
      const K = Ks[level];
      if (level > 0) {
        // Merge groups of `ratio` blocks of the previous level into one.
        const ratio = K / Ks[level - 1];
        const next = blocks / ratio;
        for (let bNew = 0; bNew < next; bNew++) {
          let wp = 0;
          let w1 = 0;
          const o = bNew * d;
          // In place: slots < bNew hold merged blocks already, and every slot this group reads is ≥ bNew·ratio ≥ bNew.
          const first = bNew * ratio;
          if (first !== bNew) {
            for (let t = 0; t < d; t++) {
              A[o + t] = A[first * d + t];
              Acv[o + t] = Acv[first * d + t];
            }
          }
          for (let q = first; q < first + ratio; q++) {
            wp += Wp[q];
            w1 += W1[q];
            if (q === first) continue;
            for (let t = 0; t < d; t++) {
              A[o + t] += A[q * d + t];
              Acv[o + t] += Acv[q * d + t];
            }
          }
          Wp[bNew] = wp;
          W1[bNew] = w1;
        }
        blocks = next;
      }
      const scale = 1 / (blocks * n);
      const bias = biases[level];
      for (let b = 0; b < blocks; b++) {
        const o = b * d;
        for (let t = 0; t < d; t++) {
          let est = A[o + t] / Wp[b] - mu[t];
          if (cv) est -= Acv[o + t] / K;
          bias[t] += est * scale;
        }
        const bound = (shift + Math.log(Wp[b] / K)) / power;
        let gap = logZ - bound;
        if (cv) gap += W1[b] / K - 1;
        gaps[level] += gap * scale;
      }
    }
    if (cv) {
      // After the last level one block holds all Kmax samples: the control variate's own average.
      for (let t = 0; t < d; t++) anchor[t] += Acv[t] / (Kmax * n);
      anchor[d] += (W1[0] / Kmax - 1) / n;
    }
  }
  return cv ? { biases, gaps, anchor } : { biases, gaps };
}
