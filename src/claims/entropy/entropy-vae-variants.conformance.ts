/**
 * Does the engine train D23's VAE-2 and VAE-3 on the ELBO they claim to?
 * Measured on the engine itself, on the exact draws of its first two steps
 * (each replica draws from streams derived from its own seed, so fresh
 * streams of the same seeds reproduce them), as entropy-gaussian-vae does for
 * VAE-1 (entropy-gaussian-vae.conformance.ts):
 *  1. Objective: the engine's mini-batch objective (TF.js, float32) at θ_0 and
 *     θ_1 equals the float64 ELBO of the same rows and noise computed by
 *     src/models/variant-vae/evaluate.ts (an independent forward pass):
 *     |F_engine − F_64| ≤ objective · max(1, |F|). A wrong KL to the learned
 *     prior, a wrong σ(z) term, a variant mask or the unit-norm constraint
 *     applied wrongly shows here.
 *  2. Gradient: per parameter block b, the directional derivative of the
 *     float64 objective (central differences) along the engine's gradient
 *     direction u_b = g_b/‖g_b‖ and along a random unit direction equals
 *     ⟨g_b, u⟩: |⟨g, u⟩ − D_u F| ≤ gradient · ‖g_b‖.
 *  3. Update: θ_1 − θ_0 and θ_2 − θ_1 are the bias-corrected Adam steps of the
 *     engine's own gradients with γ_k = C k^{-α}: |Δ_obs − Δ_Adam| ≤ update · γ_k + 2 ulp(θ).
 * Tolerances (set in the claim) as VAE-1's: float32 rounding is ≲ 1e-6 of the
 * objective and ≲ 2e-4 of a block's gradient norm; a wrong term moves these
 * quantities by ≥ 1e-2. Deterministic given the seed.
 */
import { replicaStreams, type ReplicaSetting } from '../../engine/replica.ts';
import type { OptimizerConfig } from '../../engine/optimizer.ts';
import type { StepSchedule } from '../../engine/schedule.ts';
import { RandomStream } from '../../engine/rng.ts';
import type { VariantVaeInputs, VariantVaeModel } from '../../models/variant-vae/engine-model.ts';
import { diagnoseVariantVae } from '../../models/variant-vae/evaluate.ts';
import type { VaeVariant, VariantVaeArch, VariantVaeParams } from '../../models/variant-vae/params.ts';
import { toParams64, type Params64 } from '../../entropy/finite-difference.ts';
import { autodiffAt } from './shared/engine-arm.ts';
import { checkFirstSteps } from './shared/first-steps.ts';
import type { GaussianVaeConformance, GaussianVaeConformanceTolerances } from './entropy-gaussian-vae.conformance.ts';

interface Draw {
  index: Int32Array;
  eps: Float32Array;
  B: number;
  K: number;
}

function download(inputs: VariantVaeInputs): Draw {
  const [, B, K] = inputs.eps.shape;
  return { index: inputs.index.dataSync() as Int32Array, eps: inputs.eps.dataSync() as Float32Array, B, K };
}

export function checkVariantVaeConformance(opts: {
  model: VariantVaeModel;
  replicas: readonly ReplicaSetting[];
  variants: readonly VaeVariant[];
  /** Replicas to check (indices into `replicas`). */
  checked: readonly number[];
  arch: VariantVaeArch;
  data: ArrayLike<number>;
  optimizer: OptimizerConfig;
  schedule: StepSchedule;
  /** Parameters at steps 0, 1, 2 (all replicas). */
  snapshots: readonly (readonly Record<string, Float32Array>[])[];
  tolerances: GaussianVaeConformanceTolerances;
  seed: number;
}): GaussianVaeConformance {
  const { model, replicas, arch, data, tolerances: tol } = opts;
  const { D, latent: H } = arch;
  const streams = replicas.map((r) => replicaStreams(r.seed));
  const inputs = [model.drawStep(replicas, streams), model.drawStep(replicas, streams)];
  try {
    const draws = inputs.map(download);
    const engine = [0, 1].map((k) => autodiffAt(model, replicas, opts.snapshots[k], inputs[k]));
    return checkFirstSteps({
      checked: opts.checked,
      who: (r) => `replica "${replicas[r].label}" (${opts.variants[r] === 'vae2' ? 'VAE-2' : 'VAE-3'})`,
      engine,
      snapshots: opts.snapshots,
      at: (r, k) => toParams64(opts.snapshots[k][r]),
      exact: (r, k) => {
        const { B, K, index, eps } = draws[k];
        const x = new Float64Array(B * D);
        for (let b = 0; b < B; b++) for (let i = 0; i < D; i++) x[b * D + i] = data[index[r * B + b] * D + i];
        const set = { x, N: B, K, eps: Float64Array.from(eps.subarray(r * B * K * H, (r + 1) * B * K * H)) };
        return (p: Params64) => diagnoseVariantVae(p as unknown as VariantVaeParams, arch, opts.variants[r], set).elbo;
      },
      optimizer: opts.optimizer,
      schedule: opts.schedule,
      tolerances: tol,
      rng: RandomStream.at(opts.seed, 'variant-vae-conformance'),
    });
  } finally {
    for (const i of inputs) model.disposeInputs(i);
  }
}
