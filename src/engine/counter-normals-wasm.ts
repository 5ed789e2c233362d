/**
 * The counter-based normals' WebAssembly SIMD path: counter-normals.ts's normal pairs
 * compiled from wasm/counter-normals.as.ts (AssemblyScript, two pairs per i64x2 / f64x2
 * step), bitwise identical to the specification (test/engine/counter-normals.test.ts).
 * The module fills its own memory; the pairs are copied into the caller's array (a
 * Float32Array rounds each to nearest on the copy, as an element assignment does).
 *
 * The binary (wasm/counter-normals.wasm, committed; `npm run build:wasm` rebuilds
 * it) loads once per process; where it cannot (no WebAssembly SIMD, missing file), or with
 * VAE_CLAIMS_COUNTER_NORMALS_KERNEL=js, fillPairsWasm returns false and the caller runs
 * the specification's loop.
 */
import { growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from './wasm-kernel.ts';

const binary = wasmKernelBinary(new URL('./wasm/counter-normals.wasm', import.meta.url), 'VAE_CLAIMS_COUNTER_NORMALS_KERNEL', {
  name: 'counter-normals',
  source: new URL('./wasm/counter-normals.as.ts', import.meta.url),
});

/** Pairs per module call at most: 64 KiB of output, so the memory stays two pages. */
export const PAIR_CHUNK = 4096;

interface Port {
  pairs(c0hi: number, c0lo: number, n: number, out: number): void;
  view: Float64Array;
}

let port: Port | null | undefined;

/** The port (its memory never grows after this, so the view stays valid), made once per process (binary.module() is null where it cannot load or JavaScript is forced: the variable is read then, not per fill). */
function instance(): Port | null {
  if (port !== undefined) return port;
  const module = binary.module();
  if (module === null) return (port = null);
  const memory = new WebAssembly.Memory({ initial: 1 });
  growTo(memory, BASE + PAIR_CHUNK * 16);
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Pick<Port, 'pairs'>;
  return (port = { pairs: exports.pairs, view: new Float64Array(memory.buffer, BASE, PAIR_CHUNK * 2) });
}

/** Which implementation fills the pairs in this process. */
export function counterNormalsImplementation(): KernelImplementation {
  return binary.implementation();
}

/**
 * n ≤ PAIR_CHUNK pairs into out[at …] from the u-counter c0 = (c0hi, c0lo) of the first pair
 * (κ + (2p₀ + 1)·γ); false (nothing written) where the port does not run.
 */
export function fillPairsWasm(c0hi: number, c0lo: number, n: number, out: Float32Array | Float64Array, at: number): boolean {
  if (n > PAIR_CHUNK) throw new RangeError(`fillPairsWasm: ${n} pairs; at most ${PAIR_CHUNK} per call`);
  const p = port === undefined ? instance() : port;
  if (p === null) return false;
  p.pairs(c0hi >>> 0, c0lo >>> 0, n, BASE);
  const v = p.view;
  // A short fill copies in a loop (a subarray view costs more than 64 element copies).
  if (n <= 64) for (let i = 0; i < 2 * n; i++) out[at + i] = v[i];
  else out.set(n === PAIR_CHUNK ? v : v.subarray(0, 2 * n), at);
  return true;
}
