/**
 * The shared entropy formulas against brute-force sums. Tolerances: every
 * quantity is a float64 sum of O(100) terms of size O(1–10), so rounding is
 * ≈ 1e-14; 1e-12 leaves two orders of margin while any wrong term is O(0.01+).
 */
import { describe, expect, it } from 'vitest';
import {
  bernoulliEntropy,
  bernoulliEntropyFromLogit,
  categoricalEntropy,
  gaussianEntropy,
  logFactorial,
  logSumExp,
  poissonEntropy,
  poissonExpectedLogFactorial,
  sigmoid,
  softplus,
  withBaseMeasureCorrection,
  diagnosis,
  decomposition,
} from '../../src/entropy/formulas.ts';

function poissonPmf(k: number, lambda: number): number {
  return Math.exp(k * Math.log(lambda) - lambda - logFactorial(k));
}

describe('entropy formulas', () => {
  it('log k! matches the product for small k', () => {
    let f = 1;
    for (let k = 1; k <= 20; k++) {
      f *= k;
      expect(logFactorial(k)).toBeCloseTo(Math.log(f), 12);
    }
    expect(() => logFactorial(-1)).toThrow(/allowed an integer ≥ 0/);
  });

  it.each([0.3, 1, 4.5, 17, 120])('Poisson(%f): E[log x!] and H match a brute-force sum', (lambda) => {
    let elf = 0;
    let h = 0;
    for (let k = 0; k < 2000; k++) {
      const p = poissonPmf(k, lambda);
      if (p === 0) continue;
      elf += p * logFactorial(k);
      h -= p * Math.log(p);
    }
    expect(Math.abs(poissonExpectedLogFactorial(lambda) - elf)).toBeLessThan(1e-11 * Math.max(1, elf));
    // H = λ(1 − log λ) + E[log x!] cancels two terms of size ≈ E[log x!]: compare on that scale.
    expect(Math.abs(poissonEntropy(lambda) - h)).toBeLessThan(1e-12 * Math.max(1, elf));
  });

  it('Bernoulli entropy from p and from the logit agree, also at extreme logits', () => {
    for (const eta of [-40, -5, -0.3, 0, 0.7, 6, 40]) {
      const p = sigmoid(eta);
      const direct = -(p * Math.log(p) + (1 - p) * Math.log1p(-p));
      expect(bernoulliEntropyFromLogit(eta)).toBeCloseTo(Number.isFinite(direct) ? direct : 0, 12);
      expect(bernoulliEntropy(p)).toBeCloseTo(bernoulliEntropyFromLogit(eta), 10);
    }
    expect(bernoulliEntropy(0)).toBe(0);
    expect(softplus(800)).toBe(800);
  });

  it('categorical and Gaussian entropies, logSumExp', () => {
    expect(categoricalEntropy([0.5, 0.5, 0])).toBeCloseTo(Math.log(2), 14);
    expect(gaussianEntropy(3, Math.log(8))).toBeCloseTo(0.5 * Math.log((2 * Math.PI * Math.E) ** 3 * 8), 12);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
  });

  it('the base-measure correction moves B from the decomposition into the entropy sum', () => {
    const d = diagnosis({ encoderEntropy: 1, priorEntropy: 2, decoderEntropy: 3 }, -3.5, decomposition(0.25, 0.25, -0.5));
    expect(d.entropySum).toBe(-4);
    expect(d.gap).toBe(0.5);
    const c = withBaseMeasureCorrection(d);
    expect(c.entropySum).toBe(-4.5);
    expect(c.gap).toBe(1);
    expect(c.decomposition.total).toBe(0.5);
    expect(c.decompositionError).toBeCloseTo(0.5, 15);
  });
});
