/**
 * Tile, GatherV2 and Slice for TensorFlow.js's WebAssembly backend as block copies. All
 * three only move values, yet the backend's kernels are slow at it: Tile and GatherV2 go
 * one element at a time through index arithmetic (measured here: tiling [64, 1, 64] to
 * [64, 32, 64] took 10 ms, 0.05 GB/s; gathering 2048 rows of 49 floats 4.5 ms, more than a
 * batched layer's product), and Slice first copies the WHOLE input out of the backend's
 * memory (readSync) for every slice, so tf.split into k parts copies it k times (a quarter
 * of the deep VAE's TF.js step). The engine's TF.js path meets all three every step:
 * GatherV2 draws each replica's mini-batch rows, Tile spreads per-replica values over a
 * batch, split/slice cut a layer's output into heads. Here each run of contiguous values
 * is one `copyWithin` inside the backend's memory (where the backend keeps every tensor),
 * so the output is the same bytes by construction; test/engine/copy-kernels.test.ts
 * compares both with the backend's kernels over shapes, repetitions, axes and dtypes.
 *
 * Identity (tf.clone) joins them, as no copy at all: the backend's copies the values into a
 * new buffer, and tfjs-core clones every tensor a recorded gradient keeps (each layer's inputs
 * and outputs, every training step: 450 M floats copied in one quick-tier run of
 * entropy-gaussian-vae).
 * Here a clone shares its input's buffer, counted (incRef), as this backend's own Reshape
 * already does and the CPU and WebGL backends' Identity does. That changes no value because
 * no tensor is written after the kernel that made it returns: every kernel, the backend's
 * and ours (this file's, batch-matmul-kernel.ts, sum-kernel.ts, tfjs-adam-kernel.ts, the
 * NTK modules' backendOutput), writes only the new outputs it allocates.
 *
 * installCopyKernels() (called by useBackend for 'wasm') registers them in place of the
 * backend's; what they do not cover goes to the backend's own kernel: other dtypes than
 * float32 and int32, a gather with batch dimensions, an index out of range (the
 * backend's kernel throws its error), a scalar. VAE_CLAIMS_COPY_KERNELS=js keeps the backend's.
 */
import * as tf from '@tensorflow/tfjs';
import { internals, offsetOf, replaceBackendKernel } from './wasm-backend.ts';

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4 };

let installed = false;
const backendKernels: { tile?: tf.KernelFunc; gather?: tf.KernelFunc; slice?: tf.KernelFunc; identity?: tf.KernelFunc } = {};

/** The backend's own Tile, GatherV2, Slice and Identity, once installCopyKernels has replaced them (for the tests). */
export function backendCopyKernels(): { tile?: tf.KernelFunc; gather?: tf.KernelFunc; slice?: tf.KernelFunc; identity?: tf.KernelFunc } {
  return backendKernels;
}

/**
 * out (shape x.shape · reps) from x, in the backend's memory (byte offsets): for each
 * dimension d from the last, the block of x's dimensions ≥ d is written once and then
 * copied reps[d] − 1 times after itself.
 */
function tileBytes(heap: Uint8Array, xAt: number, outAt: number, shape: readonly number[], reps: readonly number[], bytes: number): void {
  const n = shape.length;
  // inStride[d], outStride[d]: bytes of one index step along d in x and in out.
  const inStride = new Array<number>(n);
  const outStride = new Array<number>(n);
  let si = bytes;
  let so = bytes;
  for (let d = n - 1; d >= 0; d--) {
    inStride[d] = si;
    outStride[d] = so;
    si *= shape[d];
    so *= shape[d] * reps[d];
  }
  const fill = (d: number, from: number, to: number): void => {
    const block = shape[d] * outStride[d]; // the first repetition along d
    if (d === n - 1) heap.copyWithin(to, from, from + shape[d] * bytes);
    else for (let i = 0; i < shape[d]; i++) fill(d + 1, from + i * inStride[d], to + i * outStride[d]);
    for (let k = 1; k < reps[d]; k++) heap.copyWithin(to + k * block, to, to + block);
  };
  fill(0, xAt, outAt);
}

