/**
 * The kernel mean test (src/claims/ntk/shared/kernel-mean.ts) on synthetic draws
 * with a known mean, and on the engine's own block kernels (where the
 * expectation is the analytic NTK exactly, at any width):
 *   - bins: diagonal and cosine-quantile bins, counts, lower triangle unused;
 *   - null: correlated draws whose mean is the expected vector are accepted
 *     (deterministic seeds; the false-alarm rate is 1e-4 by construction);
 *   - power: a shift of a few standard errors of the CONTROL-ADJUSTED mean,
 *     far below the raw draws' spread, is rejected (the control variate does
 *     the work); an allowance absorbs a known bias;
 *   - engine: block draws of a real batch pass against the analytic kernel and
 *     fail against the π − 0.9θ formula (applied to the derivative term only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { binLayout, binMeans, kernelMeanTest } from '../../src/claims/ntk/shared/kernel-mean.ts';
import { downloadKernels, kernelBlocks, ReluKernelDraws, reluExpected } from '../../src/claims/ntk/shared/relu-kernel-mean.ts';
import { WideReluBatch } from '../../src/models/ntk/wide-relu.ts';

describe('binLayout', () => {
  it('puts the diagonal in its own bin, splits off-diagonal entries by cosine quantiles, ignores the lower triangle', () => {
    const X = sphereInputs(6, 8, 3);
    const T = sphereInputs(4, 8, 4);
    const layout = binLayout([{ rows: X, cols: X }, { rows: T, cols: X }], 3);
    expect(layout.diagonal).toBe(3);
    expect(layout.labels).toHaveLength(4);
    // 15 upper off-diagonal + 24 cross entries in 3 bins, 6 diagonal entries.
    expect(Array.from(layout.counts).reduce((a, b) => a + b, 0)).toBe(15 + 24 + 6);
    expect(layout.counts[3]).toBe(6);
    for (let b = 0; b < 3; b++) expect(Math.abs(layout.counts[b] - 13)).toBeLessThanOrEqual(1);
    expect(layout.entryBins[0][1 * 6 + 0]).toBe(-1);
    expect(layout.entryBins[0][0]).toBe(3);
    // Bin means of a constant matrix are that constant.
    const means = binMeans(layout, [new Float64Array(36).fill(2), new Float64Array(24).fill(2)]);
    for (const v of means) expect(v).toBeCloseTo(2, 12);
  });
});

/** Draws y = μ + s·(z_common + 0.1·z_own), control c = c₀ + z_common: strongly correlated, exact means μ and c₀. */
function correlatedDraws(M: number, shift: number, seed: number): Float64Array[] {
  const rng = new RandomStream(seed);
  return Array.from({ length: M }, () => {
    const common = rng.normal();
    return Float64Array.of(1 + shift + (common + 0.1 * rng.normal()), 2 + common, 3 + rng.normal());
  });
}

