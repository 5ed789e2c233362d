/**
 * The stochastic latent network's loss gradient (stochastic-latent.ts, lossGradients)
 * as one fused float64 loop over units and inputs, in place of a TensorFlow.js
 * program over the [n, R·m, K] latent samples.
 *
 * Why: that program materialised ten [n, R·m, K] tensors a step (K = 16: 25M
 * floats each at m = 4096, 12 replicas) and took 84–93% of snn-ntk's and
 * snn-krr-equivalence's time. The K draws of a unit are the same for every input
 * and every step, so they are sorted once; then for an input with μ and s > 0
 *   z_k = μ + s ε_k > 0  ⇔  ε_k > −μ/s,
 * a binary search finds the draws above the threshold, and with the sorted draws'
 * tail sums T_k = Σ_{k' ≥ k} ε_(k'):
 *   ḡ = (1/K) Σ_k ψ(z_k) = ((K − k₀) μ + s T_{k₀}) / K,
 *   P = (1/K) Σ_k 1[z_k > 0] = (K − k₀)/K,   P_ε = (1/K) Σ_k 1[z_k > 0] ε_k = T_{k₀}/K,
 * the same sums, in float64, with one threshold per (input, unit) instead of K terms.
 * Softplus and σ(ρ) share one e^{−|ρ|}, from this file's own expNeg and log1pUnit (plain
 * float64 arithmetic), so that the WebAssembly port of the two passes
 * (wasm/stochastic-loss.as.ts, used where it loads; VAE_CLAIMS_STOCHASTIC_LOSS_KERNEL=js
 * forces these loops) computes the same bits.
 * The matrix products (μ, ρ from X; ∂U, ∂V from Xᵀ) stay on the backend
 * (stochastic-latent.ts). Checked against a draw-by-draw loop and the port
 * (test/ntk/stochastic-latent-loss.test.ts), against tf.grads through the TensorFlow.js
 * forward (test/ntk/stochastic-latent.test.ts), and by the claims' own gradient probe
 * (src/claims/ntk/shared/stochastic-autodiff.ts).
 */
