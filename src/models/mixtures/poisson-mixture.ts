/**
 * Poisson mixture (a product-mixture family, see product-mixture.ts):
 * p(x_d | λ) = λ^x e^{−λ} / x!, natural parameter log λ, NON-constant base
 * measure h(x) = 1/x!. After the M-step the plain identity F = S fails by the
 * base-measure term
 *   B = Σ_c q̄_c Σ_d E_{Pois(λ_cd)}[log x!] − (1/N) Σ_n Σ_d log x_nd!,
 * and the corrected identity F = S + B holds. B is large on over-dispersed
 * counts (data E[log x!] exceeds the Poisson one: log x! is convex) and tiny
 * on well-specified Poisson data, which is why over-dispersed data are the
 * valid negative control.
 */
import { logFactorial, poissonEntropy, poissonExpectedLogFactorial, xlogy } from '../../entropy/formulas.ts';
import type { ProductFamily } from './product-mixture.ts';

export const POISSON: ProductFamily = {
  name: 'Poisson mixture',
  logDensity: (x, lambda) => xlogy(x, lambda) - lambda - logFactorial(x),
  entropy: poissonEntropy,
  natural: Math.log,
  logBase: (x) => -logFactorial(x),
  expectedLogBase: (lambda) => -poissonExpectedLogFactorial(lambda),
  checkValue(x, where) {
    if (!Number.isInteger(x) || x < 0) throw new RangeError(`Poisson mixture: ${where} = ${x}; allowed an integer count ≥ 0`);
  },
  checkMean(lambda, where) {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`Poisson mixture: ${where} = ${lambda}; allowed a finite λ ≥ 0`);
  },
};
