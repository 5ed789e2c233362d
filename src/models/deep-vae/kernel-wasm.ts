/**
 * The deep VAE kernel's WebAssembly SIMD path: kernel.ts's
 * objectiveAndGradient arithmetic compiled from wasm/kernel.as.ts
 * (AssemblyScript, f64x2), bitwise identical to the JavaScript kernel — same
 * objective and gradient bits for every input (test/convergence/deep-vae-kernel-wasm.test.ts),
 * so switching between the two changes no result. The draws stay in
 * JavaScript (kernel.ts's draw, from the replica's streams); this file copies
 * them, the parameters (float32 widened to float64, exact) and, once, the data
 * into the module's memory, runs the step, and copies the gradient out.
 *
 * The binary (wasm/deep-vae-kernel.wasm, committed; `npm run build:wasm`
 * rebuilds it) is loaded synchronously beside this file (src/ under tsx,
 * dist/ after `npm run build`, which copies it). Where it cannot be loaded
 * (no WebAssembly SIMD, missing file), the JavaScript kernel runs:
 * deepVaeKernelImplementation() says which. The environment variable
 * VAE_CLAIMS_DEEP_VAE_KERNEL=js forces the JavaScript kernel in the whole
 * process: for a mutant of kernel.ts's arithmetic (which the port would
 * otherwise bypass) and for debugging.
 */
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import type { Activation, DeepVaeDims } from './params.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, SOFT_CLIP_SHARPNESS } from './soft-clip.ts';

export type DeepVaeKernelImplementation = KernelImplementation;

interface KernelExports {
  scratchBytes(dx: number, H: number, dz: number): number;
  batchBytes(B: number, K: number): number;
  setBatch(B: number, K: number, at: number): void;
  activation(t: number, range: number): number;
  lastSlope(): number;
  clipHidden(out: number, slopes: number, n: number): void;
  portExp(x: number): number;
  portLog1p(x: number): number;
  portLog(x: number): number;
  setup(dx: number, H: number, dz: number, sharp: number, hLo: number, hHi: number, mLo: number, mHi: number, vLo: number, vHi: number, logNorm: number, invVar: number, theta: number, grad: number, data: number, scratch: number): void;
  step(B: number, K: number, beta: number, relu: number, rowsAt: number, epsAt: number, P: number): number;
}

const binary = wasmKernelBinary(new URL('./wasm/deep-vae-kernel.wasm', import.meta.url), 'VAE_CLAIMS_DEEP_VAE_KERNEL', { name: 'deep-vae', source: new URL('./wasm/kernel.as.ts', import.meta.url) });

/** Which implementation DeepVaeKernel runs by default here: the WebAssembly SIMD one, or the JavaScript one where that cannot load (or VAE_CLAIMS_DEEP_VAE_KERNEL=js). */
export function deepVaeKernelImplementation(): DeepVaeKernelImplementation {
  return binary.implementation();
}

/**
 * One kernel's module instance and memory: parameters, gradient, scratch, data, then the
 * step's draws and the batch's arrays (grown on demand).
 */
export class WasmDeepVaeKernel {
  private readonly exports: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private f64!: Float64Array;
  private i32!: Int32Array;
  private readonly thetaAt: number;
  private readonly gradAt: number;
  private readonly drawsAt: number;
  private rowsCapacity = 0;
  /** hiddenClip's region (tests only): its address and capacity in values. */
  private testAt = 0;
  private testCapacity = 0;
  private epsCapacity = 0;
  /** The batch arrays' layout in use (B, K, address): set again when any of them changes. */
  private batch = { B: 0, K: 0, at: 0 };

  /**
   * null where the module cannot load, or its memory cannot hold the data
   * (wasm32: 4 GiB): the caller runs the JavaScript kernel.
   */
  static create(dims: DeepVaeDims, P: number, data: Float32Array, logNorm: number, invVar: number): WasmDeepVaeKernel | null {
    const module = binary.module();
    if (module === null) return null;
    try {
      return new WasmDeepVaeKernel(module, dims, P, data, logNorm, invVar);
    } catch (e) {
      if (e instanceof RangeError) return null; // memory.grow refused
      throw e;
    }
  }

