/** Mutants for the stats area (see mutants/types.ts). */
import type { Mutant } from './types.ts';

export const STATS_MUTANTS: Mutant[] = [];
