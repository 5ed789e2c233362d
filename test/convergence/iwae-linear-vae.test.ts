/**
 * The IWAE objective of the linear Gaussian VAE: the engine's replica-batched
 * objective and autodiff gradient against the float64 reference (same data
 * rows, same noise, padding included); the reference gradient against
 * central finite differences; the bounds monotone in K and below the exact
 * log p(x); ∇ log p(x) against finite differences of log p(x); and the
 * unbiased squared-norm estimator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { LinearIwaeModel } from '../../src/models/linear-vae/iwae-engine-model.ts';
import {
  flattenParams,
  iwaeDecoderBlocks,
  iwaeDraw,
  iwaeValue,
  logMarginalGradient,
  pointwiseLogMarginal,
  unbiasedSquaredNorm,
} from '../../src/models/linear-vae/iwae-oracle.ts';
import { logMarginal, optimalEncoder } from '../../src/models/linear-vae/oracle.ts';
import { DrawMoments, meanTest } from '../../src/stats/mean-test.ts';
import { LINEAR_VAE_PARAM_NAMES, type LinearVaeParams } from '../../src/models/linear-vae/params.ts';
import { allRows, batchParams, buildInputs, cloneParams, makeProblem, normals, randomParams, replica, type ReplicaStep } from '../engine/linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const problem = makeProblem({ n: 12, dx: 5, dz: 2, noiseStd: 0.5, sigmaX: 0.7, seed: 11 });
const dims = problem.dims;
const iwaeModel = new LinearIwaeModel({ dims, data: problem.x32, sigmaX: problem.sigmaX });

/** Reference value and gradient of one replica's step: the chosen rows and noise as iwaeDraw's layout. */
function reference(p: LinearVaeParams, step: ReplicaStep) {
  const { dx } = dims;
  const x = new Float64Array(step.rows.length * dx);
  step.rows.forEach((row, i) => x.set(problem.x32.subarray(row * dx, (row + 1) * dx), i * dx));
  return iwaeDraw(p, { dims, sigmaX: problem.sigmaX, x, n: step.rows.length, K: step.K, eps: step.eps });
}

describe('LinearIwaeModel (engine) against the float64 reference', () => {
  it('objective and gradient match per replica, with padding in B and K', () => {
    const rng = RandomStream.at('iwae-engine-test');
    const steps: ReplicaStep[] = [
      { rows: [0, 3, 5, 7], K: 3, beta: 1, eps: normals(4 * 3 * 2, rng) },
      { rows: [1, 2], K: 1, beta: 1, eps: normals(2 * 1 * 2, rng) },
      { rows: allRows(6), K: 5, beta: 1, eps: normals(6 * 5 * 2, rng) },
    ];
    const ps = steps.map((_, r) => randomParams(dims, 'iwae', r));
    const before = tf.memory().numTensors;
    const inputs = buildInputs(problem, steps, RandomStream.at('iwae-garbage'));
    const replicas = steps.map((s, r) => replica({ seed: r + 1, samples: s.K, batchSize: s.rows.length }));
    const tensors = batchParams(ps, dims);
    const valueTensor = tf.tidy(() => iwaeModel.objective(tensors, inputs, replicas));
    const value = Float64Array.from(valueTensor.dataSync() as Float32Array);
    valueTensor.dispose();
    const gradTensors = tf.tidy(() =>
      tf.grads((...xs: tf.Tensor[]) => {
        const named = Object.fromEntries(LINEAR_VAE_PARAM_NAMES.map((k, i) => [k, xs[i]]));
        return iwaeModel.objective(named, inputs, replicas).sum() as tf.Scalar;
      })(LINEAR_VAE_PARAM_NAMES.map((k) => tensors[k])),
    );
    const grads = gradTensors.map((t) => Float64Array.from(t.dataSync() as Float32Array));
    tf.dispose(gradTensors);
    steps.forEach((step, r) => {
      const ref = reference(ps[r], step);
      expect(value[r]).toBeCloseTo(ref.value, 3);
      LINEAR_VAE_PARAM_NAMES.forEach((name, i) => {
        const size = ps[r][name].length;
        const engine = grads[i].subarray(r * size, (r + 1) * size);
        const scale = Math.max(1, ...Array.from(ref.grad[name], Math.abs));
        for (let j = 0; j < size; j++) expect(Math.abs(engine[j] - ref.grad[name][j]) / scale).toBeLessThan(2e-4);
      });
    });
    iwaeModel.disposeInputs(inputs);
    tf.dispose(Object.values(tensors));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects β ≠ 1 with a clear error', () => {
    const streams = [{ init: RandomStream.at(1), data: RandomStream.at(2), noise: RandomStream.at(3) }];
    expect(() => iwaeModel.drawStep([replica({ seed: 1, beta: 2 })], streams)).toThrow(/allowed β = 1/);
  });
});

