/**
 * Gaussian mixture oracle: ELBO against a brute-force computation with
 * explicit inverses and determinants, EM monotonicity, the exact gap
 * decomposition at arbitrary (non-stationary) points, the M-step identity for
 * any q, and the falsifiers' closed forms.
 * Tolerances: all sums are float64 over a few hundred points of size O(10):
 * rounding ≈ 1e-13; we allow 1e-10 (a wrong term is ≥ 1e-3).
 */
import { describe, expect, it } from 'vitest';
import { determinant, inverse, Matrix } from 'ml-matrix';
import { RandomStream } from '../../src/engine/rng.ts';
import { averageResponsibilities, cloneParams, diagnose, elbo, eStep, mStep, type CovarianceKind, type GmmParams } from '../../src/models/mixtures/gmm.ts';
import { generateGmmData } from '../../src/models/mixtures/gmm-data.ts';
import { hardResponsibilities, randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';

const data = generateGmmData({ N: 300, D: 3, K: 3, separation: 2.5, seed: 11 });
const K = 3;
const KINDS: CovarianceKind[] = ['full', 'shared-isotropic'];

function bruteForceElbo(p: GmmParams, q: Float64Array): number {
  const { D } = p;
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w === 0) continue;
      const S = new Matrix(D, D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) S.set(i, j, p.kind === 'full' ? p.covs[c * D * D + i * D + j] : i === j ? p.variance : 0);
      const d = Matrix.columnVector(Array.from({ length: D }, (_, i) => data.x[n * D + i] - p.means[c * D + i]));
      const quad = d.transpose().mmul(inverse(S)).mmul(d).get(0, 0);
      const logN = -0.5 * (D * Math.log(2 * Math.PI) + Math.log(determinant(S)) + quad);
      total += w * (Math.log(p.pi[c]) + logN - Math.log(w));
    }
  }
  return total / data.N;
}

/** A deliberately non-stationary point: M-step output with every block perturbed. */
function perturbed(p: GmmParams, rng: RandomStream): GmmParams {
  const out = cloneParams(p);
  for (let i = 0; i < out.means.length; i++) out.means[i] += 0.3 * rng.normal();
  for (let c = 0; c < K; c++) for (let i = 0; i < p.D; i++) out.covs[c * p.D * p.D + i * p.D + i] *= 1 + 0.5 * rng.uniform();
  out.variance *= 1.3;
  let s = 0;
  for (let c = 0; c < K; c++) s += (out.pi[c] *= 0.5 + rng.uniform());
  for (let c = 0; c < K; c++) out.pi[c] /= s;
  return out;
}

describe('Gaussian mixture oracle', () => {
  for (const kind of KINDS) {
    it(`${kind}: ELBO matches brute force; F − S matches the decomposition at non-stationary points`, () => {
      const rng = RandomStream.at('gmm-test', kind);
      const q = randomResponsibilities(data.N, K, rng);
      const p = perturbed(mStep(q, data, K, kind), rng);
      expect(Math.abs(elbo(p, q, data) - bruteForceElbo(p, q))).toBeLessThan(1e-10);
      const d = diagnose(p, q, data);
      expect(Math.abs(d.gap)).toBeGreaterThan(1e-2); // really off the identity
      expect(d.decompositionError).toBeLessThan(1e-10);
    });

    it(`${kind}: after the M-step F = S for exact, hard and random q`, () => {
      const rng = RandomStream.at('gmm-test-any-q', kind);
      // EM started from the true labels, so that hard assignments leave no component empty.
      let exact: Float64Array = new Float64Array(data.N * K);
      for (let n = 0; n < data.N; n++) exact[n * K + data.labels[n]] = 1;
      for (let t = 0; t < 10; t++) exact = eStep(mStep(exact, data, K, kind), data).q;
      for (const q of [exact, hardResponsibilities(exact, data.N, K), randomResponsibilities(data.N, K, rng)]) {
        const d = diagnose(mStep(q, data, K, kind), q, data);
        expect(d.relativeGap).toBeLessThan(1e-12);
      }
    });

    it(`${kind}: EM never decreases the log-likelihood`, () => {
      let p = mStep(randomResponsibilities(data.N, K, RandomStream.at('gmm-em', kind)), data, K, kind);
      let prev = -Infinity;
      for (let t = 0; t < 30; t++) {
        const e = eStep(p, data);
        expect(e.logLik).toBeGreaterThanOrEqual(prev - 1e-12);
        // With exact posteriors the ELBO is the log-likelihood.
        expect(Math.abs(elbo(p, e.q, data) - e.logLik)).toBeLessThan(1e-10);
        prev = e.logLik;
        p = mStep(e.q, data, K, kind);
      }
    });
  }

  it('Σ × f after the M-step gives exactly (D/2)(1 − 1/f); sharpened π gives Σ log π\'(q̄ − π\')', () => {
    const q = eStep(mStep(randomResponsibilities(data.N, K, RandomStream.at('gmm-f')), data, K, 'full'), data).q;
    const fitted = mStep(q, data, K, 'full');
    const scaled = cloneParams(fitted);
    for (let i = 0; i < scaled.covs.length; i++) scaled.covs[i] *= 1.2;
    expect(diagnose(scaled, q, data).gap).toBeCloseTo((data.D / 2) * (1 - 1 / 1.2), 10);
    const sharp = cloneParams(fitted);
    let s = 0;
    for (let c = 0; c < K; c++) s += (sharp.pi[c] = fitted.pi[c] ** 2);
    for (let c = 0; c < K; c++) sharp.pi[c] /= s;
    const qbar = averageResponsibilities(q, data.N, K);
    const predicted = Array.from(sharp.pi).reduce((a, pc, c) => a + Math.log(pc) * (qbar[c] - pc), 0);
    expect(diagnose(sharp, q, data).gap).toBeCloseTo(predicted, 10);
  });

  it('means perturbed with Σ re-fitted around them keep the gap at 0; keeping Σ moves it only at second order', () => {
    const q = eStep(mStep(randomResponsibilities(data.N, K, RandomStream.at('gmm-mu')), data, K, 'full'), data).q;
    const fitted = mStep(q, data, K, 'full');
    const shifted = fitted.means.map((m) => m + 0.05);
    const refit = mStep(q, data, K, 'full', { fixedMeans: shifted });
    expect(diagnose(refit, q, data).relativeGap).toBeLessThan(1e-12);
    const kept = { ...cloneParams(fitted), means: shifted };
    const g1 = diagnose(kept, q, data).gap;
    const kept2 = { ...cloneParams(fitted), means: fitted.means.map((m) => m + 0.1) };
    const g2 = diagnose(kept2, q, data).gap;
    expect(g1).toBeLessThan(0);
    expect(g2 / g1).toBeCloseTo(4, 6); // quadratic in the shift: −½ q̄ δᵀΣ⁻¹δ
  });

  it('rejects bad responsibilities with a clear message', () => {
    const q = new Float64Array(data.N * K).fill(0.5);
    expect(() => mStep(q, data, K, 'full')).toThrow(/sum to 1.5; allowed 1/);
  });
});
