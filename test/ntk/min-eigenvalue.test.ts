/**
 * The pieces of ntk-min-eigenvalue against independent computations:
 *  - λ_min by ml-matrix's symmetric eigen-decomposition (minEigenvalue) vs
 *    inverse power iteration with a hand-written Cholesky solve;
 *  - λ_min of the float64 limit kernels Θ_g^∞ (stochasticKernels) vs a plain
 *    float64 Monte Carlo of the wide network's group kernels (2^16 units,
 *    exact noise averages in closed form, no engine, no quadrature), and
 *    the falsifier's doubled variance limit visibly off;
 *  - the fractions and the "non-decreasing in m" test on hand-made counts.
 */
import { describe, expect, it } from 'vitest';
import { Matrix } from 'ml-matrix';
import { RandomStream } from '../../src/engine/rng.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { sigmoid, softplus, stochasticKernels, STOCHASTIC_GROUPS, type StochasticGroup } from '../../src/kernels/stochastic-ntk.ts';
import { normalCdf, normalPdf } from '../../src/kernels/quadrature.ts';
import { fractionCounts, largestDecrease, minEigenvalue, minEigenvalueConfigSchema } from '../../src/claims/ntk/ntk-min-eigenvalue.check.ts';
import claim from '../../src/claims/ntk/ntk-min-eigenvalue.ts';
import { fisherExactLess } from '../../src/stats/fisher-exact.ts';

const hyper = { sigmaW: Math.SQRT2, sigmaB: 0.1 };

/** Smallest eigenvalue of an SPD matrix by inverse iteration: Cholesky written out, 400 solves, Rayleigh quotient. */
function inverseIterationMin(A: number[][]): number {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error('not positive definite');
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  }
  const solve = (b: number[]) => {
    const y = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
    }
    const x = new Array<number>(n);
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k];
      x[i] = s / L[i][i];
    }
    return x;
  };
  let v = Array.from({ length: n }, (_, i) => 1 + Math.sin(3 * i));
  for (let it = 0; it < 400; it++) {
    const w = solve(v);
    const norm = Math.hypot(...w);
    v = w.map((x) => x / norm);
  }
  let num = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) num += v[i] * A[i][j] * v[j];
  return num;
}

const rows = (M: Matrix) => Array.from({ length: M.rows }, (_, i) => M.getRow(i));

