/**
 * A mutant: one realistic bug, applied as an exact text replacement in one
 * file of a copy of the repository, and the claims that must turn red under it
 * (verdict `fail` or `error` and `verify` exiting 1 — a falsifier flipping is
 * not enough). `npm run mutants` applies each in turn and prints what the
 * claims said (mutants/run.ts).
 */
export type MutantKind =
  | 'schedule' // the step size γ_k
  | 'optimizer' // the update rule (SGD, Adam)
  | 'gradient' // the engine's stochastic gradient (a bias, a dropped or scaled term)
  | 'objective' // the objective the engine optimises replaced by another
  | 'sampling' // mini-batches or reparameterisation noise
  | 'oracle' // a float64 exact quantity
  | 'entropy-formula' // an entropy or entropy-sum term
  | 'kernel' // an analytic or empirical NTK
  | 'estimator' // an estimator of a measured quantity (IWAE bound, gradient-norm, ...)
  | 'statistics'; // intervals, slopes, averaging

export interface Mutant {
  /** Unique, kebab-case, e.g. "schedule-quarter-exponent". */
  id: string;
  kind: MutantKind;
  /** The bug in one sentence, as a reviewer would describe it. */
  description: string;
  /** Repository-relative path of the file to change. */
  file: string;
  /** Exact text that must occur exactly once in `file`. */
  find: string;
  replace: string;
  /** Claim ids that must turn red under this mutant. */
  claims: string[];
  /** Set only for a mutant that provably cannot change any result: why. Such a mutant is expected to stay green. */
  harmless?: string;
  /**
   * Run with the WebAssembly ports on (mutants/run.ts otherwise forces the JavaScript kernels and
   * optimiser): for a mutant of a port's own JavaScript side (src/engine/kernel-optimizer-wasm.ts),
   * or of its AssemblyScript source (which the loader then compiles into the run), both of which
   * forcing JavaScript would bypass.
   */
  ports?: true;
}
