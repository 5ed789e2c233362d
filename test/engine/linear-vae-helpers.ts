/**
 * Shared fixtures for the engine tests of the linear Gaussian VAE: a small
 * synthetic problem, float32-representable parameters, hand-built step inputs
 * (full-data batches, chosen noise, optional garbage in the padding) and a
 * float64 re-implementation of the engine's Monte Carlo objective.
 *
 * Everything handed to the float64 side is first rounded to float32, so the
 * engine and the reference see exactly the same numbers and differ only by
 * the engine's float32 arithmetic.
 */
import { tf } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import { LinearVaeModel, type LinearVaeStepInputs } from '../../src/models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../../src/models/linear-vae/data.ts';
import { dataMoments, type DataMoments } from '../../src/models/linear-vae/oracle.ts';
import {
  LINEAR_VAE_PARAM_NAMES,
  zeroParams,
  type LinearVaeDims,
  type LinearVaeParamName,
  type LinearVaeParams,
} from '../../src/models/linear-vae/params.ts';

export { LINEAR_VAE_PARAM_NAMES };

export interface Problem {
  dims: LinearVaeDims;
  n: number;
  sigmaX: number;
  /** The data as the engine holds it (float32), row-major n × dx. */
  x32: Float32Array;
  /** Moments of exactly those float32 values, accumulated in float64. */
  moments: DataMoments;
  model: LinearVaeModel;
}

export function makeProblem(opts: { n: number; dx: number; dz: number; noiseStd: number; sigmaX: number; seed: number }): Problem {
  const { n, dx, dz, noiseStd, sigmaX, seed } = opts;
  const data = generateLinearGaussianData({ n, dx, dz, noiseStd, seed });
  const x32 = Float32Array.from(data.x);
  return {
    dims: { dx, dz },
    n,
    sigmaX,
    x32,
    moments: dataMoments(x32, n, dx),
    model: new LinearVaeModel({ dims: { dx, dz }, data: x32, sigmaX }),
  };
}

/**
 * Moderate random parameters, rounded to float32: W, V ~ N(0, 1/max(dx, dz)),
 * b, c ~ N(0, 0.25), s uniform in [−1, 1] so e^s stays O(1).
 */
export function randomParams(dims: LinearVaeDims, ...labels: (string | number)[]): LinearVaeParams {
  const rng = RandomStream.at('engine-test-params', ...labels);
  const p = zeroParams(dims);
  const scale = 1 / Math.sqrt(Math.max(dims.dx, dims.dz));
  for (const name of ['W', 'V'] as const) for (let i = 0; i < p[name].length; i++) p[name][i] = Math.fround(scale * rng.normal());
  for (const name of ['b', 'c'] as const) for (let i = 0; i < p[name].length; i++) p[name][i] = Math.fround(0.5 * rng.normal());
  for (let j = 0; j < p.s.length; j++) p.s[j] = Math.fround(2 * rng.uniform() - 1);
  return p;
}

export function cloneParams(p: LinearVaeParams): LinearVaeParams {
  return { W: p.W.slice(), b: p.b.slice(), V: p.V.slice(), c: p.c.slice(), s: p.s.slice() };
}

export function numCoordinates(p: LinearVaeParams): number {
  return LINEAR_VAE_PARAM_NAMES.reduce((a, k) => a + p[k].length, 0);
}

/** Stack per-replica parameters into the engine's [R, ...shape] tensors (caller disposes). */
export function batchParams(ps: readonly LinearVaeParams[], dims: LinearVaeDims): Record<LinearVaeParamName, tf.Tensor> {
  const { dx, dz } = dims;
  const shapes: Record<LinearVaeParamName, number[]> = { W: [dx, dz], b: [dx], V: [dz, dx], c: [dz], s: [dz] };
  const out = {} as Record<LinearVaeParamName, tf.Tensor>;
  for (const name of LINEAR_VAE_PARAM_NAMES) {
    const size = ps[0][name].length;
    const flat = new Float32Array(ps.length * size);
    ps.forEach((p, r) => flat.set(p[name], r * size));
    out[name] = tf.tensor(flat, [ps.length, ...shapes[name]]);
  }
  return out;
}

/** One replica's hand-built step: which data rows, and its B·K·dz noise values. */
export interface ReplicaStep {
  rows: readonly number[];
  K: number;
  beta: number;
  /** B*K*dz, indexed ((i*K + k)*dz + j); rounded to float32 by the caller or here. */
  eps: Float64Array;
}

/** Standard-normal noise for a step, rounded to float32 so both sides see the same values. */
export function normals(count: number, rng: RandomStream): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.fround(rng.normal());
  return out;
}