describe('ntk-min-eigenvalue: λ_min', () => {
  it('minEigenvalue (ml-matrix) equals inverse power iteration on random SPD matrices and on the claim\'s limit kernels', () => {
    const rng = RandomStream.at(5, 'min-eig-test');
    for (const n of [5, 17, 32]) {
      const B = Matrix.from1DArray(n, n, Array.from({ length: n * n }, () => rng.normal()));
      const A = B.mmul(B.transpose()).add(Matrix.eye(n).mul(1e-3));
      expect(minEigenvalue(A)).toBeCloseTo(inverseIterationMin(rows(A)), 10);
    }
    const data = sphereInputs(32, 32, 11);
    const lim = stochasticKernels(data, data, hyper, 20);
    for (const g of STOCHASTIC_GROUPS) {
      const ref = inverseIterationMin(rows(lim.groups[g]));
      // The readout's condition number is ≈ 5000: relative agreement to 1e-9 still leaves many digits.
      expect(Math.abs(minEigenvalue(lim.groups[g]) / ref - 1), g).toBeLessThan(1e-9);
    }
  });

  it('λ_min(Θ_g^∞) matches a float64 Monte Carlo of the wide network (2^16 units) per group; the doubled variance limit does not', () => {
    const n = 8;
    const d = 8;
    const data = sphereInputs(n, d, 4242);
    const lim = stochasticKernels(data, data, hyper, 20);
    const wrong = stochasticKernels(data, data, hyper, 20, 'variance-missing-half');
    const cW = hyper.sigmaW / Math.sqrt(d);
    const cB = hyper.sigmaB;
    const q = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += data.x[i * d + k] * data.x[j * d + k];
      return cW * cW * s + cB * cB;
    };
    // Per unit, with the exact noise average (t = μ/s): readout g = μΦ(t) + sφ(t); ∂g/∂μ = Φ(t); ∂g/∂s = φ(t), ∂s/∂ρ = σ(ρ).
    const M = 1 << 16;
    const rng = RandomStream.at(7, 'min-eig-mc');
    const acc: Record<StochasticGroup, Float64Array> = { readout: new Float64Array(n * n), mean: new Float64Array(n * n), variance: new Float64Array(n * n) };
    const u = new Float64Array(d);
    const v = new Float64Array(d);
    const f: Record<StochasticGroup, Float64Array> = { readout: new Float64Array(n), mean: new Float64Array(n), variance: new Float64Array(n) };
    for (let r = 0; r < M; r++) {
      for (let k = 0; k < d; k++) {
        u[k] = rng.normal();
        v[k] = rng.normal();
      }
      const b = rng.normal();
      const c = rng.normal();
      const a = rng.normal();
      for (let i = 0; i < n; i++) {
        let mu = cB * b;
        let rho = cB * c;
        for (let k = 0; k < d; k++) {
          mu += cW * u[k] * data.x[i * d + k];
          rho += cW * v[k] * data.x[i * d + k];
        }
        const s = softplus(rho);
        const t = mu / s;
        f.readout[i] = mu * normalCdf(t) + s * normalPdf(t);
        f.mean[i] = a * normalCdf(t);
        f.variance[i] = a * normalPdf(t) * sigmoid(rho);
      }
      for (const g of STOCHASTIC_GROUPS) for (let i = 0; i < n; i++) for (let j = i; j < n; j++) acc[g][i * n + j] += f[g][i] * f[g][j];
    }
    for (const g of STOCHASTIC_GROUPS) {
      const K = new Matrix(n, n);
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
          const value = (acc[g][i * n + j] / M) * (g === 'readout' ? 1 : q(i, j));
          K.set(i, j, value);
          K.set(j, i, value);
        }
      }
      const mc = inverseIterationMin(rows(K));
      // Measured |relative error| ≤ 0.9% at 2^16 units (≤ 0.4% at 2^18, 2^20); 3% is a wide margin below the 2× of the falsifier.
      expect({ g, rel: Math.abs(minEigenvalue(lim.groups[g]) / mc - 1) < 0.03 }).toEqual({ g, rel: true });
      if (g === 'variance') expect(minEigenvalue(wrong.groups[g]) / mc).toBeGreaterThan(1.9);
      else expect(minEigenvalue(wrong.groups[g])).toBe(minEigenvalue(lim.groups[g]));
    }
  });
});

describe('ntk-min-eigenvalue: fractions and monotonicity', () => {
  it('counts the paper\'s one-sided and our two-sided fraction', () => {
    expect(fractionCounts([0.7, 0.75, 1, 1.25, 1.3, 40], [0.75, 1.25])).toEqual({ paper: 5, ours: 3 });
    expect(fractionCounts([], [0.75, 1.25])).toEqual({ paper: 0, ours: 0 });
  });

  it('largestDecrease runs Fisher\'s exact test over every pair of widths and finds the strongest fall', () => {
    // Rising counts: no pair shows a fall (p = 1 where the later count is the larger or equal one at the top).
    const rising = largestDecrease([0, 22, 32, 32], 32);
    expect(rising.tests).toBe(6);
    expect(rising.p).toBeGreaterThan(0.5);
    // A fall from 32/32 to 20/32 two widths later: the pair (0, 2) is found, with Fisher's p-value.
    const falling = largestDecrease([32, 28, 20, 25], 32);
    expect([falling.from, falling.to]).toEqual([0, 2]);
    expect(falling.p).toBeCloseTo(fisherExactLess(32, 32, 20, 32), 15);
    expect(falling.p).toBeLessThan(0.01 / 36);
  });

  it('the schema accepts the tiers and rejects a band that does not contain 1 or too few seeds for the monotonicity test', () => {
    for (const tier of ['quick', 'full'] as const) expect(minEigenvalueConfigSchema.safeParse(claim.tiers[tier]).success).toBe(true);
    const quick = claim.tiers.quick as Record<string, unknown>;
    const bad = minEigenvalueConfigSchema.safeParse({ ...quick, ratioBand: [0.8, 0.9] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/allowed ratio band: \[lower, upper\] with 0 < lower < 1 < upper/);
    const few = minEigenvalueConfigSchema.safeParse({ ...quick, seeds: 3 });
    expect(few.success).toBe(false);
    expect(JSON.stringify(few.error?.issues)).toMatch(/allowed seeds: enough that a fall/);
  });
});
