/**
 * Sums of picked rows: out[t] = Σ_i rows[pick[i]][t], the picks in order, each sum from 0.
 * A bootstrap resample of M draws (each a row of statistics) is such a sum, recomputed for
 * every resample: iwae-bias resamples its 2000 draws 2000 times, each a row of L·d bias
 * coordinates (a third of that claim's time in JavaScript).
 *
 * The WebAssembly port (wasm/picked-row-sums.as.ts) adds two columns per f64x2 instruction,
 * each column's sum in pick order, so its sums are pickedRowSumsJs's bits
 * (test/stats/picked-row-sums.test.ts). Where it cannot load, or with
 * VAE_CLAIMS_ROW_SUMS=js (the mutation suite sets it, so that a mutant of the JavaScript is
 * what runs), the JavaScript runs.
 */
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../engine/wasm-kernel.ts';

interface RowSumsExports {
  sumRows(rows: number, width: number, pick: number, J: number, out: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/picked-row-sums.wasm', import.meta.url), 'VAE_CLAIMS_ROW_SUMS', { name: 'picked-row-sums', source: new URL('./wasm/picked-row-sums.as.ts', import.meta.url) });

/** Which implementation PickedRowSums runs here. */
export function pickedRowSumsImplementation(): KernelImplementation {
  return binary.implementation();
}

/** The specification: out[t] = Σ_i rows[pick[i]·width + t] for t < width, the picks in order, from 0. */
export function pickedRowSumsJs(rows: Float64Array, width: number, pick: ArrayLike<number>, J: number, out: Float64Array): void {
  out.fill(0, 0, width);
  for (let i = 0; i < J; i++) {
    const o = pick[i] * width;
    for (let t = 0; t < width; t++) out[t] += rows[o + t];
  }
}

/** Sums of picked rows of a fixed matrix (copied once), for many picks. */
export class PickedRowSums {
  private readonly port: { exports: RowSumsExports; f64: Float64Array; i32: Int32Array; pickAt: number; outAt: number; capacity: number; memory: WebAssembly.Memory } | null;

  constructor(
    private readonly rows: Float64Array,
    private readonly width: number,
  ) {
    if (!Number.isInteger(width) || width < 1 || rows.length % width !== 0) throw new RangeError(`PickedRowSums: ${rows.length} values are not rows of width ${width}`);
    const module = binary.module();
    let port: PickedRowSums['port'] = null;
    if (module !== null) {
      try {
        const memory = new WebAssembly.Memory({ initial: 1 });
        const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as RowSumsExports;
        const outAt = BASE + align16(8 * rows.length);
        const pickAt = outAt + align16(8 * width);
        growTo(memory, pickAt);
        new Float64Array(memory.buffer).set(rows, BASE / 8);
        port = { exports, memory, f64: new Float64Array(memory.buffer), i32: new Int32Array(memory.buffer), pickAt, outAt, capacity: 0 };
      } catch (e) {
        if (!(e instanceof RangeError)) throw e; // memory.grow refused: JavaScript instead
      }
    }
    this.port = port;
  }

  get implementation(): KernelImplementation {
    return this.port ? 'wasm-simd' : 'js';
  }

  /** out[t] = Σ_{i<J} rows[pick[i]][t] (out's first `width` values overwritten). */
  sum(pick: ArrayLike<number>, J: number, out: Float64Array): void {
    const M = this.rows.length / this.width;
    if (out.length < this.width || pick.length < J) throw new RangeError(`PickedRowSums: out of ${out.length} for width ${this.width}, ${pick.length} picks for J = ${J}`);
    for (let i = 0; i < J; i++) {
      if (!(pick[i] >= 0 && pick[i] < M && Number.isInteger(pick[i]))) throw new RangeError(`PickedRowSums: pick ${pick[i]} is not a row of ${M}`);
    }
    const port = this.port;
    if (port === null) {
      pickedRowSumsJs(this.rows, this.width, pick, J, out);
      return;
    }
    if (J > port.capacity) {
      growTo(port.memory, port.pickAt + 4 * J);
      port.f64 = new Float64Array(port.memory.buffer);
      port.i32 = new Int32Array(port.memory.buffer);
      port.capacity = J;
    }
    const p0 = port.pickAt / 4;
    for (let i = 0; i < J; i++) port.i32[p0 + i] = pick[i];
    port.exports.sumRows(BASE, this.width, port.pickAt, J, port.outAt);
    out.set(port.f64.subarray(port.outAt / 8, port.outAt / 8 + this.width));
  }
}