import { align16, firstBitDifference, growTo, PortCheckSchedule, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';

/** Per unit, its K noise draws sorted ascending and their tail sums. */
export interface SortedNoise {
  K: number;
  /** [units·K]: unit c's draws ascending at c·K … c·K + K − 1. */
  sorted: Float64Array;
  /** [units·(K + 1)]: T_k = Σ_{k' ≥ k} of unit c's sorted draws at c·(K + 1) + k (T_K = 0). */
  tail: Float64Array;
}

/** Sorts each unit's K draws (noise [units·K], unit-major) and forms their tail sums. */
export function sortNoise(noise: ArrayLike<number>, units: number, K: number): SortedNoise {
  const sorted = new Float64Array(units * K);
  const tail = new Float64Array(units * (K + 1));
  for (let c = 0; c < units; c++) {
    const unit = sorted.subarray(c * K, (c + 1) * K);
    for (let k = 0; k < K; k++) unit[k] = noise[c * K + k];
    unit.sort();
    const t = c * (K + 1);
    for (let k = K - 1; k >= 0; k--) tail[t + k] = tail[t + k + 1] + unit[k];
  }
  return { K, sorted, tail };
}

export interface StochasticLossInputs {
  n: number;
  R: number;
  m: number;
  /** Pre-activations μ and ρ [n, R·m] row-major (replica r's units at columns r·m … r·m + m − 1). */
  mu: ArrayLike<number>;
  rho: ArrayLike<number>;
  /** Readout weights a [R·m]. */
  a: ArrayLike<number>;
  noise: SortedNoise;
  /** Targets [n]. */
  y: ArrayLike<number>;
  /** √m (NTK parameterisation) or 1: f = (1/readoutDivisor) Σ a ḡ. */
  readoutDivisor: number;
  /** Per replica, the KL weight w_r (the loss adds w_r (1/n) Σ_i Σ_units KL), or undefined. */
  kl?: ArrayLike<number>;
}

/** Work arrays of one size, kept between calls (in the port's memory when it runs). */
export interface StochasticLossWork {
  G: Float64Array;
  P: Float64Array;
  Peps: Float64Array;
  s: Float64Array;
  sig: Float64Array;
  /** Outputs: ∂L/∂μ and ∂L/∂ρ [n, R·m] (float32, for the backend's matrix products). */
  dMu: Float32Array;
  dRho: Float32Array;
  /** The WebAssembly port and its copy of the sorted draws, or null (the JavaScript loops run). */
  port: LossPort | null;
}

interface LossExports {
  unitAverages(row: number, c0: number, c1: number, muAt: number, rhoAt: number, aAt: number, sortedAt: number, tailAt: number, K: number, GAt: number, PAt: number, PepsAt: number, sAt: number, sigAt: number): number;
  unitGradients(row: number, c0: number, c1: number, gi: number, wr: number, muAt: number, aAt: number, readoutDivisor: number, GAt: number, PAt: number, PepsAt: number, sAt: number, sigAt: number, dMuAt: number, dRhoAt: number, sumMuAt: number, sumRhoAt: number, gaAt: number): void;
}

interface LossPort {
  exports: LossExports;
  /** The draws copied into the module (the port runs only for these). */
  noise: SortedNoise;
  /** Byte addresses of every array. */
  at: Record<'mu' | 'rho' | 'a' | 'sorted' | 'tail' | 'G' | 'P' | 'Peps' | 's' | 'sig' | 'dMu' | 'dRho' | 'sumMu' | 'sumRho' | 'ga', number>;
  mu: Float32Array;
  rho: Float32Array;
  a: Float32Array;
  sumMu: Float64Array;
  sumRho: Float64Array;
  ga: Float64Array;
}

const binary = wasmKernelBinary(new URL('./wasm/stochastic-loss.wasm', import.meta.url), 'VAE_CLAIMS_STOCHASTIC_LOSS_KERNEL', { name: 'stochastic-loss', source: new URL('./wasm/stochastic-loss.as.ts', import.meta.url) });

/** Which implementation stochasticLossWork gives by default here (VAE_CLAIMS_STOCHASTIC_LOSS_KERNEL=js forces JavaScript). */
export function stochasticLossImplementation(): KernelImplementation {
  return binary.implementation();
}

/**
 * Work arrays for n inputs and `units` units with these sorted draws: in the memory of a
 * WebAssembly port of the two passes (wasm/stochastic-loss.as.ts, bitwise the JavaScript
 * loops below) where it loads and `implementation` is not 'js', else plain arrays.
 */
export function stochasticLossWork(n: number, units: number, noise: SortedNoise, implementation?: KernelImplementation): StochasticLossWork {
  const module = implementation === 'js' ? null : binary.module();
  if (module === null) {
    const f64 = () => new Float64Array(n * units);
    return { G: f64(), P: f64(), Peps: f64(), s: f64(), sig: f64(), dMu: new Float32Array(n * units), dRho: new Float32Array(n * units), port: null };
  }
  const N = n * units;
  const { K } = noise;
  const sizes = { mu: 4 * N, rho: 4 * N, a: 4 * units, sorted: 8 * units * K, tail: 8 * units * (K + 1), G: 8 * N, P: 8 * N, Peps: 8 * N, s: 8 * N, sig: 8 * N, dMu: 4 * N, dRho: 4 * N, sumMu: 8 * units, sumRho: 8 * units, ga: 8 * units };
  const at = {} as LossPort['at'];
  let next = BASE;
  for (const [name, bytes] of Object.entries(sizes)) {
    at[name as keyof LossPort['at']] = next;
    next += align16(bytes);
  }
  const memory = new WebAssembly.Memory({ initial: 1 });
  growTo(memory, next); // never grows again: the views below stay valid
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as LossExports;
  const buf = memory.buffer;
  const f64 = (name: keyof LossPort['at'], length: number) => new Float64Array(buf, at[name], length);
  const f32 = (name: keyof LossPort['at'], length: number) => new Float32Array(buf, at[name], length);
  f64('sorted', units * K).set(noise.sorted);
  f64('tail', units * (K + 1)).set(noise.tail);
  return {
    G: f64('G', N),
    P: f64('P', N),
    Peps: f64('Peps', N),
    s: f64('s', N),
    sig: f64('sig', N),
    dMu: f32('dMu', N),
    dRho: f32('dRho', N),
    port: { exports, noise, at, mu: f32('mu', N), rho: f32('rho', N), a: f32('a', units), sumMu: f64('sumMu', units), sumRho: f64('sumRho', units), ga: f64('ga', units) },
  };
}

export interface StochasticLossResult {
  /** Outputs f [R, n] (float64). */
  f: Float64Array;
  /** Σ_i ∂L/∂μ and Σ_i ∂L/∂ρ per unit [R·m] (∂b and ∂c before their multiplier c_b). */
  sumMu: Float64Array;
  sumRho: Float64Array;
  /** ∂L/∂a [R·m]. */
  a: Float64Array;
}

/**
 * Outputs and gradients of Σ_r [(1/(2n))‖f_r − y‖² + w_r (1/n) Σ_i Σ_units KL] with
 * respect to μ, ρ and a; ∂L/∂μ and ∂L/∂ρ are written into work.dMu and work.dRho.
 * With g = (f − y)/n and α = a/readoutDivisor:
 *   ∂/∂a = Σ_i g_i ḡ_i / readoutDivisor,  ∂/∂μ = g α P + w μ/n,  ∂/∂ρ = (g α P_ε + w (s − 1/s)/n) σ(ρ).
 */
export function stochasticLossGradients(inp: StochasticLossInputs, work: StochasticLossWork): StochasticLossResult {
  const usePort = work.port !== null && work.port.noise === inp.noise && inp.mu instanceof Float32Array && inp.rho instanceof Float32Array && inp.a instanceof Float32Array;
  const result = bothPasses(inp, usePort ? portRows(inp, work.port!) : jsRows(inp, work));
  // Compared with the JavaScript loops during the run (wasm-kernel.ts's PortCheckSchedule).
  if (usePort && portChecks.due()) {
    const N = work.dMu.length;
    const spec: StochasticLossWork = { G: new Float64Array(N), P: new Float64Array(N), Peps: new Float64Array(N), s: new Float64Array(N), sig: new Float64Array(N), dMu: new Float32Array(N), dRho: new Float32Array(N), port: null };
    const js = bothPasses(inp, jsRows(inp, spec));
    const pairs: [string, ArrayLike<number>, ArrayLike<number>][] = [['f', result.f, js.f], ['Σ∂μ', result.sumMu, js.sumMu], ['Σ∂ρ', result.sumRho, js.sumRho], ['∂a', result.a, js.a], ['∂μ', work.dMu, spec.dMu], ['∂ρ', work.dRho, spec.dRho]];
    for (const [name, port, loops] of pairs) {
      const i = firstBitDifference(port, loops);
      if (i >= 0) throw new Error(`the stochastic network's loss gradient port (wasm/stochastic-loss.as.ts) differs from its JavaScript loops in ${name}[${i}]: ${port[i]} vs ${loops[i]}`);
    }
  }
  return result;
}

/** When stochasticLossGradients compares the port with the loops. */
const portChecks = new PortCheckSchedule();

/** The two passes on `rows` (the port's or the JavaScript loops'). */
function bothPasses(inp: StochasticLossInputs, rows: LossRows): StochasticLossResult {
  const { n, R, m, y, readoutDivisor } = inp;
  const units = R * m;
  const klPerPoint = perPointKl(inp.kl, n);
  // Pass 1: per input and unit, s = softplus(ρ), σ(ρ) and the noise averages; the outputs.
  const f = new Float64Array(R * n);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < R; r++) f[r * n + i] = rows.averages(i * units, r * m, (r + 1) * m) / readoutDivisor;
  }
  // Pass 2: the gradients.
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < R; r++) {
      const gi = (f[r * n + i] - y[i]) / n;
      const wr = klPerPoint === null ? 0 : klPerPoint[r];
      rows.gradients(i * units, r * m, (r + 1) * m, gi, wr);
    }
  }
  const { sumMu, sumRho, ga } = rows.sums();
  for (let c = 0; c < units; c++) ga[c] /= readoutDivisor;
  return { f, sumMu, sumRho, a: ga };
}

