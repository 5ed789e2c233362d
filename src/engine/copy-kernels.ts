/**
 * Tile and GatherV2 for TensorFlow.js's WebAssembly backend as block copies. Both only
 * move values, yet the backend's kernels do it one element at a time through index
 * arithmetic: measured here, tiling [64, 1, 64] to [64, 32, 64] took 10 ms (0.05 GB/s)
 * and gathering 2048 rows of 49 floats 4.5 ms, more than a batched layer's product. The
 * engine's TF.js path meets both every step: GatherV2 draws each replica's mini-batch
 * rows, Tile spreads per-replica values over a batch. Here each run of contiguous values
 * is one `copyWithin` inside the backend's memory (where the backend keeps every tensor),
 * so the output is the same bytes by construction; test/engine/copy-kernels.test.ts
 * compares both with the backend's kernels over shapes, repetitions, axes and dtypes.
 *
 * installCopyKernels() (called by useBackend for 'wasm') registers them in place of the
 * backend's; what they do not cover goes to the backend's own kernel: other dtypes than
 * float32 and int32, a gather with batch dimensions, an index out of range (the
 * backend's kernel throws its error). VAE_CLAIMS_COPY_KERNELS=js keeps the backend's.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of the WebAssembly backend used here (not in its public types). */
interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array; HEAP32: Int32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4 };

let installed = false;
const backendKernels: { tile?: tf.KernelFunc; gather?: tf.KernelFunc } = {};

/** The backend's own Tile and GatherV2, once installCopyKernels has replaced them (for the tests). */
export function backendCopyKernels(): { tile?: tf.KernelFunc; gather?: tf.KernelFunc } {
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
  const tileConfig = tf.getKernel(tf.Tile, 'wasm');
  const gatherConfig = tf.getKernel(tf.GatherV2, 'wasm');
  if (tileConfig === undefined || gatherConfig === undefined) return false;
  const tileFallback = (backendKernels.tile = tileConfig.kernelFunc);
  const gatherFallback = (backendKernels.gather = gatherConfig.kernelFunc);

  const tile: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as { reps: number[] };
    const bytes = BYTES[x.dtype];
    if (bytes === undefined || reps.length !== x.shape.length || x.shape.length === 0) return tileFallback(args);
    const be = args.backend as unknown as WasmBackendInternals;
    const out = be.makeOutput(x.shape.map((s, i) => s * reps[i]), x.dtype);
    if (tf.util.sizeFromShape(out.shape) === 0) return out;
    const xAt = be.dataIdMap.get(x.dataId).memoryOffset;
    const outAt = be.dataIdMap.get(out.dataId).memoryOffset;
    tileBytes(be.wasm.HEAPU8, xAt, outAt, x.shape, reps, bytes); // the heap as it is after makeOutput (which may grow it)
    return out;
  };

  const gather: tf.KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const bytes = BYTES[x.dtype];
    if (bytes === undefined || batchDims !== 0 || indices.dtype !== 'int32' || x.shape.length === 0) return gatherFallback(args);
    const be = args.backend as unknown as WasmBackendInternals;
    const a = tf.util.parseAxisParam(axis, x.shape)[0];
    const dim = x.shape[a];
    const count = tf.util.sizeFromShape(indices.shape);
    const idxAt = be.dataIdMap.get(indices.dataId).memoryOffset >> 2;
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
    const xAt = be.dataIdMap.get(x.dataId).memoryOffset;
    let to = be.dataIdMap.get(out.dataId).memoryOffset;
    for (let o = 0; o < outer; o++) {
      const base = xAt + o * dim * slice;
      for (let i = 0; i < count; i++, to += slice) {
        const from = base + idx[i] * slice;
        heap.copyWithin(to, from, from + slice);
      }
    }
    return out;
  };

  tf.unregisterKernel(tf.Tile, 'wasm');
  tf.registerKernel({ ...tileConfig, kernelFunc: tile });
  tf.unregisterKernel(tf.GatherV2, 'wasm');
  tf.registerKernel({ ...gatherConfig, kernelFunc: gather });
  return (installed = true);
}
