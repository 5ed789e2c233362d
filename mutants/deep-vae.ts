/** Mutants for the deep (soft-clipped MLP) Gaussian VAE (see mutants/types.ts). */
import type { Mutant } from './types.ts';

export const DEEP_VAE_MUTANTS: Mutant[] = [];
