/**
 * The two normal quantiles: normalQuantile (Acklam's approximation, one Halley step on Φ)
 * and normalQuantileFast (Wichura's AS 241), which the stochastic networks use for their
 * stratified noise draws, held in float32. Both must be Φ⁻¹ to far better than a float32
 * ulp, so that switching the draws from one to the other left every stored draw as it was.
 * Tolerances: AS 241 is accurate to about 1e-16 relative and Acklam + Halley to a few
 * 1e-16 below p = ½; Φ (erfc by series and continued fraction) has relative error < 1e-13,
 * so |Φ(x) − p| is held to 1e-14 of the smaller tail, and the two quantiles to 1e-14 of |x|.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { normalCdf, normalQuantile, normalQuantileFast } from '../../src/stats/normal.ts';

describe('normalQuantileFast (AS 241)', () => {
  it('rounds to the same float32 as normalQuantile on 2·10⁶ draws (uniform p, and p = (k + U)/K as the strata draw them)', () => {
    // A disagreement needs Φ⁻¹(p) within a few float64 ulps of a float32 rounding boundary:
    // about 1e-8 per draw, so 2·10⁶ draws see none with probability ≈ 0.98.
    const rng = RandomStream.at('test/normal-quantile', 'float32');
    let differ = 0;
    for (let i = 0; i < 2e6; i++) {
      const p = i % 2 ? rng.uniform() : ((i >> 1) % 16 + Math.max(rng.uniform(), Number.EPSILON)) / 16;
      if (!(p > 0 && p < 1)) continue;
      if (Math.fround(normalQuantile(p)) !== Math.fround(normalQuantileFast(p))) differ++;
    }
    expect(differ).toBe(0);
  });

  it('is Φ⁻¹ in all three ranges, deep tails included', () => {
    for (const p of [1e-300, 1e-30, 1e-12, 1e-5, 0.01, 0.02425, 0.07, 0.0749, 0.075, 0.2, 0.5, 0.6, 0.925, 0.9251, 0.99, 1 - 1e-9]) {
      const x = normalQuantileFast(p);
      if (p < 1e-15) {
        // Φ's relative accuracy is what matters in the far tail: log Φ(x) against log p.
        expect(Math.abs(Math.log(normalCdf(x)) - Math.log(p))).toBeLessThan(1e-12);
      } else {
        expect(Math.abs(normalCdf(x) - p)).toBeLessThan(1e-14 * Math.min(p, 1 - p) + 1e-16);
        // normalQuantile's Halley step reads Φ(x) − p, which loses digits as p → 1 (measured: 2.9e-10
        // off at p = 1 − 1e-9); below ½ both are Φ⁻¹ to a few ulps.
        if (p <= 0.5) expect(Math.abs(x - normalQuantile(p))).toBeLessThan(1e-14 * Math.max(1, Math.abs(x)));
      }
      // Odd about ½: 1 − p rounds by ≤ 1.1e-16, which moves Φ⁻¹ by ≤ 1.1e-16/φ(x) (≤ 4e-15 for p ≥ 0.01).
      if (p >= 0.01 && p <= 0.5) expect(Math.abs(normalQuantileFast(1 - p) + x)).toBeLessThan(1e-14 * Math.max(1, Math.abs(x)));
    }
    expect(normalQuantileFast(0.5)).toBe(0);
    expect(normalQuantileFast(0.3)).toBeCloseTo(-normalQuantileFast(0.7), 15);
    expect(() => normalQuantileFast(0)).toThrow(RangeError);
    expect(() => normalQuantileFast(1)).toThrow(RangeError);
  });
});
