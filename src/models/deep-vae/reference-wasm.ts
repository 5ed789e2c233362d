/**
 * The float64 reference's WebAssembly SIMD path: reference.ts's deepElboDraws
 * compiled from wasm/reference.as.ts (AssemblyScript, f64x2), bitwise identical
 * to the JavaScript reference — the same values and gradient bits for every
 * input (test/convergence/deep-vae-reference-wasm.test.ts), so switching
 * between the two changes no result. It is the measurement of ‖∇L(θ)‖² at
 * every checkpoint of the deep VAE rate claims, and shares no code with the
 * engine's kernel it measures (kernel.ts, kernel-wasm.ts, wasm/kernel.as.ts).
 *
 * The activations (soft-clip, or ReLU and identity heads) and the KL stay in
 * JavaScript: the module calls back once per layer of a point (`act`) and once
 * per point for the encoder heads and the KL (`heads`), which apply
 * reference.ts's own activation functions (`activationSet`) and Math.exp, so
 * every transcendental's bits are V8's, as in the JavaScript reference. Both
 * activations run through the port. Except, with the soft-clip: the hidden layers'
 * units that take softClipWithDerivative's lower corner alone (the usual case) are
 * computed in the module, with e^x and log1p from src/engine/wasm/fdlibm.as.ts (V8's
 * fdlibm ported bit for bit, tested against Math.exp and Math.log1p), four or two at a
 * time; the others still call softClipWithDerivative (`actAt`).
 *
 * One short cut, where no faithful exponential can change a bit: the decoder output's
 * soft-clip (`meanClip`: soft-clip.ts's softClipWithDerivative with s = SOFT_CLIP_SHARPNESS
 * on [lo, hi]; the bulk of the activations: S·dx per point) is not called for t with
 * a1 = s(t − lo) > 40, a2 = s(t − hi) < −60 and |t| ≥ 2⁻³⁰ (a1, a2 computed as soft-clip.ts
 * does, so the module takes softClipWithDerivative's saturated branch a1 > 40, a2 < −40
 * exactly where it does, on a subset of it). That branch returns f = t − e/s, f' = 1 − e
 * with e = Math.exp(a2). With Math.exp faithful (error below 1 ulp; V8's is fdlibm's),
 * e ≤ e^{−60}(1 + 2⁻⁵²) < 2⁻⁸⁶, so
 *   - 1 − e rounds to 1: e < 2⁻⁵⁴, half the spacing of the doubles below 1;
 *   - t − e/s rounds to t: e/s ≤ e < 2⁻⁸⁶ ≤ 2⁻⁵⁶|t| (s ≥ 1, |t| ≥ 2⁻³⁰), below half the
 *     spacing of the doubles on either side of t (≥ 2⁻⁵³|t|; t is finite there: a1 > 40
 *     and a2 < −60 exclude ±∞ and NaN).
 * So f = t (left in place) and f' = 1 bit for bit, without the exponential. Every other
 * output goes to softClipWithDerivative itself (env.actAt). Tested bitwise with output
 * pre-activations at both sides of each of these thresholds
 * (test/convergence/deep-vae-reference-wasm.test.ts).
 *
 * The binary (wasm/deep-vae-reference.wasm, committed; `npm run build:wasm`
 * rebuilds it) is loaded synchronously beside this file. Where it cannot be
 * loaded (no WebAssembly SIMD, missing file), reference.ts runs its JavaScript:
 * deepReferenceImplementation() says which. VAE_CLAIMS_DEEP_REFERENCE=js forces
 * the JavaScript reference in the whole process: for a mutant of reference.ts's
 * arithmetic (which the port would otherwise bypass) and for debugging. The deep
 * rate claims also compare the two once per run (adam-rate-deep-vae.check.ts).
 */
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import type { DeepVaeDims } from './params.ts';
import { SOFT_CLIP_SHARPNESS, type ClipRange } from './soft-clip.ts';

/** reference.ts's activation of one layer: f into out[at], f' into out[at + 1]. */
interface ActFd {
  fd(x: number, out: Float64Array, at: number): void;
}

