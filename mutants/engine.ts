/**
 * Mutants of engine code no other area's mutant touched (found by listing src/engine and
 * src/models files without one, 2026-12-01): the TensorFlow.js replica trainer that the
 * entropy claims train on, and PPCA's TF.js objective.
 * Tried and dropped: the gradient-noise law's exact reparameterisation covariance taking
 * Var(ε²) = 1 instead of 2 moves the claim's predicted tr(A²P) by 0.07% at its test bed
 * (the diagonal quadratic terms are tiny at θ*), far below the ±7% its intervals resolve,
 * so no check could or need see it.
 */
import type { Mutant } from './types.ts';

export const ENGINE_MUTANTS: readonly Mutant[] = [
  {
    id: 'tfjs-trainer-replicas-share-first-schedule',
    kind: 'schedule',
    description: "The TF.js replica trainer computes every replica's step from the first replica's schedule (C, α), so replicas batched with others train with another's step size.",
    file: 'src/engine/trainer.ts',
    find: 'gamma[r] = stepSize({ C: this.scheduleC[r], alpha: this.scheduleAlpha[r] }, k);',
    replace: 'gamma[r] = stepSize({ C: this.scheduleC[0], alpha: this.scheduleAlpha[0] }, k);',
    // Not the entropy claims: each trains one schedule for all its replicas on this trainer, so
    // there it changes nothing (measured: all three pass). The optimiser probe trains three
    // schedules together on the TF.js trainer for the claims that run it.
    claims: ['sgd-rate-linear-vae', 'adam-rate-deep-vae'],
  },
  {
    id: 'tfjs-trainer-mean-over-replicas',
    kind: 'gradient',
    description: "The TF.js replica trainer differentiates the mean of the replicas' objectives instead of their sum: every replica's gradient is divided by R, the number of replicas trained together.",
    file: 'src/engine/trainer.ts',
    find: 'return objective.sum() as tf.Scalar;',
    replace: 'return objective.mean() as tf.Scalar;',
    claims: ['entropy-gaussian-vae', 'entropy-vae-variants', 'entropy-ppca'],
  },
  {
    id: 'ppca-engine-logdet-drops-latent-dimension',
    kind: 'objective',
    description: "PPCA's TF.js objective uses D log σ² instead of (D − H) log σ² in Woodbury's log det C: the engine maximises another function of σ².",
    file: 'src/models/ppca/engine-model.ts',
    find: 'const logDetC = logVar.mul(D - H).add(logDet);',
    replace: 'const logDetC = logVar.mul(D).add(logDet);',
    claims: ['entropy-ppca'],
  },
  {
    id: 'tfjs-gather-ignores-indices',
    kind: 'sampling',
    description: "The WebAssembly backend's GatherV2 as block copies takes row i where row indices[i] belongs: every replica's mini-batch is the data's first B rows, every step.",
    file: 'src/engine/copy-kernels.ts',
    find: 'const from = base + idx[i] * slice;',
    replace: 'const from = base + i * slice;',
    claims: ['entropy-gaussian-vae', 'entropy-vae-variants'],
  },
  {
    id: 'tfjs-tile-replicates-first-block-only-once',
    kind: 'sampling',
    description: "Tile as block copies stops after the second repetition of each block (k < 2 for k < reps): from the third copy on the output keeps whatever the memory held.",
    file: 'src/engine/copy-kernels.ts',
    find: 'for (let k = 1; k < reps[d]; k++) heap.copyWithin(to + k * block, to, to + block);',
    replace: 'for (let k = 1; k < Math.min(2, reps[d]); k++) heap.copyWithin(to + k * block, to, to + block);',
    // Since the noise-averaged network broadcasts instead of tiling (2026-12-02), no NTK claim runs Tile;
    // entropy-ppca's engine arm tiles its covariance over the replicas (entropy-sbn and
    // entropy-vae-variants, which tile too, passed this mutant).
    claims: ['entropy-ppca'],
  },
  {
    id: 'tfjs-slice-last-axis-begin-dropped',
    kind: 'objective',
    description: "Slice as block copies forgets the begin offset along the last axis of a non-contiguous slice: every piece of a split along the last axis reads the first piece's columns (the deep VAE's log-variance head reads the mean head's, the parameter blocks of a packed θ each read the first block's).",
    file: 'src/engine/copy-kernels.ts',
    find: 'let from = b[rank - 1];',
    replace: 'let from = 0;',
    // Measured: adam-rate-deep-vae errors (its TF.js conformance path splits θ and the heads);
    // ntk-krr-equivalence passes, so it is not named.
    claims: ['adam-rate-deep-vae'],
  },
];
