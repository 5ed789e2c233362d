/**
 * gaussianSampleTest (src/stats/gaussian-sample.ts): its p-values are uniform on samples from
 * the stated N(μ, Σ) (the χ² laws it uses), and it rejects at once a sample whose noise is
 * rescaled or frozen, which is what the data generators use it for
 * (src/models/linear-vae/data.ts).
 */
import { describe, expect, it } from 'vitest';
import { gaussianSampleTest } from '../../src/stats/gaussian-sample.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { generateLinearGaussianData } from '../../src/models/linear-vae/data.ts';

const d = 4;
const mean = [1, -2, 0.5, 3];
// Σ = AAᵀ + I for a fixed A: correlated, well conditioned.
const A = [0.9, 0.1, -0.3, 0.5, 0.2, -0.7, 0.4, 0.4];
const cov = Array.from({ length: d * d }, (_, k) => {
  const i = Math.floor(k / d);
  const j = k % d;
  return (i === j ? 1 : 0) + A[2 * i] * A[2 * j] + A[2 * i + 1] * A[2 * j + 1];
});

function sample(n: number, rng: RandomStream, noiseScale = 1): Float64Array {
  const x = new Float64Array(n * d);
  const z = new Float64Array(2);
  const e = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    rng.fillNormal(z);
    rng.fillNormal(e);
    for (let i = 0; i < d; i++) x[k * d + i] = mean[i] + A[2 * i] * z[0] + A[2 * i + 1] * z[1] + noiseScale * e[i];
  }
  return x;
}

describe('gaussianSampleTest', () => {
  it('gives p-values uniform on samples from the stated law (400 samples of n = 500)', () => {
    const rng = RandomStream.at('test/gaussian-sample', 'null');
    const pm: number[] = [];
    const pc: number[] = [];
    for (let r = 0; r < 400; r++) {
      const t = gaussianSampleTest(sample(500, rng), 500, d, mean, cov);
      pm.push(t.mean.p);
      pc.push(t.covariance.p);
    }
    // Under uniformity the fraction below 0.1 is Binomial(400, 0.1): mean 40, sd 6;
    // [16, 64] is ±4 sd (false alarm ≈ 6e-5 per check). The LR's χ² law is asymptotic: at n = 500
    // and 10 df its level is within a few tenths of a percent of nominal.
    for (const p of [pm, pc]) {
      const below = p.filter((v) => v < 0.1).length;
      expect(below).toBeGreaterThanOrEqual(16);
      expect(below).toBeLessThanOrEqual(64);
    }
  });

  it('rejects rescaled or frozen noise at once', () => {
    const rng = RandomStream.at('test/gaussian-sample', 'alt');
    expect(gaussianSampleTest(sample(2000, rng, Math.SQRT1_2), 2000, d, mean, cov).covariance.p).toBeLessThan(1e-12);
    expect(gaussianSampleTest(sample(2000, rng, 0), 2000, d, mean, cov).covariance.p).toBe(0);
  });

  it('lets the linear Gaussian data generator pass on its own output', () => {
    for (const seed of [1, 2, 3]) expect(() => generateLinearGaussianData({ n: 2000, dx: 10, dz: 3, noiseStd: 1, seed })).not.toThrow();
  });
});
