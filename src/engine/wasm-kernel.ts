/**
 * What every hand-written WebAssembly kernel shares (src/models/{linear-vae,deep-vae}/kernel-wasm.ts,
 * and the kernel trainer's optimiser, src/engine/kernel-optimizer-wasm.ts):
 * loading its committed binary once per process, the environment variable that forces
 * the JavaScript kernel instead, and the layout of its memory.
 *
 * A kernel's port is an optimisation, never a requirement: where its binary cannot be
 * compiled here (no WebAssembly SIMD, file missing) the JavaScript kernel runs, and the
 * port says which through `implementation()`. Forcing JavaScript (VAE_CLAIMS_<NAME>_KERNEL=js)
 * serves mutants of a JavaScript kernel, which the port would otherwise bypass
 * (mutants/run.ts sets every such variable), and debugging.
 */
import { readFileSync } from 'node:fs';

export type KernelImplementation = 'wasm-simd' | 'js';

export type WasmLoad = { module: WebAssembly.Module } | { failure: string };

export interface WasmKernelBinary {
  /** The compiled module, or why it could not be compiled; compiled at most once. */
  load(): WasmLoad;
  /** The module, or null where it cannot load or the JavaScript kernel is forced. */
  module(): WebAssembly.Module | null;
  /** Which implementation runs by default in this process. */
  implementation(): KernelImplementation;
}

/**
 * A kernel binary at `url` (beside its loader: src/ under tsx, dist/ after `npm run build`,
 * which copies it), loaded synchronously on first use; `envVar` = 'js' forces JavaScript.
 */
export function wasmKernelBinary(url: URL, envVar: string): WasmKernelBinary {
  let loaded: WasmLoad | undefined;
  const load = (): WasmLoad => {
    if (loaded === undefined) {
      try {
        loaded = { module: new WebAssembly.Module(readFileSync(url)) };
      } catch (e) {
        loaded = { failure: e instanceof Error ? e.message : String(e) };
      }
    }
    return loaded;
  };
  const module = () => {
    if (process.env[envVar] === 'js') return null;
    const l = load();
    return 'module' in l ? l.module : null;
  };
  return { load, module, implementation: () => (module() !== null ? 'wasm-simd' : 'js') };
}

/** The page size of WebAssembly memory. */
export const WASM_PAGE = 65536;
/** Where a kernel's addresses start (the modules have no static data; a margin all the same). */
export const WASM_BASE = 1024;
/** Bytes rounded up to a multiple of 16: every block starts v128-aligned. */
export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Grows `memory` to hold at least `bytes` (RangeError where it cannot: the caller falls back to JavaScript). */
export function growTo(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
}
