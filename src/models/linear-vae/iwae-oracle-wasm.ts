/**
 * iwae-oracle.ts's iwaeDraw (one Monte Carlo draw of the IWAE bound over a data set and its
 * gradient) compiled from wasm/iwae-oracle.as.ts: the same value and gradient bits
 * (test/convergence/iwae-oracle-wasm.test.ts), so switching between the two changes no result.
 *
 * Why: the IWAE claims' float64 reference is this draw over the whole data set, twice per
 * antithetic pair, at every measurement: about half of iwae-rate's time at the full tier, in
 * JavaScript. The port runs the same scalar loops as WebAssembly (no bounds checks, every value
 * in a local), e^x and log x through imports of V8's Math.exp and Math.log.
 *
 * The binary (wasm/iwae-oracle.wasm, committed; `npm run build:wasm` rebuilds it) is loaded
 * beside this file. Where it cannot load, or with VAE_CLAIMS_IWAE_ORACLE=js (the mutation suite
 * sets it, so that a mutant of iwae-oracle.ts is what runs), iwaeDraw runs its JavaScript.
 */
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import type { LinearVaeDims, LinearVaeParams } from './params.ts';

interface IwaeOracleExports {
  draw(dx: number, dz: number, n: number, K: number, stride: number, power: number, dreg: number, invV: number, half: number, logNorm: number, halfSumS: number, theta: number, sigma: number, x: number, eps: number, grad: number, work: number): number;
}

const binary = wasmKernelBinary(new URL('./wasm/iwae-oracle.wasm', import.meta.url), 'VAE_CLAIMS_IWAE_ORACLE', { name: 'iwae-oracle', source: new URL('./wasm/iwae-oracle.as.ts', import.meta.url) });

/** Which implementation iwaeDraw runs here: the WebAssembly one, or JavaScript where that cannot load (or VAE_CLAIMS_IWAE_ORACLE=js). */
export function iwaeOracleImplementation(): KernelImplementation {
  return binary.implementation();
}

/** iwaeDraw's inputs after its validation, and its point-independent constants (computed by iwae-oracle.ts's expressions). */
export interface IwaeDrawCall {
  dims: LinearVaeDims;
  x: ArrayLike<number>;
  n: number;
  K: number;
  stride: number;
  eps: ArrayLike<number>;
  power: number;
  dreg: boolean;
  invV: number;
  half: number;
  logNorm: number;
  halfSumS: number;
  sigma: Float64Array;
}

class WasmIwaeOracle {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private f64 = new Float64Array(this.memory.buffer);
  private readonly exports: IwaeOracleExports;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory, exp: Math.exp, log: Math.log } }).exports as unknown as IwaeOracleExports;
  }

  draw(p: LinearVaeParams, o: IwaeDrawCall, g: LinearVaeParams): number {
    const { dx, dz } = o.dims;
    const { n, K, stride } = o;
    const P = 2 * dx * dz + dx + 2 * dz;
    const thetaAt = BASE;
    const sigmaAt = thetaAt + align16(8 * P);
    const gradAt = sigmaAt + align16(8 * dz);
    const workAt = gradAt + align16(8 * P);
    const xAt = workAt + align16(8 * (2 * dz + K * dz + K * dx + 2 * K));
    const epsAt = xAt + align16(8 * n * dx);
    const end = epsAt + align16(8 * n * stride * dz);
    if (end > this.memory.buffer.byteLength) {
      growTo(this.memory, end);
      this.f64 = new Float64Array(this.memory.buffer);
    }
    const f64 = this.f64;
    // Explicit copies, no per-call arrays or closures: iwae-snr calls this millions of times on a few points.
    let at = thetaAt / 8;
    f64.set(p.W, at);
    f64.set(p.b, (at += p.W.length));
    f64.set(p.V, (at += p.b.length));
    f64.set(p.c, (at += p.V.length));
    f64.set(p.s, (at += p.c.length));
    f64.set(o.sigma, sigmaAt / 8);
    // Only the first n·dx data values and n·stride·dz noise values are read (as iwaeDraw does).
    const nx = n * dx;
    const x = o.x;
    if (x.length === nx) f64.set(x, xAt / 8);
    else for (let i = 0, t = xAt / 8; i < nx; i++) f64[t + i] = x[i];
    const ne = n * stride * dz;
    const eps = o.eps;
    if (eps.length === ne) f64.set(eps, epsAt / 8);
    else for (let i = 0, t = epsAt / 8; i < ne; i++) f64[t + i] = eps[i];
    const value = this.exports.draw(dx, dz, n, K, stride, o.power, o.dreg ? 1 : 0, o.invV, o.half, o.logNorm, o.halfSumS, thetaAt, sigmaAt, xAt, epsAt, gradAt, workAt);
    at = gradAt / 8;
    g.W.set(f64.subarray(at, (at += g.W.length)));
    g.b.set(f64.subarray(at, (at += g.b.length)));
    g.V.set(f64.subarray(at, (at += g.V.length)));
    g.c.set(f64.subarray(at, (at += g.c.length)));
    g.s.set(f64.subarray(at, at + g.s.length));
    return value;
  }
}

let instance: WasmIwaeOracle | null = null;

/** iwaeDraw on the port (the value returned, the gradient into g), or null where the port is not in use here: the caller runs JavaScript. */
export function iwaeDrawWasm(p: LinearVaeParams, o: IwaeDrawCall, g: LinearVaeParams): number | null {
  const module = binary.module();
  if (module === null) return null;
  instance ??= new WasmIwaeOracle(module);
  try {
    return instance.draw(p, o, g);
  } catch (e) {
    if (e instanceof RangeError && /memory/i.test(e.message)) return null; // memory.grow refused: JavaScript instead
    throw e;
  }
}