/** The KL weights per data point, w_r/n (the loss averages the KL over the n points), or null without KL. */
function perPointKl(kl: ArrayLike<number> | undefined, n: number): Float64Array | null {
  if (kl === undefined) return null;
  const out = new Float64Array(kl.length);
  for (let r = 0; r < kl.length; r++) out[r] = kl[r] / n;
  return out;
}

/** The two passes over one row of units (input row `row`, units c0 … c1 − 1), and the per-unit sums they leave (fresh arrays). */
interface LossRows {
  averages(row: number, c0: number, c1: number): number;
  gradients(row: number, c0: number, c1: number, gi: number, wr: number): void;
  sums(): { sumMu: Float64Array; sumRho: Float64Array; ga: Float64Array };
}

/** The JavaScript loops below. (Each row is a small function of its own: V8 optimises it as a whole function, where one large loop nest was recompiled on stack again and again.) */
function jsRows(inp: StochasticLossInputs, work: StochasticLossWork): LossRows {
  const { mu, rho, a, readoutDivisor } = inp;
  const { K, sorted, tail } = inp.noise;
  const units = inp.R * inp.m;
  const sumMu = new Float64Array(units);
  const sumRho = new Float64Array(units);
  const ga = new Float64Array(units);
  return {
    averages: (row, c0, c1) => unitAverages(row, c0, c1, mu, rho, a, sorted, tail, K, work),
    gradients: (row, c0, c1, gi, wr) => unitGradients(row, c0, c1, gi, wr, mu, a, readoutDivisor, work, sumMu, sumRho, ga),
    sums: () => ({ sumMu, sumRho, ga }),
  };
}

