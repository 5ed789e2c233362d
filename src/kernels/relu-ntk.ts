/**
 * Infinite-width kernels of the ReLU network in the NTK parameterisation
 * (float64, the oracle side; Jacot et al. 2018, closed forms as in
 * google/neural-tangents), CLAIMS.md family N:
 *
 *   f(x) = (σ_W/√m) aᵀ φ((σ_W/√d) W x + σ_b b) + σ_b b₀,   φ = ReLU,
 *   q(x, x') = σ_W² xᵀx'/d + σ_b²,   θ = arccos(q12/√(q11 q22)),
 *   K = σ_W² (√(q11 q22 − q12²) + (π − θ) q12)/(2π) + σ_b²        (NNGP),
 *   Θ = K + σ_W² q12 (π − θ)/(2π)                                (NTK).
 *
 * Depth L > 1 (L hidden layers of width m, each (σ_W/√m) W h + σ_b b) follows
 * the standard recursion Σ⁰ = q, Σˡ = σ_W² E[φφ'] + σ_b², Σ̇ˡ = σ_W² E[φ'φ'']
 * over the bivariate Gaussian with covariance Σˡ⁻¹, Θˡ = Θˡ⁻¹ Σ̇ˡ + Σˡ; the
 * output layer adds one more Σ/Σ̇ step, so L = 1 gives the formulas above.
 */
import { Matrix } from 'ml-matrix';
import type { SphereData } from '../models/ntk/data.ts';

export interface ReluNetHyper {
  sigmaW: number;
  sigmaB: number;
  /** Hidden layers (default 1). */
  depth?: number;
}

export function validateHyper(h: ReluNetHyper): void {
  if (!(h.sigmaW > 0) || !Number.isFinite(h.sigmaW)) throw new RangeError(`σ_W = ${h.sigmaW}; allowed a finite σ_W > 0`);
  if (!(h.sigmaB >= 0) || !Number.isFinite(h.sigmaB)) throw new RangeError(`σ_b = ${h.sigmaB}; allowed a finite σ_b ≥ 0`);
  const L = h.depth ?? 1;
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`depth = ${L}; allowed an integer ≥ 1`);
}

/**
 * Arc-cosine expectations for a centred bivariate Gaussian (u, u') with
 * variances c11, c22 and covariance c12:
 *   E[φ(u)φ(u')]  = (√(c11 c22 − c12²) + (π − θ) c12)/(2π),
 *   E[φ'(u)φ'(u')] = (π − θ)/(2π),   θ = arccos(c12/√(c11 c22)).
 */
export function arcCosine(c11: number, c22: number, c12: number): { k1: number; k0: number } {
  const norm = Math.sqrt(c11 * c22);
  if (!(norm > 0)) return { k1: 0, k0: 0.25 };
  const cos = Math.min(1, Math.max(-1, c12 / norm));
  const theta = Math.acos(cos);
  // Rounding can make c11 c22 − c12² slightly negative on the diagonal.
  const sin = Math.sqrt(Math.max(0, c11 * c22 - c12 * c12));
  return { k1: (sin + (Math.PI - theta) * c12) / (2 * Math.PI), k0: (Math.PI - theta) / (2 * Math.PI) };
}

export interface ReluKernels {
  /** NNGP kernel of the output, rows of X1 × rows of X2. */
  nngp: Matrix;
  /** Neural tangent kernel. */
  ntk: Matrix;
}

/** Which formula to evaluate: the correct one, or a deliberately wrong one (a falsifier's mutation). */
export type NtkFormula = 'correct' | 'missing-half';

function dot(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
  return s;
}

/**
 * Analytic NNGP and NTK between the rows of X1 and X2. `formula:
 * 'missing-half'` drops the 1/2 of the derivative term, σ_W² q12 (π − θ)/π:
 * the "wrong analytic formula" falsifier of ntk-init-limit.
 */
export function reluKernels(X1: SphereData, X2: SphereData, hyper: ReluNetHyper, formula: NtkFormula = 'correct'): ReluKernels {
  validateHyper(hyper);
  if (X1.d !== X2.d) throw new RangeError(`input dimensions differ: ${X1.d} vs ${X2.d}`);
  const { sigmaW, sigmaB } = hyper;
  const L = hyper.depth ?? 1;
  const d = X1.d;
  const sw2 = sigmaW * sigmaW;
  const sb2 = sigmaB * sigmaB;
  const nngp = new Matrix(X1.n, X2.n);
  const ntk = new Matrix(X1.n, X2.n);
  const derivativeFactor = formula === 'missing-half' ? 2 : 1;
  const self1 = Array.from({ length: X1.n }, (_, i) => (sw2 * dot(X1.x, i, X1.x, i, d)) / d + sb2);
  const self2 = Array.from({ length: X2.n }, (_, j) => (sw2 * dot(X2.x, j, X2.x, j, d)) / d + sb2);
  for (let i = 0; i < X1.n; i++) {
    for (let j = 0; j < X2.n; j++) {
      let c11 = self1[i];
      let c22 = self2[j];
      let c12 = (sw2 * dot(X1.x, i, X2.x, j, d)) / d + sb2;
      let theta = c12; // Θ⁰ = Σ⁰
      for (let l = 1; l <= L; l++) {
        const cross = arcCosine(c11, c22, c12);
        const diag1 = arcCosine(c11, c11, c11);
        const diag2 = arcCosine(c22, c22, c22);
        const next12 = sw2 * cross.k1 + sb2;
        const dotSigma = (derivativeFactor * sw2 * cross.k0);
        theta = theta * dotSigma + next12;
        c12 = next12;
        c11 = sw2 * diag1.k1 + sb2;
        c22 = sw2 * diag2.k1 + sb2;
      }
      nngp.set(i, j, c12);
      ntk.set(i, j, theta);
    }
  }
  return { nngp, ntk };
}
