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
import { autodiffAt, ulp32 } from './shared/engine-arm.ts';
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
  const failures: string[] = [];
  let objectiveError = 0;
  let gradientError = 0;
  let updateError = 0;
  try {
    const draws = inputs.map(download);
    const engine = [0, 1].map((k) => autodiffAt(model, replicas, opts.snapshots[k], inputs[k]));
    const rng = RandomStream.at(opts.seed, 'variant-vae-conformance');
    for (const r of opts.checked) {
      const label = `replica "${replicas[r].label}" (${opts.variants[r] === 'vae2' ? 'VAE-2' : 'VAE-3'})`;
      for (const k of [0, 1]) {
        const { B, K, index, eps } = draws[k];
        const x = new Float64Array(B * D);
        for (let b = 0; b < B; b++) for (let i = 0; i < D; i++) x[b * D + i] = data[index[r * B + b] * D + i];
        const set = { x, N: B, K, eps: Float64Array.from(eps.subarray(r * B * K * H, (r + 1) * B * K * H)) };
        const at = toParams64(opts.snapshots[k][r]);
        const exact = (p: Params64) => diagnoseVariantVae(p as unknown as VariantVaeParams, arch, opts.variants[r], set).elbo;
        const f64 = exact(at);
        const fEngine = engine[k].objective[r];
        const oErr = Math.abs(fEngine - f64) / Math.max(1, Math.abs(f64));
        objectiveError = Math.max(objectiveError, oErr);
        if (!(oErr <= tol.objective)) {
          failures.push(
            `${label}, step ${k + 1}: the engine's objective on its own mini-batch is ${fEngine.toPrecision(10)} but the float64 ELBO of the same rows and noise is ` +
              `${f64.toPrecision(10)} (relative ${oErr.toExponential(2)}, allowed ${tol.objective.toExponential(0)}): the engine optimises another objective`,
          );
        }
        for (const [name, gb] of Object.entries(engine[k].gradient[r])) {
          let norm = 0;
          for (let i = 0; i < gb.length; i++) norm += gb[i] * gb[i];
          norm = Math.sqrt(norm);
          const random = Float64Array.from(gb, () => rng.normal());
          const rn = Math.sqrt(random.reduce((a, v) => a + v * v, 0));
          const dirs = norm > 0 ? [Float64Array.from(gb, (v) => v / norm), random.map((v) => v / rn)] : [random.map((v) => v / rn)];
          let scale = 0;
          for (let i = 0; i < at[name].length; i++) scale = Math.max(scale, Math.abs(at[name][i]));
          const h = 1e-4 * Math.max(0.1, scale);
          for (const [j, u] of dirs.entries()) {
            let predicted = 0;
            for (let i = 0; i < u.length; i++) predicted += gb[i] * u[i];
            const base = at[name].slice();
            at[name] = base.map((v, i) => v + h * u[i]);
            const up = exact(at);
            at[name] = base.map((v, i) => v - h * u[i]);
            const down = exact(at);
            at[name] = base;
            const measured = (up - down) / (2 * h);
            const gErr = Math.abs(predicted - measured) / Math.max(norm, 1e-12 * Math.max(1, Math.abs(f64)));
            gradientError = Math.max(gradientError, gErr);
            if (!(gErr <= tol.gradient)) {
              failures.push(
                `${label}, step ${k + 1}: along ${j === 0 ? 'its gradient direction' : 'a random direction'} in block ${name} the engine's gradient gives ` +
                  `${predicted.toExponential(4)} but the float64 ELBO's derivative is ${measured.toExponential(4)} (error ${gErr.toExponential(2)} of ‖g_${name}‖ = ` +
                  `${norm.toExponential(2)}, allowed ${tol.gradient.toExponential(0)}): the engine's gradient is wrong`,
              );
            }
          }
        }
      }
      if (opts.optimizer.kind !== 'adam') continue;
      const { beta1, beta2, epsilon } = opts.optimizer;
      for (const name of Object.keys(engine[0].gradient[r])) {
        const g1 = engine[0].gradient[r][name];
        const g2 = engine[1].gradient[r][name];
        const th = [0, 1, 2].map((k) => opts.snapshots[k][r][name]);
        for (let i = 0; i < g1.length; i++) {
          const m1 = (1 - beta1) * g1[i];
          const v1 = (1 - beta2) * g1[i] * g1[i];
          const steps = [
            { k: 1, m: m1, v: v1 },
            { k: 2, m: beta1 * m1 + (1 - beta1) * g2[i], v: beta2 * v1 + (1 - beta2) * g2[i] * g2[i] },
          ];
          for (const { k, m, v } of steps) {
            const gamma = opts.schedule.C * Math.pow(k, -opts.schedule.alpha);
            const expected = (gamma * (m / (1 - Math.pow(beta1, k)))) / (Math.sqrt(v / (1 - Math.pow(beta2, k))) + epsilon);
            const observed = th[k][i] - th[k - 1][i];
            const err = Math.max(0, Math.abs(observed - expected) - 2 * ulp32(th[k][i])) / gamma;
            updateError = Math.max(updateError, err);
            if (!(err <= tol.update) && failures.length < 20) {
              failures.push(
                `${label}, step ${k}: the engine moved ${name}[${i}] by ${observed.toExponential(4)} where bias-corrected Adam (β1 = ${beta1}, β2 = ${beta2}, ε = ${epsilon}, ` +
                  `γ_${k} = ${gamma.toPrecision(6)}) on its own gradient moves it by ${expected.toExponential(4)} (error ${err.toExponential(2)} γ, allowed ${tol.update.toExponential(0)} γ)`,
              );
            }
          }
        }
      }
    }
  } finally {
    for (const i of inputs) model.disposeInputs(i);
  }
  return { objectiveError, gradientError, updateError, failures };
}
