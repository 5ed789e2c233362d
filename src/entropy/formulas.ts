/**
 * Shared entropy formulas and the bookkeeping of the entropy-sum identity of
 * [LW22, W25, D23]:
 *   F = (1/N) Σ_n H[q_n] − H[p(z)] − (1/N) Σ_n E_{q_n}[H[p(x|z)]] + R_z + R_x + B
 *     =: S + R_z + R_x + B,
 * where S is the entropy sum, R_z and R_x are derivatives of F along the
 * directions that rescale the prior's and the decoder's natural parameters
 * (zero at stationary points) and B is the base-measure term (zero when the
 * base measure is constant). Everything here is float64, outside TensorFlow.js.
 */

export const LOG_2PI = Math.log(2 * Math.PI);
export const LOG_2PIE = Math.log(2 * Math.PI * Math.E);

/** The three entropies of the identity and the quantities built from them (all per data point). */
export interface EntropyTerms {
  /** (1/N) Σ_n H[q_n]: average encoder entropy. */
  encoderEntropy: number;
  /** H[p_Θ(z)]: prior entropy. */
  priorEntropy: number;
  /** (1/N) Σ_n E_{q_n}[H[p_Θ(x|z)]]: expected decoder entropy. */
  decoderEntropy: number;
}

/** The gap F − S split into its exact parts; `total` is their sum. */
export interface GapDecomposition {
  /** R_z: the prior's part (derivative of F along the prior's natural-parameter rescaling). */
  prior: number;
  /** R_x: the decoder's part. */
  decoder: number;
  /** B: base-measure term (0 for constant base measures). */
  baseMeasure: number;
  total: number;
}

export interface EntropyDiagnosis extends EntropyTerms {
  /** S = encoder − prior − decoder entropy. */
  entropySum: number;
  /** F, the ELBO per data point, computed directly (not from the entropies). */
  elbo: number;
  /** Measured gap F − S. */
  gap: number;
  /** The gap predicted by the exact decomposition. */
  decomposition: GapDecomposition;
  /** |F − S| / |F|. */
  relativeGap: number;
  /** |(F − S) − decomposition.total|: how well the decomposition explains the gap (rounding only). */
  decompositionError: number;
  /** A term added to the entropy sum (the base-measure term B of the corrected identity F = S + B), if any. */
  correction?: number;
}

export function entropySum(t: EntropyTerms): number {
  return t.encoderEntropy - t.priorEntropy - t.decoderEntropy;
}

export function decomposition(prior: number, decoder: number, baseMeasure = 0): GapDecomposition {
  return { prior, decoder, baseMeasure, total: prior + decoder + baseMeasure };
}

/** Assemble a diagnosis from the entropies, a directly computed ELBO and the exact gap decomposition. */
export function diagnosis(terms: EntropyTerms, elbo: number, parts: GapDecomposition): EntropyDiagnosis {
  const S = entropySum(terms);
  const gap = elbo - S;
  return {
    ...terms,
    entropySum: S,
    elbo,
    gap,
    decomposition: parts,
    relativeGap: Math.abs(gap) / Math.abs(elbo),
    decompositionError: Math.abs(gap - parts.total),
  };
}

/** x log x with the convention 0 log 0 = 0. */
export function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/** x log y with the convention 0 log y = 0 (also for y = 0). */
export function xlogy(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(y);
}

/** Entropy of a categorical distribution (natural log); entries may be 0. */
export function categoricalEntropy(p: ArrayLike<number>, offset = 0, length = p.length - offset): number {
  let h = 0;
  for (let i = 0; i < length; i++) h -= xlogx(p[offset + i]);
  return h;
}

/** Entropy of Bernoulli(p). */
export function bernoulliEntropy(p: number): number {
  return 0 - xlogx(p) - xlogx(1 - p);
}

/** log(1 + e^η) without overflow. */
export function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

export function sigmoid(eta: number): number {
  if (eta >= 0) return 1 / (1 + Math.exp(-eta));
  const e = Math.exp(eta);
  return e / (1 + e);
}

/** Entropy of Bernoulli(sigmoid(η)) = softplus(η) − sigmoid(η) η, stable for large |η|. */
export function bernoulliEntropyFromLogit(eta: number): number {
  return softplus(eta) - sigmoid(eta) * eta;
}

/** Entropy of N(μ, v) in one dimension. */
export function gaussianEntropy1d(variance: number): number {
  return 0.5 * (LOG_2PIE + Math.log(variance));
}

/** Entropy of a D-dimensional Gaussian with log det Σ = logDet. */
export function gaussianEntropy(dim: number, logDet: number): number {
  return 0.5 * (dim * LOG_2PIE + logDet);
}

export function logSumExp(v: ArrayLike<number>, offset = 0, length = v.length - offset): number {
  let m = -Infinity;
  for (let i = 0; i < length; i++) m = Math.max(m, v[offset + i]);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < length; i++) s += Math.exp(v[offset + i] - m);
  return m + Math.log(s);
}

const logFactorialTable: number[] = [0];
/** log k! for integer k ≥ 0, by cumulative sums of log i (exact to rounding, cached). */
export function logFactorial(k: number): number {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`logFactorial: k = ${k}; allowed an integer ≥ 0`);
  for (let i = logFactorialTable.length; i <= k; i++) logFactorialTable.push(logFactorialTable[i - 1] + Math.log(i));
  return logFactorialTable[k];
}

/**
 * E_{x~Poisson(λ)}[log x!] by summing the series over k until the remaining
 * tail mass is below 1e-18 relative (terms computed in log space).
 */
export function poissonExpectedLogFactorial(lambda: number): number {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`λ = ${lambda}; allowed a finite λ ≥ 0`);
  if (lambda === 0) return 0;
  const logLambda = Math.log(lambda);
  // Past the mode, terms decrease; stop once they are negligible against the running sum.
  const kMax = Math.ceil(lambda + 40 * Math.sqrt(lambda) + 60);
  let sum = 0;
  for (let k = 2; k <= kMax; k++) {
    const lf = logFactorial(k);
    const term = Math.exp(k * logLambda - lambda - lf) * lf;
    sum += term;
    if (k > lambda && term < 1e-18 * sum) break;
  }
  return sum;
}

/** Entropy of Poisson(λ): λ(1 − log λ) + E[log x!]. */
export function poissonEntropy(lambda: number): number {
  return lambda - xlogx(lambda) + poissonExpectedLogFactorial(lambda);
}

/** logit(p) = log p − log(1 − p). */
export function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/**
 * The corrected identity F = S + B as a diagnosis: the tested "entropy sum" is
 * S + B, the gap F − S − B, and the decomposition keeps only R_z + R_x.
 */
export function withBaseMeasureCorrection(d: EntropyDiagnosis): EntropyDiagnosis {
  const B = d.decomposition.baseMeasure;
  const gap = d.gap - B;
  const parts = decomposition(d.decomposition.prior, d.decomposition.decoder, 0);
  return {
    ...d,
    entropySum: d.entropySum + B,
    correction: (d.correction ?? 0) + B,
    gap,
    decomposition: parts,
    relativeGap: Math.abs(gap) / Math.abs(d.elbo),
    decompositionError: Math.abs(gap - parts.total),
  };
}
