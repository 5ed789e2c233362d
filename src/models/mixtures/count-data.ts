/**
 * Data for the Bernoulli and Poisson mixture claims.
 *  - Binarised real digits (mnist package via loadDigits, pixel > 0.5).
 *  - Over-dispersed counts: K clusters with rates λ_cd ∈ [rateMin, rateMax];
 *    each entry is Poisson(λ_cd g) with a gamma multiplier g ~ Gamma(k, 1/k)
 *    (mean 1, variance 1/k) drawn per entry: negative-binomial counts with
 *    variance λ + λ²/k. dispersionShape = Infinity gives plain Poisson data.
 * Samplers draw from RandomStream (Marsaglia–Tsang gamma, sequential-search
 * Poisson inversion), so everything is seeded.
 */
import { RandomStream } from '../../engine/rng.ts';
import { loadDigits } from '../../data/mnist.ts';
import { drawCategorical } from './responsibilities.ts';
import type { CountData } from './product-mixture.ts';

export function binarisedDigits(opts: { perDigit: number; pool: number; offset?: number }): CountData {
  const d = loadDigits({ perDigit: opts.perDigit, pool: opts.pool, offset: opts.offset ?? 0 });
  return { x: Float64Array.from(d.x, (v) => (v > 0.5 ? 1 : 0)), N: d.n, D: d.dim };
}

/** Gamma(shape, scale 1) by Marsaglia–Tsang (shape < 1 via the u^{1/shape} boost). */
export function sampleGamma(shape: number, rng: RandomStream): number {
  if (!(shape > 0)) throw new RangeError(`sampleGamma: shape = ${shape}; allowed > 0`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.uniform();
    return sampleGamma(shape + 1, rng) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Poisson(λ) by inversion with the pmf recursion (λ up to a few hundred). */
export function samplePoisson(lambda: number, rng: RandomStream): number {
  if (!(lambda >= 0) || lambda > 700) throw new RangeError(`samplePoisson: λ = ${lambda}; allowed 0 ≤ λ ≤ 700`);
  if (lambda === 0) return 0;
  const u = rng.uniform();
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  while (u > cdf && k < 10000) {
    k++;
    p *= lambda / k;
    cdf += p;
    if (p === 0 && k > lambda) break;
  }
  return k;
}

export interface CountDataOptions {
  N: number;
  D: number;
  K: number;
  rateMin: number;
  rateMax: number;
  /** Gamma shape k of the per-entry multiplier; Infinity = no over-dispersion. */
  dispersionShape: number;
  seed: number;
}

export function overdispersedCounts(opts: CountDataOptions): CountData & { labels: Int32Array } {
  const { N, D, K, rateMin, rateMax, dispersionShape, seed } = opts;
  if (!(rateMin > 0 && rateMax >= rateMin)) throw new RangeError(`overdispersedCounts: rates [${rateMin}, ${rateMax}]; allowed 0 < min ≤ max`);
  if (!(dispersionShape > 0)) throw new RangeError(`overdispersedCounts: dispersionShape = ${dispersionShape}; allowed > 0 (Infinity: plain Poisson)`);
  const stream = (block: string) => RandomStream.at(seed, 'count-data', block);
  const rates = new Float64Array(K * D);
  const r = stream('rates');
  for (let i = 0; i < rates.length; i++) rates[i] = rateMin + (rateMax - rateMin) * r.uniform();
  const weights = Float64Array.from({ length: K }, (_, c) => (2 * (c + 1)) / (K * (K + 1)));
  const pick = stream('labels');
  const gam = stream('dispersion');
  const poi = stream('counts');
  const x = new Float64Array(N * D);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const c = drawCategorical(weights, pick);
    labels[n] = c;
    for (let d = 0; d < D; d++) {
      const g = Number.isFinite(dispersionShape) ? sampleGamma(dispersionShape, gam) / dispersionShape : 1;
      x[n * D + d] = samplePoisson(rates[c * D + d] * g, poi);
    }
  }
  return { x, N, D, labels };
}
