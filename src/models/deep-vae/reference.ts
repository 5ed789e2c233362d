/**
 * Float64 reference of the deep Gaussian VAE (params.ts): the data-averaged
 * reparameterised ELBO for given noise and its exact gradient by hand-written
 * backpropagation, outside TensorFlow.js. Per point x and samples ε_1..ε_K:
 *   ELBO(x) = (1/K) Σ_k log N(x; G(μ + σ⊙ε_k), c² I) − β KL(N(μ, diag σ²) ‖ N(0, I)),
 *   KL = ½ Σ_j (σ_j² + μ_j² − 1 − log σ_j²)   (closed form).
 * The expected ELBO's gradient has no closed form (the decoder is nonlinear);
 * each noise draw gives one unbiased Monte Carlo draw of it, and
 * src/stats/unbiased-squared-norm.ts turns J independent draws into an
 * unbiased estimate of ‖∇L‖².
 *
 * `deepElboDraws` evaluates J draws in one pass over the data: the encoder's
 * forward pass (which does not depend on the noise) is computed once per
 * point and shared by the draws, and each activation's value and derivative
 * come from one fused evaluation (soft-clip.ts). This is the measurement's
 * hot path (every replica, checkpoint and draw): it runs as a WebAssembly SIMD
 * port (reference-wasm.ts, wasm/reference.as.ts) of deepElboDrawsJs below, bit
 * for bit the same values and gradients (VAE_CLAIMS_DEEP_REFERENCE=js forces
 * the JavaScript).
 */
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, softClip, softClipDerivative, softClipWithDerivative, type ClipRange } from './soft-clip.ts';
import { deepElboDrawsWasm } from './reference-wasm.ts';
import { DEEP_VAE_PARAM_NAMES, deepParamCount, deepVaeShapes, validateDeepDims, zeroDeepParams, type Activation, type DeepVaeDims, type DeepVaeParamName, type DeepVaeParams } from './params.ts';

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
  /** f into out[at], f' into out[at + 1]. */
  fd(x: number, out: Float64Array, at: number): void;
}

const identity: Act = {
  f: (x) => x,
  d: () => 1,
  fd: (x, out, at) => {
    out[at] = x;
    out[at + 1] = 1;
  },
};
const relu: Act = {
  f: (x) => (x > 0 ? x : 0),
  d: (x) => (x > 0 ? 1 : 0),
  fd: (x, out, at) => {
    out[at] = x > 0 ? x : 0;
    out[at + 1] = x > 0 ? 1 : 0;
  },
};
const clip = (r: ClipRange): Act => ({ f: (x) => softClip(x, r), d: (x) => softClipDerivative(x, r), fd: (x, out, at) => softClipWithDerivative(x, r, out, at) });
const SOFT = { hidden: clip(HIDDEN_RANGE), mean: clip(MEAN_RANGE), logVar: clip(LOG_VARIANCE_RANGE) };
const RELU = { hidden: relu, mean: identity, logVar: identity };

export function activationSet(a: Activation) {
  return a === 'soft-clip' ? SOFT : RELU;
}

/** Offsets of every block in the flattened (DEEP_VAE_PARAM_NAMES order) vector. */
export function deepOffsets(dims: DeepVaeDims): Record<DeepVaeParamName, number> {
  const shapes = deepVaeShapes(dims);
  const out = {} as Record<DeepVaeParamName, number>;
  let off = 0;
  for (const name of DEEP_VAE_PARAM_NAMES) {
    out[name] = off;
    off += shapes[name].reduce((a, b) => a * b, 1);
  }
  return out;
}

/** Per-block views into a flat vector in DEEP_VAE_PARAM_NAMES order (no copy). */
export function unflattenDeep(flat: Float64Array, dims: DeepVaeDims): DeepVaeParams {
  const shapes = deepVaeShapes(dims);
  const offsets = deepOffsets(dims);
  if (flat.length !== deepParamCount(dims)) throw new RangeError(`unflattenDeep: ${flat.length} values, need ${deepParamCount(dims)}`);
  const out = {} as DeepVaeParams;
  for (const name of DEEP_VAE_PARAM_NAMES) {
    const size = shapes[name].reduce((a, b) => a * b, 1);
    out[name] = flat.subarray(offsets[name], offsets[name] + size);
  }
  return out;
}

