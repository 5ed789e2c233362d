/**
 * The batched wide ReLU network against plain per-replica TensorFlow.js:
 * outputs, hand-written loss gradients (vs tf.grad) and the closed-structure
 * tangent kernels (vs per-example tf.grad autodiff, J Jᵀ), for every
 * parameterisation and with antisymmetric initialisation. All comparisons are
 * float32 against float32: the tolerance 2e-4 relative to the largest entry
 * is ~1000 float32 ulps, far above rounding-order differences (sums of ≤ 64
 * terms) and far below any structural error (a missing multiplier changes
 * entries by factors of √m or more).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import {
  GROUPS,
  initialParams,
  referenceOutput,
  WideReluBatch,
  type Group,
  type Parameterisation,
  type WideReluArchitecture,
} from '../../src/models/ntk/wide-relu.ts';
import { autodiffTangentKernel } from '../../src/models/ntk/empirical-ntk.ts';

const arch: WideReluArchitecture = { d: 8, width: 24, sigmaW: Math.SQRT2, sigmaB: 0.3 };
const n = 10;
const data = sphereInputs(n, arch.d, 77);
const replicas = [
  { label: 'ntk', seed: 101, parameterisation: 'ntk' as Parameterisation, antisymmetric: false },
  { label: 'standard', seed: 102, parameterisation: 'standard' as Parameterisation, antisymmetric: false },
  { label: 'mean-field', seed: 103, parameterisation: 'mean-field' as Parameterisation, antisymmetric: true },
  { label: 'ntk-anti', seed: 104, parameterisation: 'ntk' as Parameterisation, antisymmetric: true },
];

/** max |a − b| / max(max |b|, floor): the floor keeps f₀ ≈ 0 (antisymmetric) from dividing rounding by rounding. */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function thetaTensors(theta: Record<Group, Float64Array>): Record<Group, tf.Tensor> {
  return {
    W: tf.tensor2d(Float32Array.from(theta.W), [arch.width, arch.d]),
    b: tf.tensor1d(Float32Array.from(theta.b)),
    a: tf.tensor1d(Float32Array.from(theta.a)),
    b0: tf.tensor1d(Float32Array.from(theta.b0)),
  };
}

