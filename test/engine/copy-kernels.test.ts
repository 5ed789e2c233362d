/**
 * Tile, GatherV2 and Slice as block copies (src/engine/copy-kernels.ts) must give the
 * WebAssembly backend's own outputs, byte for byte: compared with the backend's kernels
 * (kept when replaced) on the same inputs, over ranks 1–4, repetitions of 1 and more on
 * every axis, gathers along every axis with repeated, unsorted and multi-dimensional
 * indices, slices contiguous or not over ranks 1–5 (sizes −1 included) and tf.split,
 * float32 and int32, empty outputs, and values whose bits a conversion would
 * change (−0, NaN, subnormals). What they do not cover must still reach the backend's
 * kernel: an index out of range throws the backend's error. Identity (tf.clone) shares its
 * input's buffer instead of copying it: the clone has the backend clone's bytes, outlives its
 * input, frees the buffer with the last of the two, and gradients through clones are the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.ts';
import { backendCopyKernels } from '../../src/engine/copy-kernels.ts';
import { RandomStream } from '../../src/engine/rng.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

function viaBackend(kernel: tf.KernelFunc | undefined, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.Tensor {
  if (kernel === undefined) throw new Error('the copy kernels are not installed');
  return tf.engine().makeTensorFromTensorInfo(kernel({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo);
}

function values(shape: number[], dtype: 'float32' | 'int32', stream: RandomStream): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return tf.tensor(Int32Array.from({ length: n }, () => stream.int(2001) - 1000), shape, 'int32');
  const v = new Float32Array(n);
  stream.fillNormal(v);
  const special = [-0, Number.NaN, 1e-40, -3e38];
  for (let i = 0; i < n; i += 7) v[i] = special[(i / 7) % special.length];
  return tf.tensor(v, shape);
}

/** The same bytes (NaN payloads and the sign of zero included). */
function sameBytes(a: tf.Tensor, b: tf.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  const x = a.dataSync();
  const y = b.dataSync();
  expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))).toBe(true);
}

const TILES: [number[], number[]][] = [
  [[5], [3]],
  [[5], [1]],
  [[3, 4], [2, 1]],
  [[3, 4], [1, 3]],
  [[64, 1, 64], [1, 32, 1]],
  [[2, 3, 5], [3, 2, 2]],
  [[2, 1, 3, 2], [1, 4, 1, 3]],
  [[1, 1, 1], [4, 3, 2]],
  [[3, 2], [0, 2]],
];

describe('Tile as block copies is the backend’s Tile, byte for byte', () => {
  for (const [shape, reps] of TILES) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`${JSON.stringify(shape)} × ${JSON.stringify(reps)}, ${dtype}`, () => {
        const x = values(shape, dtype, RandomStream.at('test/copy-kernels', 'tile', shape.join('x'), reps.join('x'), dtype));
        const got = tf.tile(x, reps);
        const want = viaBackend(backendCopyKernels().tile, { x }, { reps });
        sameBytes(got, want);
        tf.dispose([x, got, want]);
      });
    }
  }
});

const GATHERS: { shape: number[]; indices: number[]; indexShape: number[]; axis: number }[] = [
  { shape: [10, 4], indices: [3, 3, 0, 9, 1], indexShape: [5], axis: 0 },
  { shape: [10, 4], indices: [3, 0, 2], indexShape: [3], axis: 1 },
  { shape: [10, 4], indices: [3, 0, 2], indexShape: [3], axis: -1 },
  { shape: [6, 5, 3], indices: [4, 0, 4, 1, 2, 2], indexShape: [2, 3], axis: 1 },
  { shape: [6, 5, 3], indices: [2, 5, 0], indexShape: [3], axis: 0 },
  { shape: [6, 5, 3], indices: [1], indexShape: [1], axis: 2 },
  { shape: [7], indices: [6, 0, 0], indexShape: [3], axis: 0 },
  { shape: [1000, 49], indices: Array.from({ length: 2048 }, (_, i) => (i * 7919) % 1000), indexShape: [2048], axis: 0 },
  { shape: [4, 3], indices: [], indexShape: [0], axis: 0 },
];