function validate(o: DeepElboOptions, eps: ArrayLike<number>): void {
  const { dims, x, n, K } = o;
  validateDeepDims(dims);
  const stride = o.stride ?? K;
  if (!Number.isInteger(K) || K < 1 || stride < K) throw new RangeError(`deepElboDraw: K = ${K} (stride ${stride}); allowed an integer 1 ≤ K ≤ stride`);
  if (x.length < n * dims.dx) throw new RangeError(`deepElboDraw: x has ${x.length} values, need n·dx = ${n * dims.dx}`);
  if (eps.length < n * stride * dims.dz) throw new RangeError(`deepElboDraw: eps has ${eps.length} values, need n·stride·dz = ${n * stride * dims.dz}`);
  if (!(o.decoderStd > 0)) throw new RangeError(`deepElboDraw: decoder std c = ${o.decoderStd}; allowed c > 0`);
}

/**
 * J Monte Carlo draws of the data-averaged ELBO and of its gradient (ascent
 * direction, every parameter), draw j with noise `epsList[j]` (laid out as
 * `o.eps` is; `o.eps` itself is ignored). Gradients are written flattened in
 * DEEP_VAE_PARAM_NAMES order into `grads[j]` (overwritten); returns the J values.
 * Runs reference-wasm.ts's WebAssembly SIMD port where it loads (bit for bit
 * deepElboDrawsJs), deepElboDrawsJs otherwise.
 */
export function deepElboDraws(p: DeepVaeParams, o: Omit<DeepElboOptions, 'eps'>, epsList: readonly ArrayLike<number>[], grads: readonly Float64Array[]): Float64Array {
  validateDraws(o, epsList, grads);
  const { dims } = o;
  const v = o.decoderStd * o.decoderStd;
  const logNorm = -0.5 * dims.dx * (LOG_2PI + Math.log(v));
  const port = deepElboDrawsWasm(flattenDeep(p), dims, activationSet(o.activation), o.activation === 'soft-clip' ? { hidden: HIDDEN_RANGE, mean: MEAN_RANGE } : null, o.x, o.n, o.K, o.stride ?? o.K, o.beta ?? 1, v, logNorm, epsList, grads);
  return port ?? deepElboDrawsJs(p, o, epsList, grads);
}

function validateDraws(o: Omit<DeepElboOptions, 'eps'>, epsList: readonly ArrayLike<number>[], grads: readonly Float64Array[]): void {
  const J = epsList.length;
  if (grads.length !== J) throw new RangeError(`deepElboDraws: ${J} noise draws but ${grads.length} gradient buffers`);
  const P = deepParamCount(o.dims);
  for (const e of epsList) validate({ ...o, eps: e }, e);
  for (const g of grads) {
    if (g.length !== P) throw new RangeError(`deepElboDraws: gradient buffer of ${g.length} values, need ${P}`);
  }
}

/**
 * deepElboDraws in JavaScript, whichever implementation deepElboDraws picks here
 * (reference-wasm.ts's port where it loads): the readable specification the port
 * reproduces bit for bit, and what the deep rate claims compare it with once per run.
 */
