/**
 * The exported diagnostic: for every model kind it returns the three
 * entropies, S = H_enc − H_prior − H_dec, F, the gap and a decomposition that
 * explains it; at stationary points (M-step / ML solution) the gap vanishes.
 * Tolerances as in the model tests (float64 rounding, 1e-9).
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { diagnose, type EntropyDiagnosis } from '../../src/entropy/diagnose.ts';
import * as gmm from '../../src/models/mixtures/gmm.ts';
import { generateGmmData } from '../../src/models/mixtures/gmm-data.ts';
import * as mixture from '../../src/models/mixtures/product-mixture.ts';
import { POISSON } from '../../src/models/mixtures/poisson-mixture.ts';
import { overdispersedCounts } from '../../src/models/mixtures/count-data.ts';
import { randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';
import { generateLowRankData } from '../../src/models/ppca/data.ts';
import { dataStats, eigenSystem, mlSolution } from '../../src/models/ppca/oracle.ts';
import * as sbn from '../../src/models/sbn/sbn.ts';
import { generateSbnData } from '../../src/models/sbn/data.ts';

function consistent(d: EntropyDiagnosis): void {
  expect(d.entropySum).toBeCloseTo(d.encoderEntropy - d.priorEntropy - d.decoderEntropy, 12);
  expect(d.gap).toBeCloseTo(d.elbo - d.entropySum, 12);
  expect(d.decompositionError).toBeLessThan(1e-9);
}

describe('entropy diagnostic', () => {
  it('GMM: exact posterior by default; stationary after an M-step', () => {
    const data = generateGmmData({ N: 200, D: 2, K: 2, separation: 3, seed: 1 });
    const q = randomResponsibilities(data.N, 2, RandomStream.at('diag-gmm'));
    const p = gmm.mStep(q, data, 2, 'full');
    const withQ = diagnose({ kind: 'gmm', params: p, q }, data);
    consistent(withQ);
    expect(Math.abs(withQ.gap)).toBeLessThan(1e-12);
    const exact = diagnose({ kind: 'gmm', params: p }, data);
    consistent(exact);
    expect(exact.elbo).toBeCloseTo(gmm.eStep(p, data).logLik, 10);
  });

  it('Poisson mixture: the base-measure term is reported separately', () => {
    const data = overdispersedCounts({ N: 200, D: 4, K: 2, rateMin: 2, rateMax: 8, dispersionShape: 2, seed: 2 });
    const q = randomResponsibilities(data.N, 2, RandomStream.at('diag-pois'));
    const d = diagnose({ kind: 'poisson-mixture', params: mixture.mStep(q, data, 2), q }, data);
    consistent(d);
    expect(d.gap).toBeCloseTo(d.decomposition.baseMeasure, 9);
    expect(POISSON.name).toBe('Poisson mixture');
  });

  it('PPCA at the ML solution, SBN after an M-step, linear VAE from engine-style parameters', () => {
    const low = generateLowRankData({ N: 300, D: 5, signal: [2, 1], noiseStd: 0.5, seed: 3 });
    const stats = dataStats(low.x, low.N, low.D);
    const ppca = diagnose({ kind: 'ppca', params: mlSolution(stats, eigenSystem(stats), 2).params }, low);
    consistent(ppca);
    expect(ppca.relativeGap).toBeLessThan(1e-12);

    const bin = generateSbnData({ N: 100, D: 5, H: 2, weightScale: 1, seed: 4 });
    const p0: sbn.SbnParams = { H: 2, D: 5, W: new Float64Array(10).fill(0.1), b: new Float64Array(5), pi: Float64Array.of(0.5, 0.5) };
    const q = sbn.eStep(p0, bin).q;
    const d = diagnose({ kind: 'sbn', params: sbn.mStep(p0, q, bin).params, q }, bin);
    consistent(d);
    expect(Math.abs(d.gap)).toBeLessThan(1e-10);

    const lin = diagnose(
      { kind: 'linear-vae', params: { W: new Float32Array(10).fill(0.5), b: new Float32Array(5), V: new Float32Array(10).fill(0.1), c: new Float32Array(2), s: new Float32Array(2), logVar: Float32Array.of(-1) } },
      low,
    );
    consistent(lin);
  });
});

describe('parameters from other libraries', () => {
  it('a covariance asymmetric by rounding (as scikit-learn writes them) is symmetrised; one asymmetric beyond tolerance is a clear error', async () => {
    const { diagnose, symmetricCovariances } = await import('../../src/entropy/diagnose.ts');
    const cov = [2, 0.3, 0.3 + 4e-16, 1];
    const params = { kind: 'full' as const, K: 1, D: 2, pi: Float64Array.from([1]), means: Float64Array.from([0, 0]), covs: Float64Array.from(cov), variance: 0 };
    const x = Float64Array.from([0.1, -0.2, 1.2, 0.4, -0.7, 0.9, 0.3, -1.1]);
    const d = diagnose({ kind: 'gmm', params }, { x, N: 4, D: 2 });
    expect(Number.isFinite(d.gap)).toBe(true);
    expect(symmetricCovariances(params).covs[1]).toBe(symmetricCovariances(params).covs[2]);
    const bad = { ...params, covs: Float64Array.from([2, 0.3, 0.5, 1]) };
    expect(() => diagnose({ kind: 'gmm', params: bad }, { x, N: 4, D: 2 })).toThrow(/covariance 0 is not symmetric: max \|Σ − Σᵀ\| = 2\.00e-1/);
  });
});
