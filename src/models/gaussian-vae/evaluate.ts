/**
 * Float64 evaluation of a trained Gaussian VAE (see params.ts) on a data set
 * with FIXED evaluation noise ε (K samples per point, common to every
 * checkpoint and replica): the ELBO, the three entropies of [D23]
 *   (1/N) Σ_n H[q_n] = (1/N) Σ_n Σ_h ½ log(2πe τ_h²(x_n)),
 *   H[p(z)] = (H/2) log(2πe),
 *   E H[p(x|z)] = (D/2) log(2πe σ²),
 * and the exact gap decomposition
 *   F − S = (D/2)(1 − s/σ²) − ½ Σ_h (m_h − 1),
 * s = (1/(N K D)) Σ_{n,k} ‖x_n − f(z_nk)‖²,  m_h = (1/N) Σ_n (ν_h(x_n)² + τ_h²(x_n)).
 * F is computed from its definition: per sample log N(x_n; f(z_nk), σ² I)
 * summed over dimensions, averaged over samples, minus the closed-form KL.
 * The decomposition uses s and m_h; F uses per-dimension log densities and
 * the KL; they agree to rounding when the code is right (the identity is
 * exact for any estimate of s computed from the same samples).
 */
import { decomposition, diagnosis, gaussianEntropy1d, LOG_2PI, LOG_2PIE, type EntropyDiagnosis } from '../../entropy/formulas.ts';
import { checkArch, latentScalesOf, logVarianceOf, type GaussianVaeArch, type GaussianVaeParams } from './params.ts';
import { wasmEvalLayers, type EvalLayers } from './evaluate-wasm.ts';

export interface EvaluationSet {
  /** N×D row-major. */
  x: ArrayLike<number>;
  N: number;
  /** N×K×H standard normals. */
  eps: Float64Array;
  K: number;
}

export interface GaussianVaeDiagnosis extends EntropyDiagnosis {
  /** Per-dimension expected squared reconstruction error s. */
  meanSquaredError: number;
  /** m_h per latent. */
  secondMoments: number[];
  variance: number;
}

/**
 * y = tanh?(x W + b) for one row x; W is rows×cols row-major. The specification of the
 * WebAssembly port (evaluate-wasm.ts), which computes the same bits.
 */
function denseJs(x: ArrayLike<number>, xo: number, rows: number, W: ArrayLike<number>, b: ArrayLike<number>, cols: number, out: Float64Array, tanh: boolean): void {
  for (let j = 0; j < cols; j++) out[j] = b[j];
  for (let i = 0; i < rows; i++) {
    const v = x[xo + i];
    if (v === 0) continue;
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j] += v * W[o + j];
  }
  if (tanh) for (let j = 0; j < cols; j++) out[j] = Math.tanh(out[j]);
}

/** The JavaScript layers (denseJs), where the port cannot run. */
function jsEvalLayers(p: GaussianVaeParams, arch: GaussianVaeArch, x: ArrayLike<number>): EvalLayers {
  const { D, hidden: Hd, latent: H } = arch;
  const layers = {
    h: new Float64Array(Hd),
    nu: new Float64Array(H),
    lv: new Float64Array(H),
    z: new Float64Array(H),
    g: new Float64Array(Hd),
    f: new Float64Array(D),
    encode(n: number): void {
      denseJs(x, n * D, D, p.We1, p.be1, Hd, layers.h, true);
      denseJs(layers.h, 0, Hd, p.Wmu, p.bmu, H, layers.nu, false);
      denseJs(layers.h, 0, Hd, p.Wlv, p.blv, H, layers.lv, false);
    },
    decode(): void {
      denseJs(layers.z, 0, H, p.Wd1, p.bd1, Hd, layers.g, true);
      denseJs(layers.g, 0, Hd, p.Wd2, p.bd2, D, layers.f, false);
    },
  };
  return layers;
}

/**
 * The port's layers against their JavaScript specification on this diagnosis's own
 * parameters and rows (the first and the last, each encoded and decoded), bit for bit:
 * the evaluation runs the port, so a bug in either would otherwise go unseen by the
 * checks, and a mutant of denseJs (the mutation suite forces JavaScript) be bypassed.
 * Costs two rows of N in JavaScript. Throws, naming the first difference.
 */
