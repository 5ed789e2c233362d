/**
 * The entropy claims route some of their judged points through the public
 * diagnose() and require it to equal their own evaluation
 * (src/claims/entropy/shared/public-diagnose.ts): quiet when it does, an
 * `error` naming the claim, the quantity and both values when it does not
 * (a deliberately wrong diagnosis, a model of the wrong family, a call that
 * throws). Also: the GMM claim's slightly asymmetric covariances average back
 * to the claim's own exactly.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { symmetricCovariances } from '../../src/entropy/diagnose.ts';
import type { EntropyDiagnosis } from '../../src/entropy/formulas.ts';
import * as gmm from '../../src/models/mixtures/gmm.ts';
import { generateGmmData } from '../../src/models/mixtures/gmm-data.ts';
import * as mixture from '../../src/models/mixtures/product-mixture.ts';
import { BERNOULLI } from '../../src/models/mixtures/bernoulli-mixture.ts';
import { randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';
import { asymmetricCovariances } from '../../src/claims/entropy/entropy-gmm.check.ts';
import { publicDiagnoseAgreement, requirePublicDiagnose, type PublicDiagnosePoint } from '../../src/claims/entropy/shared/public-diagnose.ts';
import type { CheckResult } from '../../src/contract/claim.ts';

const data = generateGmmData({ N: 300, D: 3, K: 2, separation: 3, seed: 11 });
const q = randomResponsibilities(data.N, 2, RandomStream.at('public-diagnose-test'));
const params = gmm.mStep(q, data, 2, 'full');
const right = gmm.diagnose(params, q, data);

function point(expected: EntropyDiagnosis, model: PublicDiagnosePoint['model'] = { kind: 'gmm', params: asymmetricCovariances(params), q }): PublicDiagnosePoint {
  return { label: 'test point', model, data, expected, by: 'gmm.diagnose' };
}

const passing: CheckResult = { verdict: 'pass', metrics: { worstGap: { value: 1e-15 } }, notes: ['own note'] };

describe('public diagnose() against the claim’s own evaluation', () => {
  it('is quiet when diagnose() gives the claim’s numbers (here exactly, through the averaged covariances)', () => {
    const a = publicDiagnoseAgreement('entropy-gmm', [point(right)]);
    expect(a.failures).toEqual([]);
    expect(a.worst).toBe(0);
    const r = requirePublicDiagnose('entropy-gmm', passing, [point(right)]);
    expect(r.verdict).toBe('pass');
    expect(r.error).toBeUndefined();
    expect(r.metrics).toEqual(passing.metrics);
    expect(r.notes?.at(-1)).toMatch(/public diagnose\(\): 1 point\(s\) evaluated again .* every quantity equal/);
  });

  it('admits differences far below 1e-12 of max(1, |F|) (a reordered sum)', () => {
    const close = { ...right, elbo: right.elbo * (1 + 1e-14) };
    expect(publicDiagnoseAgreement('entropy-gmm', [point(close)]).failures).toEqual([]);
  });

  it('fires on a deliberately wrong diagnosis, naming the claim, the quantity and both values', () => {
    const wrong = { ...right, decoderEntropy: right.decoderEntropy + 1e-9 * Math.max(1, Math.abs(right.elbo)) };
    const a = publicDiagnoseAgreement('entropy-gmm', [point(wrong)]);
    expect(a.failures).toHaveLength(1);
    const msg = a.failures[0];
    expect(msg).toContain("the public diagnose() disagrees with the claim's own evaluation (entropy-gmm, at \"test point\")");
    expect(msg).toContain(`decoder entropy = ${right.decoderEntropy.toPrecision(15)} by diagnose({ kind: 'gmm', q })`);
    expect(msg).toContain(`but ${wrong.decoderEntropy.toPrecision(15)} by gmm.diagnose`);
    expect(msg).not.toContain('ELBO F =');
    const r = requirePublicDiagnose('entropy-gmm', passing, [point(right), point(wrong)]);
    expect(r.verdict).toBe('error');
    expect(r.error).toBe(msg);
    expect(r.metrics).toEqual(passing.metrics);
  });

  it('fires when diagnose() is handed the model of another family (Bernoulli parameters as a Poisson mixture)', () => {
    const bin = { N: 40, D: 4, x: Float64Array.from({ length: 160 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)) };
    const qb = randomResponsibilities(bin.N, 2, RandomStream.at('public-diagnose-bernoulli'));
    const p = mixture.mStep(qb, bin, 2);
    const expected = mixture.diagnose(BERNOULLI, p, qb, bin);
    const ok = publicDiagnoseAgreement('entropy-bernoulli-mixture', [{ label: 'EM', model: { kind: 'bernoulli-mixture', params: p, q: qb }, data: bin, expected, by: 'mixture.diagnose' }]);
    expect(ok.failures).toEqual([]);
    const bad = publicDiagnoseAgreement('entropy-bernoulli-mixture', [{ label: 'EM', model: { kind: 'poisson-mixture', params: p, q: qb }, data: bin, expected, by: 'mixture.diagnose' }]);
    expect(bad.failures).toHaveLength(1);
    expect(bad.failures[0]).toMatch(/entropy-bernoulli-mixture.*decoder entropy = .* by diagnose\(\{ kind: 'poisson-mixture', q \}\)/);
  });

  it('reports a diagnose() that throws as a disagreement (error), with its message', () => {
    const skewed = { ...params, covs: params.covs.slice() };
    skewed.covs[1] += 1e-3; // far beyond the symmetry diagnose() accepts
    const a = publicDiagnoseAgreement('entropy-gmm', [point(right, { kind: 'gmm', params: skewed, q })]);
    expect(a.worst).toBe(Infinity);
    expect(a.failures[0]).toMatch(/entropy-gmm.*threw "diagnose: covariance 0 is not symmetric/);
    const withError = requirePublicDiagnose('entropy-gmm', { ...passing, verdict: 'error', error: 'earlier defect' }, [point(right, { kind: 'gmm', params: skewed, q })]);
    expect(withError.error).toMatch(/^earlier defect \| the public diagnose\(\) disagrees/);
  });
});

describe('asymmetricCovariances (the GMM claim’s user-style covariances)', () => {
  it('is asymmetric by ≈ 1e-9 of the largest entry, within what diagnose() accepts, and averages back exactly', () => {
    const asym = asymmetricCovariances(params);
    const { K, D } = params;
    let moved = 0;
    for (let c = 0; c < K; c++) {
      const o = c * D * D;
      let scale = 0;
      for (let i = 0; i < D * D; i++) scale = Math.max(scale, Math.abs(params.covs[o + i]));
      for (let i = 0; i < D; i++) {
        for (let j = i + 1; j < D; j++) {
          const d = Math.abs(asym.covs[o + i * D + j] - asym.covs[o + j * D + i]);
          if (d > 0) moved++;
          expect(d).toBeLessThan(1e-8 * scale);
        }
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect(Array.from(symmetricCovariances(asym).covs)).toEqual(Array.from(params.covs));
    // One triangle kept instead of the average: the diagnosis moves by far more than 1e-12.
    const upper = { ...asym, covs: asym.covs.slice() };
    for (let c = 0; c < K; c++) for (let i = 0; i < D; i++) for (let j = i + 1; j < D; j++) upper.covs[c * D * D + j * D + i] = upper.covs[c * D * D + i * D + j];
    expect(publicDiagnoseAgreement('entropy-gmm', [point(right, { kind: 'gmm', params: upper, q })]).failures).toHaveLength(1);
  });
});
