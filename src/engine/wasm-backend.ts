/**
 * What the engine's kernels for TensorFlow.js's WebAssembly backend share
 * (batch-matmul-kernel.ts, copy-kernels.ts, sum-kernel.ts, tfjs-adam-kernel.ts): the parts
 * of the backend they use, which its public types do not show (its memory, where every
 * tensor's values live at `memoryOffset`, and its output allocation), and the replacement
 * of one of its kernels by ours with the backend's own kept as the fallback.
 */
import * as tf from '@tensorflow/tfjs';
import { firstBitDifference, type KernelImplementation, type WasmKernelBinary } from './wasm-kernel.ts';

/** The WebAssembly backend's internals the kernels use. */
export interface WasmBackendInternals {
  wasm: { asm: { memory: WebAssembly.Memory }; HEAPU8: Uint8Array; HEAP32: Int32Array; _malloc(bytes: number): number; _free(at: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The kernel function's backend, as the internals. */
export function internals(backend: unknown): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

/** A tensor's byte offset in the backend's memory. */
export function offsetOf(be: WasmBackendInternals, t: tf.TensorInfo): number {
  return be.dataIdMap.get(t.dataId).memoryOffset;
}

/** `module` instantiated in the 'wasm' backend's own memory (imported as env.memory), and that memory. */
export function instantiateInBackend<T>(module: WebAssembly.Module): { exports: T; memory: WebAssembly.Memory } {
  const memory = internals(tf.findBackend('wasm')).wasm.asm.memory;
  return { exports: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T, memory };
}

/**
 * A module called directly on the backend's tensors (not as one of its kernels): `binary`
 * instantiated in the 'wasm' backend's memory on first use. The returned function gives its
 * exports, or null where the backend is not 'wasm', the module does not load (or its switch
 * says js), or the backend was re-created with another memory (the instance would read the old one).
 */
export function backendModule<T>(binary: WasmKernelBinary): () => T | null {
  let instance: { exports: T; memory: WebAssembly.Memory } | null | undefined;
  return () => {
    if (tf.getBackend() !== 'wasm') return null;
    if (instance === undefined) {
      const module = binary.module();
      instance = module === null ? null : instantiateInBackend<T>(module);
    }
    if (instance === null) return null;
    return internals(tf.backend()).wasm.asm.memory === instance.memory ? instance.exports : null;
  };
}

/** A new float32 tensor of `shape` allocated by the 'wasm' backend (values unset: the caller writes every one), and its byte offset. */
export function backendOutput(shape: number[]): { tensor: tf.Tensor; at: number } {
  const be = internals(tf.backend());
  const info = be.makeOutput(shape, 'float32');
  return { tensor: tf.engine().makeTensorFromTensorInfo(info), at: offsetOf(be, info) };
}

/** A tensor's byte offset in the current 'wasm' backend's memory. */
export function tensorAt(t: tf.TensorInfo): number {
  return offsetOf(internals(tf.backend()), t);
}

/**
 * Registers `make(fallback)` as the 'wasm' backend's kernel `name` in place of the backend's
 * own, which is passed in as the fallback and returned (the tests compare with it); null
 * where the backend has no such kernel (nothing is registered).
 */
export function replaceBackendKernel(name: string, make: (fallback: tf.KernelFunc) => tf.KernelFunc): tf.KernelFunc | null {
  const original = tf.getKernel(name, 'wasm');
  if (original === undefined) return null;
  const kernelFunc = make(original.kernelFunc);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
  return original.kernelFunc;
}

/** One backend kernel replaced by a WebAssembly module's (batch-matmul-kernel.ts, sum-kernel.ts). */
export interface BackendKernelPort {
  /** Registers ours in place of the backend's (once; the 'wasm' backend must be initialised). */
  install(): KernelImplementation;
  /** Which runs in this process: ours ('wasm-simd'), or the backend's ('js': not installed). */
  implementation(): KernelImplementation;
  /** The backend's own kernel, kept when replaced (the fallback; the tests compare with it); else null. */
  backend(): tf.KernelFunc | null;
}

/**
 * The backend's kernel `name` replaced by `make(exports, fallback)`, the module `binary`
 * instantiated in the backend's memory. Where the binary cannot load (or its switch says js)
 * nothing is replaced. If the backend is ever re-created with a new memory, every call goes
 * to the backend's own kernel: the instance would read the old memory.
 */
export function backendKernelPort<T>(name: string, binary: WasmKernelBinary, make: (exports: T, fallback: tf.KernelFunc) => tf.KernelFunc): BackendKernelPort {
  let installed: KernelImplementation | null = null;
  let original: tf.KernelFunc | null = null;
  return {
    install() {
      if (installed !== null) return installed;
      const module = binary.module();
      if (module === null) return (installed = 'js');
      const { exports, memory } = instantiateInBackend<T>(module);
      original = replaceBackendKernel(name, (fallback) => {
        const ours = make(exports, fallback);
        return (args) => (internals(args.backend).wasm.asm.memory === memory ? ours(args) : fallback(args));
      });
      return (installed = original === null ? 'js' : 'wasm-simd');
    },
    implementation: () => installed ?? 'js',
    backend: () => original,
  };
}

/**
 * Where a port's output tensor first differs from its specification's, bit for bit
 * (wasm-kernel.ts's firstBitDifference), or null when the shapes and every value agree: for the
 * run-time checks (PortCheckSchedule) of the ports that replace TF.js op chains.
 */
export function firstDifference(port: tf.Tensor, spec: tf.Tensor): string | null {
  if (port.shape.join() !== spec.shape.join()) return `shape [${port.shape}] vs [${spec.shape}]`;
  const a = port.dataSync();
  const b = spec.dataSync();
  const i = firstBitDifference(a, b);
  return i < 0 ? null : `entry ${i}: ${a[i]} vs ${b[i]}`;
}
