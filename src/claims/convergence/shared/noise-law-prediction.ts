/**
 * The linearised SGD noise law of gradient-noise-law, in float64.
 *
 * SGD ascent θ_{k+1} = θ_k + γ_{k+1} ĝ_k (the engine's step k+1 uses γ_{k+1},
 * src/engine/schedule.ts) near a maximum θ* of L with A = −∇²L(θ*) and
 * ĝ = ∇L(θ) + ξ, Cov ξ = Σ: δ = θ − θ* follows, to first order,
 *   δ_{k+1} = (I − γ A) δ_k + γ ξ_k,
 * so its second moment P_k = E δ_k δ_kᵀ (ξ_k independent of δ_k, zero mean)
 *   P_{k+1} = (I − γ A) P_k (I − γ A) + γ² Σ,
 * and E‖∇L(θ_k)‖² = E‖A δ_k‖² = tr(A² P_k). In A's eigenbasis (A = U Λ Uᵀ,
 * P̃ = Uᵀ P U, Σ̃ = Uᵀ Σ U) the recursion is elementwise,
 *   P̃'_ij = (1 − γλ_i)(1 − γλ_j) P̃_ij + γ² Σ̃_ij,
 * and tr(A² P) = Σ_i λ_i² P̃_ii, tr P = Σ_i P̃_ii read only its diagonal, whose
 * entries evolve independently: iterating the d diagonal entries is the exact
 * recursion for both (the off-diagonal entries never enter them). No
 * quasi-static approximation: it holds for any schedule and from any P₀.
 */
import type { StepSchedule } from '../../../engine/schedule.ts';
import { stepSize } from '../../../engine/schedule.ts';

/** diag(Uᵀ S U) for S row-major d × d and U's columns the eigenvectors (row-major d × d). */
export function eigenbasisDiagonal(S: ArrayLike<number>, U: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d);
  const t = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += S[i * d + j] * U[j * d + c];
      t[i] = sum;
    }
    let q = 0;
    for (let i = 0; i < d; i++) q += U[i * d + c] * t[i];
    out[c] = q;
  }
  return out;
}

/** Uᵀ v (coordinates of v in the eigenbasis). */
export function toEigenbasis(v: ArrayLike<number>, U: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += U[i * d + c] * v[i];
    out[c] = s;
  }
  return out;
}

export interface NoiseLawInput {
  /** Eigenvalues λ_i of A. */
  values: ArrayLike<number>;
  /** diag(Uᵀ Σ U): the step noise's variance along each eigenvector (Σ = Σ₁(K)/B). */
  noise: ArrayLike<number>;
  /** diag(Uᵀ P₀ U): the initial second moment of δ along each eigenvector (0 from θ* exactly; δ₀² from a rounded start). */
  initial?: ArrayLike<number>;
  schedule: StepSchedule;
  steps: number;
}

/** Per k = 0..steps: predicted E‖∇L(θ_k)‖² = tr(A² P_k) and E‖δ_k‖² = tr P_k. */
export function noiseLawPrediction(input: NoiseLawInput): { gradientSq: Float64Array; distanceSq: Float64Array } {
  const d = input.values.length;
  const p = Float64Array.from(input.initial ?? new Float64Array(d));
  const lam = Float64Array.from(input.values);
  const gradientSq = new Float64Array(input.steps + 1);
  const distanceSq = new Float64Array(input.steps + 1);
  for (let k = 0; ; k++) {
    let g = 0;
    let t = 0;
    for (let i = 0; i < d; i++) {
      g += lam[i] * lam[i] * p[i];
      t += p[i];
    }
    gradientSq[k] = g;
    distanceSq[k] = t;
    if (k === input.steps) break;
    const gamma = stepSize(input.schedule, k + 1);
    for (let i = 0; i < d; i++) {
      const f = 1 - gamma * lam[i];
      p[i] = f * f * p[i] + gamma * gamma * input.noise[i];
    }
  }
  return { gradientSq, distanceSq };
}

/** The quasi-static approximation γ_k tr(AΣ)/2 (the stationary noise ball of a CONSTANT step γ_k, to first order in γ): reported, not judged. */
export function quasiStatic(values: ArrayLike<number>, noise: ArrayLike<number>, gamma: number): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * noise[i];
  return (gamma * s) / 2;
}
