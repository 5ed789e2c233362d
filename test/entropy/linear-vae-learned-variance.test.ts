/**
 * Linear VAE with learned σ²: the float64 diagnosis agrees with the existing
 * closed-form oracle (expectedElbo at σ_x = σ), the engine's float32
 * objective agrees with it, a fixed-σ² replica gets no σ² gradient, and the
 * gap decomposition explains F − S at arbitrary points.
 * Tolerances: float64 vs float64 (different algebra: moments vs per point),
 * O(10) values: 1e-10. float32 objective: relative error ≈ 1e-6 of terms of
 * size O(10–100): 1e-3 absolute.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { generateLowRankData } from '../../src/models/ppca/data.ts';
import { dataMoments, expectedElbo } from '../../src/models/linear-vae/oracle.ts';
import { diagnoseLinearVae, type LearnedVarianceParams } from '../../src/models/linear-vae/learned-variance.ts';
import { LearnedVarianceLinearVae } from '../../src/models/linear-vae/learned-variance-engine.ts';
import { replicaStreams } from '../../src/engine/replica.ts';

const D = 6;
const H = 2;
const data = generateLowRankData({ N: 300, D, signal: [3, 1], noiseStd: 0.5, seed: 4 });

beforeAll(async () => {
  await useBackend('wasm');
});

function randomParams(label: string): LearnedVarianceParams {
  const rng = RandomStream.at('lvae-learned', label);
  const f32 = (n: number, scale: number) => Float64Array.from(Float32Array.from({ length: n }, () => scale * rng.normal()));
  return { W: f32(D * H, 0.7), b: f32(D, 0.3), V: f32(H * D, 0.4), c: f32(H, 0.2), s: f32(H, 0.5), variance: Math.exp(Math.fround(0.3 * rng.normal() - 0.5)) };
}

describe('linear VAE with learned σ²', () => {
  it('F agrees with the closed-form oracle; F − S matches the decomposition', () => {
    const moments = dataMoments(data.x, data.N, D);
    for (const label of ['a', 'b']) {
      const p = randomParams(label);
      const d = diagnoseLinearVae(p, data.x, data.N, D);
      expect(Math.abs(d.elbo - expectedElbo(p, moments, Math.sqrt(p.variance)))).toBeLessThan(1e-10);
      expect(d.decompositionError).toBeLessThan(1e-10);
      expect(Math.abs(d.gap)).toBeGreaterThan(1e-2);
    }
  });

  it('the moment algebra equals the point-by-point averages it replaced (also on data far from the origin)', () => {
    // The per-point sums: (1/N) Σ_n μ_h(x_n)² and (1/N) Σ_n ‖x_n − b − W μ(x_n)‖².
    const perPoint = (p: LearnedVarianceParams, x: ArrayLike<number>, N: number) => {
      const m = new Float64Array(H);
      let sq = 0;
      const mu = new Float64Array(H);
      for (let n = 0; n < N; n++) {
        for (let h = 0; h < H; h++) {
          let v = p.c[h];
          for (let i = 0; i < D; i++) v += p.V[h * D + i] * x[n * D + i];
          mu[h] = v;
          m[h] += (v * v) / N;
        }
        for (let i = 0; i < D; i++) {
          let r = x[n * D + i] - p.b[i];
          for (let h = 0; h < H; h++) r -= p.W[i * H + h] * mu[h];
          sq += (r * r) / N;
        }
      }
      return { m, sq };
    };
    const shifted = Float64Array.from(data.x, (v, k) => v + 50 * ((k % D) - 2));
    for (const x of [data.x, shifted]) {
      for (const label of ['e', 'f']) {
        const p = randomParams(label);
        const d = diagnoseLinearVae(p, x, data.N, D);
        const { m, sq } = perPoint(p, x, data.N);
        const tau2 = Array.from(p.s, Math.exp);
        let spread = 0;
        for (let i = 0; i < D; i++) for (let h = 0; h < H; h++) spread += p.W[i * H + h] ** 2 * tau2[h];
        const sBar = (sq + spread) / D;
        let kl = 0;
        for (let h = 0; h < H; h++) kl += 0.5 * (m[h] + tau2[h] - 1 - p.s[h]);
        const elbo = -0.5 * D * (Math.log(2 * Math.PI) + Math.log(p.variance)) - (D * sBar) / (2 * p.variance) - kl;
        // Sums of O(N) terms of size up to ~1e4 (shifted data) in two orders: 1e-12 relative.
        expect(Math.abs(d.elbo - elbo) / Math.max(1, Math.abs(elbo))).toBeLessThan(1e-12);
        expect(d.decompositionError).toBeLessThan(1e-9);
      }
    }
  });

  it('the engine objective matches float64; a fixed-σ² replica ignores its σ² parameter and gets no gradient', () => {
    const points = [randomParams('c'), randomParams('d')];
    const model = new LearnedVarianceLinearVae({ D, H, data: data.x, fixedLogVariance: [null, 0] });
    const before = tf.memory().numTensors;
    const { values, gradLogVar } = tf.tidy(() => {
      const stack = (k: 'W' | 'b' | 'V' | 'c' | 's', shape: number[]) => tf.tensor(Float32Array.from(points.flatMap((p) => Array.from(p[k]))), [2, ...shape]);
      const logVar = tf.variable(tf.tensor2d(Float32Array.from(points.map((p) => Math.log(p.variance))), [2, 1]));
      const params = { W: stack('W', [D, H]), b: stack('b', [D]), V: stack('V', [H, D]), c: stack('c', [H]), s: stack('s', [H]) };
      const g = tf.grad((lv: tf.Tensor) => model.objective({ ...params, logVar: lv }).sum())(logVar);
      const out = { values: model.objective({ ...params, logVar }).dataSync(), gradLogVar: g.dataSync() };
      logVar.dispose();
      return out;
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(values[0] - diagnoseLinearVae(points[0], data.x, data.N, D).elbo)).toBeLessThan(1e-3);
    expect(Math.abs(values[1] - diagnoseLinearVae({ ...points[1], variance: 1 }, data.x, data.N, D).elbo)).toBeLessThan(1e-3);
    expect(gradLogVar[0]).not.toBe(0);
    expect(gradLogVar[1]).toBe(0);
    model.dispose();
  });
});

/**
 * The kernel's loops as they were written first, one sum at a time: the specification of its
 * bits. objectiveAndGradient runs four independent sums side by side; each sum must still take
 * its terms in this order, so the objective and every gradient entry must be these bit for bit.
 */
