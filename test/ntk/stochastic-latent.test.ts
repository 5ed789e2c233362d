/**
 * The batched stochastic latent network against a plain per-replica tf
 * implementation: noise-averaged outputs, hand-written gradients of the loss
 * with and without the KL term (vs tf.grad), and the closed-structure
 * per-group tangent kernels (vs per-example tf.grad, J Jᵀ per parameter
 * group). Float32 on both sides: tolerance 2e-4 of the largest entry
 * (~1000 ulps), far below a structural error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import {
  STOCHASTIC_PARAM_GROUPS,
  StochasticLatentBatch,
  stochasticReferenceOutput,
  type StochasticParam,
} from '../../src/models/ntk/stochastic-latent.ts';
import { autodiffTangentKernel } from '../../src/models/ntk/empirical-ntk.ts';
import { normalCdf } from '../../src/kernels/quadrature.ts';

const arch = { d: 8, width: 20, sigmaW: Math.SQRT2, sigmaB: 0.3, samples: 6 };
const n = 9;
const data = sphereInputs(n, arch.d, 91);
const replicas = [
  { label: 'stratified', seed: 201, noise: 'stratified' as const, antisymmetric: false },
  { label: 'iid', seed: 202, noise: 'iid' as const, antisymmetric: false },
  { label: 'anti', seed: 203, noise: 'stratified' as const, antisymmetric: true },
];
const NAMES: StochasticParam[] = ['u', 'b', 'v', 'c', 'a'];

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('StochasticLatentBatch', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('stratified draws put exactly one noise value in each probability stratum', () => {
    const batch = new StochasticLatentBatch(arch, [replicas[0]]);
    const eps = batch.replicaNoise(0);
    const K = arch.samples;
    for (let r = 0; r < arch.width; r++) {
      for (let k = 0; k < K; k++) {
        const u = normalCdf(eps[r * K + k]);
        expect(u).toBeGreaterThanOrEqual(k / K - 1e-6);
        expect(u).toBeLessThanOrEqual((k + 1) / K + 1e-6);
      }
    }
    batch.dispose();
  });

  it('matches the plain network, tf.grad gradients (with KL) and per-example autodiff kernels per group', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const Xt = X.transpose() as tf.Tensor2D;
    const y = Float32Array.from({ length: n }, (_, i) => Math.sin(1 + i));
    const yT = tf.tensor2d(y, [n, 1]);
    const yVec = tf.tensor1d(y);
    const klWeights = Float64Array.of(0, 0.7, 2.5);
    const batch = new StochasticLatentBatch(arch, replicas);
    const f = batch.forward(X);
    const { f: f2, grads } = batch.lossGradients(X, Xt, yT, klWeights);
    const kernels = batch.tangentKernels(X);
    const fAll = f.dataSync();
    // lossGradients' outputs are float64 sums over sorted draws, forward's float32 sums per draw: the same
    // outputs to float32 rounding (measured 2e-7 of the largest), far from any wrong term.
    expect(maxRelDiff(f2.dataSync(), fAll)).toBeLessThan(2e-6);
    const m = arch.width;
    const R = replicas.length;
    const cW = arch.sigmaW / Math.sqrt(arch.d);
    replicas.forEach((rep, r) => {
      const theta = batch.replicaTheta(r);
      const th: Record<StochasticParam, tf.Tensor> = {
        u: tf.tensor2d(Float32Array.from(theta.u), [m, arch.d]),
        b: tf.tensor1d(Float32Array.from(theta.b)),
        v: tf.tensor2d(Float32Array.from(theta.v), [m, arch.d]),
        c: tf.tensor1d(Float32Array.from(theta.c)),
        a: tf.tensor1d(Float32Array.from(theta.a)),
      };
      const noise = tf.tensor2d(batch.replicaNoise(r), [m, arch.samples]);
      const out = stochasticReferenceOutput(arch, th, noise, X);
      expect(maxRelDiff(fAll.subarray(r * n, (r + 1) * n), out.dataSync(), 1)).toBeLessThan(2e-5);
      if (rep.antisymmetric) expect(Math.max(...Array.from(out.dataSync(), Math.abs))).toBeLessThan(1e-5);
      const gRef = tf.grads((...ps: tf.Tensor[]) => {
        const p = Object.fromEntries(NAMES.map((k, j) => [k, ps[j]])) as Record<StochasticParam, tf.Tensor>;
        const loss = stochasticReferenceOutput(arch, p, noise, X).sub(yVec).square().sum().div(2 * n);
        const mu = tf.matMul(X, p.u as tf.Tensor2D, false, true).mul(cW).add(p.b.mul(arch.sigmaB));
        const s = tf.softplus(tf.matMul(X, p.v as tf.Tensor2D, false, true).mul(cW).add(p.c.mul(arch.sigmaB)));
        const kl = mu.square().add(s.square()).sub(1).sub(s.square().log()).mul(0.5).sum().div(n);
        return loss.add(kl.mul(klWeights[r])) as tf.Scalar;
      })(NAMES.map((k) => th[k]));
      NAMES.forEach((k, j) => {
        const all = grads[k].dataSync();
        const rows = k === 'u' || k === 'v' ? arch.d : 1;
        const mine = new Float64Array(m * rows);
        for (let i = 0; i < m; i++) for (let q = 0; q < rows; q++) mine[i * rows + q] = all[q * R * m + r * m + i];
        expect({ param: k, replica: rep.label, ok: maxRelDiff(mine, gRef[j].dataSync()) < 2e-4 }).toEqual({ param: k, replica: rep.label, ok: true });
      });
      const params = Object.fromEntries(NAMES.map((k) => [k, th[k].expandDims(0)]));
      const ad = autodiffTangentKernel({
        params,
        n,
        exampleOutput: (p, i) => {
          const squeezed = Object.fromEntries(NAMES.map((k) => [k, p[k].squeeze([0])])) as Record<StochasticParam, tf.Tensor>;
          return stochasticReferenceOutput(arch, squeezed, noise, X.slice([i, 0], [1, arch.d]));
        },
        groups: STOCHASTIC_PARAM_GROUPS,
      });
      for (const g of ['readout', 'mean', 'variance'] as const) {
        const mine = kernels[g].dataSync().subarray(r * n * n, (r + 1) * n * n);
        expect({ group: g, replica: rep.label, ok: maxRelDiff(mine, ad.groups[g].dataSync()) < 2e-4 }).toEqual({ group: g, replica: rep.label, ok: true });
      }
      expect(maxRelDiff(kernels.total.dataSync().subarray(r * n * n, (r + 1) * n * n), ad.total.dataSync())).toBeLessThan(2e-4);
      tf.dispose([out, noise, ...gRef, ...Object.values(th), ...Object.values(params), ad.total, ...Object.values(ad.groups)]);
    });
    tf.dispose([X, Xt, yT, yVec, f, f2, ...Object.values(grads), kernels.total, kernels.readout, kernels.mean, kernels.variance]);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('autodiffTangentKernels (per-example tf.grads through forward) and the unit blocks agree with tangentKernels', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const batch = new StochasticLatentBatch(arch, replicas);
    const hand = batch.tangentKernels(X);
    const ad = batch.autodiffTangentKernels(X);
    const blocks = batch.blockKernels(X, 2);
    for (const g of ['readout', 'mean', 'variance', 'total'] as const) {
      expect({ g, ok: maxRelDiff(ad[g].dataSync(), hand[g].dataSync()) < 2e-4 }).toEqual({ g, ok: true });
    }
    for (const g of ['readout', 'mean', 'variance'] as const) {
      expect(blocks[g].shape).toEqual([replicas.length * 2, n, n]);
      const summed = tf.tidy(() => blocks[g].reshape([replicas.length, 2, n, n]).sum(1));
      expect({ g, ok: maxRelDiff(summed.dataSync(), hand[g].dataSync()) < 2e-5 }).toEqual({ g, ok: true });
      summed.dispose();
    }
    // The antisymmetric replica's blocks hold different pairs (a block of one half's units and one of their
    // partners would duplicate another block's kernel exactly at initialisation).
    const r = replicas.findIndex((x) => x.antisymmetric);
    const B = blocks.readout.dataSync();
    const one = B.subarray(2 * r * n * n, (2 * r + 1) * n * n);
    const two = B.subarray((2 * r + 1) * n * n, (2 * r + 2) * n * n);
    expect(maxRelDiff(one, two)).toBeGreaterThan(1e-3); // different pairs
    expect(() => batch.blockKernels(X, 3)).toThrow(/2·blocks dividing the width 20/);
    tf.dispose([X, ...Object.values(hand), ...Object.values(ad), ...Object.values(blocks)]);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('standard parameterisation: the same function at initialisation, kernels w.r.t. the stored parameters (readout × m, heads with XXᵀ + 1), hand-written = autodiff', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const plain = replicas.slice(0, 2);
    const ntk = new StochasticLatentBatch(arch, plain);
    const std = new StochasticLatentBatch({ ...arch, parameterisation: 'standard' }, plain);
    const m = arch.width;
    const cW = arch.sigmaW / Math.sqrt(arch.d);
    // Stored parameters: the standard ones are the NTK ones times their multipliers (same streams).
    const tn = ntk.replicaTheta(0);
    const ts = std.replicaTheta(0);
    expect(maxRelDiff(ts.u, Float64Array.from(tn.u, (x) => cW * x))).toBeLessThan(1e-6);
    expect(maxRelDiff(ts.c, Float64Array.from(tn.c, (x) => arch.sigmaB * x))).toBeLessThan(1e-6);
    expect(maxRelDiff(ts.a, Float64Array.from(tn.a, (x) => x / Math.sqrt(m)))).toBeLessThan(1e-6);
    const [fn, fs] = [ntk.forward(X), std.forward(X)];
    expect(maxRelDiff(fs.dataSync(), fn.dataSync(), 1e-3)).toBeLessThan(2e-5);
    const kn = ntk.tangentKernels(X);
    const ks = std.tangentKernels(X);
    const ad = std.autodiffTangentKernels(X);
    for (const g of ['readout', 'mean', 'variance', 'total'] as const) {
      expect({ g, ok: maxRelDiff(ks[g].dataSync(), ad[g].dataSync()) < 2e-4 }).toEqual({ g, ok: true });
    }
    // Θ_a grows by m; a head's kernel is the NTK one with Q = σ_W² XXᵀ/d + σ_b² replaced by XXᵀ + 1.
    const R = plain.length;
    const gram = tf.tidy(() => tf.matMul(X, X.transpose()));
    const G = gram.dataSync();
    const [An, As] = [kn.readout.dataSync(), ks.readout.dataSync()];
    expect(maxRelDiff(As, Float32Array.from(An, (x) => m * x))).toBeLessThan(2e-5);
    for (const g of ['mean', 'variance'] as const) {
      const [Kn, Ks] = [kn[g].dataSync(), ks[g].dataSync()];
      const expected = Float64Array.from(Kn, (x, q) => {
        const e = q % (n * n);
        return (x * (G[e] + 1)) / (cW * cW * G[e] + arch.sigmaB ** 2);
      });
      expect({ g, R, ok: maxRelDiff(Ks, expected) < 2e-4 }).toEqual({ g, R, ok: true });
    }
    // The parameter moments are normalised by the initial variances: expectation 1 in both parameterisations.
    const moments = std.blockParameterMoments(1);
    for (const row of moments) for (const v of row) expect(v).toBeGreaterThan(0.3);
    tf.dispose([X, fn, fs, gram, ...Object.values(kn), ...Object.values(ks), ...Object.values(ad)]);
    ntk.dispose();
    std.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new StochasticLatentBatch({ ...arch, parameterisation: 'mean-field' as 'ntk' }, plain)).toThrow(/parameterisation "mean-field"; allowed ntk, standard/);
  });

  it('rejects bad settings with the allowed range', () => {
    expect(() => new StochasticLatentBatch({ ...arch, samples: 0 }, replicas)).toThrow(/noise draws K = 0; allowed an integer ≥ 1/);
    expect(() => new StochasticLatentBatch({ ...arch, width: 7 }, replicas)).toThrow(/even width/);
  });
});
