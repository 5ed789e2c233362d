/**
 * The kernel trainer's SGD and Adam (kernel-optimizer.ts's KernelSgd and KernelAdam,
 * the specification) as a WebAssembly SIMD port, wasm/optimizer.as.ts (f64x2): the same
 * parameters bit for bit (test/engine/kernel-optimizer-identity.test.ts), so switching
 * between the two changes no result.
 *
 * Why: at the deep VAE's full sizes (P = 26,964 parameters) the JavaScript Adam took
 * about half of a kernel-trainer step (~4.6 ns a coordinate: three float64 divisions and
 * a square root, one coordinate at a time); the port does two coordinates per
 * instruction (and skips a bias correction's division once it has rounded to exactly 1,
 * which changes no bit: x / 1 = x). Adam's moments m, v live in the module's memory for the optimiser's
 * lifetime, and so may the trainer's parameters and gradient (`storage`: the kernel
 * trainer keeps them there), so that a step copies nothing; arrays elsewhere are copied
 * in and out (measured ~7% of the update at P = 26,964, still ~2x faster than JavaScript).
 * The memory is sized once, at construction, and never grows: views of it stay valid.
 *
 * The binary (wasm/optimizer-kernel.wasm, committed; `npm run build:wasm`
 * rebuilds it) is loaded beside this file. Where it cannot be loaded (no WebAssembly
 * SIMD, missing file) or its memory cannot be allocated (wasm32: 4 GiB), the JavaScript
 * optimiser runs. VAE_CLAIMS_OPTIMIZER_KERNEL=js forces the JavaScript optimiser in the
 * whole process: for a mutant of kernel-optimizer.ts (which the port would otherwise
 * bypass; mutants/run.ts sets it) and for debugging. The claims' optimiser probe
 * (src/claims/shared/optimizer-probe.ts) compares the two bit for bit at run time.
 */
import { align16, wasmKernelBinary, WASM_BASE, WASM_PAGE, type KernelImplementation } from './wasm-kernel.ts';

/** Arrays in the port's memory: parameters (total length) and gradients (per-replica length). */
export interface OptimizerStorage {
  params: Record<string, Float32Array>;
  grads: Record<string, Float64Array>;
}

interface OptimizerExports {
  adam(theta: number, grad: number, m: number, v: number, n: number, beta1: number, beta2: number, b1: number, b2: number, gamma: number, c1: number, c2: number, eps: number): number;
  sgd(theta: number, grad: number, n: number, gamma: number): number;
}

const binary = wasmKernelBinary(new URL('./wasm/optimizer-kernel.wasm', import.meta.url), 'VAE_CLAIMS_OPTIMIZER_KERNEL', { name: 'optimizer', source: new URL('./wasm/optimizer.as.ts', import.meta.url) });

/** Which implementation the kernel trainer's SGD and Adam run by default here. */
export function kernelOptimizerImplementation(): KernelImplementation {
  return binary.implementation();
}

/** Addresses (bytes) of one parameter's blocks in the module's memory. */
interface Block {
  total: number;
  gradLength: number;
  theta: number;
  grad: number;
  m: number;
  v: number;
}

type AdamConfig = { kind: 'adam'; beta1: number; beta2: number; epsilon: number };

/** A KernelOptimizer (kernel-optimizer.ts; not imported, which would be circular) with the storage and moments it may offer. */
export class WasmOptimizer {
  readonly storage: OptimizerStorage = { params: {}, grads: {} };
  private readonly exports: OptimizerExports;
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;
  private readonly blocks: Record<string, Block> = {};
  /** The bias corrections 1 − β^k of the last k, as KernelAdam computes them. */
  private k = -1;
  private c1 = 1;
  private c2 = 1;

  constructor(
    module: WebAssembly.Module,
    private readonly cfg: { kind: 'sgd' } | AdamConfig,
    sizes: Record<string, number>,
    gradSizes: Record<string, number>,
  ) {
    const moments = cfg.kind === 'adam' ? 2 : 0;
    let at = WASM_BASE;
    for (const [name, total] of Object.entries(sizes)) {
      const gradLength = gradSizes[name] ?? total;
      const theta = at;
      const grad = theta + align16(4 * total);
      const m = grad + align16(8 * gradLength);
      const v = m + align16(8 * total);
      this.blocks[name] = { total, gradLength, theta, grad, m, v };
      at = m + moments * align16(8 * total);
    }
    // RangeError where it cannot be allocated: createWasmOptimizer falls back to JavaScript.
    const memory = new WebAssembly.Memory({ initial: Math.ceil(at / WASM_PAGE) });
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as OptimizerExports;
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    for (const [name, b] of Object.entries(this.blocks)) {
      this.storage.params[name] = this.f32.subarray(b.theta / 4, b.theta / 4 + b.total);
      this.storage.grads[name] = this.f64.subarray(b.grad / 8, b.grad / 8 + b.gradLength);
    }
  }

  moments(name: string): { m: Float64Array; v: Float64Array } {
    const b = this.blocks[name];
    if (this.cfg.kind !== 'adam' || b === undefined) throw new RangeError(`kernel optimiser: no moments of "${name}" (${this.cfg.kind})`);
    return { m: this.f64.subarray(b.m / 8, b.m / 8 + b.total), v: this.f64.subarray(b.v / 8, b.v / 8 + b.total) };
  }

  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, _r: number, gamma: number, k: number): boolean {
    const cfg = this.cfg;
    // The updates' screens (wasm/optimizer.as.ts): 0 while every new θ is finite, NaN once one is not.
    let screen = 0;
    if (cfg.kind === 'adam' && k !== this.k) {
      this.k = k;
      this.c1 = 1 - Math.pow(cfg.beta1, k);
      this.c2 = 1 - Math.pow(cfg.beta2, k);
    }
    for (const name in grads) {
      const b = this.blocks[name];
      const p = params[name];
      const g = grads[name];
      const o = offsets[name];
      const n = g.length;
      if (b === undefined || n > b.gradLength || o < 0 || o + n > b.total) throw new RangeError(`kernel optimiser: parameter "${name}" slice [${o}, ${o + n}) is outside its sizes`);
      // The trainer's arrays are the storage (nothing moves); any others are copied in and out.
      const own = p === this.storage.params[name];
      if (!own) this.f32.set(p.subarray(o, o + n), b.theta / 4 + o);
      if (g !== this.storage.grads[name]) this.f64.set(g, b.grad / 8);
      const theta = b.theta + 4 * o;
      if (cfg.kind === 'adam') {
        screen += this.exports.adam(theta, b.grad, b.m + 8 * o, b.v + 8 * o, n, cfg.beta1, cfg.beta2, 1 - cfg.beta1, 1 - cfg.beta2, gamma, this.c1, this.c2, cfg.epsilon);
      } else {
        screen += this.exports.sgd(theta, b.grad, n, gamma);
      }
      if (!own) p.set(this.f32.subarray(b.theta / 4 + o, b.theta / 4 + o + n), o);
    }
    return screen === 0;
  }
}

/**
 * The port of SGD or Adam for parameters of total lengths `sizes` and gradients of at
 * most `gradSizes`, or null: not loadable here, forced off, or its memory cannot be allocated.
 */
export function createWasmOptimizer(cfg: { kind: 'sgd' } | AdamConfig, sizes: Record<string, number>, gradSizes: Record<string, number>): WasmOptimizer | null {
  const module = binary.module();
  if (module === null) return null;
  try {
    return new WasmOptimizer(module, cfg, sizes, gradSizes);
  } catch (e) {
    if (e instanceof RangeError) return null; // memory refused
    throw e;
  }
}
