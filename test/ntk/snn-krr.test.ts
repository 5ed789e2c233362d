/**
 * The two pieces snn-krr-equivalence's KL arm rests on:
 *   - flowPredict (the linearised GD flow's test predictions after T steps,
 *     by eigen-decomposition) against the GD recursion iterated step by step
 *     on the same kernel, including a zero eigenvalue and a step 1 < ηλ/n < 2
 *     (oscillating but stable);
 *   - our derivation that the KL term has no first-order effect on the
 *     output of an antisymmetrically initialised network: a KL-only gradient
 *     step moves twin units identically and their readouts cancel, so f stays
 *     0 (to float32 rounding), while the same step size on a data loss moves it.
 */
import { Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { StochasticLatentBatch } from '../../src/models/ntk/stochastic-latent.ts';
import { runGradientDescent } from '../../src/models/ntk/gd.ts';
import { flowPredict } from '../../src/claims/ntk/snn-krr-equivalence.check.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('flowPredict', () => {
  it('equals the GD recursion on the kernel, step by step', () => {
    // Θ on 3 train + 2 test points from explicit features (rank 2 on the train block: one zero eigenvalue).
    const F = [
      [1, 0.5],
      [0.2, -1],
      [1.2, -0.5],
      [0.3, 0.7],
      [-0.4, 0.9],
    ];
    const k = (i: number, j: number) => F[i][0] * F[j][0] + F[i][1] * F[j][1];
    const n = 3;
    const train = new Matrix(n, n);
    const cross = new Matrix(2, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) train.set(i, j, k(i, j));
    for (let i = 0; i < 2; i++) for (let j = 0; j < n; j++) cross.set(i, j, k(n + i, j));
    const y = [0.3, -1.1, 0.8];
    for (const eta of [0.5, 1.6]) {
      // f_{t+1} = f_t + (η/n) Θ (y − f_t) at train inputs, f*_{t+1} = f*_t + (η/n) Θ* (y − f_t), f₀ = 0.
      const T = 25;
      let f = [0, 0, 0];
      const fs = [0, 0];
      for (let t = 0; t < T; t++) {
        const r = y.map((v, i) => v - f[i]);
        for (let i = 0; i < 2; i++) for (let j = 0; j < n; j++) fs[i] += (eta / n) * cross.get(i, j) * r[j];
        f = f.map((v, i) => v + (eta / n) * r.reduce((s, rj, j) => s + train.get(i, j) * rj, 0));
      }
      const got = flowPredict(train, cross, y, eta, T);
      expect(Math.max(...[0, 1].map((i) => Math.abs(got[i] - fs[i])))).toBeLessThan(1e-10);
    }
  });
});

describe('the KL term on an antisymmetric network', () => {
  it('a KL-only GD step leaves f ≡ 0; a data step moves it', () => {
    const d = 8;
    const n = 6;
    const data = sphereInputs(n, d, 7);
    const X = tf.tensor2d(Float32Array.from(data.x), [n, d]);
    const Xt = X.transpose() as tf.Tensor2D;
    const batch = new StochasticLatentBatch({ d, width: 16, sigmaW: Math.SQRT2, sigmaB: 0.1, samples: 4 }, [
      { label: 'kl only', seed: 11, noise: 'stratified', antisymmetric: true },
      { label: 'data', seed: 11, noise: 'stratified', antisymmetric: true },
    ]);
    try {
      const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
      // KL only: targets 0 = f₀, so the data residual starts at 0 and the KL weight alone drives the step.
      const yT = tf.tensor2d(Float32Array.from(y), [n, 1]);
      const zeros = tf.zeros([n, 1]) as tf.Tensor2D;
      const gd = (targets: tf.Tensor2D, kl: number[], yy: Float64Array) =>
        runGradientDescent(batch, { gradients: () => batch.lossGradients(X, Xt, targets, Float64Array.from(kl)), outputs: () => batch.forward(X), y: yy, steps: 3, eta: Float64Array.from([1, 1]) });
      const f0 = batch.forward(X).dataSync();
      expect(Math.max(...Array.from(f0, Math.abs))).toBeLessThan(1e-6);
      gd(zeros, [5, 5], new Float64Array(n));
      const fKl = batch.forward(X).dataSync();
      expect(Math.max(...Array.from(fKl, Math.abs))).toBeLessThan(1e-5);
      gd(yT, [0, 0], y);
      const fData = batch.forward(X).dataSync();
      expect(Math.max(...Array.from(fData, Math.abs))).toBeGreaterThan(1e-2);
      tf.dispose([yT, zeros]);
    } finally {
      batch.dispose();
      tf.dispose([X, Xt]);
    }
  });
});
