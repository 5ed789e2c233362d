/**
 * ‖E g‖² from J independent draws g_1..g_J of an unbiased vector estimator
 * (e.g. Monte Carlo gradients of an expected objective). The plug-in ‖ḡ‖²
 * overshoots by the variance floor tr(Cov g)/J; the U-statistic
 *   U = (‖Σ_j g_j‖² − Σ_j ‖g_j‖²) / (J(J−1)) = ‖ḡ‖² − tr(Ĉov)/J
 * is unbiased. Its standard error is the jackknife over draws.
 */
export interface SquaredNormEstimate {
  /** Unbiased estimate of ‖E g‖² (may be slightly negative when the truth is ~0). */
  estimate: number;
  /** ‖mean of the draws‖², the naive plug-in (biased upward by the floor). */
  plugIn: number;
  /** The subtracted variance floor tr(Ĉov g)/J. */
  floor: number;
  /** Jackknife standard error of `estimate` over the J draws (NaN when J < 3). */
  standardError: number;
}

export function unbiasedSquaredNorm(draws: readonly ArrayLike<number>[]): SquaredNormEstimate {
  const J = draws.length;
  if (J < 2) throw new RangeError(`unbiasedSquaredNorm: J = ${J} draws; allowed J ≥ 2`);
  const d = draws[0].length;
  const S = new Float64Array(d);
  const norms = new Float64Array(J);
  let Q = 0;
  draws.forEach((g, j) => {
    if (g.length !== d) throw new RangeError('unbiasedSquaredNorm: draws of different lengths');
    let q = 0;
    for (let i = 0; i < d; i++) {
      S[i] += g[i];
      q += g[i] * g[i];
    }
    norms[j] = q;
    Q += q;
  });
  let SS = 0;
  for (let i = 0; i < d; i++) SS += S[i] * S[i];
  const estimate = (SS - Q) / (J * (J - 1));
  const plugIn = SS / (J * J);
  let standardError = NaN;
  if (J >= 3) {
    const loo = new Float64Array(J);
    let mean = 0;
    draws.forEach((g, j) => {
      let s2 = 0;
      for (let i = 0; i < d; i++) {
        const t = S[i] - g[i];
        s2 += t * t;
      }
      loo[j] = (s2 - (Q - norms[j])) / ((J - 1) * (J - 2));
      mean += loo[j] / J;
    });
    let ss = 0;
    for (let j = 0; j < J; j++) ss += (loo[j] - mean) ** 2;
    standardError = Math.sqrt(((J - 1) / J) * ss);
  }
  return { estimate, plugIn, floor: plugIn - estimate, standardError };
}
