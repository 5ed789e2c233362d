/** Student's t quantile and CDF against published values (scipy.stats 1.17, t.ppf / t.cdf). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { studentTCdf, studentTQuantile } from '../../src/stats/student-t.ts';
import { smallSampleFactor } from '../../src/stats/bootstrap.ts';

describe('studentTQuantile', () => {
  it('matches published quantiles', () => {
    const table: [number, number, number][] = [
      [0.975, 1, 12.706204736174698],
      [0.975, 5, 2.5705818356363146],
      [0.975, 7, 2.364624251592784],
      [0.975, 11, 2.200985160091639],
      [0.975, 15, 2.131449545559776],
      [0.9, 2, 1.8856180831641272],
      [0.995, 3, 5.840909309733355],
      [1 - 5e-7, 29, 6.1700561014489566],
      [1 - 5e-7, 399, 4.9690919498671855],
      [1 - 5e-7, 3999, 4.899271954445875],
      [1 - 1e-4 / 6, 39, 4.688106795345842],
    ];
    for (const [p, nu, want] of table) expect(studentTQuantile(p, nu), `t_${nu}(${p})`).toBeCloseTo(want, 9);
    expect(studentTQuantile(0.025, 7)).toBeCloseTo(-2.364624251592784, 9);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });

  it('inverts the CDF', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.integer({ min: 1, max: 500 }), (p, nu) => {
        expect(studentTCdf(studentTQuantile(p, nu), nu)).toBeCloseTo(p, 10);
      }),
    );
  });

  it('rejects impossible arguments', () => {
    expect(() => studentTQuantile(1, 5)).toThrow(/p = 1/);
    expect(() => studentTQuantile(0.5, 0)).toThrow(/ν = 0/);
  });
});

describe('smallSampleFactor', () => {
  it('is (t_{S−1}/z)·√(S/(S−1)) and tends to 1', () => {
    // scipy: t.ppf(0.975, S−1)/norm.ppf(0.975)·√(S/(S−1)).
    expect(smallSampleFactor(2, 0.95)).toBeCloseTo(9.168172071490575, 8);
    expect(smallSampleFactor(8, 0.95)).toBeCloseTo(1.2897633203912773, 9);
    expect(smallSampleFactor(12, 0.95)).toBeCloseTo(1.1729062589441643, 9);
    expect(smallSampleFactor(16, 0.95)).toBeCloseTo(1.1231592224278004, 9);
    expect(smallSampleFactor(1000, 0.95)).toBeGreaterThan(1);
    expect(smallSampleFactor(1000, 0.95)).toBeLessThan(1.002);
    expect(() => smallSampleFactor(1, 0.95)).toThrow(/units/);
  });
});
