import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { wilsonInterval } from '../../src/stats/wilson.ts';

describe('wilsonInterval', () => {
  it('matches published values', () => {
    // 50/50: lower bound 1 − z²/(n+z²) = 50/53.84 = 0.9287 (the "rule of three"-like bound).
    const all = wilsonInterval(50, 50);
    expect(all.upper).toBe(1);
    expect(all.lower).toBeCloseTo(0.92865, 4);
    // 8/10 at 95%: [0.4902, 0.9433] (Wilson 1927; e.g. Newcombe 1998, Table I).
    const some = wilsonInterval(8, 10);
    expect(some.lower).toBeCloseTo(0.4902, 3);
    expect(some.upper).toBeCloseTo(0.9433, 3);
  });

  it('always contains the point estimate and stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))), ([k, n]) => {
        const w = wilsonInterval(k, n);
        expect(w.lower).toBeGreaterThanOrEqual(0);
        expect(w.upper).toBeLessThanOrEqual(1);
        expect(w.lower).toBeLessThanOrEqual(w.rate + 1e-12);
        expect(w.upper).toBeGreaterThanOrEqual(w.rate - 1e-12);
      }),
    );
  });

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(/successes/);
    expect(() => wilsonInterval(0, 0)).toThrow(/trials/);
    expect(() => wilsonInterval(1, 2, 0.8)).toThrow(/level/);
  });
});