/** The port's exports of the same loops, on its memory (the inputs copied in, the sums from zero). */
function portRows(inp: StochasticLossInputs, port: LossPort): LossRows {
  const { exports: ex, at } = port;
  const { K } = inp.noise;
  port.mu.set(inp.mu as Float32Array);
  port.rho.set(inp.rho as Float32Array);
  port.a.set(inp.a as Float32Array);
  port.sumMu.fill(0);
  port.sumRho.fill(0);
  port.ga.fill(0);
  return {
    averages: (row, c0, c1) => ex.unitAverages(row, c0, c1, at.mu, at.rho, at.a, at.sorted, at.tail, K, at.G, at.P, at.Peps, at.s, at.sig),
    gradients: (row, c0, c1, gi, wr) => ex.unitGradients(row, c0, c1, gi, wr, at.mu, at.a, inp.readoutDivisor, at.G, at.P, at.Peps, at.s, at.sig, at.dMu, at.dRho, at.sumMu, at.sumRho, at.ga),
    sums: () => ({ sumMu: port.sumMu.slice(), sumRho: port.sumRho.slice(), ga: port.ga.slice() }),
  };
}

/** Pass 1 over units c0 … c1 − 1 of input row `row`: s, σ(ρ), ḡ, P, P_ε into work; returns Σ_c a_c ḡ_c. */
function unitAverages(row: number, c0: number, c1: number, mu: ArrayLike<number>, rho: ArrayLike<number>, a: ArrayLike<number>, sorted: Float64Array, tail: Float64Array, K: number, work: StochasticLossWork): number {
  const { G, P, Peps, s, sig } = work;
  const invK = 1 / K;
  let out = 0;
  for (let c = c0; c < c1; c++) {
    const o = row + c;
    const mv = mu[o];
    const p = rho[o];
    // One exponential for both: e = exp(−|ρ|), softplus = max(ρ, 0) + log1p(e), σ(ρ) from e.
    const e = expNeg(Math.abs(p));
    const sv = (p > 0 ? p : 0) + log1pUnit(e);
    s[o] = sv;
    sig[o] = p >= 0 ? 1 / (1 + e) : e / (1 + e);
    // k0 = the number of draws with μ + s ε ≤ 0, i.e. ε ≤ −μ/s: the first k0 sorted draws,
    // found by binary search (s = 0 after underflow: every z is μ).
    let k0: number;
    if (sv > 0) {
      const t = -mv / sv;
      let lo = c * K;
      let hi = lo + K;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid] > t) hi = mid;
        else lo = mid + 1;
      }
      k0 = lo - c * K;
    } else {
      k0 = mv > 0 ? 0 : K;
    }
    const tk = tail[c * (K + 1) + k0];
    const g = ((K - k0) * mv + sv * tk) * invK;
    G[o] = g;
    P[o] = (K - k0) * invK;
    Peps[o] = tk * invK;
    out += a[c] * g;
  }
  return out;
}

