/**
 * Sum over one non-innermost axis in place (src/engine/sum-kernel.ts, wasm/sum.as.ts) must
 * be the WebAssembly backend's own Sum (transpose, then sum in order), byte for byte:
 * compared with the backend's kernel on ranks 2–4, every such axis, negative axes,
 * keepDims, inner sizes that reach the lanes and the scalar tail, and values whose order
 * of addition shows (mixed scales, −0, ±∞, NaN). Other sums still go to the backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.ts';
import { backendSum } from '../../src/engine/sum-kernel.ts';
import { RandomStream } from '../../src/engine/rng.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

function values(shape: number[], label: string, special: boolean): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const stream = RandomStream.at('test/sum-kernel', label, special ? 'special' : 'plain');
  const v = new Float32Array(n);
  stream.fillNormal(v);
  // Mixed scales make the order of addition visible in the last bits.
  for (let i = 0; i < n; i++) v[i] *= 10 ** stream.int(7);
  if (special) {
    const s = [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e38];
    for (let i = 0; i < Math.max(1, n >> 4); i++) v[stream.int(n)] = s[stream.int(s.length)];
  }
  return tf.tensor(v, shape);
}

const CASES: { shape: number[]; axis: number; keepDims: boolean }[] = [
  { shape: [1000, 37], axis: 0, keepDims: false },
  { shape: [64, 4096], axis: 0, keepDims: true },
  { shape: [3, 5], axis: -2, keepDims: false },
  { shape: [4, 5, 6], axis: 0, keepDims: false },
  { shape: [4, 5, 6], axis: 1, keepDims: true },
  { shape: [2, 3, 4, 5], axis: 1, keepDims: false },
  { shape: [2, 3, 4, 5], axis: 2, keepDims: true },
  { shape: [7, 1, 3], axis: 0, keepDims: false },
  // Not this kernel's: innermost axis, several axes (the backend's own kernel either way).
  { shape: [6, 9], axis: 1, keepDims: false },
  { shape: [6, 9], axis: -1, keepDims: true },
];

describe('the in-place Sum is the backend’s Sum, byte for byte', () => {
  for (const c of CASES) {
    for (const special of [false, true]) {
      it(`${JSON.stringify(c.shape)} over axis ${c.axis}${c.keepDims ? ', keepDims' : ''}${special ? ', with extreme values' : ''}`, () => {
        const x = values(c.shape, JSON.stringify(c), special);
        const got = tf.sum(x, c.axis, c.keepDims);
        const kernel = backendSum();
        expect(kernel).not.toBeNull();
        const want = tf.engine().makeTensorFromTensorInfo(kernel!({ inputs: { x }, backend: tf.backend(), attrs: { axis: c.axis, keepDims: c.keepDims } }) as tf.TensorInfo);
        expect(got.shape).toEqual(want.shape);
        const a = got.dataSync() as Float32Array;
        const b = want.dataSync() as Float32Array;
        expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
        tf.dispose([x, got, want]);
      });
    }
  }

  it('sums over several axes through the backend (unchanged)', () => {
    const x = values([3, 4, 5], 'several', false);
    const got = tf.sum(x, [0, 2]);
    const want = tf.engine().makeTensorFromTensorInfo(backendSum()!({ inputs: { x }, backend: tf.backend(), attrs: { axis: [0, 2], keepDims: false } }) as tf.TensorInfo);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, got, want]);
  });
});
