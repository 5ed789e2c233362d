/**
 * The claim registry. Adding a claim means adding one file to theory/ and one
 * line here.
 */
import type { Claim, Family } from './claim.ts';
import sgdRateLinearVae from './sgd-rate-linear-vae.ts';
import adamRateLinearVae from './adam-rate-linear-vae.ts';

export const CLAIMS: readonly Claim[] = [sgdRateLinearVae, adamRateLinearVae];

export const FAMILIES: readonly Family[] = ['convergence', 'ntk', 'entropy'];

export function claimById(id: string): Claim | undefined {
  return CLAIMS.find((c) => c.id === id);
}
