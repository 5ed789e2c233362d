/** Mutants for the entropy area (see mutants/types.ts). */
import type { Mutant } from './types.ts';

export const ENTROPY_MUTANTS: Mutant[] = [];
