/**
 * The SIMD BatchMatMul (src/engine/batch-matmul-kernel.ts, wasm/batch-matmul.as.ts)
 * must be the WebAssembly backend's own kernel bit for bit, so that installing it
 * changes no result of any claim: every output compared with Object.is (NaN equals NaN,
 * +0 and −0 differ) against the backend's kernel on the same inputs, over shapes that
 * reach every path of the port (sixteen, four and single output columns; shared
 * dimensions below, at and across the backend's blocks of 48), every transpose, a
 * batch broadcast from either operand, higher-rank batches, and values of every scale
 * (tiny, huge, overflowing, ±0, NaN). A float32 emulation of the arithmetic the module
 * header states (blocks of 48, each product and sum rounded) is held to both, so the
 * statement itself is tested, not only the agreement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.ts';
import { backendBatchMatMul, batchMatMulImplementation, ownsSinglePair } from '../../src/engine/batch-matmul-kernel.ts';
import { RandomStream } from '../../src/engine/rng.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

/** The backend's own kernel on the same inputs (what tf.matMul ran before the port). */
function reference(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): Float32Array {
  const kernel = backendBatchMatMul();
  if (kernel === null) throw new Error('the SIMD BatchMatMul is not installed');
  const info = kernel({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA, transposeB } }) as tf.TensorInfo;
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

/** The arithmetic as the module header states it, in float32 (Math.fround after every operation). */
function emulate(a: Float32Array, b: Float32Array, batch: number, broadcastA: boolean, broadcastB: boolean, L: number, K: number, N: number, tA: boolean, tB: boolean): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(batch * L * N);
  for (let p = 0; p < batch; p++) {
    const a0 = broadcastA ? 0 : p * L * K;
    const b0 = broadcastB ? 0 : p * K * N;
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < N; j++) {
        let t = 0;
        for (let k0 = 0; k0 < K; k0 += 48) {
          let s = 0;
          for (let k = k0; k < Math.min(k0 + 48, K); k++) {
            const x = a[a0 + (tA ? k * L + i : i * K + k)];
            const y = b[b0 + (tB ? j * K + k : k * N + j)];
            s = f(s + f(x * y));
          }
          t = f(t + s);
        }
        out[p * L * N + i * N + j] = t;
      }
    }
  }
  return out;
}

function filled(shape: number[], stream: RandomStream, special: boolean): tf.Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  const v = new Float32Array(n);
  stream.fillNormal(v);
  if (special) {
    // Tiny, huge (products overflow to ±∞), signed zeros and a NaN, at seeded places.
    const values = [1e-30, -3e-39, 3e38, -2e38, 0, -0, Number.NaN, Number.POSITIVE_INFINITY];
    for (let i = 0; i < Math.max(1, n >> 5); i++) v[stream.int(n)] = values[stream.int(values.length)];
  }
  return tf.tensor(v, shape);
}

function sameBits(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let differ = 0;
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) differ++;
  return differ;
}

interface Case {
  a: number[];
  b: number[];
  tA: boolean;
  tB: boolean;
}

const CASES: Case[] = [];
// L, K, N over every path: N = 16·q + 4·r + s (16-wide, 4-wide and single columns), K below/at/across blocks of 48.
for (const [L, K, N] of [
  [1, 1, 1],
  [3, 47, 16],
  [5, 48, 21],
  [7, 49, 64],
  [2, 96, 35],
  [4, 97, 3],
  [32, 49, 64],
  [6, 130, 18],
]) {
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const batch = 3;
      CASES.push({ a: tA ? [batch, K, L] : [batch, L, K], b: tB ? [batch, N, K] : [batch, K, N], tA, tB });
    }
  }
}
// One matrix pair, transposed (the backend's loop, not XNNPACK), as rank 2 and as a batch of one.
for (const [tA, tB] of [
  [true, false],
  [false, true],
  [true, true],
] as const) {
  CASES.push({ a: tA ? [97, 33] : [33, 97], b: tB ? [20, 97] : [97, 20], tA, tB });
  CASES.push({ a: tA ? [1, 50, 9] : [1, 9, 50], b: tB ? [1, 17, 50] : [1, 50, 17], tA, tB });
}
// A batch broadcast from either operand, and batches of higher rank.
CASES.push({ a: [1, 7, 60], b: [4, 60, 9], tA: false, tB: false });
CASES.push({ a: [4, 60, 7], b: [1, 9, 60], tA: true, tB: true });
CASES.push({ a: [2, 3, 7, 50], b: [2, 3, 50, 17], tA: false, tB: false });

/**
 * One untransposed pair the port takes from XNNPACK (a short a against a wide b: wideMatMul), over
 * its paths: one to three rows (thirty-two columns at a time); four rows or more, sixteen columns
 * by two rows in blocks of 256 columns (several blocks, a last block shorter than 256, an odd
 * row left), then the columns left: eight by four rows (one to three rows left), four, single;
 * the shared dimension from 1 to the most a may hold. The backend's kernel on these shapes is XNNPACK's fully-connected operator.
 */
const WIDE_CASES: [number, number, number][] = [
  [1, 1, 32],
  [1, 32, 8192 + 32 + 8 + 4 + 3],
  [2, 7, 45],
  [3, 64, 1000],
  [4, 32, 40],
  [5, 13, 77],
  [7, 200, 33],
  [32, 32, 4096 + 13],
  [6, 20, 2 * 256 + 48 + 5],
  [64, 256, 64],
  [10, 196, 64],
];