/** Pass 2 over units c0 … c1 − 1 of input row `row` (residual gi, KL weight wr/n = wr): ∂μ, ∂ρ and the per-unit sums. */
function unitGradients(row: number, c0: number, c1: number, gi: number, wr: number, mu: ArrayLike<number>, a: ArrayLike<number>, readoutDivisor: number, work: StochasticLossWork, sumMu: Float64Array, sumRho: Float64Array, ga: Float64Array): void {
  const { G, P, Peps, s, sig, dMu, dRho } = work;
  for (let c = c0; c < c1; c++) {
    const o = row + c;
    const alpha = a[c] / readoutDivisor;
    let dm = gi * alpha * P[o];
    let dr = gi * alpha * Peps[o];
    if (wr !== 0) {
      dm += wr * mu[o];
      dr += wr * (s[o] - 1 / s[o]);
    }
    dr *= sig[o];
    dMu[o] = dm;
    dRho[o] = dr;
    sumMu[c] += dm;
    sumRho[c] += dr;
    ga[c] += G[o] * gi;
  }
}

/*
 * e^{−x} and log(1 + e) on the ranges softplus needs, in plain float64 arithmetic (no
 * library call), so that the WebAssembly port (wasm/stochastic-loss.as.ts) computes the
 * very same bits: V8's Math.exp and Math.log1p cost ~20 ns each here and ~60 ns more as
 * imports called from WebAssembly, most of the loop. Accuracy: a few ulps
 * (test/ntk/stochastic-latent-loss.test.ts measures it against Math.exp and Math.log1p).
 */
const LN2_HI = 6.93147180369123816490e-1; // ln 2 split so that k·LN2_HI is exact for k < 2¹¹
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
const LN2 = 0.6931471805599453;
const SQRT2_MINUS_1 = 0.41421356237309503;

/** 2^{−k} for k = 0 … 1074, exact (halving a power of two is exact, subnormals included). */
const POW2_NEG = (() => {
  const t = new Float64Array(1075);
  t[0] = 1;
  for (let k = 1; k < t.length; k++) t[k] = t[k - 1] / 2;
  return t;
})();

/**
 * e^{−x} for x ≥ 0 (0 beyond 745.2, where it rounds to 0): x = k ln 2 + r with |r| ≤ ln 2 / 2
 * (Cody–Waite: k·LN2_HI exact), e^{−r} by its Taylor series to degree 13 (Estrin's scheme) (the first omitted
 * term < 0.347¹⁴/14! ≈ 4e-18), times 2^{−k} (exact; in two steps past 2^{−1022}).
 */
export function expNeg(x: number): number {
  if (x > 745.2) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const t = -(x - k * LN2_HI - k * LN2_LO);
  // Estrin's scheme (pairs, then powers t², t⁴, t⁸): four dependent levels instead of thirteen.
  const t2 = t * t;
  const t4 = t2 * t2;
  const t8 = t4 * t4;
  const p =
    1 + t + (1 / 2 + t * (1 / 6)) * t2 + (1 / 24 + t * (1 / 120) + (1 / 720 + t * (1 / 5040)) * t2) * t4 + (1 / 40320 + t * (1 / 362880) + (1 / 3628800 + t * (1 / 39916800)) * t2 + (1 / 479001600 + t * (1 / 6227020800)) * t4) * t8;
  return k <= 1022 ? p * POW2_NEG[k] : p * POW2_NEG[1022] * POW2_NEG[k - 1022];
}

/**
 * log(1 + e) for e ∈ [0, 1]: 2 atanh(w) with w = e/(2 + e) ∈ [0, √2 − 1) (no rounding of
 * 1 + e), or for e > √2 − 1, ln 2 + 2 atanh(w) with w = (e − 1)/(e + 3) (the log of
 * (1 + e)/2); |w| ≤ 0.172, so the odd series 2(w + w³/3 + … + w²³/23) leaves < 0.172²⁴/25 ≈ 2e-20.
 */
export function log1pUnit(e: number): number {
  let w: number;
  let off = 0;
  if (e > SQRT2_MINUS_1) {
    w = (e - 1) / (e + 3);
    off = LN2;
  } else {
    w = e / (2 + e);
  }
  // Σ_{j ≤ 11} u^j/(2j + 1) in u = w² by Estrin's scheme (four dependent levels, not eleven).
  const u = w * w;
  const u2 = u * u;
  const u4 = u2 * u2;
  const u8 = u4 * u4;
  const p = 1 + u * (1 / 3) + (1 / 5 + u * (1 / 7)) * u2 + (1 / 9 + u * (1 / 11) + (1 / 13 + u * (1 / 15)) * u2) * u4 + (1 / 17 + u * (1 / 19) + (1 / 21 + u * (1 / 23)) * u2) * u8;
  return off + 2 * w * p;
}