/**
 * Build LinearVaeStepInputs for the given replica steps, padded to the largest
 * B and K. With `garbage`, padded x and ε entries are filled with finite
 * nonzero values instead of zeros: the weight masks alone must keep them out
 * of the objective and its gradient.
 */
export function buildInputs(problem: Problem, steps: readonly ReplicaStep[], garbage?: RandomStream): LinearVaeStepInputs {
  const { dx, dz } = problem.dims;
  const R = steps.length;
  const Bmax = Math.max(...steps.map((s) => s.rows.length));
  const Kmax = Math.max(...steps.map((s) => s.K));
  const x = new Float32Array(R * Bmax * dx);
  const eps = new Float32Array(R * Bmax * Kmax * dz);
  const sampleWeight = new Float32Array(R * Bmax * Kmax);
  const pointWeight = new Float32Array(R * Bmax);
  const beta = new Float32Array(R);
  if (garbage) {
    for (let i = 0; i < x.length; i++) x[i] = 3 * garbage.normal();
    for (let i = 0; i < eps.length; i++) eps[i] = 3 * garbage.normal();
  }
  steps.forEach((st, r) => {
    const B = st.rows.length;
    const K = st.K;
    if (st.eps.length !== B * K * dz) throw new Error(`replica ${r}: eps has ${st.eps.length} values, expected ${B * K * dz}`);
    beta[r] = st.beta;
    st.rows.forEach((row, i) => {
      x.set(problem.x32.subarray(row * dx, (row + 1) * dx), (r * Bmax + i) * dx);
      pointWeight[r * Bmax + i] = 1 / B;
      for (let k = 0; k < K; k++) {
        sampleWeight[(r * Bmax + i) * Kmax + k] = 1 / (B * K);
        for (let j = 0; j < dz; j++) eps[((r * Bmax + i) * Kmax + k) * dz + j] = st.eps[(i * K + k) * dz + j];
      }
    });
  });
  return {
    x: tf.tensor3d(x, [R, Bmax, dx]),
    eps: tf.tensor4d(eps, [R, Bmax, Kmax, dz]),
    sampleWeight: tf.tensor3d(sampleWeight, [R, Bmax, Kmax]),
    pointWeight: tf.tensor2d(pointWeight, [R, Bmax]),
    beta: tf.tensor1d(beta),
  };
}

export const allRows = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The engine's objective for one replica, in float64, written from the model's
 * definition rather than from engine-model.ts:
 *   (1/BK) Σ_i Σ_k log N(x_i; W(μ_i + e^{s/2}⊙ε_ik) + b, σ_x² I)
 *   − β (1/B) Σ_i KL(N(μ_i, diag e^s) ‖ N(0, I)),   μ_i = V x_i + c.
 */
export function mcObjective64(p: LinearVaeParams, problem: Problem, step: ReplicaStep): number {
  const { dx, dz } = problem.dims;
  const v = problem.sigmaX * problem.sigmaX;
  const B = step.rows.length;
  const K = step.K;
  const mu = new Float64Array(dz);
  const z = new Float64Array(dz);
  let recon = 0;
  let kl = 0;
  for (let i = 0; i < B; i++) {
    const xo = step.rows[i] * dx;
    for (let j = 0; j < dz; j++) {
      let m = p.c[j];
      for (let l = 0; l < dx; l++) m += p.V[j * dx + l] * problem.x32[xo + l];
      mu[j] = m;
      kl += 0.5 * (Math.exp(p.s[j]) + m * m - 1 - p.s[j]);
    }
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < dz; j++) z[j] = mu[j] + Math.exp(0.5 * p.s[j]) * step.eps[(i * K + k) * dz + j];
      let sq = 0;
      for (let l = 0; l < dx; l++) {
        let mean = p.b[l];
        for (let j = 0; j < dz; j++) mean += p.W[l * dz + j] * z[j];
        sq += (problem.x32[xo + l] - mean) ** 2;
      }
      recon += -0.5 * dx * Math.log(2 * Math.PI * v) - sq / (2 * v);
    }
  }
  return recon / (B * K) - (step.beta * kl) / B;
}

/** Replica r's block of a downloaded [R, ...] parameter-shaped array. */
export function replicaBlock(values: Float32Array, R: number, r: number): Float32Array {
  const size = values.length / R;
  return values.subarray(r * size, (r + 1) * size);
}

/** A replica setting with defaults, for trainer tests. */
export function replica(overrides: Partial<ReplicaSetting> & { seed: number }): ReplicaSetting {
  return {
    label: overrides.label ?? `seed ${overrides.seed}`,
    schedule: overrides.schedule ?? { C: 1e-3, alpha: 0.5 },
    batchSize: overrides.batchSize ?? 4,
    samples: overrides.samples ?? 1,
    beta: overrides.beta ?? 1,
    ...overrides,
  };
}
