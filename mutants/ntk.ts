/** Mutants for the ntk area (see mutants/types.ts). */
import type { Mutant } from './types.ts';

export const NTK_MUTANTS: Mutant[] = [];