describe('WideReluBatch', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('matches the plain per-replica network, its tf.grad gradients and per-example autodiff kernels', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const Xt = X.transpose() as tf.Tensor2D;
    const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const yT = tf.tensor2d(y, [n, 1]);
    const yVec = tf.tensor1d(y);
    const batch = new WideReluBatch(arch, replicas);
    const f = batch.forward(X);
    const { f: f2, grads } = batch.lossGradients(X, Xt, yT);
    const kernels = batch.tangentKernels(X);
    const fAll = f.dataSync();
    expect(maxRelDiff(f2.dataSync(), fAll)).toBe(0);
    const gradValues = Object.fromEntries(GROUPS.map((g) => [g, grads[g].dataSync()]));
    const K = kernels.total.dataSync();
    const m = arch.width;
    const R = replicas.length;
    replicas.forEach((rep, r) => {
      const theta = batch.replicaTheta(r);
      // The stored effective weights hold exactly the replica's own initial θ.
      const init = initialParams(arch, rep);
      expect(maxRelDiff(theta.W, init.W)).toBeLessThan(1e-6);
      expect(maxRelDiff(theta.a, init.a)).toBeLessThan(1e-6);
      const th = thetaTensors(theta);
      const out = referenceOutput(arch, rep.parameterisation, th, X);
      expect(maxRelDiff(fAll.subarray(r * n, (r + 1) * n), out.dataSync(), 1)).toBeLessThan(2e-5);
      if (rep.antisymmetric) expect(Math.max(...Array.from(out.dataSync(), Math.abs))).toBeLessThan(1e-5);
      // tf.grad of the loss w.r.t. θ equals c × (hand-written gradient w.r.t. w = cθ).
      const names = [...GROUPS];
      const gTheta = tf.grads((...ps: tf.Tensor[]) => {
        const byName = Object.fromEntries(names.map((g, j) => [g, ps[j]])) as Record<Group, tf.Tensor>;
        return referenceOutput(arch, rep.parameterisation, byName, X).sub(yVec).square().sum().div(2 * n) as tf.Scalar;
      })(names.map((g) => th[g]));
      names.forEach((g, j) => {
        const c = batch.multipliers[g][r];
        const ref = gTheta[j].dataSync();
        const mine = new Float64Array(ref.length);
        if (g === 'W') {
          for (let i = 0; i < m; i++) for (let k = 0; k < arch.d; k++) mine[i * arch.d + k] = c * gradValues.W[k * R * m + r * m + i];
        } else if (g === 'b0') mine[0] = c * gradValues.b0[r];
        else for (let i = 0; i < m; i++) mine[i] = c * gradValues[g][r * m + i];
        expect({ group: g, replica: rep.label, diff: maxRelDiff(mine, ref) < 2e-4 }).toEqual({ group: g, replica: rep.label, diff: true });
      });
      // Per-example autodiff kernel J Jᵀ w.r.t. θ.
      const params = Object.fromEntries(names.map((g) => [g, th[g].expandDims(0)]));
      const ad = autodiffTangentKernel({
        params,
        n,
        exampleOutput: (p, i) => {
          const squeezed = Object.fromEntries(names.map((g) => [g, p[g].squeeze([0])])) as Record<Group, tf.Tensor>;
          return referenceOutput(arch, rep.parameterisation, squeezed, X.slice([i, 0], [1, arch.d]));
        },
        groups: { W: ['W'], b: ['b'], a: ['a'], b0: ['b0'] },
      });
      expect(maxRelDiff(K.subarray(r * n * n, (r + 1) * n * n), ad.total.dataSync())).toBeLessThan(2e-4);
      for (const g of GROUPS) {
        const mine = kernels.groups[g].dataSync().subarray(r * n * n, (r + 1) * n * n);
        expect(maxRelDiff(mine, ad.groups[g].dataSync())).toBeLessThan(2e-4);
      }
      tf.dispose([out, ...gTheta, ...Object.values(th), ...Object.values(params), ad.total, ...Object.values(ad.groups)]);
    });
    tf.dispose([X, Xt, yT, yVec, f, f2, ...Object.values(grads), kernels.total, ...Object.values(kernels.groups)]);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('autodiffTangentKernels (tf.grads through forward, w.r.t. θ) equals the hand-written kernels, cross kernels too', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const X2 = X.slice([0, 0], [4, arch.d]) as tf.Tensor2D;
    const batch = new WideReluBatch(arch, replicas);
    for (const [A, B] of [
      [X, X],
      [X2, X],
    ] as const) {
      const hand = batch.tangentKernels(A, B);
      const ad = batch.autodiffTangentKernels(A, B);
      expect(ad.total.shape).toEqual([replicas.length, A.shape[0], n]);
      expect(maxRelDiff(ad.total.dataSync(), hand.total.dataSync())).toBeLessThan(2e-4);
      for (const g of GROUPS) expect({ g, ok: maxRelDiff(ad.groups[g].dataSync(), hand.groups[g].dataSync()) < 2e-4 }).toEqual({ g, ok: true });
      tf.dispose([hand.total, ad.total, ...Object.values(hand.groups), ...Object.values(ad.groups)]);
    }
    tf.dispose([X, X2]);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('blockKernels split each replica into unit blocks that sum to its kernel; antisymmetric blocks hold whole pairs', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const X2 = X.slice([0, 0], [3, arch.d]) as tf.Tensor2D;
    const batch = new WideReluBatch(arch, replicas);
    const blocks = 3;
    const hand = batch.tangentKernels(X2, X);
    const parts = batch.blockKernels(X2, X, blocks);
    expect(parts.W.shape).toEqual([replicas.length * blocks, 3, n]);
    const H = hand.groups;
    for (const g of ['W', 'b', 'a'] as const) {
      const summed = tf.tidy(() => parts[g].reshape([replicas.length, blocks, 3, n]).sum(1));
      expect({ g, ok: maxRelDiff(summed.dataSync(), H[g].dataSync()) < 2e-5 }).toEqual({ g, ok: true });
      summed.dispose();
    }
    // Antisymmetric replicas (mean-field, ntk-anti): at initialisation a pair contributes twice one unit's
    // kernel, so a block's kernel is twice the kernel of its first-half units only.
    const a = parts.a.dataSync();
    replicas.forEach((rep, r) => {
      if (!rep.antisymmetric) return;
      const theta = batch.replicaTheta(r);
      const c = batch.multipliers;
      const h = arch.width / (2 * blocks);
      for (let k = 0; k < blocks; k++) {
        // Θ_a entry (0, 0) of block k from the first-half units k·h..(k+1)·h.
        let s = 0;
        for (let u = k * h; u < (k + 1) * h; u++) {
          let z0 = c.b[r] * theta.b[u];
          let z1 = c.b[r] * theta.b[u];
          for (let q = 0; q < arch.d; q++) {
            z0 += c.W[r] * theta.W[u * arch.d + q] * data.x[q];
            z1 += c.W[r] * theta.W[u * arch.d + q] * data.x[q];
          }
          s += Math.max(z0, 0) * Math.max(z1, 0);
        }
        const expected = 2 * c.a[r] ** 2 * s;
        expect(Math.abs(a[(r * blocks + k) * 3 * n] - expected)).toBeLessThan(1e-4 * Math.max(expected, 1e-3));
      }
    });
    expect(() => batch.blockKernels(X, X, 5)).toThrow(/2·blocks dividing the width 24/);
    tf.dispose([X, X2, hand.total, ...Object.values(hand.groups), ...Object.values(parts)]);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad settings with the allowed range', () => {
    expect(() => new WideReluBatch({ ...arch, width: 0 }, replicas)).toThrow(/width m = 0; allowed an integer ≥ 1/);
    expect(() => new WideReluBatch({ ...arch, width: 25 }, replicas)).toThrow(/even width/);
    expect(() => new WideReluBatch({ ...arch, sigmaW: -1 }, replicas)).toThrow(/σ_W/);
    expect(() => new WideReluBatch(arch, [{ ...replicas[0], parameterisation: 'nope' as Parameterisation }])).toThrow(/allowed ntk, standard, mean-field/);
  });
});
