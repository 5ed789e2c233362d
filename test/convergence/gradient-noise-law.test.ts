/**
 * The pieces of gradient-noise-law on known answers: θ* is stationary to
 * float64 rounding; A = −∇²L(θ*) does not depend on the finite-difference
 * step; the exact Σ₁(K) matches the covariance of the ENGINE's own stochastic
 * gradient draws at θ* (and a wrong K is seen); the eigenbasis recursion
 * equals the full matrix recursion and a direct float64 simulation of the
 * linear SDE; the verdict logic. Deterministic (named seeds); the Monte Carlo
 * comparisons are z-tests at |z| ≤ 4.5 (false alarm ≤ 7e-6 each under
 * normality; the draws are fixed, so the outcome is too).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { stepSize } from '../../src/engine/schedule.ts';
import { engineGradientDraws } from '../../src/claims/shared/gradient-probe.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import { elboGradient, squaredNorm } from '../../src/models/linear-vae/oracle.ts';
import { flattenParams, gradientCovarianceParts, negativeHessian, flatGradient, pointGradientMoments, pointSampleGradient, symmetricEigen, unflattenParams } from '../../src/models/linear-vae/noise-oracle.ts';
import { armPrediction, judgeArms, noiseLawVerdict, noiseOracle, type GradientNoiseLawConfig } from '../../src/claims/convergence/gradient-noise-law.check.ts';
import { eigenbasisDiagonal, noiseLawPrediction, quasiStatic, toEigenbasis } from '../../src/claims/convergence/shared/noise-law-prediction.ts';
import claim from '../../src/claims/convergence/gradient-noise-law.ts';
import { seedIndependence } from '../../src/claims/shared/seed-independence.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const CLAIM = 'gradient-noise-law';
const quick = claim.tiers.quick as GradientNoiseLawConfig;
// The claim's quick-tier data under master seed 1 (what the claims suite runs) and under another master seed.
const oracle = noiseOracle(CLAIM, quick, 1);
const d = oracle.optimum.length;

describe('θ*, the closed-form maximum of the expected ELBO', () => {
  it('is stationary to float64 rounding, on two data sets', () => {
    expect(oracle.gradientAtOptimum).toBeLessThan(1e-25);
    expect(noiseOracle(CLAIM, quick, 7).gradientAtOptimum).toBeLessThan(1e-25);
    // float32(θ*), where the engine starts, is off by rounding only.
    expect(oracle.gradientAtStart).toBeLessThan(1e-10);
    expect(oracle.gradientAtStart).toBeGreaterThan(oracle.gradientAtOptimum);
  });
  it('is a strict maximum: A = −∇²L(θ*) is positive definite (no zero mode: the diagonal encoder breaks the rotation symmetry)', () => {
    expect(oracle.values[0]).toBeGreaterThan(1e-3);
    expect(oracle.values[d - 1]).toBeLessThan(60);
  });
});

describe('A = −∇²L(θ*) from central differences', () => {
  const rows = negativeHessian(oracle.optimum, oracle.moments, oracle.dims, quick.sigmaX);
  it('is symmetric and does not depend on the step (h = 1e-4 against 2e-4)', () => {
    const other = negativeHessian(oracle.optimum, oracle.moments, oracle.dims, quick.sigmaX, 2e-4);
    let scale = 0;
    let diff = 0;
    let asym = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        scale = Math.max(scale, Math.abs(rows[i][j]));
        diff = Math.max(diff, Math.abs(rows[i][j] - other[i][j]));
        asym = Math.max(asym, Math.abs(rows[i][j] - rows[j][i]));
      }
    }
    // Truncation error ∝ h²: ~1e-9 of the largest entry at these steps; 1e-6 leaves three orders of margin.
    expect(diff / scale).toBeLessThan(1e-6);
    expect(asym).toBe(0);
  });
  it('maps a random direction v to minus the directional derivative of the exact gradient', () => {
    const rng = new RandomStream(deriveSeed('test', CLAIM, 'direction'));
    const v = new Float64Array(d);
    rng.fillNormal(v);
    const h = 1e-5;
    const up = flatGradient(oracle.optimum.map((t, i) => t + h * v[i]), oracle.moments, oracle.dims, quick.sigmaX);
    const down = flatGradient(oracle.optimum.map((t, i) => t - h * v[i]), oracle.moments, oracle.dims, quick.sigmaX);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < d; i++) {
      let av = 0;
      for (let j = 0; j < d; j++) av += rows[i][j] * v[j];
      const fd = -(up[i] - down[i]) / (2 * h);
      err += (av - fd) ** 2;
      norm += fd * fd;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(1e-6);
  });
  it('has the eigen-decomposition the claim iterates in (A U = U Λ, U orthonormal)', () => {
    const { values, U } = symmetricEigen(rows);
    let worst = 0;
    for (let c = 0; c < d; c++) {
      for (let i = 0; i < d; i++) {
        let au = 0;
        for (let j = 0; j < d; j++) au += rows[i][j] * U[j * d + c];
        worst = Math.max(worst, Math.abs(au - values[c] * U[i * d + c]));
      }
    }
    expect(worst).toBeLessThan(1e-10 * values[d - 1]);
    for (let c = 1; c < d; c++) expect(values[c]).toBeGreaterThanOrEqual(values[c - 1]);
  });
});

describe('Σ₁(K), the per-point gradient covariance at θ*', () => {
  it('reads the single-sample gradient\'s polynomial form in ε exactly (mean = ∇L at any point; a random ε reproduced)', () => {
    // Away from θ*, so the mean is not 0.
    const p = unflattenParams(oracle.optimum.map((t, i) => t + 0.05 * Math.sin(i)), oracle.dims);
    const n = quick.data.n;
    const parts = gradientCovarianceParts(p, oracle.x, n, quick.sigmaX);
    const exact = flattenParams(elboGradient(p, oracle.moments, quick.sigmaX, 1));
    let err = 0;
    for (let i = 0; i < d; i++) err = Math.max(err, Math.abs(parts.mean[i] - exact[i]));
    expect(err).toBeLessThan(1e-10 * Math.sqrt(squaredNorm(elboGradient(p, oracle.moments, quick.sigmaX, 1))));
    // The polynomial g₀ + Σ L_j ε_j + εᵀQε evaluated at a random ε equals the gradient there.
    const x = oracle.x.subarray(0, quick.data.dx);
    const eps = [0.7, -1.3, 0.4];
    const direct = pointSampleGradient(p, x, eps, quick.sigmaX, new Float64Array(d));
    const zero = pointSampleGradient(p, x, [0, 0, 0], quick.sigmaX, new Float64Array(d));
    const { mean, factors } = pointGradientMoments(p, x, quick.sigmaX);
    // Second moment check: Var over ε of one coordinate from the factors equals a Monte Carlo estimate (coarse: 4e4 draws).
    const rng = new RandomStream(deriveSeed('test', CLAIM, 'polynomial'));
    const draws = 40000;
    const coord = 5;
    let m1 = 0;
    let m2 = 0;
    const e = new Float64Array(3);
    const g = new Float64Array(d);
    for (let t = 0; t < draws; t++) {
      rng.fillNormal(e);
      pointSampleGradient(p, x, e, quick.sigmaX, g);
      m1 += g[coord];
      m2 += g[coord] ** 2;
    }
    m1 /= draws;
    const mcVar = m2 / draws - m1 * m1;
    const exactVar = factors.reduce((a, f) => a + f[coord] * f[coord], 0);
    expect(Math.abs(m1 - mean[coord])).toBeLessThan(4.5 * Math.sqrt(exactVar / draws));
    expect(Math.abs(mcVar / exactVar - 1)).toBeLessThan(0.05);
    expect(direct).not.toEqual(zero);
  });

  // The engine's own draws: one SGD step with γ = 1 from θ* per replica (gradient-probe.ts), B rows and K samples each.
  function engineCovarianceAgainst(B: number, K: number, predictK: number, draws = 4000): { zTrace: number; zModes: number[] } {
    const model = new LinearVaeModel({ dims: oracle.dims, data: Float32Array.from(oracle.x), sigmaX: quick.sigmaX });
    const samples: Float64Array[] = [];
    engineGradientDraws(model, oracle.start, { setting: { batchSize: B, samples: K, beta: 1 }, draws, path: 'analytic', seedLabel: ['test', CLAIM, B, K], onDraw: (g) => samples.push(g) });
    const mean = new Float64Array(d);
    for (const g of samples) for (let i = 0; i < d; i++) mean[i] += g[i] / draws;
    const { values, U } = oracle;
    // Σ = Σ₁(K)/B along each eigenvector of A (diagonal in A's eigenbasis), and tr(AΣ).
    const sigma = Float64Array.from(oracle.dataNoise, (v, i) => (v + oracle.reparamNoise[i] / predictK) / B);
    const proj = samples.map((g) => toEigenbasis(g.map((v, i) => v - mean[i]), U, d));
    // z of a second moment: (mean of y² − predicted) / (sd of y² / √M).
    const z = (ys: number[], predicted: number) => {
      const m = ys.reduce((a, b) => a + b, 0) / ys.length;
      const sd = Math.sqrt(ys.reduce((a, b) => a + (b - m) ** 2, 0) / (ys.length - 1));
      return (m - predicted) / (sd / Math.sqrt(ys.length));
    };
    const predictedTrace = values.reduce((a, l, i) => a + l * sigma[i], 0);
    const zTrace = z(proj.map((y) => y.reduce((a, v, i) => a + values[i] * v * v, 0)), predictedTrace);
    // The five stiffest modes (they carry most of tr(A²P)) and the five softest.
    const modes = [0, 1, 2, 3, 4, d - 5, d - 4, d - 3, d - 2, d - 1];
    const zModes = modes.map((c) => z(proj.map((y) => y[c] * y[c]), sigma[c]));
    return { zTrace, zModes };
  }

  it('matches the covariance of the engine\'s stochastic gradient at θ* (B = 4, K = 1 and B = 2, K = 4)', () => {
    for (const [B, K] of [
      [4, 1],
      [2, 4],
    ]) {
      const { zTrace, zModes } = engineCovarianceAgainst(B, K, K);
      expect(Math.abs(zTrace), `B = ${B}, K = ${K}: tr(AΣ)`).toBeLessThan(4.5);
      for (const z of zModes) expect(Math.abs(z), `B = ${B}, K = ${K}: modes ${zModes.map((v) => v.toFixed(2)).join(', ')}`).toBeLessThan(4.5);
    }
  });

  it('has power: the engine\'s draws at K = 4 against Σ₁(1) (the K ignored) are far off', () => {
    const { zTrace } = engineCovarianceAgainst(2, 4, 1, 1000);
    expect(zTrace).toBeLessThan(-20);
  });

  it('is dominated by the reparameterisation part in the stiff modes (so K matters as much as B)', () => {
    let data = 0;
    let reparam = 0;
    for (let i = 0; i < d; i++) {
      data += oracle.values[i] * oracle.dataNoise[i];
      reparam += oracle.values[i] * oracle.reparamNoise[i];
    }
    expect(reparam / 16).toBeGreaterThan(data);
  });
});

describe('the noise-law recursion', () => {
  // A small synthetic problem: A and Σ random symmetric positive definite (d = 4).
  const m = 4;
  const rng = new RandomStream(deriveSeed('test', CLAIM, 'synthetic'));
  const randomSpd = (scale: number): number[][] => {
    const G = Array.from({ length: m }, () => Array.from({ length: m }, () => rng.normal()));
    return Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => scale * (G[i].reduce((a, g, k) => a + g * G[j][k], 0) / m + (i === j ? 0.2 : 0))));
  };
  const A = randomSpd(2);
  const Sigma = randomSpd(0.5);
  const { values, U } = symmetricEigen(A);
  const sigmaFlat = Float64Array.from(Sigma.flat());
  const noise = eigenbasisDiagonal(sigmaFlat, U, m);
  const schedule = { C: 0.2, alpha: 0.5 };
  const steps = 200;
  const delta0 = [0.3, -0.2, 0.1, 0.05];
  const initial = toEigenbasis(delta0, U, m).map((v) => v * v);
  const prediction = noiseLawPrediction({ values, noise, initial, schedule, steps });

  const matVec = (M: number[][], v: ArrayLike<number>) => M.map((r) => r.reduce((a, x, j) => a + x * v[j], 0));

  it('equals the full matrix recursion P ← (I − γA) P (I − γA) + γ²Σ (tr(A²P) and tr P at every k)', () => {
    let P = delta0.map((a) => delta0.map((b) => a * b));
    for (let k = 0; k <= steps; k++) {
      const AP = A.map((r) => P[0].map((_, j) => r.reduce((a, x, l) => a + x * P[l][j], 0)));
      const trA2P = A.reduce((acc, r, i) => acc + r.reduce((a, x, l) => a + x * AP[l][i], 0), 0);
      const trP = P.reduce((a, r, i) => a + r[i], 0);
      expect(Math.abs(prediction.gradientSq[k] - trA2P)).toBeLessThan(1e-12 * Math.max(1, trA2P));
      expect(Math.abs(prediction.distanceSq[k] - trP)).toBeLessThan(1e-12 * Math.max(1, trP));
      const g = stepSize(schedule, k + 1);
      const F = A.map((r, i) => r.map((x, j) => (i === j ? 1 : 0) - g * x));
      const FP = F.map((r) => P[0].map((_, j) => r.reduce((a, x, l) => a + x * P[l][j], 0)));
      P = FP.map((r, i) => r.map((_, j) => r.reduce((a, x, l) => a + x * F[j][l], 0) + g * g * Sigma[i][j]));
    }
  });

  it('matches a direct float64 simulation of δ_{k+1} = (I − γA)δ_k + γξ_k, ξ ~ N(0, Σ) (20000 paths)', () => {
    const paths = 20000;
    // ξ = L z with L the Cholesky factor of Σ.
    const L = Sigma.map(() => new Array<number>(m).fill(0));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        let s = Sigma[i][j];
        for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
        L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
      }
    }
    const checkpoints = [1, 10, 50, 200];
    const sums = checkpoints.map(() => ({ g: 0, g2: 0, t: 0, t2: 0 }));
    const sim = new RandomStream(deriveSeed('test', CLAIM, 'sde'));
    const z = new Float64Array(m);
    for (let p = 0; p < paths; p++) {
      let delta = delta0.slice();
      for (let k = 0; k <= steps; k++) {
        const c = checkpoints.indexOf(k);
        if (c >= 0) {
          const ad = matVec(A, delta);
          const gsq = ad.reduce((a, v) => a + v * v, 0);
          const tsq = delta.reduce((a, v) => a + v * v, 0);
          sums[c].g += gsq;
          sums[c].g2 += gsq * gsq;
          sums[c].t += tsq;
          sums[c].t2 += tsq * tsq;
        }
        const g = stepSize(schedule, k + 1);
        sim.fillNormal(z);
        const xi = matVec(L, z);
        const ad = matVec(A, delta);
        delta = delta.map((v, i) => v - g * ad[i] + g * xi[i]);
      }
    }
    checkpoints.forEach((k, c) => {
      for (const [sum, sq, predicted] of [
        [sums[c].g, sums[c].g2, prediction.gradientSq[k]],
        [sums[c].t, sums[c].t2, prediction.distanceSq[k]],
      ]) {
        const mean = sum / paths;
        const se = Math.sqrt((sq / paths - mean * mean) / paths);
        expect(Math.abs(mean - predicted), `k = ${k}: simulated ${mean}, predicted ${predicted}`).toBeLessThan(4.5 * se);
      }
    });
  });

  it('reaches the constant step\'s exact stationary ball Σ γλΣ_ii/(2 − γλ_i), which the quasi-static γ tr(AΣ)/2 approximates to first order', () => {
    const gamma = 0.05;
    const p = noiseLawPrediction({ values, noise, schedule: { C: gamma, alpha: 0 }, steps: 20000 });
    const exact = values.reduce((a, l, i) => a + (gamma * l * noise[i]) / (2 - gamma * l), 0);
    expect(Math.abs(p.gradientSq[20000] / exact - 1)).toBeLessThan(1e-10);
    const qs = quasiStatic(values, noise, gamma);
    expect(Math.abs(qs / exact - 1)).toBeLessThan(gamma * values[m - 1]);
    expect(qs).toBeLessThan(exact);
  });

  it('on the claim\'s own problem: from θ* it starts at the float32 rounding and grows; the quasi-static formula misses the slow modes early', () => {
    const pred = armPrediction(oracle, quick, { B: 8, K: 1 });
    expect(pred.gradientSq[0]).toBeLessThan(1e-10);
    expect(pred.gradientSq[10]).toBeGreaterThan(1e3 * pred.gradientSq[0]);
    const qsEarly = quasiStatic(oracle.values, pred.noise, stepSize(quick.schedule, 20)) / pred.gradientSq[20];
    expect(Math.abs(qsEarly - 1)).toBeGreaterThan(0.05);
  });
});

describe('the verdict on known answers', () => {
  const band = { lower: 0.8, upper: 1.25 };
  const seeds = (centre: number, spread: number) => Array.from({ length: 12 }, (_, s) => centre + spread * Math.sin(1.7 * s + 0.3));
  it('passes when every arm is inside the band, fails when one lies outside entirely, else inconclusive', () => {
    const inside = judgeArms([seeds(1, 0.05), seeds(0.95, 0.05), seeds(1.1, 0.05)], band, 1);
    expect(inside.verdicts).toEqual(['pass', 'pass', 'pass']);
    expect(noiseLawVerdict(inside.verdicts, true)).toBe('pass');
    const above = judgeArms([seeds(1, 0.05), seeds(4, 0.2)], band, 1);
    expect(above.verdicts).toEqual(['pass', 'fail']);
    expect(noiseLawVerdict(above.verdicts, true)).toBe('fail');
    const below = judgeArms([seeds(0.5, 0.05), seeds(1, 0.05)], band, 1);
    expect(noiseLawVerdict(below.verdicts, true)).toBe('fail');
    const straddle = judgeArms([seeds(1, 0.05), seeds(1.25, 0.1)], band, 1);
    expect(straddle.verdicts[1]).toBe('inconclusive');
    expect(noiseLawVerdict(straddle.verdicts, true)).toBe('inconclusive');
    // A failing arm outweighs a straddling one.
    expect(noiseLawVerdict(['inconclusive', 'fail', 'pass'], true)).toBe('fail');
  });
  it('is inconclusive outside the linear regime, whatever the arms say (the law is not claimed there)', () => {
    expect(noiseLawVerdict(['pass', 'pass'], false)).toBe('inconclusive');
    expect(noiseLawVerdict(['fail', 'pass'], false)).toBe('inconclusive');
    expect(noiseLawVerdict(['error', 'pass'], false)).toBe('error');
  });
  it('its interval is the mean of the per-seed ratios with the t-width at 12 seeds', () => {
    const values = seeds(1, 0.1);
    const { intervals } = judgeArms([values], band, 3);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(intervals[0].estimate).toBeCloseTo(mean, 12);
    // Expanded percentile interval ≈ mean ± t_{11,0.975}·sd/√12 (bootstrap.ts), within Monte Carlo error.
    const half = (2.201 * sd) / Math.sqrt(12);
    expect(Math.abs(intervals[0].upper - intervals[0].lower - 2 * half)).toBeLessThan(0.25 * half);
  });
});

describe('seed independence from a common start (seed-independence.ts, { commonStart })', () => {
  const start = { W: Float32Array.from([1, 2]), b: Float32Array.from([0.5]) };
  const runs = Array.from({ length: 4 }, (_, s) => ({ seed: deriveSeed('test', CLAIM, 'seed', s), g: Float64Array.from([0, s + 1, 2 * s + 1]), initial: start }));
  it('accepts distinct seeds and trajectories from one initial point, and says so', () => {
    const r = seedIndependence(runs, { commonStart: 'θ*' });
    expect(r.ok).toBe(true);
    expect(r.detail).toMatch(/one common initial point; every seed starts from θ\*/);
  });
  it('fires when a seed does not start from the common point, or two trajectories coincide', () => {
    const moved = runs.map((r, s) => (s === 2 ? { ...r, initial: { ...start, b: Float32Array.from([0.25]) } } : r));
    expect(seedIndependence(moved, { commonStart: 'θ*' }).error).toMatch(/seed 2 does not start from θ\*/);
    const copied = runs.map((r) => ({ ...r, g: runs[0].g }));
    expect(seedIndependence(copied, { commonStart: 'θ*' }).error).toMatch(/identical trajectories/);
  });
});
