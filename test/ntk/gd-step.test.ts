/**
 * runGradientDescent's fused update (src/models/ntk/gd-step.ts and its module) against the
 * TensorFlow.js ops it replaces, bit for bit (Object.is: NaN equals NaN, +0 and −0 differ):
 * with and without ridge, column counts with and without a multiple of four (the lanes and the
 * scalar rest), one row and many, values of every scale (overflowing products, ±0, NaN); and
 * the shapes it declines (the ops then run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { differingEntries } from './bits.ts';
import { gdStep, gdStepImplementation } from '../../src/models/ntk/gd-step.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

function filled(shape: number[], rng: RandomStream, special: boolean): tf.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillNormal(v);
  if (special) {
    const values = [1e-30, 3e38, -2e38, 0, -0, Number.NaN, Number.POSITIVE_INFINITY];
    for (let i = 0; i < Math.max(1, v.length >> 3); i++) v[rng.int(v.length)] = values[rng.int(values.length)];
  }
  return tf.tensor(v, shape);
}

describe('the fused gradient-descent update is the ops’ bit for bit', () => {
  it('runs as the WebAssembly module on the wasm backend', () => {
    expect(gdStepImplementation()).toBe('wasm-simd');
  });

  for (const [rows, cols] of [
    [32, 64],
    [3, 13],
    [1, 7],
    [1, 4],
  ]) {
    for (const ridge of [false, true]) {
      for (const special of [false, true]) {
        it(`[${rows}, ${cols}]${ridge ? ', ridge' : ''}${special ? ', extreme values' : ''}`, () => {
          const rng = RandomStream.at('test/gd-step', rows, cols, ridge ? 1 : 0, special ? 1 : 0);
          const p = filled([rows, cols], rng, special);
          const g = filled([rows, cols], rng, special);
          const k = filled([1, cols], rng, false);
          const anchor = filled([rows, cols], rng, special);
          const l = filled([1, cols], rng, false);
          const got = tf.tidy(() => gdStep(p, g, k, ridge ? { anchor, coef: l } : null) ?? tf.scalar(Number.NaN));
          expect(got.shape).toEqual([rows, cols]);
          const want = tf.tidy(() => {
            let step = g.mul(k);
            if (ridge) step = step.add(p.sub(anchor).mul(l));
            return p.sub(step);
          });
          expect(differingEntries(got, want)).toBe(0);
          tf.dispose([p, g, k, anchor, l, got, want]);
        });
      }
    }
  }

  it('declines what it does not take: coefficients that are not one row, other shapes (the ops run)', () => {
    tf.tidy(() => {
      const p = tf.zeros([4, 8]);
      expect(gdStep(p, tf.zeros([4, 8]), tf.zeros([4, 8]), null)).toBeNull();
      expect(gdStep(p, tf.zeros([8, 4]), tf.zeros([1, 8]), null)).toBeNull();
      expect(gdStep(tf.zeros([2, 2, 2]), tf.zeros([2, 2, 2]), tf.zeros([1, 2]), null)).toBeNull();
    });
  });
});

afterAll(() => {
  tf.disposeVariables();
});
