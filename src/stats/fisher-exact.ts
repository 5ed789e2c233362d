/**
 * Fisher's exact test for two binomial proportions, one-sided: did the
 * second sample's success probability fall below the first's?
 *
 * Sample 1 has x1 successes in n1 trials, sample 2 has x2 in n2. Conditional
 * on the total number of successes t = x1 + x2, X2 is hypergeometric under
 * p1 = p2 (any common p); the one-sided p-value for "p2 < p1" is
 *   P(X2 ≤ x2 | t) = Σ_{k ≤ x2} C(n2, k) C(n1, t − k) / C(n1 + n2, t),
 * exact, valid for every n (no normal approximation; proportions at 0 or 1,
 * where Wald and χ² tests break down, are the common case here). The test is
 * conservative: under any p2 ≥ p1 the probability of p ≤ α is ≤ α.
 * Terms are summed in log space relative to the largest one, so C(n, k) for
 * n in the thousands does not overflow.
 */

function logChoose(n: number, k: number, logFact: Float64Array): number {
  return logFact[n] - logFact[k] - logFact[n - k];
}

/** One-sided p-value of Fisher's exact test for p2 < p1 (sample 2 below sample 1). */
export function fisherExactLess(x1: number, n1: number, x2: number, n2: number): number {
  for (const [name, v] of [
    ['n1', n1],
    ['n2', n2],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} = ${v}; allowed an integer ≥ 1`);
  }
  if (!Number.isSafeInteger(x1) || x1 < 0 || x1 > n1) throw new RangeError(`x1 = ${x1}; allowed an integer in [0, ${n1}]`);
  if (!Number.isSafeInteger(x2) || x2 < 0 || x2 > n2) throw new RangeError(`x2 = ${x2}; allowed an integer in [0, ${n2}]`);
  const N = n1 + n2;
  const t = x1 + x2;
  const logFact = new Float64Array(N + 1);
  for (let i = 1; i <= N; i++) logFact[i] = logFact[i - 1] + Math.log(i);
  // X2 ranges over [max(0, t − n1), min(n2, t)].
  const lo = Math.max(0, t - n1);
  const hi = Math.min(n2, t);
  const logTerm = (k: number) => logChoose(n2, k, logFact) + logChoose(n1, t - k, logFact) - logChoose(N, t, logFact);
  let peak = -Infinity;
  for (let k = lo; k <= hi; k++) peak = Math.max(peak, logTerm(k));
  let tail = 0;
  let total = 0;
  for (let k = lo; k <= hi; k++) {
    const w = Math.exp(logTerm(k) - peak);
    total += w;
    if (k <= x2) tail += w;
  }
  // Normalise by the computed total (equal to e^{−peak} up to rounding): the p-value of x2 = hi is exactly 1.
  return Math.min(1, tail / total);
}