const LOG_2PI = Math.log(2 * Math.PI);

function plain(D: number, H: number, m: Float64Array, S: Float64Array, fixed: number | null, params: Record<string, Float32Array>, grad: Record<string, Float64Array>): number {
  const { W, b, V, c, s } = params;
  const logVar = fixed ?? params.logVar[0];
  const v = Math.exp(logVar);
  // A = I − W V (D×D), u = A m − d with d = W c + b, g = V m + c.
  const A = new Float64Array(D * D), u = new Float64Array(D), g = new Float64Array(H), G = new Float64Array(D * D), P = new Float64Array(H * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let wv = 0;
      for (let h = 0; h < H; h++) wv += W[i * H + h] * V[h * D + j];
      A[i * D + j] = (i === j ? 1 : 0) - wv;
    }
  }
  for (let i = 0; i < D; i++) {
    let am = 0;
    for (let j = 0; j < D; j++) am += A[i * D + j] * m[j];
    let wc = 0;
    for (let h = 0; h < H; h++) wc += W[i * H + h] * c[h];
    u[i] = am - wc - b[i];
  }
  for (let h = 0; h < H; h++) {
    let vm = c[h];
    for (let j = 0; j < D; j++) vm += V[h * D + j] * m[j];
    g[h] = vm;
  }
  // G = A S + u mᵀ (D×D); Er2 = tr(A S Aᵀ) + ‖u‖².
  let er2 = 0;
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let as = 0;
      for (let k = 0; k < D; k++) as += A[i * D + k] * S[k * D + j];
      er2 += as * A[i * D + j];
      G[i * D + j] = as + u[i] * m[j];
    }
    er2 += u[i] * u[i];
  }
  // P = V S + g mᵀ (H×D); Emu2 = tr(V S Vᵀ) + ‖g‖².
  let emu2 = 0;
  for (let h = 0; h < H; h++) {
    for (let j = 0; j < D; j++) {
      let vs = 0;
      for (let k = 0; k < D; k++) vs += V[h * D + k] * S[k * D + j];
      emu2 += vs * V[h * D + j];
      P[h * D + j] = vs + g[h] * m[j];
    }
    emu2 += g[h] * g[h];
  }
  let spread = 0;
  let klConst = 0;
  const gW = grad.W;
  const gV = grad.V;
  for (let h = 0; h < H; h++) {
    const tau2 = Math.exp(s[h]);
    let wh = 0;
    for (let i = 0; i < D; i++) wh += W[i * H + h] * W[i * H + h];
    spread += wh * tau2;
    klConst += tau2 - 1 - s[h];
    grad.s[h] = (-wh * tau2) / (2 * v) - 0.5 * (tau2 - 1);
    let wtu = 0;
    for (let i = 0; i < D; i++) wtu += W[i * H + h] * u[i];
    grad.c[h] = wtu / v - g[h];
    for (let j = 0; j < D; j++) {
      let wtg = 0;
      for (let i = 0; i < D; i++) wtg += W[i * H + h] * G[i * D + j];
      gV[h * D + j] = wtg / v - P[h * D + j];
    }
    for (let i = 0; i < D; i++) {
      let gvt = 0;
      for (let j = 0; j < D; j++) gvt += G[i * D + j] * V[h * D + j];
      gW[i * H + h] = (gvt + u[i] * c[h] - W[i * H + h] * tau2) / v;
    }
  }
  for (let i = 0; i < D; i++) grad.b[i] = u[i] / v;
  const Q = er2 + spread;
  grad.logVar[0] = fixed === null ? Q / (2 * v) - D / 2 : 0;
  return -0.5 * D * (logVar + LOG_2PI) - Q / (2 * v) - 0.5 * (emu2 + klConst);
}

