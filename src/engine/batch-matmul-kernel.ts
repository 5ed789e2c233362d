/**
 * A faster BatchMatMul for TensorFlow.js's WebAssembly backend: the backend's own kernel,
 * for a batch of more than one matrix, runs a plain loop, one multiply-add at a time
 * (measured here: 1.5 GFLOP/s on [64, 32, 49]·[64, 49, 64], against 14 GFLOP/s for the
 * same arithmetic as one 2-D product through XNNPACK). The engine's TF.js path trains R
 * replicas as one program, so every layer is such a batched product: it was about half
 * of entropy-gaussian-vae's run. wasm/batch-matmul.as.ts does the same arithmetic with
 * f32x4 SIMD, bit for bit (the backend's blocks of 48 along the shared dimension, the
 * same float32 operations in the same order; see there), so installing it changes no
 * result: test/engine/batch-matmul-kernel.test.ts compares it with the backend's kernel
 * on random shapes, transposes and broadcast batches.
 *
 * The backend's loop also runs every product of one matrix pair with either operand
 * transposed (measured: 1.5 GFLOP/s for [512, 256]ᵀ·[512, 128], against 23 for the same
 * shapes untransposed): a network's backward pass (∂W = xᵀ δ) is made of those.
 *
 * An untransposed product of one matrix pair goes to XNNPACK in the backend, which
 * packs b as its weights whenever b is a new tensor: every training step's. For a short a
 * against a wide b (the NTK claims' X·W, [32, 32]·[32, R·m]) the packing cost more than the
 * product, so those pairs run here too (wideMatMul: XNNPACK's summation order, the same bits;
 * ownsSinglePair says which).
 *
 * installBatchMatMul() (called by useBackend for 'wasm') registers it in place of the
 * backend's kernel; any other untransposed pair (XNNPACK, fast there), a batch broadcast
 * other than one operand's whole batch, or a dtype other than float32 still goes to the
 * backend's own kernel. The module runs in the backend's memory
 * (imported), reading and writing tensors where the backend keeps them. Where the binary
 * cannot load, or VAE_CLAIMS_MATMUL_KERNEL=js, the backend's kernel stays.
 */
import * as tf from '@tensorflow/tfjs';
import { backendKernelPort, internals, offsetOf } from './wasm-backend.ts';
import { wasmKernelBinary } from './wasm-kernel.ts';

interface MatMulExports {
  batchMatMul(aAt: number, bAt: number, outAt: number, batch: number, aBatch: number, bBatch: number, L: number, K: number, N: number, aOuter: number, aInner: number): void;
  transpose(fromAt: number, toAt: number, m: number, N: number, K: number): void;
  wideMatMul(aAt: number, bAt: number, outAt: number, L: number, K: number, N: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/batch-matmul.wasm', import.meta.url), 'VAE_CLAIMS_MATMUL_KERNEL', { name: 'batch-matmul', source: new URL('./wasm/batch-matmul.as.ts', import.meta.url) });

/**
 * Whether one untransposed pair a [L, K]·b [K, N] runs here (wideMatMul) rather than through
 * the backend's XNNPACK operator: a short a (L ≤ 64 rows, L·K ≤ 16,384 floats, so it stays in
 * cache while b streams past once) against a b at least 32 columns wide. There XNNPACK packs b
 * as its weights on every call with a new b (every training step's), which cost more than the
 * product: measured [32, 32]·[32, 163,840] 50 ms through XNNPACK, 16 ms here; [10, 196]·[196, 64]
 * 0.08 ms and 0.016 ms. Outside it (a tall a, a narrow b) XNNPACK's blocking wins, as
 * [256, 256]·[256, 4096] 23–29 ms against 36 ms here. Same bits either way.
 */
export function ownsSinglePair(L: number, K: number, N: number): boolean {
  return L <= 64 && L * K <= 16384 && N >= 32;
}

const port = backendKernelPort<MatMulExports>(tf.BatchMatMul, binary, (exports, fallback) => (args) => {
  const be = internals(args.backend);
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback(args);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  // Batches that broadcast otherwise than a whole operand: the backend's.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return fallback(args);
  // One matrix pair, neither transposed: the backend's XNNPACK path, or wideMatMul (its bits) where
  // that is faster (ownsSinglePair). A transposed pair goes through the backend's loop like a batch, so here too.
  if (batch <= 1 && !transposeA && !transposeB) {
    const L = a.shape[aRank - 2];
    const K = a.shape[aRank - 1];
    const N = b.shape[bRank - 1];
    if (!ownsSinglePair(L, K, N) || K !== b.shape[bRank - 2]) return fallback(args);
    const out = be.makeOutput([1, L, N], 'float32');
    exports.wideMatMul(offsetOf(be, a), offsetOf(be, b), offsetOf(be, out), L, K, N);
    (out as { shape: number[] }).shape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), L, N];
    return out;
  }
  const K = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const L = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const N = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (K !== kB) return fallback(args); // the backend's kernel says what is wrong
  const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), L, N];
  const out = be.makeOutput([batch, L, N], 'float32');
  const aAt = offsetOf(be, a);
  let bAt = offsetOf(be, b);
  const outAt = offsetOf(be, out);
  let scratch = 0;
  try {
    if (transposeB) {
      scratch = be.wasm._malloc(4 * batchB * K * N);
      exports.transpose(bAt, scratch, batchB, N, K);
      bAt = scratch;
    }
    exports.batchMatMul(aAt, bAt, outAt, batch, batchA === 1 ? 0 : L * K, batchB === 1 ? 0 : K * N, L, K, N, transposeA ? 1 : K, transposeA ? L : 1);
  } finally {
    if (scratch !== 0) be.wasm._free(scratch);
  }
  (out as { shape: number[] }).shape = outShape;
  return out;
});

/** Registers the SIMD BatchMatMul for the 'wasm' backend (once; the backend must be initialised). */
export const installBatchMatMul = port.install;
/** Which BatchMatMul the WebAssembly backend runs for batches in this process: the SIMD one, or the backend's own ('js'). */
export const batchMatMulImplementation = port.implementation;
/** The WebAssembly backend's own BatchMatMul, once installBatchMatMul has replaced it (else null). */
export const backendBatchMatMul = port.backend;