  private constructor(
    module: WebAssembly.Module,
    dims: DeepVaeDims,
    private readonly P: number,
    data: Float32Array,
    logNorm: number,
    invVar: number,
  ) {
    const { dx, hidden: H, dz } = dims;
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.thetaAt = BASE;
    this.gradAt = this.thetaAt + align16(8 * P);
    const scratchAt = this.gradAt + align16(8 * P);
    const dataAt = scratchAt + align16(this.exports.scratchBytes(dx, H, dz));
    this.drawsAt = dataAt + align16(8 * data.length);
    this.exports.setup(dx, H, dz, SOFT_CLIP_SHARPNESS, HIDDEN_RANGE.lo, HIDDEN_RANGE.hi, MEAN_RANGE.lo, MEAN_RANGE.hi, LOG_VARIANCE_RANGE.lo, LOG_VARIANCE_RANGE.hi, logNorm, invVar, this.thetaAt, this.gradAt, dataAt, scratchAt);
    this.grow(this.drawsAt);
    this.f64.set(data, dataAt / 8); // widened to float64 (exact), as kernel.ts's data64
  }

  private grow(bytes: number): void {
    growTo(this.memory, bytes);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.batch = { B: 0, K: 0, at: 0 };
  }

  /** Lays the batch's arrays out for B points of K samples at `at` (memory already there). */
  private setBatch(B: number, K: number, at: number): void {
    this.exports.setBatch(B, K, at);
    this.batch = { B, K, at };
  }

  /** The module's hidden-layer soft-clip over `ts` as the step runs it over a layer's row (two and four units at a time where it can), for the tests. */
  hiddenClip(ts: Float64Array): { values: Float64Array; slopes: Float64Array } {
    if (ts.length > this.testCapacity) {
      // A region past everything else, grown only when a longer array comes.
      this.testAt = this.memory.buffer.byteLength;
      this.testCapacity = ts.length;
      this.grow(this.testAt + 2 * align16(8 * ts.length));
    }
    const at = this.testAt;
    const slopesAt = at + align16(8 * this.testCapacity);
    this.f64.set(ts, at / 8);
    this.exports.clipHidden(at, slopesAt, ts.length);
    return { values: this.f64.slice(at / 8, at / 8 + ts.length), slopes: this.f64.slice(slopesAt / 8, slopesAt / 8 + ts.length) };
  }

  /** The module's e^x, log1p and log (src/engine/wasm/fdlibm.as.ts: every kernel's that uses them), for the tests. */
  exp(x: number): number {
    return this.exports.portExp(x);
  }

  log1p(x: number): number {
    return this.exports.portLog1p(x);
  }

  log(x: number): number {
    return this.exports.portLog(x);
  }

  /** The module's mean (range 'mean') or log-variance soft-clip at t and its slope, for the tests. */
  activation(t: number, range: 'mean' | 'logVar'): { value: number; slope: number } {
    const value = this.exports.activation(t, range === 'mean' ? 0 : 1);
    return { value, slope: this.exports.lastSlope() };
  }

  /**
   * kernel.ts's objectiveAndGradient after its draw: the same objective, and the
   * same gradient written into `grad`, bit for bit.
   */
  objectiveAndGradient(theta32: Float32Array, activation: Activation, bias: Float32Array | null, B: number, K: number, beta: number, rows: Int32Array, eps: Float64Array, grad: Float64Array): number {
    const P = this.P;
    if (rows.length > this.rowsCapacity || eps.length > this.epsCapacity) {
      this.rowsCapacity = Math.max(rows.length, this.rowsCapacity);
      this.epsCapacity = Math.max(eps.length, this.epsCapacity);
      this.grow(this.drawsAt + align16(4 * this.rowsCapacity) + align16(8 * this.epsCapacity));
    }
    const rowsAt = this.drawsAt;
    const epsAt = rowsAt + align16(4 * this.rowsCapacity);
    const batchAt = epsAt + align16(8 * this.epsCapacity);
    if (this.batch.B !== B || this.batch.K !== K || this.batch.at !== batchAt) {
      const end = batchAt + this.exports.batchBytes(B, K);
      if (end > this.memory.buffer.byteLength) this.grow(end);
      this.setBatch(B, K, batchAt);
    }
    const f64 = this.f64;
    f64.set(theta32, this.thetaAt / 8);
    this.i32.set(rows, rowsAt / 4);
    f64.set(eps, epsAt / 8);
    let objective = this.exports.step(B, K, beta, activation === 'relu' ? 1 : 0, rowsAt, epsAt, P);
    grad.set(f64.subarray(this.gradAt / 8, this.gradAt / 8 + P));
    if (bias !== null) {
      // kernel.ts's bias loop (θ read as float32 widened: the same doubles).
      for (let p = 0; p < P; p++) {
        objective += bias[p] * theta32[p];
        grad[p] += bias[p];
      }
    }
    return objective;
  }
}