/**
 * With the soft-clip activation (sharpness SOFT_CLIP_SHARPNESS), its ranges in the hidden layers
 * and the decoder output, which the module computes itself where it can (`act` is then
 * softClipWithDerivative on them).
 */
export interface SoftClipRanges {
  hidden: ClipRange;
  mean: ClipRange;
}

export interface ActivationFns {
  hidden: ActFd;
  mean: ActFd;
  logVar: ActFd;
}

interface ReferenceExports {
  setMeanClip(on: number, s: number, lo: number, hi: number): void;
  setHiddenClip(on: number, s: number, lo: number, hi: number): void;
  outputSkipped(t: number): number;
  setup(dx: number, H: number, dz: number, n: number, J: number, K: number, stride: number, beta: number, v: number, logNorm: number, theta: number, x: number, eps: number, epsBytes: number, grads: number, values: number, scratch: number): number;
  headArray(which: number): number;
  run(): void;
}

const binary = wasmKernelBinary(new URL('./wasm/deep-vae-reference.wasm', import.meta.url), 'VAE_CLAIMS_DEEP_REFERENCE', { name: 'deep-vae-reference', source: new URL('./wasm/reference.as.ts', import.meta.url) });

/** Which implementation deepElboDraws runs here: the WebAssembly SIMD one, or JavaScript where that cannot load (or VAE_CLAIMS_DEEP_REFERENCE=js). */
export function deepReferenceImplementation(): KernelImplementation {
  return binary.implementation();
}

/** The module's instance and memory (one per process, grown on demand). */
class WasmDeepReference {
  private readonly exports: ReferenceExports;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private f64 = new Float64Array(this.memory.buffer);
  private act: ActivationFns | null = null;
  private readonly pair = new Float64Array(2);
  /** The call's latent dimension and the heads' arrays (float64 indices: tm, tv, mu, mud, lv, lvd, sd). */
  private dz = 0;
  private heads: number[] = [];