describe('kernelMeanTest', () => {
  const base = { labels: ['y', 'control', 'z'], controls: [1], groupOf: ['g', 'g', 'g'] };

  it('accepts draws whose mean is the expected vector (several seeds) and reports its resolution', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const t = kernelMeanTest({ ...base, draws: correlatedDraws(400, 0, seed), expected: [1, 2, 3] });
      expect(t.ok).toBe(true);
      expect(t.coordinates[0].adjusted).toBe(true);
      expect(t.coordinates[1].adjusted).toBe(false);
      // Adjusted se ≈ 0.1/√400 = 0.005, the raw one ≈ 1/√400 = 0.05.
      expect(t.coordinates[0].standardError).toBeLessThan(0.008);
      expect(t.coordinates[1].standardError).toBeGreaterThan(0.04);
      expect(t.scaleResolution).toBeGreaterThan(0.05);
    }
  });

  it('sees a shift of 0.05, one twentieth of the raw spread, through the control variate; an allowance absorbs it', () => {
    const draws = correlatedDraws(400, 0.05, 7);
    const t = kernelMeanTest({ ...base, draws, expected: [1, 2, 3] });
    expect(t.ok).toBe(false);
    expect(t.worst).toBe(0);
    expect(t.maxAbsT).toBeGreaterThan(t.threshold);
    const tolerated = kernelMeanTest({ ...base, draws, expected: [1, 2, 3], allowance: [0.06, 0, 0] });
    expect(tolerated.ok).toBe(true);
  });

  it('uses the Student-t Bonferroni threshold and rejects too few draws', () => {
    const t = kernelMeanTest({ ...base, draws: correlatedDraws(400, 0, 9), expected: [1, 2, 3], falseAlarm: 1e-4 });
    // t_{398}(1 − 1e-4/6) ≈ 4.16 (normal 4.15).
    expect(t.threshold).toBeGreaterThan(4.1);
    expect(t.threshold).toBeLessThan(4.25);
    expect(() => kernelMeanTest({ ...base, draws: correlatedDraws(20, 0, 1), expected: [1, 2, 3] })).toThrow(/at least 31 draws/);
  });
});

describe('block draws of the wide ReLU network against the analytic kernel', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('pass against the analytic NTK and fail against π − 0.9θ in the derivative term (2% class of error)', () => {
    const d = 16;
    const data = sphereInputs(12, d, 5);
    const hyper = { sigmaW: Math.SQRT2, sigmaB: 0.1 };
    const X = tf.tensor2d(Float32Array.from(data.x), [data.n, d]);
    const kb = kernelBlocks([{ rows: data, cols: data, rowsTensor: X, colsTensor: X }], 3);
    const draws = new ReluKernelDraws(kb, 32, hyper.sigmaB);
    const m = 2048;
    const replicas = Array.from({ length: 8 }, (_, s) => ({ label: `${s}`, seed: 300 + s, parameterisation: 'ntk' as const, antisymmetric: s % 2 === 0 }));
    const batch = new WideReluBatch({ d, width: m, ...hyper }, replicas);
    draws.add(batch, replicas.map((_, r) => r), downloadKernels(batch.tangentKernels(X)));
    batch.dispose();
    X.dispose();
    expect(draws.draws).toHaveLength(8 * 64);
    expect(draws.defects).toEqual([]);
    const e = reluExpected(kb, hyper);
    const ok = kernelMeanTest({ draws: draws.draws, expected: e.expected, labels: e.labels, controls: e.controls, secondary: e.secondary, groupOf: e.groupOf });
    expect(ok.ok).toBe(true);
    // π − 0.9θ in the derivative term: Θ − K moves, K does not.
    const wrong = Float64Array.from(e.expected);
    const nb = kb.layout.counts.length;
    const hiddenShift = reluExpected(kb, hyper, 'correct');
    // Re-evaluate the derivative term with θ → 0.9θ directly (float64, independent of relu-ntk.ts).
    const q = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += data.x[i * d + k] * data.x[j * d + k];
      return 2 * (s / d) + 0.01;
    };
    const sums = new Float64Array(nb);
    for (let i = 0; i < data.n; i++) {
      for (let j = i; j < data.n; j++) {
        const b = kb.layout.entryBins[0][i * data.n + j];
        const th = Math.acos(Math.min(1, q(i, j) / Math.sqrt(q(i, i) * q(j, j))));
        sums[b] += 2 * q(i, j) * ((Math.PI - 0.9 * th) / (2 * Math.PI) - (Math.PI - th) / (2 * Math.PI));
      }
    }
    for (let b = 0; b < nb; b++) wrong[b] = hiddenShift.expected[b] + sums[b] / kb.layout.counts[b];
    const bad = kernelMeanTest({ draws: draws.draws, expected: wrong, labels: e.labels, controls: e.controls, secondary: e.secondary, groupOf: e.groupOf });
    expect(bad.ok).toBe(false);
  });
});
