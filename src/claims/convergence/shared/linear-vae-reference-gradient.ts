/**
 * A float64 reference of the linear VAE's stochastic gradient, written from
 * the estimator's definition (not from the engine's kernel) and with its own
 * random numbers (pure-rand's Mersenne Twister, Marsaglia's polar method:
 * nothing of src/engine/rng.ts), for the second-moment conformance check: the
 * engine's draws of ĝ at a fixed θ must have the spread of this estimator's.
 *
 * The estimator [SGL25's test bed; Kingma & Welling's reparameterisation]:
 * B data rows x_i drawn uniformly with replacement, for each K independent
 * ε_ik ~ N(0, I_dz), z_ik = μ_i + e^{s/2} ⊙ ε_ik with μ_i = V x_i + c, and
 *   L̂ = (1/(BK)) Σ_ik log N(x_i; W z_ik + b, σ_x² I) − β·[½ Σ_j (e^{s_j} − 1 − s_j) + (1/(2B)) Σ_i ‖μ_i‖²].
 * With the residual r_ik = (x_i − W z_ik − b)/σ_x² its gradient is
 *   ∂b = ⟨r⟩,  ∂W = ⟨r zᵀ⟩,  ∂μ_i = (1/(BK)) Σ_k Wᵀ r_ik − (β/B) μ_i,
 *   ∂V = Σ_i ∂μ_i x_iᵀ,  ∂c = Σ_i ∂μ_i,
 *   ∂s = (1/(BK)) Σ_ik ½ e^{s/2} ⊙ ε_ik ⊙ Wᵀ r_ik − (β/2)(e^s − 1),
 * ⟨·⟩ the average over the B·K samples. Each draw is returned as the engine's
 * probe reads it: one SGD step with γ = 1 from the float32 point θ, rounded
 * to float32 and differenced, fround(θ + ĝ) − θ (so both sides carry the same
 * float32 read-out).
 */
import { mersenne } from 'pure-rand/generator/mersenne';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { deriveSeed } from '../../../engine/rng.ts';
import type { ReplicaSetting } from '../../../engine/replica.ts';
import type { ReplicaParams } from '../../../engine/trainer.ts';
import { LINEAR_VAE_PARAM_NAMES, linearVaeShapes, type LinearVaeDims } from '../../../models/linear-vae/params.ts';

export interface ReferenceGradientInput {
  dims: LinearVaeDims;
  /** Row-major n × dx, as the engine reads it (float32). */
  data: Float32Array;
  sigmaX: number;
  setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>;
  point: ReplicaParams;
  draws: number;
  seedLabel: (string | number)[];
}

/** `draws` independent draws of the stochastic gradient at `point`, flattened W, b, V, c, s (the engine's paramShapes order). */
export function referenceGradientDraws(input: ReferenceGradientInput): Float64Array[] {
  const { dims, data, sigmaX, point } = input;
  const { dx, dz } = dims;
  const { batchSize: B, samples: K, beta } = input.setting;
  const n = data.length / dx;
  const gen = mersenne(deriveSeed('reference-gradient', ...input.seedLabel) >>> 0);
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * uniformFloat64(gen) - 1;
      const v = 2 * uniformFloat64(gen) - 1;
      const q = u * u + v * v;
      if (q > 0 && q < 1) {
        const f = Math.sqrt((-2 * Math.log(q)) / q);
        spare = v * f;
        return u * f;
      }
    }
  };
  const W = Float64Array.from(point.W);
  const b = Float64Array.from(point.b);
  const V = Float64Array.from(point.V);
  const c = Float64Array.from(point.c);
  const s = Float64Array.from(point.s);
  const halfStd = Float64Array.from(s, (v) => 0.5 * Math.exp(0.5 * v));
  const std = Float64Array.from(s, (v) => Math.exp(0.5 * v));
  const shapes = linearVaeShapes(dims);
  const sizes = LINEAR_VAE_PARAM_NAMES.map((name) => shapes[name].reduce((a, v) => a * v, 1));
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, v) => a + v, 0));
  const [oW, ob, oV, oc, os] = offsets;
  const p = sizes.reduce((a, v) => a + v, 0);
  const theta = new Float64Array(p);
  [W, b, V, c, s].forEach((block, i) => theta.set(block, offsets[i]));
  const x = new Float64Array(dx);
  const mu = new Float64Array(dz);
  const z = new Float64Array(dz);
  const eps = new Float64Array(dz);
  const r = new Float64Array(dx);
  const dmu = new Float64Array(dz);
  const inv = 1 / (sigmaX * sigmaX);
  const weight = 1 / (B * K);
  const out: Float64Array[] = [];
  for (let d = 0; d < input.draws; d++) {
    const g = new Float64Array(p);
    for (let i = 0; i < B; i++) {
      const row = Math.floor(uniformFloat64(gen) * n);
      for (let q = 0; q < dx; q++) x[q] = data[row * dx + q];
      for (let j = 0; j < dz; j++) {
        let a = c[j];
        for (let q = 0; q < dx; q++) a += V[j * dx + q] * x[q];
        mu[j] = a;
        dmu[j] = -(beta / B) * a;
      }
      for (let k = 0; k < K; k++) {
        for (let j = 0; j < dz; j++) {
          eps[j] = normal();
          z[j] = mu[j] + std[j] * eps[j];
        }
        for (let q = 0; q < dx; q++) {
          let m = b[q];
          for (let j = 0; j < dz; j++) m += W[q * dz + j] * z[j];
          r[q] = (x[q] - m) * inv;
        }
        for (let q = 0; q < dx; q++) {
          g[ob + q] += weight * r[q];
          for (let j = 0; j < dz; j++) g[oW + q * dz + j] += weight * r[q] * z[j];
        }
        for (let j = 0; j < dz; j++) {
          let wr = 0;
          for (let q = 0; q < dx; q++) wr += W[q * dz + j] * r[q];
          dmu[j] += weight * wr;
          g[os + j] += weight * halfStd[j] * eps[j] * wr;
        }
      }
      for (let j = 0; j < dz; j++) {
        g[oc + j] += dmu[j];
        for (let q = 0; q < dx; q++) g[oV + j * dx + q] += dmu[j] * x[q];
      }
    }
    for (let j = 0; j < dz; j++) g[os + j] -= 0.5 * beta * (Math.exp(s[j]) - 1);
    // The engine's read-out: θ_1 = fround(θ + ĝ) (γ = 1), then θ_1 − θ.
    for (let i = 0; i < p; i++) g[i] = Math.fround(theta[i] + g[i]) - theta[i];
    out.push(g);
  }
  return out;
}