function crossCheckPort(port: EvalLayers, js: EvalLayers, N: number): void {
  const arrays = ['h', 'nu', 'lv', 'g', 'f'] as const;
  for (const n of new Set([0, N - 1])) {
    port.encode(n);
    js.encode(n);
    port.z.set(js.nu);
    js.z.set(js.nu);
    port.decode();
    js.decode();
    for (const name of arrays) {
      const a = port[name];
      const b = js[name];
      for (let i = 0; i < a.length; i++) {
        if (!Object.is(a[i], b[i])) {
          throw new Error(`diagnoseGaussianVae: the WebAssembly port of the dense layers gives ${name}[${i}] = ${a[i]} at row ${n}, its JavaScript specification ${b[i]}`);
        }
      }
    }
  }
}

export function diagnoseGaussianVae(
  p: GaussianVaeParams,
  arch: GaussianVaeArch,
  set: EvaluationSet,
  opts: { fixedLogVariance?: number | null; learnLatentScale?: boolean } = {},
): GaussianVaeDiagnosis {
  checkArch(arch);
  const { D, latent: H } = arch;
  const { N, K, x, eps } = set;
  if (x.length !== N * D) throw new RangeError(`diagnoseGaussianVae: x has length ${x.length}, expected N×D = ${N * D}`);
  if (eps.length !== N * K * H) throw new RangeError(`diagnoseGaussianVae: ε has length ${eps.length}, expected N×K×H = ${N * K * H}`);
  const logVar = opts.fixedLogVariance ?? logVarianceOf(p);
  const rho = opts.learnLatentScale === false ? new Float64Array(H) : latentScalesOf(p);
  const v = Math.exp(logVar);
  const port = wasmEvalLayers(p, arch, x, N);
  if (port !== null) crossCheckPort(port, jsEvalLayers(p, arch, x), N);
  const layers = port ?? jsEvalLayers(p, arch, x);
  const { nu, lv, z, f } = layers;
  const m = new Float64Array(H);
  let sq = 0;
  let logLikTotal = 0;
  let klTotal = 0;
  let encoderEntropy = 0;
  for (let n = 0; n < N; n++) {
    layers.encode(n);
    for (let j = 0; j < H; j++) {
      nu[j] *= Math.exp(rho[j]);
      lv[j] += 2 * rho[j];
    }
    for (let j = 0; j < H; j++) {
      const t2 = Math.exp(lv[j]);
      m[j] += nu[j] * nu[j] + t2;
      klTotal += 0.5 * (t2 + nu[j] * nu[j] - 1 - lv[j]);
      encoderEntropy += gaussianEntropy1d(t2);
    }
    for (let k = 0; k < K; k++) {
      const eo = (n * K + k) * H;
      // The decoder reads z e^{−ρ} (see params.ts).
      for (let j = 0; j < H; j++) z[j] = (nu[j] + Math.exp(0.5 * lv[j]) * eps[eo + j]) * Math.exp(-rho[j]);
      layers.decode();
      let ll = 0;
      for (let i = 0; i < D; i++) {
        const r = x[n * D + i] - f[i];
        sq += r * r;
        ll += -0.5 * (LOG_2PI + logVar) - (r * r) / (2 * v);
      }
      logLikTotal += ll / K;
    }
  }
  const s = sq / (N * K * D);
  const secondMoments = Array.from(m, (mh) => mh / N);
  const elbo = logLikTotal / N - klTotal / N;
  const prior = secondMoments.reduce((a, mh) => a - 0.5 * (mh - 1), 0);
  const d = diagnosis(
    { encoderEntropy: encoderEntropy / N, priorEntropy: 0.5 * H * LOG_2PIE, decoderEntropy: 0.5 * D * (LOG_2PIE + logVar) },
    elbo,
    decomposition(prior, 0.5 * D * (1 - s / v)),
  );
  return { ...d, meanSquaredError: s, secondMoments, variance: v };
}
