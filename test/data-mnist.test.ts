/** Real digits: deterministic subsets, pooling preserves mass, bad options are named. */
import { describe, expect, it } from 'vitest';
import { loadDigits, MNIST_COUNTS } from '../src/data/mnist.ts';

describe('loadDigits', () => {
  it('returns the same images every time, interleaved by digit, in [0, 1]', () => {
    const a = loadDigits({ perDigit: 3 });
    const b = loadDigits({ perDigit: 3 });
    expect(a.n).toBe(30);
    expect(a.dim).toBe(784);
    expect([...a.labels.slice(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(a.x).toEqual(b.x);
    expect(Math.min(...a.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.x)).toBeLessThanOrEqual(1);
    expect(Math.max(...a.x)).toBeGreaterThan(0.5);
  });

  it('average pooling keeps each image’s mean intensity', () => {
    const full = loadDigits({ perDigit: 2, digits: [3, 7] });
    const pooled = loadDigits({ perDigit: 2, digits: [3, 7], pool: 2 });
    expect(pooled.dim).toBe(196);
    for (let i = 0; i < full.n; i++) {
      const mean = (x: Float32Array, dim: number) => x.subarray(i * dim, (i + 1) * dim).reduce((s, v) => s + v, 0) / dim;
      expect(mean(pooled.x, 196)).toBeCloseTo(mean(full.x, 784), 5);
    }
  });

  it('offsets select disjoint images', () => {
    const a = loadDigits({ perDigit: 1, digits: [4] });
    const b = loadDigits({ perDigit: 1, digits: [4], offset: 1 });
    expect(a.x).not.toEqual(b.x);
  });

  it('rejects impossible requests with the allowed range', () => {
    expect(() => loadDigits({ perDigit: MNIST_COUNTS[5] + 1 })).toThrow(/digit 5/);
    expect(() => loadDigits({ perDigit: 1, pool: 3 })).toThrow(/divisor of 28/);
    expect(() => loadDigits({ perDigit: 1, digits: [10] })).toThrow(/0\.\.9/);
  });
});
