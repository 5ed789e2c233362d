/** Every mutant of `npm run mutants`, one list per area (each area's file is its own). */
import type { Mutant } from './types.ts';
import { CONVERGENCE_MUTANTS } from './convergence.ts';
import { IWAE_MUTANTS } from './iwae.ts';
import { ENTROPY_MUTANTS } from './entropy.ts';
import { NTK_MUTANTS } from './ntk.ts';
import { STATS_MUTANTS } from './stats.ts';
import { DEEP_VAE_MUTANTS } from './deep-vae.ts';
import { PROBE_MUTANTS } from './probe.ts';
import { WASM_SOURCE_MUTANTS } from './wasm-sources.ts';
import { ENGINE_MUTANTS } from './engine.ts';

export const MUTANTS: readonly Mutant[] = [...CONVERGENCE_MUTANTS, ...DEEP_VAE_MUTANTS, ...IWAE_MUTANTS, ...ENTROPY_MUTANTS, ...NTK_MUTANTS, ...STATS_MUTANTS, ...PROBE_MUTANTS, ...WASM_SOURCE_MUTANTS, ...ENGINE_MUTANTS];
