/**
 * The stochastic linear VAE with learned σ² (D23 Figure 1's engine model):
 *   - its kernel's objective and gradient equal TensorFlow.js autodiff of its
 *     objective on identical draws (same seeds: same rows and noise statistics),
 *     replica by replica, for a batch mixing B, K, β and learned / fixed σ²
 *     (autodiff runs padded);
 *   - the statistics form of the K-sample objective equals the explicit
 *     average over K draws (float64, the same ε's reduced to (ē, M̄));
 *   - the drawn statistics have the law of K draws' (moments of ē and M̄,
 *     for K − 1 ≥ H by Bartlett and K − 1 < H explicitly);
 *   - trained side by side with Adam, kernel and autodiff trainers agree, and
 *     a fixed-σ² replica keeps its σ².
 * Tolerances as test/engine/kernel-trainer.test.ts: float32 autodiff over
 * sums of O(100) terms of size O(1): 1e-5 of the gradient's scale is > 10x the
 * rounding, a wrong term moves a component by ≥ 10%.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { ReplicaTrainer } from '../../src/engine/trainer.ts';
import { StochasticLearnedVarianceLinearVae } from '../../src/models/linear-vae/stochastic-learned-variance.ts';
import { chiSquare, drawNoiseStatistics, drawNoiseStatisticsBatch } from '../../src/models/linear-vae/noise-statistics.ts';
import { CounterNormalStream } from '../../src/engine/counter-normals.ts';


const D = 6;
const H = 2;
const N = 40;
const NAMES = ['W', 'b', 'V', 'c', 's', 'logVar'] as const;
const rngData = RandomStream.at('slv-test-data');
const data = Float32Array.from({ length: N * D }, (_, i) => 0.5 + Math.fround(rngData.normal() * (1 + (i % D) * 0.2)));
const fixed = [null, Math.log(0.3), null, null];
let model: StochasticLearnedVarianceLinearVae;

beforeAll(async () => {
  await useBackend('wasm');
  model = new StochasticLearnedVarianceLinearVae({ D, H, data, fixedLogVariance: fixed, initialLogVariance: Math.log(0.5) });
});

function replicas(C = 1e-2): ReplicaSetting[] {
  const s = (i: number) => deriveSeed('slv-test', i);
  return [
    { label: 'r0', seed: s(0), schedule: { C, alpha: 0 }, batchSize: 8, samples: 100, beta: 1 },
    { label: 'r1', seed: s(1), schedule: { C, alpha: 0 }, batchSize: 5, samples: 1, beta: 1 },
    { label: 'r2', seed: s(2), schedule: { C, alpha: 0 }, batchSize: 12, samples: 2, beta: 0.5 },
    { label: 'r3', seed: s(3), schedule: { C, alpha: 0 }, batchSize: 3, samples: 7, beta: 2 },
  ];
}

function randomParams(r: number): Record<string, Float32Array> {
  const rng = RandomStream.at('slv-test-params', r);
  const f = (n: number, scale: number, shift = 0) => Float32Array.from({ length: n }, () => Math.fround(shift + scale * rng.normal()));
  return { W: f(D * H, 0.5), b: f(D, 0.3), V: f(H * D, 0.5), c: f(H, 0.3), s: f(H, 0.4), logVar: f(1, 0.3, -0.5) };
}

describe('stochastic linear VAE with learned σ²: kernel', () => {
  it('equals TensorFlow.js autodiff on the same draws, replica by replica (mixed B, K, β, learned and fixed σ²)', () => {
    const reps = replicas();
    const params = reps.map((_, r) => randomParams(r));
    const before = tf.memory().numTensors;
    const inputs = model.drawStep(reps, reps.map((r) => replicaStreams(r.seed)));
    const { value, grads } = tf.tidy(() => {
      const vars = NAMES.map((n) => {
        const shape = [reps.length, ...model.paramShapes[n]];
        const flat = new Float32Array(params.reduce((a, p) => a + p[n].length, 0));
        params.forEach((p, r) => flat.set(p[n], r * p[n].length));
        return tf.variable(tf.tensor(flat, shape), true);
      });
      const byName = () => Object.fromEntries(NAMES.map((n, i) => [n, vars[i]]));
      const out = tf.variableGrads(() => model.objective(byName(), inputs).sum() as tf.Scalar, vars);
      const perReplica = Float32Array.from(model.objective(byName(), inputs).dataSync());
      const g = NAMES.map((_, i) => out.grads[vars[i].name].dataSync() as Float32Array);
      vars.forEach((v) => v.dispose());
      return { value: perReplica, grads: g };
    });
    model.disposeInputs(inputs);
    expect(tf.memory().numTensors).toBe(before);
    const probe = new StochasticLearnedVarianceLinearVae({ D, H, data, fixedLogVariance: fixed, initialLogVariance: 0 });
    probe.dispose();
    expect(tf.memory().numTensors).toBe(before);
    reps.forEach((rep, r) => {
      const grad = Object.fromEntries(NAMES.map((n) => [n, new Float64Array(params[r][n].length)]));
      const objective = model.objectiveAndGradient(params[r], rep, replicaStreams(rep.seed), grad, r);
      expect(Math.abs(objective - value[r])).toBeLessThan(1e-5 * Math.max(1, Math.abs(objective)));
      let scale = 0;
      for (const n of NAMES) for (const g of grad[n]) scale = Math.max(scale, Math.abs(g));
      NAMES.forEach((n, i) => {
        const size = grad[n].length;
        const auto = grads[i].subarray(r * size, (r + 1) * size);
        for (let j = 0; j < size; j++) expect(Math.abs(grad[n][j] - auto[j]), `${rep.label} ∂${n}[${j}]`).toBeLessThan(1e-5 * scale);
      });
      if (fixed[r] !== null) expect(grad.logVar[0]).toBe(0);
      else expect(Math.abs(grad.logVar[0])).toBeGreaterThan(1e-3);
    });
  });

  it('trains like the autodiff trainer (Adam, 40 steps), and a fixed σ² stays fixed', () => {
    const reps = replicas(5e-3);
    const run = (trainer: KernelTrainer | ReplicaTrainer<unknown>) => {
      try {
        for (let k = 0; k < 40; k++) trainer.advance();
        return trainer.readParams();
      } finally {
        trainer.dispose();
      }
    };
    const kernel = run(new KernelTrainer(model, reps, ADAM_DEFAULTS));
    const auto = run(new ReplicaTrainer(model, reps, ADAM_DEFAULTS));
    for (const n of NAMES) for (let i = 0; i < kernel.values[n].length; i++) expect(Math.abs(kernel.values[n][i] - auto.values[n][i]), `${n}[${i}]`).toBeLessThan(1e-4);
    // Replica 1 is pinned: its parameter is untouched (gradient 0); replica 0 learned σ².
    expect(kernel.replica(1).logVar[0]).toBe(Math.fround(Math.log(0.5)));
    expect(Math.abs(kernel.replica(0).logVar[0] - Math.log(0.5))).toBeGreaterThan(1e-2);
  });
});

describe('K-sample statistics', () => {
  it('the statistics form of the K-sample average equals the explicit average over the same K draws', () => {
    const rng = RandomStream.at('slv-explicit');
    const p = randomParams(7);
    const x = Array.from({ length: D }, () => rng.normal());
    const K = 9;
    const eps = Array.from({ length: K }, () => Array.from({ length: H }, () => rng.normal()));
    const tau = Array.from(p.s, (s) => Math.exp(s / 2));
    const mu = Array.from({ length: H }, (_, j) => p.c[j] + x.reduce((a, xi, i) => a + p.V[j * D + i] * xi, 0));
    let explicit = 0;
    for (const e of eps) {
      for (let q = 0; q < D; q++) {
        let m = p.b[q];
        for (let j = 0; j < H; j++) m += p.W[q * H + j] * (mu[j] + tau[j] * e[j]);
        explicit += (x[q] - m) ** 2 / K;
      }
    }
    const ebar = Array.from({ length: H }, (_, j) => eps.reduce((a, e) => a + e[j], 0) / K);
    const Mbar = (j: number, l: number) => eps.reduce((a, e) => a + e[j] * e[l], 0) / K;
    const r = Array.from({ length: D }, (_, q) => x[q] - p.b[q] - mu.reduce((a, m, j) => a + p.W[q * H + j] * m, 0));
    let Q = 0;
    for (let q = 0; q < D; q++) {
      const wa = ebar.reduce((a, e, j) => a + p.W[q * H + j] * tau[j] * e, 0);
      Q += r[q] ** 2 - 2 * r[q] * wa;
    }
    for (let j = 0; j < H; j++) {
      for (let l = 0; l < H; l++) {
        let wtw = 0;
        for (let q = 0; q < D; q++) wtw += p.W[q * H + j] * p.W[q * H + l];
        Q += wtw * tau[j] * tau[l] * Mbar(j, l);
      }
    }
    expect(Math.abs(Q - explicit)).toBeLessThan(1e-12 * Math.max(1, explicit));
  });

  for (const [K, Hs] of [[100, 2], [3, 2], [2, 3], [1, 2]] as const) {
    it(`drawn (ē, M̄) have the moments of ${K} draws in R^${Hs}: E ē = 0, Var ē = 1/K, E M̄ = I, Var M̄_jj = 2/K, Var M̄_jl = 1/K`, () => {
      const rng = RandomStream.at('slv-moments', K, Hs);
      const n = 40000;
      const e = new Float64Array(Hs);
      const M = new Float64Array(Hs * Hs);
      const work = new Float64Array(Hs * Hs);
      const sum = new Float64Array(Hs);
      const sum2 = new Float64Array(Hs);
      const mSum = new Float64Array(Hs * Hs);
      const mSum2 = new Float64Array(Hs * Hs);
      for (let t = 0; t < n; t++) {
        drawNoiseStatistics(rng, K, Hs, e, M, work);
        for (let j = 0; j < Hs; j++) {
          sum[j] += e[j];
          sum2[j] += e[j] * e[j];
        }
        for (let i = 0; i < Hs * Hs; i++) {
          mSum[i] += M[i];
          mSum2[i] += M[i] * M[i];
        }
      }
      // 5 standard errors of each mean (a relative error of the variance estimate ~ √(2/n) ≈ 0.7%, kurtosis included < 3%).
      for (let j = 0; j < Hs; j++) {
        expect(Math.abs(sum[j] / n)).toBeLessThan(5 * Math.sqrt(1 / K / n));
        expect(Math.abs((sum2[j] / n) * K - 1)).toBeLessThan(0.05);
      }
      for (let j = 0; j < Hs; j++) {
        for (let l = 0; l < Hs; l++) {
          const mean = mSum[j * Hs + l] / n;
          const variance = mSum2[j * Hs + l] / n - mean * mean;
          const want = j === l ? 2 / K : 1 / K;
          expect(Math.abs(mean - (j === l ? 1 : 0)), `E M̄[${j}${l}]`).toBeLessThan(5 * Math.sqrt(want / n));
          expect(Math.abs(variance / want - 1), `Var M̄[${j}${l}]`).toBeLessThan(0.06);
        }
      }
    });
  }

  // The draws as first written (the plain squeeze u < 1 − 0.0331 x ** 4, L zeroed first): the
  // faster noise-statistics.ts must give the same bits and consume the same draws.
  function plainChiSquare(rng: RandomStream, n: number): number {
    if (n === 1) return rng.normal() ** 2;
    const d = n / 2 - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = rng.normal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = rng.uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return 2 * d * v;
    }
  }
  function plainStatistics(rng: RandomStream, K: number, Hs: number, ebar: Float64Array, M: Float64Array, L: Float64Array): void {
    const sk = 1 / Math.sqrt(K);
    for (let j = 0; j < Hs; j++) ebar[j] = sk * rng.normal();
    const n = K - 1;
    L.fill(0);
    if (n >= Hs) {
      for (let i = 0; i < Hs; i++) {
        L[i * Hs + i] = Math.sqrt(plainChiSquare(rng, n - i));
        for (let j = 0; j < i; j++) L[i * Hs + j] = rng.normal();
      }
    }
    for (let i = 0; i < Hs; i++) {
      for (let j = 0; j <= i; j++) {
        let a = 0;
        if (n >= Hs) for (let l = 0; l <= j; l++) a += L[i * Hs + l] * L[j * Hs + l];
        M[i * Hs + j] = a;
      }
    }
    if (n < Hs) {
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < Hs; j++) L[j] = rng.normal();
        for (let i = 0; i < Hs; i++) for (let j = 0; j <= i; j++) M[i * Hs + j] += L[i] * L[j];
      }
    }
    for (let i = 0; i < Hs; i++) {
      for (let j = 0; j <= i; j++) {
        const m = ebar[i] * ebar[j] + M[i * Hs + j] / K;
        M[i * Hs + j] = m;
        M[j * Hs + i] = m;
      }
    }
  }

  it('χ²(n) and the statistics are bitwise the plain Marsaglia–Tsang and Bartlett draws (same values, same draws consumed)', () => {
    for (const dof of [1, 2, 3, 10, 98, 99, 1000]) {
      const a = RandomStream.at('slv-chi2-plain', dof);
      const b = RandomStream.at('slv-chi2-plain', dof);
      for (let t = 0; t < 200_000; t++) {
        const x = chiSquare(a, dof);
        const y = plainChiSquare(b, dof);
        if (!Object.is(x, y)) expect.fail(`χ²(${dof}) draw ${t}: ${x} ≠ ${y} (plain)`);
      }
      expect(a.uniform()).toBe(b.uniform());
    }
    for (const [K, Hs, points] of [[100, 2, 500_000], [100, 3, 100_000], [3, 2, 100_000], [2, 3, 100_000], [1, 2, 10_000], [2, 1, 100_000]] as const) {
      const a = RandomStream.at('slv-statistics-plain', K, Hs);
      const b = RandomStream.at('slv-statistics-plain', K, Hs);
      const e = [new Float64Array(Hs), new Float64Array(Hs)];
      // The offsets the WebAssembly port writes at: the statistics land there, nothing else moves.
      const M = [new Float64Array(3 + Hs * Hs).fill(7), new Float64Array(Hs * Hs)];
      const work = [new Float64Array(Hs * Hs).fill(Number.NaN), new Float64Array(Hs * Hs)];
      const eAt = new Float64Array(1 + Hs);
      for (let t = 0; t < points; t++) {
        drawNoiseStatistics(a, K, Hs, eAt, M[0], work[0], 1, 3);
        plainStatistics(b, K, Hs, e[1], M[1], work[1]);
        for (let j = 0; j < Hs; j++) if (!Object.is(eAt[1 + j], e[1][j])) expect.fail(`K = ${K}, H = ${Hs}, point ${t}: ē[${j}] differs`);
        for (let i = 0; i < Hs * Hs; i++) if (!Object.is(M[0][3 + i], M[1][i])) expect.fail(`K = ${K}, H = ${Hs}, point ${t}: M̄[${i}] differs`);
      }
      expect([eAt[0], ...M[0].subarray(0, 3)]).toEqual([0, 7, 7, 7]);
      expect(a.normal()).toBe(b.normal());
    }
  }, 60_000);

  it('a batch of points drawn with the normals ahead equals the points drawn one by one on a counter stream (values, and the stream after: normals and uniforms)', () => {
    for (const [K, Hs, B] of [[100, 2, 2000], [100, 3, 333], [3, 2, 1000], [2, 3, 777], [1, 2, 50], [2, 1, 1001], [4, 4, 300]] as const) {
      for (const start of [0, 1]) {
        const a = CounterNormalStream.at('slv-batch', K, Hs);
        const b = CounterNormalStream.at('slv-batch', K, Hs);
        // An odd start: the batch's first normal is the second of its pair.
        for (let t = 0; t < start; t++) expect(a.normal()).toBe(b.normal());
        const e = [new Float64Array(2 + B * Hs).fill(7), new Float64Array(2 + B * Hs).fill(7)];
        const M = [new Float64Array(3 + B * Hs * Hs).fill(7), new Float64Array(3 + B * Hs * Hs).fill(7)];
        const work = new Float64Array(Hs * Hs);
        drawNoiseStatisticsBatch(a, K, Hs, B, e[0], M[0], work, 2, 3);
        for (let i = 0; i < B; i++) drawNoiseStatistics(b, K, Hs, e[1], M[1], work, 2 + i * Hs, 3 + i * Hs * Hs);
        e[0].forEach((v, i) => Object.is(v, e[1][i]) || expect.fail(`K = ${K}, H = ${Hs}: ē value ${i} differs`));
        M[0].forEach((v, i) => Object.is(v, M[1][i]) || expect.fail(`K = ${K}, H = ${Hs}: M̄ value ${i} differs`));
        expect(a.position).toBe(b.position);
        expect([a.normal(), a.normal(), a.uniform()]).toEqual([b.normal(), b.normal(), b.uniform()]);
      }
    }
    // Any other stream: point by point.
    const a = RandomStream.at('slv-batch-plain');
    const b = RandomStream.at('slv-batch-plain');
    const e = [new Float64Array(20), new Float64Array(20)];
    const M = [new Float64Array(40), new Float64Array(40)];
    drawNoiseStatisticsBatch(a, 5, 2, 10, e[0], M[0], new Float64Array(4), 0, 0);
    for (let i = 0; i < 10; i++) drawNoiseStatistics(b, 5, 2, e[1], M[1], new Float64Array(4), 2 * i, 4 * i);
    expect([...e[0], ...M[0]]).toEqual([...e[1], ...M[1]]);
    expect(a.normal()).toBe(b.normal());
  });

  it('χ²(n) has mean n and variance 2n', () => {
    const rng = RandomStream.at('slv-chi2');
    for (const dof of [1, 2, 5, 99]) {
      let s = 0;
      let s2 = 0;
      const n = 40000;
      for (let t = 0; t < n; t++) {
        const c = chiSquare(rng, dof);
        s += c;
        s2 += c * c;
      }
      const mean = s / n;
      expect(Math.abs(mean - dof)).toBeLessThan(5 * Math.sqrt((2 * dof) / n));
      expect(Math.abs((s2 / n - mean * mean) / (2 * dof) - 1)).toBeLessThan(0.08);
    }
  });
});
