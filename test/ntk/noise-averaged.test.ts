/**
 * The closed-form noise-averaged stochastic network (src/models/ntk/noise-averaged.ts)
 * and its float64 oracle (src/kernels/noise-averaged-ntk.ts): the closed form
 * against a large stratified noise set of the engine's stochastic network and
 * against numerical integration over the noise; the engine's outputs, hand-written
 * gradients and autodiff kernels against the float64 oracle; the oracle's
 * kernels at large width against the analytic limit Θ^∞ of
 * src/kernels/stochastic-ntk.ts (an independent derivation).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { NoiseAveragedLatentBatch, replicaParameters } from '../../src/models/ntk/noise-averaged.ts';
import { StochasticLatentBatch, type StochasticParam } from '../../src/models/ntk/stochastic-latent.ts';
import { noiseAveragedKernels, noiseAveragedOutputs } from '../../src/kernels/noise-averaged-ntk.ts';
import { stochasticKernels } from '../../src/kernels/stochastic-ntk.ts';
import { relativeFrobenius } from '../../src/kernels/krr.ts';
import { normalPdf } from '../../src/kernels/quadrature.ts';
import { boundFactor, replicaStats } from '../../src/claims/ntk/snn-linear-convergence.check.ts';
import { linearisedResiduals, symmetricEigen } from '../../src/kernels/krr.ts';
import { Matrix } from 'ml-matrix';

const arch = { d: 8, width: 20, sigmaW: Math.SQRT2, sigmaB: 0.3 };
const hyper = { sigmaW: arch.sigmaW, sigmaB: arch.sigmaB };
const n = 9;
const data = sphereInputs(n, arch.d, 92);
const replicas = [
  { label: 'plain', seed: 301, antisymmetric: false },
  { label: 'anti', seed: 302, antisymmetric: true },
];
const NAMES: StochasticParam[] = ['u', 'b', 'v', 'c', 'a'];

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('NoiseAveragedLatentBatch and its float64 oracle', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('the closed form E relu(μ + sε) = μΦ(μ/s) + sφ(μ/s) matches numerical integration over the noise (known answer s/√(2π) at μ = 0)', () => {
    const one = (mu: number, s: number) => noiseAveragedOutputs({ u: [0], b: [mu], v: [0], c: [Math.log(Math.expm1(s))], a: [1] }, { n: 1, d: 1, x: new Float64Array([1]) }, { sigmaW: 1, sigmaB: 1 })[0];
    expect(one(0, 0.7)).toBeCloseTo(0.7 / Math.sqrt(2 * Math.PI), 12);
    for (const [mu, s] of [
      [0.3, 0.5],
      [-1.2, 0.9],
      [2, 0.2],
      [-0.1, 2.5],
    ]) {
      // Composite Simpson over ε from the kink −μ/s to 12 (the integrand is smooth there): error ≪ 1e-10.
      const lo = -mu / s;
      const N = 20000;
      const h = (12 - lo) / N;
      const at = (e: number) => (mu + s * e) * normalPdf(e);
      let q = at(lo) + at(12);
      for (let k = 1; k < N; k++) q += (k % 2 === 1 ? 4 : 2) * at(lo + k * h);
      expect(one(mu, s)).toBeCloseTo((q * h) / 3, 10);
    }
  });

  it('starts from the stochastic network\'s θ₀ and matches its output with a large stratified noise set', () => {
    const avg = new NoiseAveragedLatentBatch(arch, replicas);
    const K = 4096;
    const sto = new StochasticLatentBatch({ ...arch, samples: K }, replicas.map((r) => ({ ...r, noise: 'stratified' as const })));
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    for (const k of NAMES) expect(maxRelDiff(avg.params[k].dataSync(), sto.params[k].dataSync())).toBe(0);
    const fa = avg.forward(X);
    const fs = sto.forward(X);
    // Stratified sampling of a Lipschitz integrand: error per unit O(K^{-1}) or below; 1e-3 of the largest output is far above it.
    expect(maxRelDiff(fs.dataSync(), fa.dataSync())).toBeLessThan(1e-3);
    tf.dispose([fa, fs, X]);
    avg.dispose();
    sto.dispose();
  });

  it('engine outputs, hand-written gradients and autodiff kernels agree with the float64 oracle and tf.grads', () => {
    const before = tf.memory().numTensors;
    const avg = new NoiseAveragedLatentBatch(arch, replicas);
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const Xt = X.transpose() as tf.Tensor2D;
    const y = Float32Array.from({ length: n }, (_, i) => Math.sin(1 + i));
    const yT = tf.tensor2d(y, [n, 1]);
    const f = avg.forward(X);
    const thetas = replicaParameters(avg.params, arch.d, arch.width, avg.R);
    const fv = f.dataSync();
    thetas.forEach((th, r) => {
      const ref = noiseAveragedOutputs(th, data, hyper);
      if (replicas[r].antisymmetric) expect(Math.max(...Array.from(fv.subarray(r * n, (r + 1) * n), Math.abs))).toBeLessThan(1e-6);
      else expect(maxRelDiff(fv.subarray(r * n, (r + 1) * n), ref)).toBeLessThan(1e-5);
    });
    const { f: f2, grads } = avg.lossGradients(X, Xt, yT);
    expect(maxRelDiff(f2.dataSync(), fv)).toBe(0);
    const ref = tf.grads((...ps: tf.Tensor[]) => {
      const p = Object.fromEntries(NAMES.map((k, j) => [k, ps[j]])) as Record<StochasticParam, tf.Tensor>;
      return avg.forward(X, p).sub(yT.transpose()).square().sum().div(2 * n) as tf.Scalar;
    })(NAMES.map((k) => avg.params[k]));
    NAMES.forEach((k, j) => expect(maxRelDiff(grads[k].dataSync(), ref[j].dataSync())).toBeLessThan(2e-4));
    const ad = avg.autodiffTangentKernels(X);
    thetas.forEach((th, r) => {
      const k64 = noiseAveragedKernels(th, data, hyper);
      for (const g of ['readout', 'mean', 'variance', 'total'] as const) {
        expect(maxRelDiff(ad[g].dataSync().subarray(r * n * n, (r + 1) * n * n), k64[g].to1DArray())).toBeLessThan(2e-4);
      }
    });
    tf.dispose([f, f2, ...Object.values(grads), ...ref, ad.readout, ad.mean, ad.variance, ad.total, X, Xt, yT]);
    avg.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the float64 kernels at large width approach the analytic limit Θ^∞ per group (an independent derivation)", () => {
    const m = 40000;
    const small = sphereInputs(5, arch.d, 93);
    const rng = RandomStream.at(7, 'noise-averaged-test');
    const draw = (k: number) => Float64Array.from({ length: k }, () => rng.normal());
    const theta = { u: draw(m * arch.d), b: draw(m), v: draw(m * arch.d), c: draw(m), a: draw(m) };
    const k = noiseAveragedKernels(theta, small, hyper);
    const limit = stochasticKernels(small, small, hyper, 20);
    // Fluctuations O(m^{-1/2}) ≈ 0.005 times an O(1) constant; 0.03 is far below a missing factor or term.
    for (const g of ['readout', 'mean', 'variance'] as const) expect(relativeFrobenius(k[g], limit.groups[g])).toBeLessThan(0.03);
    expect(relativeFrobenius(k.total, limit.total)).toBeLessThan(0.03);
  });

  it('the bound factor is (1 − ηλ_min/n)² per step', () => {
    expect(boundFactor(2, 0.5, 4)).toBeCloseTo(0.5625, 15);
  });

  it('on exactly linearised residuals the statistics read: bound ratio 1 (at t = 0), distance 0, bottom-eigenvector rate ratio 1', () => {
    const k = 5;
    const rng = RandomStream.at(3, 'stats-test');
    const A = new Matrix(k, k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) A.set(i, j, rng.normal());
    const theta = A.mmul(A.transpose()).add(Matrix.eye(k).mul(0.1));
    const eig = symmetricEigen(theta);
    const eta = k / eig.values[k - 1];
    const r0 = Float64Array.from({ length: k }, (_, i) => Math.cos(1 + 2 * i));
    const residuals = linearisedResiduals(eig, r0, eta, Array.from({ length: 101 }, (_, t) => t));
    const st = replicaStats({ residuals, eig, divergedAt: -1 }, eta, k, 0.3);
    expect(st.boundRatio).toBeCloseTo(1, 12);
    expect(st.distance).toBeLessThan(1e-12);
    expect(st.rateRatio).toBeCloseTo(1, 6);
    // The same residuals twice as slow along every mode break the rate and (eventually) the bound.
    const slow = linearisedResiduals(eig, r0, eta / 2, Array.from({ length: 101 }, (_, t) => t));
    const st2 = replicaStats({ residuals: slow, eig, divergedAt: -1 }, eta, k, 0.3);
    expect(st2.boundRatio).toBeGreaterThan(1.5);
    expect(st2.rateRatio).toBeLessThan(0.6);
  });
});
