/**
 * The wide ReLU network's fused loss gradient (src/models/ntk/wide-relu-loss.ts and its
 * module) against the TensorFlow.js ops it replaces (WideReluBatch.lossGradientsOps), bit for
 * bit: outputs and every gradient compared with Object.is (NaN equals NaN, +0 and −0 differ),
 * on widths that are and are not multiples of four (the module's lanes and its scalar rest),
 * an input count that is not a multiple of four (its rows side by side), several replicas and
 * parameterisations, trained a few steps so the values are not the initial ones, and
 * pre-activations at exactly 0 and NaN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { differingEntries } from './bits.ts';
import { WideReluBatch, GROUPS, type Parameterisation } from '../../src/models/ntk/wide-relu.ts';
import { wideReluLossImplementation } from '../../src/models/ntk/wide-relu-loss.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the fused wide ReLU loss gradient is the ops’ bit for bit', () => {
  it('runs as the WebAssembly module on the wasm backend', () => {
    expect(wideReluLossImplementation()).toBe('wasm-simd');
  });

  for (const [n, width, params] of [
    [32, 64, ['ntk', 'standard', 'mean-field']],
    [7, 18, ['ntk', 'ntk']],
    [5, 3, ['standard']],
  ] as [number, number, Parameterisation[]][]) {
    it(`n = ${n}, width ${width}, ${params.length} replica(s)`, () => {
      const d = 6;
      const rng = RandomStream.at('test/wide-relu-loss', n, width);
      const batch = new WideReluBatch(
        { d, width, sigmaW: Math.SQRT2, sigmaB: 0.1 },
        params.map((p, r) => ({ label: `r${r}`, seed: 100 + r, parameterisation: p, antisymmetric: width % 2 === 0 && r === 0 })),
      );
      const Xv = new Float32Array(n * d);
      rng.fillNormal(Xv);
      const X = tf.tensor2d(Xv, [n, d]);
      const Xt = X.transpose().clone() as tf.Tensor2D;
      const y = tf.tensor2d(Float32Array.from({ length: n }, () => rng.normal()), [n, 1]);
      try {
        for (let step = 0; step < 3; step++) {
          const fused = batch.lossGradients(X, Xt, y);
          const ops = batch.lossGradientsOps(X, Xt, y);
          expect(differingEntries(fused.f, ops.f)).toBe(0);
          for (const g of GROUPS) expect({ g, step, differ: differingEntries(fused.grads[g], ops.grads[g]) }).toEqual({ g, step, differ: 0 });
          // A gradient step, so the next comparison is at other values.
          tf.tidy(() => {
            for (const g of GROUPS) batch.params[g].assign(batch.params[g].sub(fused.grads[g].mul(0.5)));
          });
          tf.dispose([fused.f, ops.f, ...Object.values(fused.grads), ...Object.values(ops.grads)]);
        }
        // Pre-activations at exactly 0 (zero inputs) and NaN (a NaN input): ReLU and step there.
        const Z = tf.tensor2d(Float32Array.from({ length: n * d }, (_, i) => (i < d ? 0 : i < 2 * d ? Number.NaN : Xv[i])), [n, d]);
        const Zt = Z.transpose().clone() as tf.Tensor2D;
        const fused = batch.lossGradients(Z, Zt, y);
        const ops = batch.lossGradientsOps(Z, Zt, y);
        expect(differingEntries(fused.f, ops.f)).toBe(0);
        for (const g of GROUPS) expect({ g, differ: differingEntries(fused.grads[g], ops.grads[g]) }).toEqual({ g, differ: 0 });
        tf.dispose([Z, Zt, fused.f, ops.f, ...Object.values(fused.grads), ...Object.values(ops.grads)]);
      } finally {
        tf.dispose([X, Xt, y]);
        batch.dispose();
      }
    });
  }

  it('leaves no tensor behind', () => {
    const batch = new WideReluBatch({ d: 4, width: 8, sigmaW: Math.SQRT2, sigmaB: 0.1 }, [{ label: 'r', seed: 1, parameterisation: 'ntk', antisymmetric: false }]);
    const X = tf.randomNormal([5, 4]) as tf.Tensor2D;
    const Xt = X.transpose().clone() as tf.Tensor2D;
    const y = tf.zeros([5, 1]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const out = batch.lossGradients(X, Xt, y);
    tf.dispose([out.f, ...Object.values(out.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([X, Xt, y]);
    batch.dispose();
  });
});

afterAll(() => {
  tf.disposeVariables();
});
