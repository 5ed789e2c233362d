/** Seeded streams: derived seeds are never 0, streams are reproducible, normals are standard. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';

describe('deriveSeed', () => {
  it('is deterministic, non-zero and 32-bit for any label path', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.integer())), (path) => {
        const s = deriveSeed(...path);
        expect(s).toBe(deriveSeed(...path));
        expect(s).not.toBe(0);
        expect(s >>> 0).toBe(s);
      }),
    );
  });

  it('separates label paths that differ only in grouping', () => {
    expect(deriveSeed('ab', 'c')).not.toBe(deriveSeed('a', 'bc'));
    expect(deriveSeed(1, 'seed', 2)).not.toBe(deriveSeed(1, 'seed', 3));
  });
});

describe('RandomStream', () => {
  it('rejects seed 0, which TensorFlow.js reads as "unseeded"', () => {
    expect(() => new RandomStream(0)).toThrow(/non-zero/);
  });

  it('same seed, same numbers; different seed, different numbers', () => {
    const a = RandomStream.at(7, 'x');
    const b = RandomStream.at(7, 'x');
    const c = RandomStream.at(8, 'x');
    const draw = (s: RandomStream) => Array.from({ length: 20 }, () => s.normal());
    const da = draw(a);
    expect(draw(b)).toEqual(da);
    expect(draw(c)).not.toEqual(da);
  });

  it('normals have mean 0 and variance 1 (n = 2·10⁵: 5 SE bounds, false alarm ≈ 6e-7 each)', () => {
    const s = new RandomStream(12345);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = s.normal();
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // SE(mean) = 1/√n ≈ 0.0022; SE(variance) = √(2/n) ≈ 0.0032.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('integers are uniform on {0..n-1} (χ² with 9 dof, threshold 27.9 ⇒ false alarm 0.001)', () => {
    const s = new RandomStream(99);
    const counts = new Array(10).fill(0);
    const draws = 100_000;
    for (let i = 0; i < draws; i++) counts[s.int(10)]++;
    const expected = draws / 10;
    const chi2 = counts.reduce((acc, c) => acc + ((c - expected) ** 2) / expected, 0);
    expect(chi2).toBeLessThan(27.88);
  });
});
