/**
 * Mutants of engine code no other area's mutant touched (found by listing src/engine and
 * src/models files without one, 2026-12-01): the TensorFlow.js replica trainer that the
 * entropy claims train on, PPCA's TF.js objective, and the gradient-noise law's exact
 * reparameterisation covariance.
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
    claims: ['entropy-gaussian-vae', 'entropy-vae-variants', 'entropy-ppca'],
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
    id: 'noise-oracle-quadratic-variance-missing-two',
    kind: 'oracle',
    description: 'The exact reparameterisation covariance of the gradient-noise law takes Var(ε²) = 1 instead of 2 (the diagonal quadratic terms enter without their √2).',
    file: 'src/models/linear-vae/noise-oracle.ts',
    find: 'const factors: Float64Array[] = [...L, ...Qd.map((q) => q.map((v) => Math.SQRT2 * v))];',
    replace: 'const factors: Float64Array[] = [...L, ...Qd];',
    claims: ['gradient-noise-law'],
  },
];
