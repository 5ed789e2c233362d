/**
 * Bernoulli mixture (a product-mixture family, see product-mixture.ts):
 * p(x_d | p_cd) = p^x (1 − p)^{1−x}, constant base measure (B = 0), natural
 * parameter logit p. After the M-step F = S exactly for any q; a perturbed
 * p' moves the gap by Σ_c q̄_c Σ_d (p_cd − p'_cd) logit(p'_cd).
 */
import { bernoulliEntropy, logit, xlogy } from '../../entropy/formulas.ts';
import type { ProductFamily } from './product-mixture.ts';

export const BERNOULLI: ProductFamily = {
  name: 'Bernoulli mixture',
  logDensity: (x, p) => xlogy(x, p) + xlogy(1 - x, 1 - p),
  entropy: bernoulliEntropy,
  natural: logit,
  logBase: () => 0,
  expectedLogBase: () => 0,
  checkValue(x, where) {
    if (x !== 0 && x !== 1) throw new RangeError(`Bernoulli mixture: ${where} = ${x}; allowed 0 or 1`);
  },
  checkMean(p, where) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Bernoulli mixture: ${where} = ${p}; allowed 0 ≤ p ≤ 1`);
  },
};
