/**
 * Synthetic per-seed series with a known answer, shaped like what the claims
 * feed the statistics (measured on sgd-rate-linear-vae at the quick tier, 16
 * seeds: per-seed slopes of log G_n sd 0.034 around −0.56; G_n's between-seed
 * coefficient of variation 0.14 → 0.05 over the window; g_k wanders slowly,
 * rms change of log g_k per step 0.035).
 *
 * Seed s: g_k = a_s (k+1)^{−p_s} ε_{s,k}, with
 *   a_s = exp(σ_a Z − σ_a²/2)            (level, E a_s = 1),
 *   p_s = p + τ Z'                        (exponent: the between-seed slope spread),
 *   ε_{s,k} = exp(e_k − σ_e²/2), e an AR(1) with coefficient φ and stationary sd σ_e
 *                                         (slowly wandering, E ε = 1, dependent in k).
 * Then E g_k = (k+1)^{−p} exp(τ² log²(k+1) / 2) exactly (the normal's moment
 * generating function), so the population G_n and the true slope of
 * log G_n are computed exactly.
 */
import { RandomStream } from '../../src/engine/rng.ts';
import { leastSquaresLine } from '../../src/stats/least-squares.ts';

export interface PowerLawDesign {
  p: number;
  tau: number;
  sigmaA: number;
  sigmaE: number;
  phi: number;
}

/** The design measured on the linear VAE (see the header). */
export const REALISTIC: PowerLawDesign = { p: 0.6, tau: 0.035, sigmaA: 0.15, sigmaE: 0.3, phi: 0.99 };
/** A harder one: twice the slope spread, a larger level spread. */
export const DISPERSED: PowerLawDesign = { p: 0.6, tau: 0.06, sigmaA: 0.4, sigmaE: 0.3, phi: 0.99 };

let logTable = new Float64Array(0);

/** One seed's g_0..g_n. */
export function seedSeries(d: PowerLawDesign, n: number, rng: RandomStream): Float64Array {
  if (logTable.length < n + 1) logTable = Float64Array.from({ length: n + 1 }, (_, k) => Math.log(k + 1));
  const logA = d.sigmaA * rng.normal() - (d.sigmaA * d.sigmaA) / 2;
  const ps = d.p + d.tau * rng.normal();
  const innov = d.sigmaE * Math.sqrt(1 - d.phi * d.phi);
  const shift = logA - (d.sigmaE * d.sigmaE) / 2;
  let e = d.sigmaE * rng.normal();
  const g = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    if (k > 0) e = d.phi * e + innov * rng.normal();
    // a (k+1)^{−p_s} exp(e − σ_e²/2) in one exp.
    g[k] = Math.exp(shift - ps * logTable[k] + e);
  }
  return g;
}

/** E g_k for k = 0..n (exact). */
export function populationG(d: PowerLawDesign, n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    const L = Math.log(k + 1);
    out[k] = Math.exp(-d.p * L + (d.tau * d.tau * L * L) / 2);
  }
  return out;
}

/** Least-squares slope of log y against log n at the points n (y indexed by position). */
export function logLogSlope(n: readonly number[], y: ArrayLike<number>): number {
  return leastSquaresLine(
    n.map((v) => Math.log(v)),
    Array.from(y, (v) => Math.log(v)),
  ).slope;
}