describe('float64 IWAE reference', () => {
  const p = randomParams(dims, 'fd');
  const rng = RandomStream.at('iwae-fd');
  const K = 4;
  const eps = normals(problem.n * K * dims.dz, rng);
  const opts = { dims, sigmaX: problem.sigmaX, x: problem.x32, n: problem.n, K, eps };

  it('gradient matches central finite differences of the same Monte Carlo objective', () => {
    const g = iwaeDraw(p, opts).grad;
    const h = 1e-6;
    for (const name of LINEAR_VAE_PARAM_NAMES) {
      for (let j = 0; j < p[name].length; j++) {
        const up = cloneParams(p);
        const down = cloneParams(p);
        up[name][j] += h;
        down[name][j] -= h;
        const fd = (iwaeValue(up, opts) - iwaeValue(down, opts)) / (2 * h);
        expect(g[name][j]).toBeCloseTo(fd, 6);
      }
    }
  });

  it('∇_{W,b} log p(x) matches finite differences of the closed-form log p(x)', () => {
    const g = logMarginalGradient(p.W, p.b, dims, problem.sigmaX, problem.x32, problem.n);
    const h = 1e-6;
    for (const [name, grad] of [['W', g.W], ['b', g.b]] as const) {
      for (let j = 0; j < p[name].length; j++) {
        const up = p[name].slice();
        const down = p[name].slice();
        up[j] += h;
        down[j] -= h;
        const f = (arr: Float64Array) =>
          name === 'W' ? logMarginal(arr, p.b, dims, problem.sigmaX, problem.x32, problem.n) : logMarginal(p.W, arr, dims, problem.sigmaX, problem.x32, problem.n);
        expect(grad[j]).toBeCloseTo((f(up) - f(down)) / (2 * h), 6);
      }
    }
    expect(g.value).toBeCloseTo(logMarginal(p.W, p.b, dims, problem.sigmaX, problem.x32, problem.n), 10);
  });

  it('bounds increase with K and stay below log p(x); the decoder-gradient bias shrinks', () => {
    // Decoder at the data's truth-like point, encoder = exact posterior mean with wider variances.
    const enc = optimalEncoder(p.W, p.b, dims, problem.sigmaX);
    const q: LinearVaeParams = { ...cloneParams(p), V: enc.V, c: enc.c.map((v) => v + 0.3), s: enc.sMeanField.map((v) => v + 0.5) };
    const Ks = [1, 2, 4, 8, 16, 32, 64];
    const exact = pointwiseLogMarginal(q.W, q.b, dims, problem.sigmaX, problem.x32, problem.n);
    const noise = RandomStream.at('iwae-bounds');
    const draws = 300;
    const gap = Ks.map(() => 0);
    const plainGap = Ks.map(() => 0);
    const bias: Float64Array[][] = Ks.map(() => []);
    const e = new Float64Array(problem.n * 64 * dims.dz);
    for (let m = 0; m < draws; m++) {
      noise.fillNormal(e);
      const withCv = iwaeDecoderBlocks(q, dims, problem.sigmaX, problem.x32, problem.n, Ks, e, { controlVariate: true, exact });
      const plain = iwaeDecoderBlocks(q, dims, problem.sigmaX, problem.x32, problem.n, Ks, e, { exact });
      Ks.forEach((_, l) => {
        gap[l] += withCv.gaps[l] / draws;
        plainGap[l] += plain.gaps[l] / draws;
        bias[l].push(withCv.biases[l]);
      });
      // Per draw, nested blocks order the plain bounds by Jensen's inequality.
      for (let l = 1; l < Ks.length; l++) expect(plain.gaps[l]).toBeLessThanOrEqual(plain.gaps[l - 1] + 1e-12);
    }
    for (let l = 1; l < Ks.length; l++) expect(gap[l]).toBeLessThan(gap[l - 1]);
    expect(gap[Ks.length - 1]).toBeGreaterThan(0);
    // With and without the control variate the gap has the same expectation: agree to well within their noise.
    expect(Math.abs(gap[3] - plainGap[3])).toBeLessThan(0.05 * gap[3] + 0.01);
    const norms = bias.map((b) => Math.sqrt(unbiasedSquaredNorm(b).estimate));
    for (let l = 3; l < Ks.length; l++) expect(norms[l]).toBeLessThan(norms[l - 1]);
    // Bias ≈ C/K: doubling K roughly halves it at large K.
    expect(norms[Ks.length - 1] / norms[Ks.length - 2]).toBeGreaterThan(0.35);
    expect(norms[Ks.length - 1] / norms[Ks.length - 2]).toBeLessThan(0.65);
  });
});

