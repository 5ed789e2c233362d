/**
 * The finite noise average's excess kernel (src/kernels/stochastic-ntk.ts):
 * the closed-form variance of a K-draw stratified (or i.i.d.) noise average
 * against a Monte Carlo over the draws, its expectation over the units
 * (noiseBias) against a Monte Carlo over (μ, ρ), and the Gauss–Legendre rule
 * it integrates with. Tolerances: 4 standard errors of the Monte Carlo
 * variance estimates (relative se ≈ √(2/R)·(kurtosis factor) ≈ 1% at
 * R = 20 000), deterministic given the seeds.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { estimatorVariances, noiseBias, sigmoid, softplus } from '../../src/kernels/stochastic-ntk.ts';
import { gaussLegendre, normalQuantile } from '../../src/kernels/quadrature.ts';

describe('Gauss–Legendre', () => {
  it('integrates polynomials of degree ≤ 2N − 1 exactly on [−1, 1]', () => {
    const { nodes, weights } = gaussLegendre(6);
    const integral = (k: number) => nodes.reduce((s, x, i) => s + weights[i] * x ** k, 0);
    expect(integral(0)).toBeCloseTo(2, 13);
    expect(integral(2)).toBeCloseTo(2 / 3, 13);
    expect(integral(10)).toBeCloseTo(2 / 11, 12);
    expect(integral(11)).toBeCloseTo(0, 13);
  });
});

describe('variance of the engine\'s K-draw noise average', () => {
  it('matches a Monte Carlo over the draws for the three features, stratified and i.i.d.', () => {
    const rng = new RandomStream(17);
    const cases = [
      [0.2, 0.7, 16, 'stratified'],
      [-0.5, 0.4, 16, 'stratified'],
      [0.1, 1.1, 4, 'stratified'],
      [0.3, 0.6, 3, 'iid'],
    ] as const;
    for (const [mu, s, K, scheme] of cases) {
      const V = estimatorVariances(-mu / s, s, K, scheme);
      const R = 20_000;
      const sums = { readout: [0, 0], mean: [0, 0], variance: [0, 0] };
      for (let r = 0; r < R; r++) {
        let g = 0;
        let p = 0;
        let pe = 0;
        for (let k = 0; k < K; k++) {
          const e = scheme === 'stratified' ? normalQuantile((k + Math.max(rng.uniform(), 1e-300)) / K) : rng.normal();
          if (mu + s * e > 0) {
            g += mu + s * e;
            p += 1;
            pe += e;
          }
        }
        for (const [key, v] of [
          ['readout', g / K],
          ['mean', p / K],
          ['variance', pe / K],
        ] as const) {
          sums[key][0] += v;
          sums[key][1] += v * v;
        }
      }
      for (const key of ['readout', 'mean', 'variance'] as const) {
        const empirical = sums[key][1] / R - (sums[key][0] / R) ** 2;
        expect({ mu, scheme, key, ok: Math.abs(empirical / V[key] - 1) < 0.06 }).toEqual({ mu, scheme, key, ok: true });
      }
    }
  });

  it('noiseBias (piecewise quadrature) equals a Monte Carlo over the units and converges in its orders', () => {
    const q = 2 / 32 + 0.01;
    const D = noiseBias(q, 16, 'stratified');
    const finer = noiseBias(q, 16, 'stratified', 40, 24);
    for (const key of ['readout', 'mean', 'variance'] as const) expect(Math.abs(D[key] / finer[key] - 1)).toBeLessThan(1e-6);
    const rng = new RandomStream(23);
    const R = 20_000;
    const acc = { readout: 0, mean: 0, variance: 0 };
    const sd = Math.sqrt(q);
    for (let r = 0; r < R; r++) {
      const mu = sd * rng.normal();
      const rho = sd * rng.normal();
      const s = softplus(rho);
      const v = estimatorVariances(-mu / s, s, 16, 'stratified');
      acc.readout += v.readout / R;
      acc.mean += v.mean / R;
      acc.variance += (sigmoid(rho) ** 2 * v.variance) / R;
    }
    for (const key of ['readout', 'mean', 'variance'] as const) expect(Math.abs(acc[key] / D[key] - 1)).toBeLessThan(0.03);
    // Stratification: far below the i.i.d. value Var/K.
    const iid = noiseBias(q, 16, 'iid');
    for (const key of ['readout', 'mean', 'variance'] as const) expect(D[key]).toBeLessThan(0.2 * iid[key]);
    expect(() => noiseBias(0, 16, 'stratified')).toThrow(/allowed > 0/);
  });
});
