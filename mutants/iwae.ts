/** Mutants for the iwae area (see mutants/types.ts). */
import type { Mutant } from './types.ts';

export const IWAE_MUTANTS: Mutant[] = [];
