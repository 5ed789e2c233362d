/** Family A of CLAIMS.md: convergence of SGD and Adam [SGL25]. */
import type { Claim } from '../claim.ts';
import sgdRateLinearVae from './sgd-rate-linear-vae.ts';
import adamRateLinearVae from './adam-rate-linear-vae.ts';

export const CONVERGENCE_CLAIMS: readonly Claim[] = [sgdRateLinearVae, adamRateLinearVae];
