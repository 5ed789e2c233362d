/**
 * Bernoulli and Poisson mixtures: ELBO against a brute-force per-point sum
 * (pmfs written out, no shared helpers), EM monotonicity, the exact gap
 * decomposition F − S = R_z + R_x + B at non-stationary points, the
 * falsifier closed form after the M-step, and the samplers' moments.
 * Tolerances: float64 sums of O(10⁴) terms of size O(10): rounding ≈ 1e-12
 * per point; we allow 1e-9 (any wrong term is ≥ 1e-3).
 * Sampler moments: 20 000 draws; the standard error of the mean of
 * Poisson(6) is √(6/20000) = 0.017, so |mean − 6| < 0.1 fails with
 * probability < 1e-8 (z = 5.8); variance checks use a 5% band, ≈ 5 standard
 * errors for these sample sizes.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { BERNOULLI } from '../../src/models/mixtures/bernoulli-mixture.ts';
import { POISSON } from '../../src/models/mixtures/poisson-mixture.ts';
import { diagnose, elbo, eStep, mStep, RESPONSIBILITY_FLOOR, weightedDataMeans, type CountData, type ProductFamily, type ProductMixtureParams } from '../../src/models/mixtures/product-mixture.ts';
import { binarisedDigits, overdispersedCounts, sampleGamma, samplePoisson } from '../../src/models/mixtures/count-data.ts';
import { randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';
import { logFactorial, logSumExp, poissonExpectedLogFactorial } from '../../src/entropy/formulas.ts';
import { perturbationGap } from '../../src/claims/entropy/shared/product-mixture.ts';

const K = 3;
const bern = binarisedDigits({ perDigit: 20, pool: 4 });
const pois = overdispersedCounts({ N: 400, D: 6, K, rateMin: 2, rateMax: 12, dispersionShape: 2, seed: 5 });

function bruteForce(kind: 'bernoulli' | 'poisson', p: ProductMixtureParams, q: Float64Array, data: CountData): number {
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w === 0) continue;
      let lp = Math.log(p.pi[c]);
      for (let d = 0; d < data.D; d++) {
        const x = data.x[n * data.D + d];
        const m = p.means[c * data.D + d];
        lp += kind === 'bernoulli' ? Math.log(x === 1 ? m : 1 - m) : x * Math.log(m) - m - logFactorial(x);
      }
      total += w * (lp - Math.log(w));
    }
  }
  return total / data.N;
}

const cases: [string, 'bernoulli' | 'poisson', ProductFamily, CountData][] = [
  ['Bernoulli', 'bernoulli', BERNOULLI, bern],
  ['Poisson', 'poisson', POISSON, pois],
];

describe.each(cases)('%s mixture', (name, kind, family, data) => {
  const interior = (p: ProductMixtureParams, rng: RandomStream): ProductMixtureParams => ({
    ...p,
    means: p.means.map((m) => (kind === 'bernoulli' ? 0.05 + 0.9 * (0.7 * m + 0.3 * rng.uniform()) : m * (0.7 + 0.6 * rng.uniform()))),
    pi: Float64Array.from([0.5, 0.3, 0.2]),
  });

  it('ELBO matches a brute-force sum; F − S = R_z + R_x + B at non-stationary points', () => {
    const rng = RandomStream.at('mixture-test', name);
    const q = randomResponsibilities(data.N, K, rng);
    const p = interior(mStep(q, data, K), rng);
    expect(Math.abs(elbo(family, p, q, data) - bruteForce(kind, p, q, data))).toBeLessThan(1e-9);
    const d = diagnose(family, p, q, data);
    expect(Math.abs(d.gap)).toBeGreaterThan(1e-2);
    expect(d.decompositionError).toBeLessThan(1e-9);
  });

  it('the E-step is the plain loop over points and components, bit for bit (seven components: four side by side, three alone)', () => {
    // jointLogs tabulates log p(v | m) and sums four components at a time; each sum must still be
    // log π_c + Σ_d log p(x_nd | m_cd) in d order.
    const K7 = 7;
    const rng = RandomStream.at('mixture-test', name, 'plain-e-step');
    const p = interior(mStep(randomResponsibilities(data.N, K7, rng), data, K7), rng);
    p.pi = Float64Array.from({ length: K7 }, (_, c) => (c + 1) / 28);
    const got = eStep(family, p, data);
    let total = 0;
    const logs = new Float64Array(K7);
    for (let n = 0; n < data.N; n++) {
      for (let c = 0; c < K7; c++) {
        let a = Math.log(p.pi[c]);
        for (let d = 0; d < data.D; d++) a += family.logDensity(data.x[n * data.D + d], p.means[c * data.D + d]);
        logs[c] = a;
      }
      const lse = logSumExp(logs, 0, K7);
      total += lse;
      const q = Array.from(logs, (l) => {
        const v = Math.exp(l - lse);
        return v < RESPONSIBILITY_FLOOR ? 0 : v;
      });
      const kept = q.reduce((x, y) => x + y, 0);
      for (let c = 0; c < K7; c++) expect(Object.is(got.q[n * K7 + c], q[c] / kept)).toBe(true);
    }
    expect(Object.is(got.logLik, total / data.N)).toBe(true);
  });

  it('EM never decreases the log-likelihood; after every M-step F = S + B', () => {
    let p = mStep(randomResponsibilities(data.N, K, RandomStream.at('mixture-em', name)), data, K);
    let prev = -Infinity;
    for (let t = 0; t < 15; t++) {
      const e = eStep(family, p, data);
      expect(e.logLik).toBeGreaterThanOrEqual(prev - 1e-12);
      prev = e.logLik;
      p = mStep(e.q, data, K);
      const d = diagnose(family, p, e.q, data);
      expect(Math.abs(d.gap - d.decomposition.baseMeasure)).toBeLessThan(1e-9 * Math.abs(d.elbo));
    }
  });

  it('a perturbed mean after the M-step moves the gap by Σ q̄ Σ (m − m′) η(m′)', () => {
    const q = randomResponsibilities(data.N, K, RandomStream.at('mixture-pert', name));
    const fitted = mStep(q, data, K);
    const moved = { ...fitted, means: fitted.means.map((m) => (kind === 'bernoulli' ? 0.8 * m + 0.1 : 1.2 * m)) };
    const d = diagnose(family, moved, q, data);
    const predicted = perturbationGap(family, fitted, moved, q, data.N) + d.decomposition.baseMeasure;
    expect(Math.abs(d.gap - predicted)).toBeLessThan(1e-9 * Math.abs(d.elbo));
    expect(Math.abs(d.gap - d.decomposition.baseMeasure)).toBeGreaterThan(0.01);
  });
});

describe('weightedDataMeans', () => {
  it('equals the dense loop bit for bit (it skips the zero coordinates), with zero, infinite and NaN weights and −0, NaN data', () => {
    const rng = RandomStream.at('test/product-mixture', 'weighted-means');
    const dense = (q: Float64Array, data: CountData, K: number, qbar: Float64Array) => {
      const { N, D, x } = data;
      const out = new Float64Array(K * D);
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < K; c++) {
          const w = q[n * K + c];
          if (w === 0) continue;
          for (let d = 0; d < D; d++) out[c * D + d] += w * x[n * D + d];
        }
      }
      for (let c = 0; c < K; c++) for (let d = 0; d < D; d++) out[c * D + d] /= N * qbar[c];
      return out;
    };
    for (let trial = 0; trial < 40; trial++) {
      const N = 1 + Math.floor(rng.uniform() * 30);
      const D = 1 + Math.floor(rng.uniform() * 12);
      const K = 1 + Math.floor(rng.uniform() * 5);
      const x = Float64Array.from({ length: N * D }, () => (rng.uniform() < 0.6 ? 0 : Math.floor(rng.uniform() * 5)));
      if (trial % 5 === 1) x[0] = -0;
      if (trial % 5 === 2) x[x.length - 1] = Number.NaN;
      const q = Float64Array.from({ length: N * K }, () => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
      if (trial % 7 === 3) q[0] = Infinity;
      if (trial % 7 === 4) q[q.length - 1] = Number.NaN;
      const qbar = Float64Array.from({ length: K }, () => 0.1 + rng.uniform());
      const data: CountData = { x, N, D };
      const got = weightedDataMeans(q, data, K, qbar);
      const want = dense(q, data, K, qbar);
      for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i]), `trial ${trial}, entry ${i}: ${got[i]} vs ${want[i]}`).toBe(true);
    }
  });
});

describe('Poisson base measure and samplers', () => {
  it('B = Σ_c q̄_c Σ_d E[log x!] − mean log x!, negative on over-dispersed counts', () => {
    const q = eStep(POISSON, mStep(randomResponsibilities(pois.N, K, RandomStream.at('b-test')), pois, K), pois).q;
    const p = mStep(q, pois, K);
    const d = diagnose(POISSON, p, q, pois);
    let dataTerm = 0;
    for (let i = 0; i < pois.x.length; i++) dataTerm += logFactorial(pois.x[i]);
    let model = 0;
    for (let c = 0; c < K; c++) for (let j = 0; j < pois.D; j++) model += p.pi[c] * poissonExpectedLogFactorial(p.means[c * pois.D + j]);
    expect(d.decomposition.baseMeasure).toBeCloseTo(model - dataTerm / pois.N, 9);
    expect(d.decomposition.baseMeasure).toBeLessThan(-0.5);
  });

  it('samplers have the right moments', () => {
    const rng = RandomStream.at('samplers');
    const n = 20000;
    const pois6 = Array.from({ length: n }, () => samplePoisson(6, rng));
    const mean = pois6.reduce((a, b) => a + b) / n;
    expect(Math.abs(mean - 6)).toBeLessThan(0.1);
    const variance = pois6.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(variance / 6 - 1)).toBeLessThan(0.05);
    for (const shape of [0.5, 2, 9]) {
      const g = Array.from({ length: n }, () => sampleGamma(shape, rng));
      const m = g.reduce((a, b) => a + b) / n;
      expect(Math.abs(m / shape - 1)).toBeLessThan(0.05);
    }
    expect(() => samplePoisson(-1, rng)).toThrow(/allowed 0 ≤ λ/);
  });
});
