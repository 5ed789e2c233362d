/**
 * iwae-oracle.ts's iwaeDraw (one Monte Carlo draw of the IWAE bound over a data set and its
 * gradient) and iwaeDecoderBlocks (iwae-bias's blocked decoder estimates) compiled from
 * wasm/iwae-oracle.as.ts: the same value and gradient bits
 * (test/convergence/iwae-oracle-wasm.test.ts), so switching between the two changes no result.
 *
 * Why: the IWAE claims' float64 reference is this draw over the whole data set, twice per
 * antithetic pair, at every measurement: about half of iwae-rate's time at the full tier, in
 * JavaScript. The port runs the same scalar loops as WebAssembly (no bounds checks, every value
 * in a local), e^x and log x V8's Math.exp and Math.log bit for bit (src/engine/wasm/fdlibm.as.ts).
 *
 * The binary (wasm/iwae-oracle.wasm, committed; `npm run build:wasm` rebuilds it) is loaded
 * beside this file. Where it cannot load, or with VAE_CLAIMS_IWAE_ORACLE=js (the mutation suite
 * sets it, so that a mutant of iwae-oracle.ts is what runs), iwaeDraw runs its JavaScript.
 */
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import type { LinearVaeDims, LinearVaeParams } from './params.ts';

interface IwaeOracleExports {
  decoderBlocks(dx: number, dz: number, n: number, L: number, Ks: number, power: number, cv: number, invV: number, half: number, logNorm: number, halfSumS: number, theta: number, sigma: number, x: number, eps: number, logp: number, exactGrad: number, biases: number, gaps: number, anchor: number, work: number): void;
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

/**
 * The parameter blocks W, b, V, c, s one after the other from byte thetaAt, e^{s/2} at sigmaAt.
 * Explicit copies, no per-call arrays or closures: iwae-snr calls the draw millions of times on a few points.
 */
function writeParams(f64: Float64Array, thetaAt: number, p: LinearVaeParams, sigma: Float64Array, sigmaAt: number): void {
  let at = thetaAt / 8;
  f64.set(p.W, at);
  f64.set(p.b, (at += p.W.length));
  f64.set(p.V, (at += p.b.length));
  f64.set(p.c, (at += p.V.length));
  f64.set(p.s, (at += p.c.length));
  f64.set(sigma, sigmaAt / 8);
}

class WasmIwaeOracle {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private f64 = new Float64Array(this.memory.buffer);
  private readonly exports: IwaeOracleExports;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as IwaeOracleExports;
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
    writeParams(f64, thetaAt, p, o.sigma, sigmaAt);
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
    let at = gradAt / 8;
    g.W.set(f64.subarray(at, (at += g.W.length)));
    g.b.set(f64.subarray(at, (at += g.b.length)));
    g.V.set(f64.subarray(at, (at += g.V.length)));
    g.c.set(f64.subarray(at, (at += g.c.length)));
    g.s.set(f64.subarray(at, at + g.s.length));
    return value;
  }
}

/** iwaeDecoderBlocks' inputs after its validation (constants as in IwaeDrawCall; eps n·Kmax·dz). */
export interface DecoderBlocksCall extends Omit<IwaeDrawCall, 'K' | 'stride' | 'dreg'> {
  Ks: readonly number[];
  cv: boolean;
  logp: Float64Array;
  exactGrad: Float64Array;
}

class WasmDecoderBlocks {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly exports: IwaeOracleExports;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as IwaeOracleExports;
  }

  /** Fills biases (L × d), gaps (L) and anchor (d + 1), which start at 0. */
  run(p: LinearVaeParams, o: DecoderBlocksCall, biases: Float64Array[], gaps: number[], anchor: Float64Array): void {
    const { dx, dz } = o.dims;
    const { n, Ks } = o;
    const L = Ks.length;
    const K0 = Ks[0];
    const Kmax = Ks[L - 1];
    const d = dx * dz + dx;
    const blocks = Kmax / K0;
    const P = 2 * dx * dz + dx + 2 * dz;
    const thetaAt = BASE;
    const sigmaAt = thetaAt + align16(8 * P);
    const KsAt = sigmaAt + align16(8 * dz);
    const logpAt = KsAt + align16(4 * L);
    const gradAt = logpAt + align16(8 * n);
    const biasesAt = gradAt + align16(8 * n * d);
    const gapsAt = biasesAt + align16(8 * L * d);
    const anchorAt = gapsAt + align16(8 * L);
    const workAt = anchorAt + align16(8 * (d + 1));
    const xAt = workAt + align16(8 * (dz + Kmax * dz + Kmax * dx + Kmax + 2 * blocks * d + 2 * blocks));
    const epsAt = xAt + align16(8 * n * dx);
    growTo(this.memory, epsAt + align16(8 * n * Kmax * dz));
    const f64 = new Float64Array(this.memory.buffer);
    writeParams(f64, thetaAt, p, o.sigma, sigmaAt);
    new Int32Array(this.memory.buffer).set(Ks, KsAt / 4);
    f64.set(o.logp.subarray(0, n), logpAt / 8);
    f64.set(o.exactGrad.subarray(0, n * d), gradAt / 8);
    f64.fill(0, biasesAt / 8, workAt / 8);
    for (let i = 0, t = xAt / 8; i < n * dx; i++) f64[t + i] = o.x[i];
    for (let i = 0, t = epsAt / 8; i < n * Kmax * dz; i++) f64[t + i] = o.eps[i];
    this.exports.decoderBlocks(dx, dz, n, L, KsAt, o.power, o.cv ? 1 : 0, o.invV, o.half, o.logNorm, o.halfSumS, thetaAt, sigmaAt, xAt, epsAt, logpAt, gradAt, biasesAt, gapsAt, anchorAt, workAt);
    biases.forEach((bias, l) => bias.set(f64.subarray(biasesAt / 8 + l * d, biasesAt / 8 + (l + 1) * d)));
    for (let l = 0; l < L; l++) gaps[l] = f64[gapsAt / 8 + l];
    anchor.set(f64.subarray(anchorAt / 8, anchorAt / 8 + d + 1));
  }
}

let blocksInstance: WasmDecoderBlocks | null = null;

/** iwaeDecoderBlocks on the port (biases, gaps, anchor filled; they start at 0), false where the port is not in use here: the caller runs JavaScript. */
export function iwaeDecoderBlocksWasm(p: LinearVaeParams, o: DecoderBlocksCall, biases: Float64Array[], gaps: number[], anchor: Float64Array): boolean {
  const module = binary.moduleOnce(); // per draw: the switch read once (wasm-kernel.ts)
  if (module === null) return false;
  blocksInstance ??= new WasmDecoderBlocks(module);
  try {
    blocksInstance.run(p, o, biases, gaps, anchor);
    return true;
  } catch (e) {
    if (e instanceof RangeError && /memory/i.test(e.message)) return false; // memory.grow refused: JavaScript instead
    throw e;
  }
}

let instance: WasmIwaeOracle | null = null;

/** iwaeDraw on the port (the value returned, the gradient into g), or null where the port is not in use here: the caller runs JavaScript. */
export function iwaeDrawWasm(p: LinearVaeParams, o: IwaeDrawCall, g: LinearVaeParams): number | null {
  const module = binary.moduleOnce(); // per draw: the switch read once (wasm-kernel.ts)
  if (module === null) return null;
  instance ??= new WasmIwaeOracle(module);
  try {
    return instance.draw(p, o, g);
  } catch (e) {
    if (e instanceof RangeError && /memory/i.test(e.message)) return null; // memory.grow refused: JavaScript instead
    throw e;
  }
}
