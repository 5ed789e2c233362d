/**
 * d23-figure-1's verdict on known answers (judgeFigure1 on hand-made curves),
 * its tolerance formula, and the PCA data generator's law.
 */
import { describe, expect, it } from 'vitest';
import { firstOrderGapBound, judgeFigure1, pcaData, type Figure1Config, type Figure1Run } from '../../src/claims/entropy/d23-figure-1.check.ts';
import claim from '../../src/claims/entropy/d23-figure-1.ts';
import type { Tier } from '../../src/contract/claim.ts';

const tiers = claim.tiers as Record<Tier, Figure1Config>;

/** The curves below top out at F = 3; ℓ_ML 0.01 above: first-order bound ≈ √(2·0.01·6) ≈ 0.35, above `absolute`. */
const tol = { absolute: 0.05, ratio: 0.1, mlLogLik: 3.01, D: 10, H: 2 };
const E = 40;

/** A run whose F rises to `top` (reached by `reach` of the epochs), S and log p approaching F up to the final gaps. */
function run(opts: { top?: number; reach?: number; gapS: number; gapP: number; startGap?: number }): Figure1Run {
  const { top = 3, reach = 0.5, gapS, gapP, startGap = 4 } = opts;
  const F: number[] = [];
  const S: number[] = [];
  const logP: number[] = [];
  for (let e = 0; e <= E; e++) {
    const t = Math.min(1, e / (reach * E));
    const f = -10 + (top + 10) * t;
    F.push(f);
    S.push(f + startGap * (1 - t) + gapS * t);
    logP.push(f + startGap * (1 - t) + gapP * t);
  }
  return { F, S, logP, unexplained: 0 };
}

describe('judgeFigure1', () => {
  it('passes when every run closes both gaps below tolerance', () => {
    const j = judgeFigure1([run({ gapS: 0.01, gapP: 0.001 }), run({ gapS: -0.03, gapP: 0.02 })], tol);
    expect(j.verdict).toBe('pass');
    expect(j.entropyGap).toBeCloseTo(0.03, 12);
    expect(j.likelihoodGap).toBeCloseTo(0.02, 12);
  });

  it('fails when one settled run keeps an entropy gap (σ² fixed: the gap stays at nats)', () => {
    const j = judgeFigure1([run({ gapS: 0.01, gapP: 0.001 }), run({ gapS: 4, gapP: 0.001, startGap: 4.5 })], tol);
    expect(j.verdict).toBe('fail');
    expect(j.perRun[1].settled).toBe(true);
  });

  it('fails on a settled likelihood gap; a gap that never shrank tenfold but is within tolerance is inconclusive', () => {
    expect(judgeFigure1([run({ gapS: 0.01, gapP: 0.2 })], tol).verdict).toBe('fail');
    // Below tolerance but never apart: the gaps were small from the start — no convergence shown, nothing contradicted.
    const flat = run({ gapS: 0.02, gapP: 0.02, startGap: 0.03 });
    const j = judgeFigure1([flat], tol);
    expect(j.ratio).toBeGreaterThan(0.1);
    expect(j.verdict).toBe('inconclusive');
  });

  it('is inconclusive when a run is still moving with its gap closing (too few epochs to judge)', () => {
    // F still climbing at the end (reach > 1) and the gap halving over the last quarter.
    const moving = run({ reach: 1.6, gapS: 0.001, gapP: 0.001, startGap: 4 });
    const j = judgeFigure1([run({ gapS: 0.01, gapP: 0.001 }), moving], tol);
    expect(j.perRun[1].converged).toBe(false);
    expect(j.perRun[1].settled).toBe(false);
    expect(j.verdict).toBe('inconclusive');
  });

  it('fails when |F − S| is below the absolute tolerance but above the first-order bound at the reached distance', () => {
    // ℓ_ML − F = 1e-5 allows √(2·1e-5·(6 + 0.03)) ≈ 0.011; the gap 0.03 cannot be first order in that distance.
    const j = judgeFigure1([run({ gapS: 0.03, gapP: 0.001 })], { ...tol, mlLogLik: 3.00001 });
    expect(j.bound).toBeCloseTo(Math.sqrt(2e-5 * 6.03), 6); // S = F + 0.03: F − S = −0.03
    expect(j.verdict).toBe('fail');
  });

  it('firstOrderGapBound: √(2(ℓ_ML − F)((D + H)/2 − (F − S))), 0 at the optimum', () => {
    expect(firstOrderGapBound(1, 1.5, { mlLogLik: 1.5, D: 10, H: 2 })).toBeCloseTo(Math.sqrt(2 * 0.5 * 6.5), 12);
    expect(firstOrderGapBound(1.5, 1.5, { mlLogLik: 1.5, D: 10, H: 2 })).toBe(0);
  });

  it('fail wins over inconclusive', () => {
    const moving = run({ reach: 1.6, gapS: 0.001, gapP: 0.001 });
    expect(judgeFigure1([moving, run({ gapS: 1, gapP: 0, startGap: 1.2 })], tol).verdict).toBe('fail');
  });
});

describe('d23-figure-1 configuration', () => {
  it('states one absolute tolerance for both tiers', () => {
    expect(tiers.quick.tolerance).toEqual(tiers.full.tolerance);
  });

  it('the full tier is the paper: N = 10⁴, D = 10, H = 2, σ = 0.1, B = 2000, K = 100, lr 1e-3, 1500 epochs, 10 runs', () => {
    const c = tiers.full;
    expect([c.data.N, c.data.D, c.H, c.data.noiseStd, c.batchSize, c.samples, c.lr, c.epochs, c.seeds]).toEqual([10000, 10, 2, 0.1, 2000, 100, 1e-3, 1500, 10]);
  });
});

describe('pcaData', () => {
  it('has mean in [0, 1]^D and covariance W*W*ᵀ + σ²I of rank H plus noise', () => {
    const N = 20000;
    const D = 6;
    const H = 2;
    const x = pcaData(N, D, H, 0.1, 17);
    const mean = new Float64Array(D);
    for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) mean[i] += x[n * D + i] / N;
    for (const m of mean) expect(m).toBeGreaterThan(-0.05), expect(m).toBeLessThan(1.05);
    // The smallest D − H eigenvalues of the sample covariance are the noise, σ² = 0.01: check the trace split.
    let trace = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) trace += (x[n * D + i] - mean[i]) ** 2 / N;
    expect(trace).toBeGreaterThan(D * 0.01);
  });
});
