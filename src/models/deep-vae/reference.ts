/**
 * Float64 reference of the deep Gaussian VAE (params.ts): the data-averaged
 * reparameterised ELBO for given noise and its exact gradient by hand-written
 * backpropagation, outside TensorFlow.js. Per point x and samples ε_1..ε_K:
 *   ELBO(x) = (1/K) Σ_k log N(x; G(μ + σ⊙ε_k), c² I) − β KL(N(μ, diag σ²) ‖ N(0, I)),
 *   KL = ½ Σ_j (σ_j² + μ_j² − 1 − log σ_j²)   (closed form).
 * The expected ELBO's gradient has no closed form (the decoder is nonlinear);
 * `deepElboDraw` is one unbiased Monte Carlo draw of it, and
 * src/stats/unbiased-squared-norm.ts turns J independent draws into an
 * unbiased estimate of ‖∇L‖².
 */
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, softClip, softClipDerivative, type ClipRange } from './soft-clip.ts';
import { DEEP_VAE_PARAM_NAMES, validateDeepDims, zeroDeepParams, type Activation, type DeepVaeDims, type DeepVaeParams } from './params.ts';

const LOG_2PI = Math.log(2 * Math.PI);

export interface DeepElboOptions {
  dims: DeepVaeDims;
  activation: Activation;
  /** Decoder standard deviation c (fixed). */
  decoderStd: number;
  beta?: number;
  /** Data, row-major n × dx. */
  x: ArrayLike<number>;
  n: number;
  K: number;
  /** Noise: point i's sample k at (i·stride + k)·dz; stride ≥ K (default K). */
  eps: ArrayLike<number>;
  stride?: number;
}

interface Act {
  f(x: number): number;
  d(x: number): number;
}

const identity: Act = { f: (x) => x, d: () => 1 };
const relu: Act = { f: (x) => (x > 0 ? x : 0), d: (x) => (x > 0 ? 1 : 0) };
const clip = (r: ClipRange): Act => ({ f: (x) => softClip(x, r), d: (x) => softClipDerivative(x, r) });
const SOFT = { hidden: clip(HIDDEN_RANGE), mean: clip(MEAN_RANGE), logVar: clip(LOG_VARIANCE_RANGE) };
const RELU = { hidden: relu, mean: identity, logVar: identity };

export function activationSet(a: Activation) {
  return a === 'soft-clip' ? SOFT : RELU;
}

/**
 * One Monte Carlo draw of the data-averaged ELBO and of its gradient (ascent
 * direction, every parameter), written into `out` (overwritten) when given.
 */
