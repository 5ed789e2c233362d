/** Family E of CLAIMS.md: the ELBO equals a sum of entropies at stationary points [LW22, W25, D23]. */
import type { Claim } from '../claim.ts';

export const ENTROPY_CLAIMS: readonly Claim[] = [];