/** Registers the copy kernels for the 'wasm' backend (once; the backend must be initialised). */
export function installCopyKernels(): boolean {
  if (installed || process.env.VAE_CLAIMS_COPY_KERNELS === 'js') return installed;
  const makeTile = (tileFallback: tf.KernelFunc): tf.KernelFunc => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as { reps: number[] };
    const bytes = BYTES[x.dtype];
    if (bytes === undefined || reps.length !== x.shape.length || x.shape.length === 0) return tileFallback(args);
    const be = internals(args.backend);
    const out = be.makeOutput(x.shape.map((s, i) => s * reps[i]), x.dtype);
    if (tf.util.sizeFromShape(out.shape) === 0) return out;
    const xAt = offsetOf(be, x);
    const outAt = offsetOf(be, out);
    tileBytes(be.wasm.HEAPU8, xAt, outAt, x.shape, reps, bytes); // the heap as it is after makeOutput (which may grow it)
    return out;
  };

  const makeGather = (gatherFallback: tf.KernelFunc): tf.KernelFunc => (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const bytes = BYTES[x.dtype];
    if (bytes === undefined || batchDims !== 0 || indices.dtype !== 'int32' || x.shape.length === 0) return gatherFallback(args);
    const be = internals(args.backend);
    const a = tf.util.parseAxisParam(axis, x.shape)[0];
    const dim = x.shape[a];
    const count = tf.util.sizeFromShape(indices.shape);
    const idxAt = offsetOf(be, indices) >> 2;
    const heap32 = be.wasm.HEAP32;
    for (let i = 0; i < count; i++) {
      const v = heap32[idxAt + i];
      if (!(v >= 0 && v < dim)) return gatherFallback(args); // the backend's kernel names the bad index
    }
    const outer = tf.util.sizeFromShape(x.shape.slice(0, a));
    const slice = tf.util.sizeFromShape(x.shape.slice(a + 1)) * bytes;
    const outShape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
    const out = be.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) === 0 || slice === 0) return out;
    // Read the indices again: makeOutput may have grown the memory (a new buffer, the same offsets).
    const heap = be.wasm.HEAPU8;
    const idx = be.wasm.HEAP32.subarray(idxAt, idxAt + count);
    const xAt = offsetOf(be, x);
    let to = offsetOf(be, out);
    for (let o = 0; o < outer; o++) {
      const base = xAt + o * dim * slice;
      for (let i = 0; i < count; i++, to += slice) {
        const from = base + idx[i] * slice;
        heap.copyWithin(to, from, from + slice);
      }
    }
    return out;
  };

  const makeSlice = (sliceFallback: tf.KernelFunc): tf.KernelFunc => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const bytes = BYTES[x.dtype];
    const rank = x.shape.length;
    if (bytes === undefined || rank === 0) return sliceFallback(args);
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const be = internals(args.backend);
    const out = be.makeOutput(s, x.dtype);
    const n = tf.util.sizeFromShape(s);
    if (n === 0) return out;
    const heap = be.wasm.HEAPU8; // after makeOutput, which may grow the memory
    const xAt = offsetOf(be, x);
    let to = offsetOf(be, out);
    const strides = [...tf.util.computeStrides(x.shape), 1]; // elements, the last axis's too
    if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
      const from = xAt + tf.slice_util.computeFlatOffset(b, strides) * bytes;
      heap.copyWithin(to, from, from + n * bytes);
      return out;
    }
    // Runs along the last axis, the leading indices in row-major order (an odometer over s).
    const run = s[rank - 1] * bytes;
    const index = new Array<number>(rank - 1).fill(0);
    for (let copied = 0; copied < n; copied += s[rank - 1], to += run) {
      let from = b[rank - 1];
      for (let d = 0; d < rank - 1; d++) from += (b[d] + index[d]) * strides[d];
      from = xAt + from * bytes;
      heap.copyWithin(to, from, from + run);
      for (let d = rank - 2; d >= 0 && ++index[d] === s[d]; d--) index[d] = 0;
    }
    return out;
  };

  // The backend's SplitV calls its own slice directly (not through the registry): the same
  // pieces, each through the slice above.
  const makeSplit = (slice: tf.KernelFunc): tf.KernelFunc => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const a = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[a] = n;
      const piece = slice({ inputs: { x }, attrs: { begin: begin.slice(), size }, backend: args.backend }) as tf.TensorInfo;
      begin[a] += n;
      return piece;
    });
  };

  // A clone shares its input's buffer (header); strings keep the backend's kernel.
  const makeIdentity = (identityFallback: tf.KernelFunc): tf.KernelFunc => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return identityFallback(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };

  backendKernels.slice = replaceBackendKernel(tf.Slice, makeSlice) ?? undefined;
  const slice = tf.getKernel(tf.Slice, 'wasm')?.kernelFunc; // ours, now registered
  if (backendKernels.slice !== undefined && slice !== undefined) replaceBackendKernel(tf.SplitV, () => makeSplit(slice));
  backendKernels.tile = replaceBackendKernel(tf.Tile, makeTile) ?? undefined;
  backendKernels.gather = replaceBackendKernel(tf.GatherV2, makeGather) ?? undefined;
  backendKernels.identity = replaceBackendKernel(tf.Identity, makeIdentity) ?? undefined;
  return (installed = true);
}