export function deepElboDraw(p: DeepVaeParams, o: DeepElboOptions, out?: DeepVaeParams): { value: number; grad: DeepVaeParams } {
  const { dims, x, n, K, eps } = o;
  validateDeepDims(dims);
  const { dx, hidden: H, dz } = dims;
  const stride = o.stride ?? K;
  if (!Number.isInteger(K) || K < 1 || stride < K) throw new RangeError(`deepElboDraw: K = ${K} (stride ${stride}); allowed an integer 1 ≤ K ≤ stride`);
  if (x.length < n * dx) throw new RangeError(`deepElboDraw: x has ${x.length} values, need n·dx = ${n * dx}`);
  if (eps.length < n * stride * dz) throw new RangeError(`deepElboDraw: eps has ${eps.length} values, need n·stride·dz = ${n * stride * dz}`);
  if (!(o.decoderStd > 0)) throw new RangeError(`deepElboDraw: decoder std c = ${o.decoderStd}; allowed c > 0`);
  const beta = o.beta ?? 1;
  const act = activationSet(o.activation);
  const g = out ?? zeroDeepParams(dims);
  for (const name of DEEP_VAE_PARAM_NAMES) g[name].fill(0);
  const v = o.decoderStd * o.decoderStd;
  const a1 = new Float64Array(H);
  const h1 = new Float64Array(H);
  const am = new Float64Array(dz);
  const av = new Float64Array(dz);
  const mu = new Float64Array(dz);
  const lv = new Float64Array(dz);
  const sd = new Float64Array(dz);
  const z = new Float64Array(dz);
  const a2 = new Float64Array(H);
  const h2 = new Float64Array(H);
  const a3 = new Float64Array(dx);
  const da3 = new Float64Array(dx);
  const da2 = new Float64Array(H);
  const dmu = new Float64Array(dz);
  const dlv = new Float64Array(dz);
  const dh1 = new Float64Array(H);
  const logNorm = -0.5 * dx * (LOG_2PI + Math.log(v));
  let total = 0;
  for (let pt = 0; pt < n; pt++) {
    const xo = pt * dx;
    // Encoder.
    for (let h = 0; h < H; h++) {
      let t = p.b1[h];
      const wo = h * dx;
      for (let i = 0; i < dx; i++) t += p.W1[wo + i] * x[xo + i];
      a1[h] = t;
      h1[h] = act.hidden.f(t);
    }
    let kl = 0;
    for (let j = 0; j < dz; j++) {
      let tm = p.bm[j];
      let tv = p.bv[j];
      const wo = j * H;
      for (let h = 0; h < H; h++) {
        tm += p.Wm[wo + h] * h1[h];
        tv += p.Wv[wo + h] * h1[h];
      }
      am[j] = tm;
      av[j] = tv;
      mu[j] = act.mean.f(tm);
      lv[j] = act.logVar.f(tv);
      sd[j] = Math.exp(0.5 * lv[j]);
      kl += 0.5 * (Math.exp(lv[j]) + mu[j] * mu[j] - 1 - lv[j]);
      // KL gradient (ascent on −β KL).
      dmu[j] = -beta * mu[j];
      dlv[j] = -0.5 * beta * (Math.exp(lv[j]) - 1);
    }
    let rec = 0;
    for (let k = 0; k < K; k++) {
      const eo = (pt * stride + k) * dz;
      for (let j = 0; j < dz; j++) z[j] = mu[j] + sd[j] * eps[eo + j];
      for (let h = 0; h < H; h++) {
        let t = p.b2[h];
        const wo = h * dz;
        for (let j = 0; j < dz; j++) t += p.W2[wo + j] * z[j];
        a2[h] = t;
        h2[h] = act.hidden.f(t);
      }
      let sq = 0;
      for (let i = 0; i < dx; i++) {
        let t = p.b3[i];
        const wo = i * H;
        for (let h = 0; h < H; h++) t += p.W3[wo + h] * h2[h];
        a3[i] = t;
        const r = x[xo + i] - act.mean.f(t);
        sq += r * r;
        // ∂/∂G of (1/K)(−‖x − G‖²/(2v)) is r/(vK); through the output activation.
        da3[i] = (r / (v * K)) * act.mean.d(t);
      }
      rec += (logNorm - sq / (2 * v)) / K;
      // Backward through the decoder.
      da2.fill(0);
      for (let i = 0; i < dx; i++) {
        const d = da3[i];
        g.b3[i] += d;
        const wo = i * H;
        for (let h = 0; h < H; h++) {
          g.W3[wo + h] += d * h2[h];
          da2[h] += p.W3[wo + h] * d;
        }
      }
      for (let h = 0; h < H; h++) {
        const d = da2[h] * act.hidden.d(a2[h]);
        da2[h] = d;
        g.b2[h] += d;
        const wo = h * dz;
        for (let j = 0; j < dz; j++) g.W2[wo + j] += d * z[j];
      }
      for (let j = 0; j < dz; j++) {
        let dzj = 0;
        for (let h = 0; h < H; h++) dzj += p.W2[h * dz + j] * da2[h];
        dmu[j] += dzj;
        // z = μ + e^{lv/2} ε: ∂z/∂lv = ½ e^{lv/2} ε.
        dlv[j] += dzj * 0.5 * sd[j] * eps[eo + j];
      }
    }
    total += rec - beta * kl;
    // Backward through the encoder heads and hidden layer.
    dh1.fill(0);
    for (let j = 0; j < dz; j++) {
      const dm = dmu[j] * act.mean.d(am[j]);
      const dv = dlv[j] * act.logVar.d(av[j]);
      g.bm[j] += dm;
      g.bv[j] += dv;
      const wo = j * H;
      for (let h = 0; h < H; h++) {
        g.Wm[wo + h] += dm * h1[h];
        g.Wv[wo + h] += dv * h1[h];
        dh1[h] += p.Wm[wo + h] * dm + p.Wv[wo + h] * dv;
      }
    }
    for (let h = 0; h < H; h++) {
      const d = dh1[h] * act.hidden.d(a1[h]);
      g.b1[h] += d;
      const wo = h * dx;
      for (let i = 0; i < dx; i++) g.W1[wo + i] += d * x[xo + i];
    }
  }
  for (const name of DEEP_VAE_PARAM_NAMES) {
    const block = g[name];
    for (let i = 0; i < block.length; i++) block[i] /= n;
  }
  return { value: total / n, grad: g };
}

/** Flatten every block into one vector, in DEEP_VAE_PARAM_NAMES order. */
export function flattenDeep(g: DeepVaeParams, out?: Float64Array): Float64Array {
  const size = DEEP_VAE_PARAM_NAMES.reduce((a, k) => a + g[k].length, 0);
  const v = out ?? new Float64Array(size);
  let off = 0;
  for (const k of DEEP_VAE_PARAM_NAMES) {
    v.set(g[k], off);
    off += g[k].length;
  }
  return v;
}