  constructor(module: WebAssembly.Module) {
    const pair = this.pair;
    const act = (kind: number, at: number, der: number, count: number) => {
      const f = kind === 0 ? this.act!.hidden : this.act!.mean;
      const m = this.f64;
      const a = at / 8;
      const b = der / 8;
      for (let i = 0; i < count; i++) {
        f.fd(m[a + i], pair, 0);
        m[a + i] = pair[0];
        m[b + i] = pair[1];
      }
    };
    const actAt = (kind: number, at: number, der: number) => {
      const m = this.f64;
      (kind === 0 ? this.act!.hidden : this.act!.mean).fd(m[at / 8], pair, 0);
      m[at / 8] = pair[0];
      m[der / 8] = pair[1];
    };
    // reference.ts's encoder heads and KL of one point, in its order: μ, log σ², σ = e^{lv/2}, KL.
    const headsFn = () => {
      const { mean, logVar } = this.act!;
      const m = this.f64;
      const dz = this.dz;
      const [tm, tv, mu, mud, lv, lvd, sd] = this.heads;
      let kl = 0;
      for (let j = 0; j < dz; j++) {
        mean.fd(m[tm + j], pair, 0);
        m[mu + j] = pair[0];
        m[mud + j] = pair[1];
        logVar.fd(m[tv + j], pair, 0);
        m[lv + j] = pair[0];
        m[lvd + j] = pair[1];
        m[sd + j] = Math.exp(0.5 * m[lv + j]);
        kl += 0.5 * (Math.exp(m[lv + j]) + m[mu + j] * m[mu + j] - 1 - m[lv + j]);
      }
      return kl;
    };
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, act, actAt, heads: headsFn } });
    this.exports = instance.exports as unknown as ReferenceExports;
  }

  /** Whether the module skips the soft-clip on [lo, hi] (the decoder output's) at t. */
  skips(t: number, { lo, hi }: ClipRange): boolean {
    this.exports.setMeanClip(1, SOFT_CLIP_SHARPNESS, lo, hi);
    return this.exports.outputSkipped(t) === 1;
  }

  /** reference.ts's deepElboDraws after validation (grads zeroed or not: overwritten). */
  draws(theta: Float64Array, dims: DeepVaeDims, act: ActivationFns, clips: SoftClipRanges | null, x: ArrayLike<number>, n: number, K: number, stride: number, beta: number, v: number, logNorm: number, epsList: readonly ArrayLike<number>[], grads: readonly Float64Array[]): Float64Array {
    const { dx, hidden: H, dz } = dims;
    const J = epsList.length;
    const P = theta.length;
    const thetaAt = BASE;
    const xAt = thetaAt + align16(8 * P);
    const epsAt = xAt + align16(8 * n * dx);
    const epsBytes = align16(8 * n * stride * dz);
    const gradsAt = epsAt + J * epsBytes;
    const valuesAt = gradsAt + align16(8 * J * P);
    const scratchAt = valuesAt + align16(8 * J);
    const end = this.exports.setup(dx, H, dz, n, J, K, stride, beta, v, logNorm, thetaAt, xAt, epsAt, epsBytes, gradsAt, valuesAt, scratchAt);
    if (end > this.memory.buffer.byteLength) {
      growTo(this.memory, end);
      this.f64 = new Float64Array(this.memory.buffer);
    }
    this.dz = dz;
    this.heads = Array.from({ length: 7 }, (_, w) => this.exports.headArray(w) / 8);
    const m = this.f64;
    m.set(theta, thetaAt / 8);
    // Only the first n·dx values and n·stride·dz noise values are read (as reference.ts does).
    m.set(x.length === n * dx ? x : Array.prototype.slice.call(x, 0, n * dx), xAt / 8);
    epsList.forEach((e, d) => m.set(e.length === n * stride * dz ? e : Array.prototype.slice.call(e, 0, n * stride * dz), (epsAt + d * epsBytes) / 8));
    this.act = act;
    if (clips) {
      this.exports.setMeanClip(1, SOFT_CLIP_SHARPNESS, clips.mean.lo, clips.mean.hi);
      this.exports.setHiddenClip(1, SOFT_CLIP_SHARPNESS, clips.hidden.lo, clips.hidden.hi);
    } else {
      this.exports.setMeanClip(0, 0, 0, 0);
      this.exports.setHiddenClip(0, 0, 0, 0);
    }
    try {
      this.exports.run();
    } finally {
      this.act = null;
    }
    grads.forEach((g, d) => g.set(m.subarray(gradsAt / 8 + d * P, gradsAt / 8 + (d + 1) * P)));
    return m.slice(valuesAt / 8, valuesAt / 8 + J);
  }
}

let instance: WasmDeepReference | null = null;

/** Whether the port leaves the decoder output's soft-clip on `range` at t to its short cut (f = t, f' = 1; for the tests), or null without the port. */
export function deepReferenceSkipsOutput(t: number, range: ClipRange): boolean | null {
  const module = binary.module();
  if (module === null) return null;
  instance ??= new WasmDeepReference(module);
  return instance.skips(t, range);
}

/**
 * reference.ts's deepElboDraws on the WebAssembly port (its inputs validated there;
 * `theta` flattened in DEEP_VAE_PARAM_NAMES order), or null where the port is not in
 * use here (cannot load, or VAE_CLAIMS_DEEP_REFERENCE=js): the caller runs JavaScript.
 */
export function deepElboDrawsWasm(theta: Float64Array, dims: DeepVaeDims, act: ActivationFns, clips: SoftClipRanges | null, x: ArrayLike<number>, n: number, K: number, stride: number, beta: number, v: number, logNorm: number, epsList: readonly ArrayLike<number>[], grads: readonly Float64Array[]): Float64Array | null {
  const module = binary.module();
  if (module === null) return null;
  instance ??= new WasmDeepReference(module);
  try {
    return instance.draws(theta, dims, act, clips, x, n, K, stride, beta, v, logNorm, epsList, grads);
  } catch (e) {
    if (e instanceof RangeError && /memory/i.test(e.message)) return null; // memory.grow refused: JavaScript instead
    throw e;
  }
}