describe('GatherV2 as block copies is the backend’s GatherV2, byte for byte', () => {
  for (const g of GATHERS) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`${JSON.stringify(g.shape)} along ${g.axis} at ${g.indices.length} indices ${JSON.stringify(g.indexShape)}, ${dtype}`, () => {
        const x = values(g.shape, dtype, RandomStream.at('test/copy-kernels', 'gather', g.shape.join('x'), g.axis, dtype));
        const indices = tf.tensor(g.indices, g.indexShape, 'int32');
        const got = tf.gather(x, indices, g.axis);
        const want = viaBackend(backendCopyKernels().gather, { x, indices }, { axis: g.axis, batchDims: 0 });
        sameBytes(got, want);
        tf.dispose([x, indices, got, want]);
      });
    }
  }

  it('leaves an index out of range to the backend, which names it', () => {
    const x = tf.zeros([4, 3]);
    for (const bad of [4, -1]) {
      const indices = tf.tensor1d([0, bad], 'int32');
      expect(() => tf.gather(x, indices)).toThrow(`the index value ${bad} is not in [0, 3]`);
      indices.dispose();
    }
    x.dispose();
  });

  it('gathers with batch dimensions through the backend’s kernel (same result as before)', () => {
    const x = values([2, 5, 3], 'float32', RandomStream.at('test/copy-kernels', 'batchDims'));
    const indices = tf.tensor([[4, 0], [1, 1]], [2, 2], 'int32');
    const got = tf.gather(x, indices, 1, 1);
    const want = viaBackend(backendCopyKernels().gather, { x, indices }, { axis: 1, batchDims: 1 });
    sameBytes(got, want);
    tf.dispose([x, indices, got, want]);
  });
});

const SLICES: { shape: number[]; begin: number[]; size: number[] }[] = [
  { shape: [10], begin: [3], size: [4] },
  { shape: [6, 8], begin: [2, 0], size: [3, 8] },
  { shape: [6, 8], begin: [1, 2], size: [4, 5] },
  { shape: [6, 8], begin: [0, 3], size: [-1, -1] },
  { shape: [4, 5, 6], begin: [1, 1, 2], size: [2, 3, 3] },
  { shape: [4, 5, 6], begin: [2, 0, 0], size: [1, 5, 6] },
  { shape: [3, 4, 5, 6], begin: [0, 1, 0, 3], size: [3, 2, 5, 2] },
  { shape: [2, 3, 2, 3, 4], begin: [1, 0, 1, 1, 1], size: [1, 3, 1, 2, 2] },
  { shape: [5, 7], begin: [2, 3], size: [0, 2] },
];

describe('Slice as block copies is the backend’s Slice, byte for byte', () => {
  for (const c of SLICES) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`${JSON.stringify(c.shape)} from ${JSON.stringify(c.begin)} size ${JSON.stringify(c.size)}, ${dtype}`, () => {
        const x = values(c.shape, dtype, RandomStream.at('test/copy-kernels', 'slice', JSON.stringify(c), dtype));
        const got = tf.slice(x, c.begin, c.size);
        const want = viaBackend(backendCopyKernels().slice, { x }, { begin: c.begin, size: c.size });
        sameBytes(got, want);
        tf.dispose([x, got, want]);
      });
    }
  }

  it('tf.split into unequal parts along a middle axis gives the backend’s pieces', () => {
    const x = values([4, 9, 3], 'float32', RandomStream.at('test/copy-kernels', 'split'));
    const parts = tf.split(x, [2, 4, 3], 1);
    let from = 0;
    for (const [i, width] of [2, 4, 3].entries()) {
      const want = viaBackend(backendCopyKernels().slice, { x }, { begin: [0, from, 0], size: [4, width, 3] });
      sameBytes(parts[i], want);
      from += width;
      want.dispose();
    }
    tf.dispose([x, ...parts]);
  });
});

describe('Identity shares its input’s buffer: the backend’s clone, without the copy', () => {
  for (const dtype of ['float32', 'int32'] as const) {
    it(`a clone has the backend clone's bytes and outlives its input (${dtype})`, () => {
      const before = tf.memory().numDataBuffers;
      const x = values([3, 5, 2], dtype, RandomStream.at('test/copy-kernels', 'identity', dtype));
      const want = viaBackend(backendCopyKernels().identity, { x }, {});
      const y = tf.clone(x);
      sameBytes(y, want);
      // x's buffer and the backend clone's: the port's clone made none.
      expect(tf.memory().numDataBuffers - before).toBe(2);
      x.dispose();
      sameBytes(y, want);
      y.dispose();
      want.dispose();
      expect(tf.memory().numDataBuffers).toBe(before);
    });
  }

  it('strings still go through the backend’s kernel', () => {
    const s = tf.tensor(['a', 'bc']);
    const c = tf.clone(s);
    expect(c.dataSync()).toEqual(['a', 'bc']);
    tf.dispose([s, c]);
  });

  it('gradients through the ops that keep clones of their inputs are the same as the backend clone’s', () => {
    const x = values([4, 6], 'float32', RandomStream.at('test/copy-kernels', 'identity-grad'));
    const w = values([6, 3], 'float32', RandomStream.at('test/copy-kernels', 'identity-grad-w'));
    const f = (a: tf.Tensor) => tf.tanh(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D)).square().sum();
    const got = tf.grad(f)(x);
    // The same gradient by hand: d/dx Σ tanh(xW)² = (2 tanh(xW)(1 − tanh²(xW))) Wᵀ, the ops the gradient runs.
    const t = tf.tanh(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D));
    const want = tf.matMul(t.mul(2).mul(tf.scalar(1).sub(t.square())), w as tf.Tensor2D, false, true);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, w, got, t, want]);
  });
});
