/**
 * Is a sample plausibly from N(μ, Σ), with μ and Σ known? Two exact-distribution tests on
 * the whitened points u = L⁻¹(x − μ) (Σ = LLᵀ), which are N(0, I) under the hypothesis:
 *   mean        n·ūᵀū ~ χ²_d exactly;
 *   covariance  the likelihood ratio against an unrestricted covariance (mean known),
 *               n·(tr S − log det S − d) with S = (1/n) Σ u uᵀ, ~ χ²_{d(d+1)/2} as n grows.
 * What it is for: a generator of synthetic data checks its own output against the
 * distribution it states (e.g. a random-stream defect that repeats or rescales normals
 * makes the data another distribution), at a false-alarm rate (e.g. 1e-9) so small that a
 * correct generator never trips it. Not a goodness-of-fit test beyond two moments.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { chiSquareTails } from './chi-square.ts';

export interface GaussianSampleTest {
  mean: { statistic: number; df: number; p: number };
  covariance: { statistic: number; df: number; p: number };
}

/** x holds n points of dimension d row by row; cov is d×d row-major (symmetric positive definite). */
export function gaussianSampleTest(x: ArrayLike<number>, n: number, d: number, mean: ArrayLike<number>, cov: ArrayLike<number>): GaussianSampleTest {
  if (!(n > d)) throw new RangeError(`gaussianSampleTest: needs more points (${n}) than dimensions (${d})`);
  const chol = new CholeskyDecomposition(new Matrix(Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => cov[i * d + j]))));
  if (!chol.isPositiveDefinite()) throw new RangeError('gaussianSampleTest: the covariance is not positive definite');
  const L = chol.lowerTriangularMatrix.to2DArray();
  const u = new Float64Array(d);
  const ubar = new Float64Array(d);
  const S = new Float64Array(d * d);
  for (let k = 0; k < n; k++) {
    // Forward substitution L u = x_k − μ.
    for (let i = 0; i < d; i++) {
      let s = x[k * d + i] - mean[i];
      for (let j = 0; j < i; j++) s -= L[i][j] * u[j];
      u[i] = s / L[i][i];
      ubar[i] += u[i];
    }
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) S[i * d + j] += u[i] * u[j];
  }
  let meanStat = 0;
  for (let i = 0; i < d; i++) meanStat += (ubar[i] / n) ** 2;
  meanStat *= n;
  const Sm = new Matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      Sm.set(i, j, S[i * d + j] / n);
      Sm.set(j, i, S[i * d + j] / n);
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += Sm.get(i, i);
  const cs = new CholeskyDecomposition(Sm);
  // A singular sample covariance (e.g. repeated noise) is infinitely unlikely under the hypothesis.
  let logDet = Number.NEGATIVE_INFINITY;
  if (cs.isPositiveDefinite()) {
    const Ls = cs.lowerTriangularMatrix;
    logDet = 0;
    for (let i = 0; i < d; i++) logDet += 2 * Math.log(Ls.get(i, i));
  }
  const covStat = n * (trace - logDet - d);
  const dfCov = (d * (d + 1)) / 2;
  return {
    mean: { statistic: meanStat, df: d, p: chiSquareTails(meanStat, d).upper },
    covariance: { statistic: covStat, df: dfCov, p: Number.isFinite(covStat) ? chiSquareTails(covStat, dfCov).upper : 0 },
  };
}