/** XNNPACK's GEMM as the port's header states it: from 0, a(i, k)·b(k, j) added for k in order (each product and sum rounded to float32). */
function emulateWide(a: Float32Array, b: Float32Array, L: number, K: number, N: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(L * N);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < N; j++) {
      let t = 0;
      for (let k = 0; k < K; k++) t = f(t + f(a[i * K + k] * b[k * N + j]));
      out[i * N + j] = t;
    }
  }
  return out;
}

describe('one untransposed pair with a short a: the port, not XNNPACK, and the same bits', () => {
  for (const [index, [L, K, N]] of WIDE_CASES.entries()) {
    for (const special of [false, true]) {
      it(`[${L}, ${K}] · [${K}, ${N}]${special ? ', with extreme values' : ''}`, () => {
        const stream = RandomStream.at('test/batch-matmul', 'wide', index, special ? 'special' : 'plain');
        const a = filled([L, K], stream, special);
        const b = filled([K, N], stream, special);
        const got = tf.matMul(a, b);
        const data = got.dataSync();
        expect(sameBits(data, reference(a, b, false, false))).toBe(0);
        expect(sameBits(data, emulateWide(a.dataSync() as Float32Array, b.dataSync() as Float32Array, L, K, N))).toBe(0);
        expect(got.shape).toEqual([L, N]);
        tf.dispose([a, b, got]);
      });
    }
  }

  it('takes the product only where a is short and b wide (elsewhere XNNPACK blocks better)', () => {
    const calls: string[] = [];
    const stream = RandomStream.at('test/batch-matmul', 'wide-routing');
    for (const [L, K, N] of [
      [32, 32, 100],
      [65, 8, 100],
      [64, 257, 100],
      [8, 8, 31],
    ]) {
      const a = filled([L, K], stream, false);
      const b = filled([K, N], stream, false);
      calls.push(`${L}x${K}x${N}:${ownsSinglePair(L, K, N)}`);
      expect(sameBits(tf.matMul(a, b).dataSync(), reference(a, b, false, false))).toBe(0);
      tf.dispose([a, b]);
    }
    expect(calls).toEqual(['32x32x100:true', '65x8x100:false', '64x257x100:false', '8x8x31:false']);
  });
});

describe('the SIMD BatchMatMul is the WebAssembly backend’s own, bit for bit', () => {
  it('is installed for the wasm backend', () => {
    expect(batchMatMulImplementation()).toBe('wasm-simd');
    expect(backendBatchMatMul()).not.toBeNull();
  });

  for (const [index, c] of CASES.entries()) {
    for (const special of [false, true]) {
      it(`${JSON.stringify(c.a)}${c.tA ? 'ᵀ' : ''} · ${JSON.stringify(c.b)}${c.tB ? 'ᵀ' : ''}${special ? ', with extreme values' : ''}`, () => {
        const stream = RandomStream.at('test/batch-matmul', index, special ? 'special' : 'plain');
        const a = filled(c.a, stream, special);
        const b = filled(c.b, stream, special);
        const got = tf.matMul(a, b, c.tA, c.tB);
        const data = got.dataSync();
        const want = reference(a, b, c.tA, c.tB);
        expect(sameBits(data, want)).toBe(0);
        // The statement of the arithmetic (rank-3 cases; the emulation takes one batch dimension).
        if (c.a.length === 3 && c.b.length === 3) {
          const batch = Math.max(c.a[0], c.b[0]);
          const [L, K] = c.tA ? [c.a[2], c.a[1]] : [c.a[1], c.a[2]];
          const N = c.tB ? c.b[1] : c.b[2];
          expect(sameBits(data, emulate(a.dataSync() as Float32Array, b.dataSync() as Float32Array, batch, c.a[0] === 1, c.b[0] === 1, L, K, N, c.tA, c.tB))).toBe(0);
        }
        const batchShape = c.a.length === 4 ? c.a.slice(0, 2) : c.a.length === 3 ? [Math.max(c.a[0], c.b[0])] : [];
        expect(got.shape).toEqual([...batchShape, c.tA ? c.a.at(-1) : c.a.at(-2), c.tB ? c.b.at(-2) : c.b.at(-1)]);
        tf.dispose([a, b, got]);
      });
    }
  }

  it('gives the gradient of a batched product the backend gives (the backward pass is batched products too)', () => {
    const stream = RandomStream.at('test/batch-matmul', 'gradient');
    const a = filled([5, 9, 50], stream, false);
    const b = filled([5, 50, 13], stream, false);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum())([a, b]);
    // dL/da = 2(ab) bᵀ and dL/db = aᵀ 2(ab), each through the backend's own kernel.
    const ab = tf.engine().makeTensorFromTensorInfo(backendBatchMatMul()!({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo);
    const twoAb = ab.mul(2);
    expect(sameBits(ga.dataSync(), reference(twoAb, b, false, true))).toBe(0);
    expect(sameBits(gb.dataSync(), reference(a, twoAb, true, false))).toBe(0);
    tf.dispose([a, b, ga, gb, ab, twoAb]);
  });

  it('leaves no tensor behind', () => {
    const stream = RandomStream.at('test/batch-matmul', 'leak');
    const a = filled([3, 8, 20], stream, false);
    const b = filled([3, 12, 20], stream, false);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.tidy(() => {
      tf.matMul(a, b, false, true);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });
});

afterAll(() => {
  tf.disposeVariables();
});
