/**
 * The claim registry. A claim is one file in its family's folder
 * (src/claims/convergence, src/claims/entropy, src/claims/ntk) plus one line in that
 * folder's index.ts.
 */
import type { Claim, Family } from '../contract/claim.ts';
import { CONVERGENCE_CLAIMS } from './convergence/index.ts';
import { ENTROPY_CLAIMS } from './entropy/index.ts';
import { NTK_CLAIMS } from './ntk/index.ts';

export const CLAIMS: readonly Claim[] = [...CONVERGENCE_CLAIMS, ...NTK_CLAIMS, ...ENTROPY_CLAIMS];

export const FAMILIES: readonly Family[] = ['convergence', 'ntk', 'entropy'];

export function claimById(id: string): Claim | undefined {
  return CLAIMS.find((c) => c.id === id);
}
