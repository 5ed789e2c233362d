/**
 * PPCA oracle and engine model:
 *  - the ML solution is stationary (central finite differences of the exact
 *    log-likelihood in W, μ, log σ² vanish) and saddles are stationary too;
 *  - F computed from its definition with exact posteriors equals the
 *    log-likelihood, and F − S = ½(D − tr C⁻¹S_μ) = the rescaling
 *    decomposition at arbitrary points;
 *  - the engine's float32 objective matches the float64 log-likelihood;
 *  - the unrolled small-matrix Cholesky matches ml-matrix.
 * Tolerances: finite differences with h = 1e-6 on an O(10) objective have
 * rounding ≈ 1e-16·10/1e-6 = 1e-9 and truncation h²·O(10) ≈ 1e-11; a
 * non-stationary direction has a derivative ≥ 1e-3 here. float32 engine
 * values carry relative error ≈ 1e-6 on sums of O(10³) terms: 1e-4 absolute.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { generateLowRankData } from '../../src/models/ppca/data.ts';
import { closedFormGap, dataStats, diagnoseExact, eigenSystem, logLikelihood, mlSolution, pointFromEigen } from '../../src/models/ppca/oracle.ts';
import type { PpcaParams } from '../../src/models/ppca/params.ts';
import { PpcaEngineModel } from '../../src/models/ppca/engine-model.ts';
import { smallSpdTerms } from '../../src/models/ppca/small-spd.ts';
import { correctSaddles } from '../../src/claims/entropy/entropy-ppca.check.ts';

const D = 8;
const H = 2;
const data = generateLowRankData({ N: 500, D, signal: [5, 2, 1], noiseStd: 0.5, seed: 3 });
const stats = dataStats(data.x, data.N, D);
const eig = eigenSystem(stats);

beforeAll(async () => {
  await useBackend('wasm');
});

function maxFiniteDifference(p: PpcaParams): number {
  const h = 1e-6;
  let worst = 0;
  const probe = (mutate: (q: PpcaParams, d: number) => void) => {
    const up = { ...p, W: p.W.slice(), mu: p.mu.slice() };
    const dn = { ...p, W: p.W.slice(), mu: p.mu.slice() };
    mutate(up, h);
    mutate(dn, -h);
    worst = Math.max(worst, Math.abs(logLikelihood(up, stats) - logLikelihood(dn, stats)) / (2 * h));
  };
  for (let i = 0; i < p.W.length; i++) probe((q, d) => (q.W[i] += d));
  for (let i = 0; i < D; i++) probe((q, d) => (q.mu[i] += d));
  probe((q, d) => (q.variance *= Math.exp(d)));
  return worst;
}

function randomPoint(label: string): PpcaParams {
  const rng = RandomStream.at('ppca-test', label);
  return {
    D,
    H,
    W: Float64Array.from({ length: D * H }, () => rng.normal()),
    mu: Float64Array.from({ length: D }, () => 0.3 * rng.normal()),
    variance: 0.2 + rng.uniform(),
  };
}

describe('PPCA oracle', () => {
  it('the Tipping–Bishop ML solution and the correctly built saddles are stationary', () => {
    expect(maxFiniteDifference(mlSolution(stats, eig, H).params)).toBeLessThan(1e-7);
    const saddles = correctSaddles(stats, eig, H);
    expect(saddles.length).toBeGreaterThan(0);
    for (const s of saddles) expect(maxFiniteDifference(s.params)).toBeLessThan(1e-7);
    // A mis-built point (kept direction below σ²) is not.
    expect(maxFiniteDifference(pointFromEigen(stats, eig, H, [0, D - 1]).params)).toBeGreaterThan(1e-3);
  });

  it('ML log-likelihood beats random points, and F with exact posteriors equals the log-likelihood', () => {
    const ml = mlSolution(stats, eig, H).params;
    for (const label of ['a', 'b', 'c']) {
      const p = randomPoint(label);
      expect(logLikelihood(p, stats)).toBeLessThan(logLikelihood(ml, stats));
      expect(Math.abs(diagnoseExact(p, data.x, data.N).elbo - logLikelihood(p, stats))).toBeLessThan(1e-10);
    }
  });

  it('F − S = ½(D − tr C⁻¹S_μ) = (D/2)(1 − s/σ²) − ½Σ(m_h − 1) at arbitrary points; S = −(D/2)log 2πe − ½ log det C', () => {
    for (const label of ['d', 'e']) {
      const p = randomPoint(label);
      const d = diagnoseExact(p, data.x, data.N);
      expect(Math.abs(d.gap)).toBeGreaterThan(1e-2);
      expect(Math.abs(d.gap - closedFormGap(p, stats))).toBeLessThan(1e-10);
      expect(d.decompositionError).toBeLessThan(1e-10);
      const C = new Matrix(D, D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) C.set(i, j, (i === j ? p.variance : 0) + Array.from({ length: H }, (_, h) => p.W[i * H + h] * p.W[j * H + h]).reduce((a, b) => a + b));
      const L = new CholeskyDecomposition(C).lowerTriangularMatrix;
      let logDet = 0;
      for (let i = 0; i < D; i++) logDet += 2 * Math.log(L.get(i, i));
      expect(d.entropySum).toBeCloseTo(-(D / 2) * Math.log(2 * Math.PI * Math.E) - 0.5 * logDet, 10);
    }
  });

  it('σ² × 1.1 at the ML solution: the eigenvalue prediction matches F − S', () => {
    const pt = pointFromEigen(stats, eig, H, [0, 1], { varianceScale: 1.1 });
    expect(diagnoseExact(pt.params, data.x, data.N).gap).toBeCloseTo(pt.predictedGap, 10);
    expect(pt.predictedGap).toBeGreaterThan(0.05);
  });
});

describe('PPCA engine model', () => {
  it('the float32 objective matches the float64 log-likelihood, and leaks no tensors', () => {
    const model = new PpcaEngineModel({ stats, H });
    const points = ['f', 'g'].map(randomPoint);
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const W = tf.tensor3d(Float32Array.from(points.flatMap((p) => Array.from(p.W))), [2, D, H]);
      const mu = tf.tensor2d(Float32Array.from(points.flatMap((p) => Array.from(p.mu))), [2, D]);
      const logVar = tf.tensor2d(Float32Array.from(points.map((p) => Math.log(p.variance))), [2, 1]);
      return model.objective({ W, mu, logVar }).dataSync();
    });
    expect(tf.memory().numTensors).toBe(before);
    points.forEach((p, r) => {
      const p32 = { ...p, W: Float64Array.from(Float32Array.from(p.W)), mu: Float64Array.from(Float32Array.from(p.mu)), variance: Math.exp(Math.fround(Math.log(p.variance))) };
      expect(Math.abs(values[r] - logLikelihood(p32, stats))).toBeLessThan(1e-4);
    });
    model.dispose();
  });

  it('smallSpdTerms: log det and tr(M⁻¹A) match ml-matrix', () => {
    const rng = RandomStream.at('small-spd');
    for (const n of [1, 3, 5]) {
      const G = Matrix.from1DArray(n, n, Array.from({ length: n * n }, () => rng.normal()));
      const M = G.mmul(G.transpose()).add(Matrix.eye(n, n));
      const A = Matrix.from1DArray(n, n, Array.from({ length: n * n }, () => rng.normal()));
      const { logDet, trace } = tf.tidy(() => {
        const r = smallSpdTerms(tf.tensor3d(M.to1DArray(), [1, n, n]), tf.tensor3d(A.to1DArray(), [1, n, n]));
        return { logDet: r.logDet.dataSync()[0], trace: r.trace.dataSync()[0] };
      });
      const chol = new CholeskyDecomposition(M);
      let ld = 0;
      for (let i = 0; i < n; i++) ld += 2 * Math.log(chol.lowerTriangularMatrix.get(i, i));
      const X = chol.solve(A);
      let tr = 0;
      for (let i = 0; i < n; i++) tr += X.get(i, i);
      expect(logDet).toBeCloseTo(ld, 4);
      expect(trace).toBeCloseTo(tr, 3);
    }
  });
});
