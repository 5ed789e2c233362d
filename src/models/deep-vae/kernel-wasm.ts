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
 * The binary (wasm/deep-vae-kernel.wasm, committed; `node scripts/build-wasm.mjs`
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

const TWO_TO_MINUS_30 = 2 ** -30;

/**
 * kernel.ts's clipAndSlope, bit for bit, without the exponentials (and their
 * log1p) that cannot change a bit of the result. With s = SOFT_CLIP_SHARPNESS
 * (≥ 1), a = s(t − lo), b = s(t − hi), and Math.exp, Math.log1p faithful
 * (error below 1 ulp; V8's are fdlibm's), every value they may return gives the same bits:
 *   - saturated branch (a > 40, b < −40), when also b < −60 and |t| ≥ 2⁻³⁰:
 *     e = e^b ≤ e^{−60}(1 + 2⁻⁵²) < 2⁻⁵⁴, so 1 − e rounds to 1; and e/s < 2⁻⁸⁴ ≤ 2⁻⁵⁴|t|,
 *     less than half the spacing of the doubles next to t (≥ 2⁻⁵³|t| on either
 *     side), so t − e/s rounds to t: f = t, f' = 1 without the exponential;
 *   - general branch, when b < −60 and b < a − 60: the upper corner's
 *     e_b = e^{−|b|} = e^b, softplus 0 + log1p(e_b) ≤ e_b and sigmoid e_b/(1 + e_b) ≤ e_b,
 *     all below half the spacing under the lower corner's softplus and sigmoid
 *     (each ≥ min(½, e_a/2)(1 − 2⁻⁵²) with e_a = e^{−|a|}: log1p(x) ≥ x/2 and x/(1 + x) ≥ x/2 for x ≤ 1;
 *     ≥ log 2 and ≥ ½ for a ≥ 0), since e^b ≤ e^{−60} max(1, e_a) ≪ 2⁻⁵⁵ min(1, e_a). Where e_b ≠ 0
 *     (b ≥ −745.2), a ≥ −685, so e_a ≥ 2·10⁻²⁹⁸ is normal and that relative bound
 *     holds (a subnormal e_b is off by at most 2⁻¹⁰⁷⁴, still far below). So
 *     spa − spb = spa and sga − sgb = sga exactly: f = lo + spa/s, f' = sga.
 * The hidden layer (range [0, 50], s = 5: b = a − 250) takes the second at every
 * t < 38, halving its transcendental calls; the output layer (range [−50, 50])
 * takes the first at every −42 < t < 38 with |t| ≥ 2⁻³⁰, its only exponential.
 * Tested bitwise against clipAndSlope at both sides of every threshold
 * (test/convergence/deep-vae-kernel-wasm.test.ts). The module's own clip
 * (wasm/kernel.as.ts) takes the same two short cuts.
 */
export function clipAndSlopeSkipping(t: number, lo: number, hi: number, out: Float64Array, slope: Float64Array, at: number): void {
  const s = SOFT_CLIP_SHARPNESS;
  const a = s * (t - lo);
  const b = s * (t - hi);
  if (a > 40 && b < -40) {
    if (b < -60 && Math.abs(t) >= TWO_TO_MINUS_30) {
      out[at] = t;
      slope[at] = 1;
      return;
    }
    const e = Math.exp(b);
    out[at] = t - e / s;
    slope[at] = 1 - e;
    return;
  }
  const ea = Math.exp(-Math.abs(a));
  const spa = (a > 0 ? a : 0) + Math.log1p(ea);
  const sga = a >= 0 ? 1 / (1 + ea) : ea / (1 + ea);
  if (b < -60 && b < a - 60) {
    out[at] = lo + spa / s;
    slope[at] = sga;
    return;
  }
  const eb = Math.exp(-Math.abs(b));
  const spb = (b > 0 ? b : 0) + Math.log1p(eb);
  const sgb = b >= 0 ? 1 / (1 + eb) : eb / (1 + eb);
  out[at] = lo + (spa - spb) / s;
  slope[at] = sga - sgb;
}

export type DeepVaeKernelImplementation = KernelImplementation;

interface KernelExports {
  scratchBytes(dx: number, H: number, dz: number): number;
  batchBytes(B: number, K: number): number;
  setBatch(B: number, K: number, at: number): void;
  hiddenArray(which: number): number;
  activation(t: number, range: number): number;
  lastSlope(): number;
  setup(dx: number, H: number, dz: number, sharp: number, mLo: number, mHi: number, vLo: number, vHi: number, logNorm: number, invVar: number, theta: number, grad: number, data: number, scratch: number): void;
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
  /** Views of the batch's (A1, D1) and (A2, D2) in the module's memory, for the hidden activations (after setBatch). */
  private layers: [Float64Array, Float64Array][] = [];
  private readonly thetaAt: number;
  private readonly gradAt: number;
  private readonly drawsAt: number;
  /** Values between the batch's hidden-layer rows: H padded to even (the module's align2(H)). */
  private readonly rowStride: number;
  private rowsCapacity = 0;
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
    const { lo, hi } = HIDDEN_RANGE;
    // The hidden layers' soft-clip, `rows` rows of H units per call (a layer of the whole batch),
    // on views of the module's arrays (this.layers; rows padded to an even length).
    const stride = (this.rowStride = H + (H & 1));
    const hidden = (layer: number, rows: number) => {
      const [out, slope] = this.layers[layer];
      for (let r = 0; r < rows; r++) {
        const base = r * stride;
        for (let h = base; h < base + H; h++) clipAndSlopeSkipping(out[h], lo, hi, out, slope, h);
      }
    };
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, exp: Math.exp, log1p: Math.log1p, hidden } });
    this.exports = instance.exports as unknown as KernelExports;
    this.thetaAt = BASE;
    this.gradAt = this.thetaAt + align16(8 * P);
    const scratchAt = this.gradAt + align16(8 * P);
    const dataAt = scratchAt + align16(this.exports.scratchBytes(dx, H, dz));
    this.drawsAt = dataAt + align16(8 * data.length);
    this.exports.setup(dx, H, dz, SOFT_CLIP_SHARPNESS, MEAN_RANGE.lo, MEAN_RANGE.hi, LOG_VARIANCE_RANGE.lo, LOG_VARIANCE_RANGE.hi, logNorm, invVar, this.thetaAt, this.gradAt, dataAt, scratchAt);
    this.grow(this.drawsAt);
    this.f64.set(data, dataAt / 8); // widened to float64 (exact), as kernel.ts's data64
  }

  private grow(bytes: number): void {
    growTo(this.memory, bytes);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.layers = [];
    this.batch = { B: 0, K: 0, at: 0 };
  }

  /** Lays the batch's arrays out for B points of K samples at `at` (memory already there), and the views of its hidden layers. */
  private setBatch(B: number, K: number, at: number): void {
    this.exports.setBatch(B, K, at);
    this.batch = { B, K, at };
    const view = (which: number, rows: number) => new Float64Array(this.memory.buffer, this.exports.hiddenArray(which), rows * this.rowStride);
    this.layers = [
      [view(0, B), view(1, B)],
      [view(2, B * K), view(3, B * K)],
    ];
  }

  /**
   * kernel.ts's objectiveAndGradient after its draw: the same objective, and the
   * same gradient written into `grad`, bit for bit.
   */
  /** The module's mean (range 'mean') or log-variance soft-clip at t and its slope, for the tests. */
  activation(t: number, range: 'mean' | 'logVar'): { value: number; slope: number } {
    const value = this.exports.activation(t, range === 'mean' ? 0 : 1);
    return { value, slope: this.exports.lastSlope() };
  }

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
