/**
 * The fused loss-gradient loop (sorted draws, binary search, tail sums) against the
 * direct float64 loop over every draw it replaces: the same sums in another order,
 * so agreement to 1e-12 of the largest entry (a few hundred ulps of sums of
 * O(n·K) terms). Includes the edges: s underflowed to 0 (every z = μ), a
 * threshold exactly on a draw (z = 0 is "off", as ReLU's step), K = 1, KL weights.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { sortNoise, stochasticLossGradients, stochasticLossWork, type StochasticLossInputs } from '../../src/models/ntk/stochastic-latent-loss.ts';

function softplus(p: number): number {
  return p > 0 ? p + Math.log1p(Math.exp(-p)) : Math.log1p(Math.exp(p));
}

/** The specification, draw by draw (unsorted noise). */
function direct(inp: Omit<StochasticLossInputs, 'noise'>, noise: Float64Array, K: number) {
  const { n, R, m, mu, rho, a, y, readoutDivisor, kl } = inp;
  const units = R * m;
  const G = new Float64Array(n * units);
  const P = new Float64Array(n * units);
  const Pe = new Float64Array(n * units);
  const f = new Float64Array(R * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < units; c++) {
      const o = i * units + c;
      const s = softplus(rho[o]);
      for (let k = 0; k < K; k++) {
        const eps = noise[c * K + k];
        const z = mu[o] + s * eps;
        if (z > 0) {
          G[o] += z / K;
          P[o] += 1 / K;
          Pe[o] += eps / K;
        }
      }
      f[Math.floor(c / m) * n + i] += (a[c] * G[o]) / readoutDivisor;
    }
  }
  const dMu = new Float64Array(n * units);
  const dRho = new Float64Array(n * units);
  const ga = new Float64Array(units);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < units; c++) {
      const r = Math.floor(c / m);
      const o = i * units + c;
      const g = (f[r * n + i] - y[i]) / n;
      const w = kl ? kl[r] / n : 0;
      const s = softplus(rho[o]);
      const sig = 1 / (1 + Math.exp(-rho[o]));
      dMu[o] = (g * a[c] * P[o]) / readoutDivisor + w * mu[o];
      // No KL term where w = 0 (replica 0, which holds the underflowed s = 0 entries: 1/s is ∞).
      dRho[o] = ((g * a[c] * Pe[o]) / readoutDivisor + (w !== 0 ? w * (s - 1 / s) : 0)) * sig;
      ga[c] += (G[o] * g) / readoutDivisor;
    }
  }
  return { f, dMu, dRho, ga };
}

function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 1e-300;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

describe('stochasticLossGradients', () => {
  it('sortNoise sorts each unit and forms exact tail sums', () => {
    const noise = Float64Array.of(3, -1, 2, 0.5, -4, 1);
    const { sorted, tail } = sortNoise(noise, 2, 3);
    expect(Array.from(sorted)).toEqual([-1, 2, 3, -4, 0.5, 1]);
    expect(Array.from(tail)).toEqual([4, 5, 3, 0, -2.5, 1.5, 1, 0]);
  });

  for (const [K, withKl] of [
    [16, true],
    [16, false],
    [5, true],
    [1, false],
  ] as const) {
    it(`equals the draw-by-draw loop (K = ${K}, ${withKl ? 'with' : 'without'} KL weights)`, () => {
      const rng = RandomStream.at(7, 'stochastic-latent-loss', K, withKl ? 1 : 0);
      const n = 7;
      const R = 3;
      const m = 10;
      const units = R * m;
      const mu = Float64Array.from({ length: n * units }, () => rng.normal());
      const rho = Float64Array.from({ length: n * units }, () => 2 * rng.normal());
      // Edges: s underflows to 0 (ρ = −800) with μ of both signs; a threshold exactly on a draw.
      rho[3] = -800;
      mu[3] = 0.4;
      rho[4] = -800;
      mu[4] = -0.4;
      const noise = Float64Array.from({ length: units * K }, () => rng.normal());
      noise[5 * K] = 0; // z = μ + s·0 = 0 exactly: off on both sides (ε = 0 is not > −μ/s = −0)
      mu[5] = 0;
      const a = Float64Array.from({ length: units }, () => rng.normal());
      const y = Float64Array.from({ length: n }, () => rng.normal());
      const kl = withKl ? Float64Array.of(0, 0.3, 2) : undefined;
      const base = { n, R, m, mu, rho, a, y, readoutDivisor: Math.sqrt(m), kl };
      const work = stochasticLossWork(n, units);
      const got = stochasticLossGradients({ ...base, noise: sortNoise(noise, units, K) }, work);
      const want = direct(base, noise, K);
      expect(relMax(got.f, want.f)).toBeLessThan(1e-12);
      // dMu, dRho are handed to the backend as float32: compared at float32 resolution.
      expect(relMax(work.dMu, want.dMu)).toBeLessThan(1e-7);
      expect(relMax(work.dRho, want.dRho)).toBeLessThan(1e-7);
      expect(relMax(got.a, want.ga)).toBeLessThan(1e-12);
      const sumMu = new Float64Array(units);
      for (let i = 0; i < n; i++) for (let c = 0; c < units; c++) sumMu[c] += want.dMu[i * units + c];
      expect(relMax(got.sumMu, sumMu)).toBeLessThan(1e-12);
    });
  }
});
