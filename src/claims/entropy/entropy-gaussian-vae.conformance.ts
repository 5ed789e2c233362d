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
import { autodiffAt, ulp32 } from './shared/engine-arm.ts';

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
  const failures: string[] = [];
  let objectiveError = 0;
  let gradientError = 0;
  let updateError = 0;
  try {
    const draws = inputs.map(download);
    // The engine's objective and gradient at θ_{k−1} on step k's draws, k = 1, 2.
    const engine = [0, 1].map((k) => autodiffAt(model, replicas, opts.snapshots[k], inputs[k]));
    const rng = RandomStream.at(opts.seed, 'gaussian-vae-conformance');
    for (const r of opts.checked) {
      const evalOpts = { fixedLogVariance: opts.fixedLogVariance[r], learnLatentScale: opts.learnLatentScale[r] };
      for (const k of [0, 1]) {
        const set = batchOf(draws[k], r, data, arch);
        const at = toParams64(opts.snapshots[k][r]);
        const exact = (p: Params64) => diagnoseGaussianVae(p as unknown as GaussianVaeParams, arch, set, evalOpts).elbo;
        // 1. Objective.
        const f64 = exact(at);
        const fEngine = engine[k].objective[r];
        const oErr = Math.abs(fEngine - f64) / Math.max(1, Math.abs(f64));
        objectiveError = Math.max(objectiveError, oErr);
        if (!(oErr <= tol.objective)) {
          failures.push(
            `replica "${replicas[r].label}", step ${k + 1}: the engine's objective on its own mini-batch is ${fEngine.toPrecision(10)} but the float64 ELBO of ` +
              `the same rows and noise is ${f64.toPrecision(10)} (relative ${oErr.toExponential(2)}, allowed ${tol.objective.toExponential(0)}): the engine optimises another objective`,
          );
        }
        // 2. Gradient, block by block, along the engine's gradient direction and a random direction.
        const g = engine[k].gradient[r];
        for (const [name, gb] of Object.entries(g)) {
          let norm = 0;
          for (let i = 0; i < gb.length; i++) norm += gb[i] * gb[i];
          norm = Math.sqrt(norm);
          const random = Float64Array.from(gb, () => rng.normal());
          let rn = 0;
          for (let i = 0; i < random.length; i++) rn += random[i] * random[i];
          rn = Math.sqrt(rn);
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
                `replica "${replicas[r].label}", step ${k + 1}: along ${j === 0 ? 'its gradient direction' : 'a random direction'} in block ${name} the engine's ` +
                  `gradient gives ${predicted.toExponential(4)} but the float64 ELBO's derivative is ${measured.toExponential(4)} ` +
                  `(error ${gErr.toExponential(2)} of ‖g_${name}‖ = ${norm.toExponential(2)}, allowed ${tol.gradient.toExponential(0)}): the engine's gradient is wrong`,
              );
            }
          }
        }
      }
      // 3. Update: bias-corrected Adam from the engine's own gradients (float64).
      if (opts.optimizer.kind !== 'adam') continue;
      const { beta1, beta2, epsilon } = opts.optimizer;
      for (const name of Object.keys(engine[0].gradient[r])) {
        const g1 = engine[0].gradient[r][name];
        const g2 = engine[1].gradient[r][name];
        const th = [0, 1, 2].map((k) => opts.snapshots[k][r][name]);
        for (let i = 0; i < g1.length; i++) {
          const m1 = (1 - beta1) * g1[i];
          const v1 = (1 - beta2) * g1[i] * g1[i];
          const m2 = beta1 * m1 + (1 - beta1) * g2[i];
          const v2 = beta2 * v1 + (1 - beta2) * g2[i] * g2[i];
          const steps = [
            { k: 1, m: m1, v: v1 },
            { k: 2, m: m2, v: v2 },
          ];
          for (const { k, m, v } of steps) {
            const gamma = opts.schedule.C * Math.pow(k, -opts.schedule.alpha);
            const expected = (gamma * (m / (1 - Math.pow(beta1, k)))) / (Math.sqrt(v / (1 - Math.pow(beta2, k))) + epsilon);
            const observed = th[k][i] - th[k - 1][i];
            const err = Math.max(0, Math.abs(observed - expected) - 2 * ulp32(th[k][i])) / gamma;
            updateError = Math.max(updateError, err);
            if (!(err <= tol.update) && failures.length < 20) {
              failures.push(
                `replica "${replicas[r].label}", step ${k}: the engine moved ${name}[${i}] by ${observed.toExponential(4)} where bias-corrected Adam ` +
                  `(β1 = ${beta1}, β2 = ${beta2}, ε = ${epsilon}, γ_${k} = ${gamma.toPrecision(6)}) on the engine's own gradient moves it by ${expected.toExponential(4)} ` +
                  `(error ${err.toExponential(2)} γ, allowed ${tol.update.toExponential(0)} γ): the engine's update rule or step size is wrong`,
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
