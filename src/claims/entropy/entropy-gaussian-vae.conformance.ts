/**
 * Does the engine train the Gaussian VAE of [D23] on the ELBO it claims to?
 * Measured on the engine itself, on the exact draws of its first two steps
 * (the trainer draws from streams derived from each replica's seed alone, so
 * fresh streams of the same seeds reproduce them):
 *  1. Objective: the engine's mini-batch objective (TF.js, float32) at θ_0 and
 *     θ_1 equals the float64 ELBO of the same rows and noise computed by
 *     src/models/gaussian-vae/evaluate.ts (an independent forward pass):
 *     |F_engine − F_64| ≤ objective · max(1, |F|). A wrong KL or
 *     reconstruction term, a σ² or latent-scale mask applied wrongly, shows here.
 *  2. Gradient: per parameter block b, the directional derivative of the
 *     float64 objective along u_b = g_b/‖g_b‖ (the engine's own gradient
 *     direction) and along a fixed random unit direction r_b equals ⟨g, u_b⟩,
 *     ⟨g, r_b⟩ (central differences): |⟨g, u⟩ − D_u F| ≤ gradient · ‖g_b‖.
 *     A block whose gradient is scaled, cut or of the wrong sign shows here.
 *  3. Update: θ_1 − θ_0 and θ_2 − θ_1 are the bias-corrected Adam steps of
 *     the engine's gradients g_1(θ_0), g_2(θ_1) with γ_k = C k^{-α} (computed
 *     here, float64): |Δ_obs − Δ_Adam| ≤ update · γ_k + 2 ulp(θ). A wrong
 *     bias correction, moment, ε or schedule exponent shows at k = 2.
 * Tolerances (set in the claim): the engine is float32; its objective sums
 * ≤ 10⁴ terms of size ≤ 10² (relative rounding ≲ 1e-6; measured ≤ 4e-7), its
 * directional derivatives carry float32 accumulation errors (measured ≤ 1.5e-4
 * of the block norm over seeds 1–6), its Adam updates ≲ 1e-6 γ: 1e-5, 5e-3 and
 * 1e-3 leave margins of ≥ 25×, 30× and 10³× while a wrong term moves these
 * quantities by ≥ 1%. Deterministic given the seed (no false-alarm rate
 * beyond float32 rounding exceeding these margins).
 */
import { z } from 'zod';
import { positiveNumber } from '../../config/hyperparameters.ts';
import { replicaStreams, type ReplicaSetting } from '../../engine/replica.ts';
import type { OptimizerConfig } from '../../engine/optimizer.ts';
import type { StepSchedule } from '../../engine/schedule.ts';
import { RandomStream } from '../../engine/rng.ts';
import type { GaussianVaeInputs, GaussianVaeModel } from '../../models/gaussian-vae/engine-model.ts';
import { diagnoseGaussianVae } from '../../models/gaussian-vae/evaluate.ts';
import type { GaussianVaeArch, GaussianVaeParams } from '../../models/gaussian-vae/params.ts';
import { toParams64, type Params64 } from '../../entropy/finite-difference.ts';
import { autodiffAt } from './shared/engine-arm.ts';
import { checkFirstSteps } from './shared/first-steps.ts';

/** Tolerances of the engine conformance on the first two steps (see the header). */
export const gaussianVaeConformanceTolerancesSchema = z.object({
  /** |F_engine − F_64| ≤ objective · max(1, |F|). */
  objective: positiveNumber('conformance objective tolerance'),
  /** |⟨g, u⟩ − D_u F| ≤ gradient · ‖g_b‖. */
  gradient: positiveNumber('conformance gradient tolerance'),
  /** |Δ_obs − Δ_Adam| ≤ update · γ_k + 2 ulp(θ). */
  update: positiveNumber('conformance update tolerance'),
});

export type GaussianVaeConformanceTolerances = z.infer<typeof gaussianVaeConformanceTolerancesSchema>;

export interface GaussianVaeConformance {
  objectiveError: number;
  gradientError: number;
  updateError: number;
  failures: string[];
}

interface Draw {
  index: Int32Array;
  eps: Float32Array;
  B: number;
  K: number;
}

function download(inputs: GaussianVaeInputs): Draw {
  const [, B, K] = inputs.eps.shape;
  return { index: inputs.index.dataSync() as Int32Array, eps: inputs.eps.dataSync() as Float32Array, B, K };
}

/** Replica r's rows and noise of a draw as a float64 evaluation set. */
function batchOf(draw: Draw, r: number, data: ArrayLike<number>, arch: GaussianVaeArch) {
  const { B, K } = draw;
  const { D, latent: H } = arch;
  const x = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    const row = draw.index[r * B + b];
    for (let i = 0; i < D; i++) x[b * D + i] = data[row * D + i];
  }
  const eps = Float64Array.from(draw.eps.subarray(r * B * K * H, (r + 1) * B * K * H));
  return { x, N: B, eps, K };
}

export function checkGaussianVaeConformance(opts: {
  model: GaussianVaeModel;
  replicas: readonly ReplicaSetting[];
  /** Replicas to check (indices into `replicas`). */
  checked: readonly number[];
  arch: GaussianVaeArch;
  data: ArrayLike<number>;
  fixedLogVariance: readonly (number | null)[];
  learnLatentScale: readonly boolean[];
  optimizer: OptimizerConfig;
  schedule: StepSchedule;
  /** Parameters at steps 0, 1, 2 (all replicas). */
  snapshots: readonly (readonly Record<string, Float32Array>[])[];
  tolerances: GaussianVaeConformanceTolerances;
  seed: number;
}): GaussianVaeConformance {
  const { model, replicas, arch, data, tolerances: tol } = opts;
  const streams = replicas.map((r) => replicaStreams(r.seed));
  const inputs = [model.drawStep(replicas, streams), model.drawStep(replicas, streams)];
  try {
    const draws = inputs.map(download);
    // The engine's objective and gradient at θ_{k−1} on step k's draws, k = 1, 2.
    const engine = [0, 1].map((k) => autodiffAt(model, replicas, opts.snapshots[k], inputs[k]));
    return checkFirstSteps({
      checked: opts.checked,
      who: (r) => `replica "${replicas[r].label}"`,
      engine,
      snapshots: opts.snapshots,
      at: (r, k) => toParams64(opts.snapshots[k][r]),
      exact: (r, k) => {
        const set = batchOf(draws[k], r, data, arch);
        const evalOpts = { fixedLogVariance: opts.fixedLogVariance[r], learnLatentScale: opts.learnLatentScale[r] };
        return (p: Params64) => diagnoseGaussianVae(p as unknown as GaussianVaeParams, arch, set, evalOpts).elbo;
      },
      optimizer: opts.optimizer,
      schedule: opts.schedule,
      tolerances: tol,
      rng: RandomStream.at(opts.seed, 'gaussian-vae-conformance'),
    });
  } finally {
    for (const i of inputs) model.disposeInputs(i);
  }
}