export function deepElboDrawsJs(p: DeepVaeParams, o: Omit<DeepElboOptions, 'eps'>, epsList: readonly ArrayLike<number>[], grads: readonly Float64Array[]): Float64Array {
  validateDraws(o, epsList, grads);
  const J = epsList.length;
  const P = deepParamCount(o.dims);
  for (const g of grads) g.fill(0);
  const { dims, x, n, K } = o;
  const { dx, hidden: H, dz } = dims;
  const stride = o.stride ?? K;
  const beta = o.beta ?? 1;
  const act = activationSet(o.activation);
  const off = deepOffsets(dims);
  const v = o.decoderStd * o.decoderStd;
  const logNorm = -0.5 * dx * (LOG_2PI + Math.log(v));
  const { W1, b1, Wm, bm, Wv, bv, W2, b2, W3, b3 } = p;
  // Encoder state of the current point (shared by the draws): values and derivatives interleaved.
  const h1 = new Float64Array(2 * H);
  const mu = new Float64Array(2 * dz);
  const lv = new Float64Array(2 * dz);
  const sd = new Float64Array(dz);
  const z = new Float64Array(dz);
  const h2 = new Float64Array(2 * H);
  const outAct = new Float64Array(2);
  const da2 = new Float64Array(H);
  const dmu = new Float64Array(dz);
  const dlv = new Float64Array(dz);
  const dh1 = new Float64Array(H);
  const values = new Float64Array(J);
  for (let pt = 0; pt < n; pt++) {
    const xo = pt * dx;
    // Encoder forward (noise-free).
    for (let h = 0; h < H; h++) {
      let t = b1[h];
      const wo = h * dx;
      for (let i = 0; i < dx; i++) t += W1[wo + i] * x[xo + i];
      act.hidden.fd(t, h1, 2 * h);
    }
    let kl = 0;
    for (let j = 0; j < dz; j++) {
      let tm = bm[j];
      let tv = bv[j];
      const wo = j * H;
      for (let h = 0; h < H; h++) {
        tm += Wm[wo + h] * h1[2 * h];
        tv += Wv[wo + h] * h1[2 * h];
      }
      act.mean.fd(tm, mu, 2 * j);
      act.logVar.fd(tv, lv, 2 * j);
      sd[j] = Math.exp(0.5 * lv[2 * j]);
      kl += 0.5 * (Math.exp(lv[2 * j]) + mu[2 * j] * mu[2 * j] - 1 - lv[2 * j]);
    }
    for (let d = 0; d < J; d++) {
      const eps = epsList[d];
      const g = grads[d];
      // KL gradient (ascent on −β KL).
      for (let j = 0; j < dz; j++) {
        dmu[j] = -beta * mu[2 * j];
        dlv[j] = -0.5 * beta * (sd[j] * sd[j] - 1);
      }
      let rec = 0;
      for (let k = 0; k < K; k++) {
        const eo = (pt * stride + k) * dz;
        for (let j = 0; j < dz; j++) z[j] = mu[2 * j] + sd[j] * eps[eo + j];
        for (let h = 0; h < H; h++) {
          let t = b2[h];
          const wo = h * dz;
          for (let j = 0; j < dz; j++) t += W2[wo + j] * z[j];
          act.hidden.fd(t, h2, 2 * h);
        }
        // Decoder output and its backward pass, one output at a time.
        da2.fill(0);
        let sq = 0;
        for (let i = 0; i < dx; i++) {
          let t = b3[i];
          const wo = i * H;
          for (let h = 0; h < H; h++) t += W3[wo + h] * h2[2 * h];
          act.mean.fd(t, outAct, 0);
          const r = x[xo + i] - outAct[0];
          sq += r * r;
          // ∂/∂G of (1/K)(−‖x − G‖²/(2v)) is r/(vK); through the output activation.
          const dd = (r / (v * K)) * outAct[1];
          g[off.b3 + i] += dd;
          const go = off.W3 + wo;
          for (let h = 0; h < H; h++) {
            g[go + h] += dd * h2[2 * h];
            da2[h] += W3[wo + h] * dd;
          }
        }
        rec += (logNorm - sq / (2 * v)) / K;
        for (let h = 0; h < H; h++) {
          const dd = da2[h] * h2[2 * h + 1];
          da2[h] = dd;
          g[off.b2 + h] += dd;
          const go = off.W2 + h * dz;
          for (let j = 0; j < dz; j++) g[go + j] += dd * z[j];
        }
        for (let j = 0; j < dz; j++) {
          let dzj = 0;
          for (let h = 0; h < H; h++) dzj += W2[h * dz + j] * da2[h];
          dmu[j] += dzj;
          // z = μ + e^{lv/2} ε: ∂z/∂lv = ½ e^{lv/2} ε.
          dlv[j] += dzj * 0.5 * sd[j] * eps[eo + j];
        }
      }
      values[d] += rec - beta * kl;
      // Backward through the encoder heads and hidden layer.
      dh1.fill(0);
      for (let j = 0; j < dz; j++) {
        const dm = dmu[j] * mu[2 * j + 1];
        const dv = dlv[j] * lv[2 * j + 1];
        g[off.bm + j] += dm;
        g[off.bv + j] += dv;
        const wo = j * H;
        for (let h = 0; h < H; h++) {
          g[off.Wm + wo + h] += dm * h1[2 * h];
          g[off.Wv + wo + h] += dv * h1[2 * h];
          dh1[h] += Wm[wo + h] * dm + Wv[wo + h] * dv;
        }
      }
      for (let h = 0; h < H; h++) {
        const dd = dh1[h] * h1[2 * h + 1];
        g[off.b1 + h] += dd;
        const go = off.W1 + h * dx;
        for (let i = 0; i < dx; i++) g[go + i] += dd * x[xo + i];
      }
    }
  }
  for (let d = 0; d < J; d++) {
    const g = grads[d];
    for (let i = 0; i < P; i++) g[i] /= n;
    values[d] /= n;
  }
  return values;
}

/**
 * One Monte Carlo draw of the data-averaged ELBO and of its gradient (ascent
 * direction, every parameter), written into `out` (overwritten) when given.
 */
export function deepElboDraw(p: DeepVaeParams, o: DeepElboOptions, out?: DeepVaeParams): { value: number; grad: DeepVaeParams } {
  validate(o, o.eps);
  const flat = new Float64Array(deepParamCount(o.dims));
  const [value] = deepElboDraws(p, o, [o.eps], [flat]);
  const g = out ?? zeroDeepParams(o.dims);
  const views = unflattenDeep(flat, o.dims);
  for (const name of DEEP_VAE_PARAM_NAMES) g[name].set(views[name]);
  return { value, grad: g };
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