describe('the learned-variance kernel, four sums side by side', () => {
  it('gives the plain loops’ objective and gradient bit for bit (D = 1…11, every H < D, σ² learned and fixed)', () => {
    const rng = RandomStream.at('lvae-learned', 'four-sums');
    for (let Dk = 1; Dk <= 11; Dk++) {
      for (let Hk = 1; Hk <= Math.max(1, Dk - 1); Hk++) {
        const set = generateLowRankData({ N: 40, D: Dk, signal: [2], noiseStd: 0.5, seed: 10 + Dk });
        const fixed = [null, Math.fround(-0.3)];
        const model = new LearnedVarianceLinearVae({ D: Dk, H: Hk, data: set.x, fixedLogVariance: fixed });
        const f32 = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * rng.normal());
        for (let r = 0; r < 2; r++) {
          const params = { W: f32(Dk * Hk, 0.7), b: f32(Dk, 0.3), V: f32(Hk * Dk, 0.4), c: f32(Hk, 0.2), s: f32(Hk, 0.5), logVar: f32(1, 0.3) };
          const shapes = { W: Dk * Hk, b: Dk, V: Hk * Dk, c: Hk, s: Hk, logVar: 1 };
          const got = Object.fromEntries(Object.entries(shapes).map(([k, n]) => [k, new Float64Array(n)]));
          const want = Object.fromEntries(Object.entries(shapes).map(([k, n]) => [k, new Float64Array(n)]));
          const replica = { label: `r${r}`, seed: 1, schedule: { C: 1, alpha: 0 }, batchSize: 40, samples: 1, beta: 1 };
          const fGot = model.objectiveAndGradient(params, replica, replicaStreams(1), got, r);
          const internals = model as unknown as { mean64: Float64Array; cov64: Float64Array };
          const fWant = plain(Dk, Hk, internals.mean64, internals.cov64, fixed[r], params, want);
          expect(Object.is(fGot, fWant), `D = ${Dk}, H = ${Hk}, replica ${r}: objective`).toBe(true);
          for (const k of Object.keys(shapes)) expect(Array.from(got[k]), `D = ${Dk}, H = ${Hk}, replica ${r}: ∂${k}`).toEqual(Array.from(want[k]));
        }
        model.dispose();
      }
    }
  });
});
