/**
 * The engine's first two steps against a float64 ELBO, shared by the
 * TF.js-trained entropy claims (entropy-gaussian-vae for VAE-1,
 * entropy-vae-variants for VAE-2/VAE-3): on the exact draws of steps 1 and 2
 *  1. objective: the engine's mini-batch objective at θ_{k−1} equals the
 *     float64 ELBO of the same rows and noise, relative to max(1, |F|);
 *  2. gradient: per parameter block, the float64 directional derivative
 *     (central differences, h = 1e-4·max(0.1, max|θ_b|)) along the engine's
 *     gradient direction and along a random unit direction equals ⟨g_b, u⟩,
 *     relative to ‖g_b‖;
 *  3. update (Adam only): θ_1 − θ_0 and θ_2 − θ_1 are the bias-corrected Adam
 *     steps of the engine's own gradients with γ_k = C k^{-α}, to 2 ulp(θ)
 *     plus `update`·γ_k.
 * The float64 ELBO is the caller's (an evaluation independent of the engine's
 * code); the random directions come from `rng` in block order, so a claim's
 * results are deterministic given its seed.
 */
import type { OptimizerConfig } from '../../../engine/optimizer.ts';
import type { StepSchedule } from '../../../engine/schedule.ts';
import type { RandomStream } from '../../../engine/rng.ts';
import type { Params64 } from '../../../entropy/finite-difference.ts';
import { ulp32 } from './engine-arm.ts';

export interface FirstStepsResult {
  objectiveError: number;
  gradientError: number;
  updateError: number;
  failures: string[];
}

export function checkFirstSteps(opts: {
  /** Replicas to check (indices into the engine's batch). */
  checked: readonly number[];
  /** How a replica is named in a failure, e.g. `replica "…"`. */
  who: (r: number) => string;
  /** The engine's objective and gradient at θ_{k−1} on step k's draws, k = 1, 2 (autodiffAt). */
  engine: readonly { objective: number[]; gradient: Params64[] }[];
  /** Parameters at steps 0, 1, 2 (all replicas). */
  snapshots: readonly (readonly Record<string, Float32Array>[])[];
  /** Replica r's float64 parameters at step k and its float64 ELBO on step k + 1's draws. */
  at: (r: number, k: number) => Params64;
  exact: (r: number, k: number) => (p: Params64) => number;
  optimizer: OptimizerConfig;
  schedule: StepSchedule;
  tolerances: { objective: number; gradient: number; update: number };
  rng: RandomStream;
}): FirstStepsResult {
  const { engine, tolerances: tol, rng } = opts;
  const failures: string[] = [];
  let objectiveError = 0;
  let gradientError = 0;
  let updateError = 0;
  for (const r of opts.checked) {
    const who = opts.who(r);
    for (const k of [0, 1]) {
      const at = opts.at(r, k);
      const exact = opts.exact(r, k);
      // 1. Objective.
      const f64 = exact(at);
      const fEngine = engine[k].objective[r];
      const oErr = Math.abs(fEngine - f64) / Math.max(1, Math.abs(f64));
      objectiveError = Math.max(objectiveError, oErr);
      if (!(oErr <= tol.objective)) {
        failures.push(
          `${who}, step ${k + 1}: the engine's objective on its own mini-batch is ${fEngine.toPrecision(10)} but the float64 ELBO of ` +
            `the same rows and noise is ${f64.toPrecision(10)} (relative ${oErr.toExponential(2)}, allowed ${tol.objective.toExponential(0)}): the engine optimises another objective`,
        );
      }
      // 2. Gradient, block by block, along the engine's gradient direction and a random direction.
      for (const [name, gb] of Object.entries(engine[k].gradient[r])) {
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
              `${who}, step ${k + 1}: along ${j === 0 ? 'its gradient direction' : 'a random direction'} in block ${name} the engine's ` +
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
              `${who}, step ${k}: the engine moved ${name}[${i}] by ${observed.toExponential(4)} where bias-corrected Adam ` +
                `(β1 = ${beta1}, β2 = ${beta2}, ε = ${epsilon}, γ_${k} = ${gamma.toPrecision(6)}) on the engine's own gradient moves it by ${expected.toExponential(4)} ` +
                `(error ${err.toExponential(2)} γ, allowed ${tol.update.toExponential(0)} γ): the engine's update rule or step size is wrong`,
            );
          }
        }
      }
    }
  }
  return { objectiveError, gradientError, updateError, failures };
}
