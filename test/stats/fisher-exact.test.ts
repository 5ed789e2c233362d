/**
 * Fisher's exact one-sided test against the hypergeometric tail summed with
 * exact integer binomials (BigInt), and its size: under equal proportions
 * the probability of p ≤ α, enumerated exactly over both binomials, is ≤ α.
 */
import { describe, expect, it } from 'vitest';
import { fisherExactLess } from '../../src/stats/fisher-exact.ts';

function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** P(X2 ≤ x2 | x1 + x2) as a ratio of exact integers, converted once. */
function reference(x1: number, n1: number, x2: number, n2: number): number {
  const t = x1 + x2;
  let num = 0n;
  for (let k = 0; k <= x2; k++) num += choose(n2, k) * choose(n1, t - k);
  const den = choose(n1 + n2, t);
  // Scale before converting so that tiny tails keep their digits.
  const scale = 10n ** 30n;
  return Number((num * scale) / den) / 1e30;
}

describe('fisherExactLess', () => {
  it('equals the exact hypergeometric tail', () => {
    for (const [x1, n1, x2, n2] of [
      [3, 4, 1, 4],
      [8, 10, 1, 6],
      [32, 32, 20, 32],
      [22, 32, 32, 32],
      [0, 32, 0, 32],
      [64, 64, 60, 64],
      [5, 40, 1, 7],
    ]) {
      const ref = reference(x1, n1, x2, n2);
      expect(Math.abs(fisherExactLess(x1, n1, x2, n2) - ref)).toBeLessThanOrEqual(1e-12 * Math.max(ref, 1e-300) + 1e-300);
    }
  });

  it('has size ≤ α under equal proportions (exact enumeration, n = 12)', () => {
    const n = 12;
    const binom = (p: number) => Array.from({ length: n + 1 }, (_, k) => Number(choose(n, k)) * p ** k * (1 - p) ** (n - k));
    for (const p of [0.1, 0.5, 0.9, 0.99]) {
      const w = binom(p);
      for (const alpha of [0.01, 0.05]) {
        let size = 0;
        for (let x1 = 0; x1 <= n; x1++) for (let x2 = 0; x2 <= n; x2++) if (fisherExactLess(x1, n, x2, n) <= alpha) size += w[x1] * w[x2];
        expect(size).toBeLessThanOrEqual(alpha);
      }
    }
  });

  it('rejects counts outside their range', () => {
    expect(() => fisherExactLess(5, 4, 1, 4)).toThrow(/x1 = 5; allowed an integer in \[0, 4\]/);
    expect(() => fisherExactLess(1, 0, 0, 4)).toThrow(/n1 = 0; allowed an integer ≥ 1/);
  });
});
