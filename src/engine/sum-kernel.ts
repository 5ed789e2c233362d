/**
 * Sum over one axis that is not the innermost (∂b = Σ_rows δ, a column total) for
 * TensorFlow.js's WebAssembly backend: the backend first copies x transposed so that the
 * axis is innermost, then sums; wasm/sum.as.ts sums in place, in the same order, with
 * f32x4 SIMD, bit for bit (see there; test/engine/sum-kernel.test.ts compares with the
 * backend's kernel). Every other Sum (innermost axes, several axes, int32) goes to the
 * backend's own kernel. installSum() is called by useBackend for 'wasm';
 * VAE_CLAIMS_SUM_KERNEL=js keeps the backend's.
 */
import * as tf from '@tensorflow/tfjs';
import { backendKernelPort, internals, offsetOf } from './wasm-backend.ts';
import { wasmKernelBinary } from './wasm-kernel.ts';

interface SumExports {
  sumMiddle(xAt: number, outAt: number, outer: number, R: number, inner: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/sum.wasm', import.meta.url), 'VAE_CLAIMS_SUM_KERNEL', { name: 'sum', source: new URL('./wasm/sum.as.ts', import.meta.url) });

const port = backendKernelPort<SumExports>(tf.Sum, binary, (exports, fallback) => (args) => {
  const be = internals(args.backend);
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  if (x.dtype !== 'float32' || x.shape.length < 2) return fallback(args);
  const axes = tf.util.parseAxisParam(axis, x.shape);
  if (axes.length !== 1 || axes[0] === x.shape.length - 1) return fallback(args);
  const k = axes[0];
  const outer = tf.util.sizeFromShape(x.shape.slice(0, k));
  const R = x.shape[k];
  const inner = tf.util.sizeFromShape(x.shape.slice(k + 1));
  // The backend's output shape: x's without the axis (or with it as 1, keepDims).
  const outShape = keepDims ? x.shape.map((s, i) => (i === k ? 1 : s)) : x.shape.filter((_, i) => i !== k);
  if (outer * R * inner === 0) return fallback(args);
  const out = be.makeOutput(outShape, 'float32');
  exports.sumMiddle(offsetOf(be, x), offsetOf(be, out), outer, R, inner);
  return out;
});

/** Registers the Sum for the 'wasm' backend (once; the backend must be initialised). */
export const installSum = port.install;
/** The WebAssembly backend's own Sum, once installSum has replaced it (for the tests). */
export const backendSum = port.backend;