describe('the control variate as a check of the exact side', () => {
  it('averages to 0 with the closed-form ∇log p(x) and p(x), and not with a wrong one (Fisher identity)', () => {
    const p = randomParams(dims, 'anchor');
    const enc = optimalEncoder(p.W, p.b, dims, problem.sigmaX);
    const q: LinearVaeParams = { ...cloneParams(p), V: enc.V, c: enc.c.map((v) => v + 0.3), s: enc.sMeanField.map((v) => v + 1) };
    const exact = pointwiseLogMarginal(q.W, q.b, dims, problem.sigmaX, problem.x32, problem.n);
    const wrong = { logp: exact.logp, grad: exact.grad.map((g, i) => (i % (dims.dx * dims.dz + dims.dx) >= dims.dx * dims.dz ? 0.9 * g : g)) };
    const d = dims.dx * dims.dz + dims.dx + 1;
    const right = new DrawMoments(d);
    const off = new DrawMoments(d);
    const noise = RandomStream.at('anchor-noise');
    const e = new Float64Array(problem.n * 64 * dims.dz);
    for (let m = 0; m < 200; m++) {
      noise.fillNormal(e);
      right.add(iwaeDecoderBlocks(q, dims, problem.sigmaX, problem.x32, problem.n, [64], e, { controlVariate: true, exact }).anchor!);
      off.add(iwaeDecoderBlocks(q, dims, problem.sigmaX, problem.x32, problem.n, [64], e, { controlVariate: true, exact: wrong }).anchor!);
    }
    expect(meanTest(right, new Float64Array(d), 1e-4).ok).toBe(true);
    expect(meanTest(off, new Float64Array(d), 1e-4).ok).toBe(false);
  });
});

describe('unbiasedSquaredNorm', () => {
  it('is exactly ‖mean‖² − tr(Cov)/J and unbiased on average', () => {
    const rng = RandomStream.at('u-stat');
    const truth = Float64Array.from([0.3, -0.1, 0.2]);
    let sum = 0;
    const reps = 4000;
    for (let r = 0; r < reps; r++) {
      const draws = Array.from({ length: 5 }, () => truth.map((t) => t + rng.normal()));
      const est = unbiasedSquaredNorm(draws);
      expect(est.plugIn - est.floor).toBeCloseTo(est.estimate, 12);
      sum += est.estimate;
    }
    // ‖truth‖² = 0.14; per replicate variance ≈ 4·0.14/5 + 2·3/20 ≈ 0.41, so the mean of 4000 has SE ≈ 0.010: 0.04 is 4 SE.
    expect(Math.abs(sum / reps - 0.14)).toBeLessThan(0.04);
  });

  it('flattens the five blocks in W, b, V, c, s order', () => {
    const p = randomParams(dims, 'flat');
    const flat = flattenParams(p);
    expect(flat.length).toBe(p.W.length + p.b.length + p.V.length + p.c.length + p.s.length);
    expect(flat[0]).toBe(p.W[0]);
    expect(flat[flat.length - 1]).toBe(p.s[p.s.length - 1]);
  });
});
