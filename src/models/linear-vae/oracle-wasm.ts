/**
 * ‖∇L(θ_r)‖² of the exact expected ELBO for every replica of a batch: oracle.ts's
 * squaredNorm(elboGradient(θ_r, moments, σ_x, β_r)) on each replica's float32 parameters
 * (widened, as toFloat64Params does), bit for bit, in one call.
 *
 * Why: the linear-VAE rate claims measure the exact ‖∇L(θ_k)‖² at every iterate of every
 * replica (G_n averages all of them): at the full tier 2.56 million oracle calls in
 * sgd-rate-linear-vae, about a third of its time in JavaScript (~2.8 µs a call with the
 * float64 copy and the call overhead). The WebAssembly SIMD port (wasm/oracle.as.ts) runs two
 * replicas in the two lanes of each f64x2, each lane the JavaScript oracle's operations in its
 * order, so the norms are the same bits (test/convergence/linear-vae-oracle-wasm.test.ts).
 *
 * The binary (wasm/linear-vae-oracle.wasm, committed; `npm run build:wasm` rebuilds it) is
 * loaded beside this file. Where it cannot load (no WebAssembly SIMD, missing file), or with
 * VAE_CLAIMS_LINEAR_ORACLE=js (the mutation suite sets it, so that a mutant of oracle.ts is
 * what runs), the JavaScript oracle runs replica by replica.
 */
import { align16, firstBitDifference, growTo, PortCheckSchedule, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import { elboGradient, squaredNorm, type DataMoments } from './oracle.ts';
import { toFloat64Params, zeroParams, type LinearVaeDims } from './params.ts';

interface OracleExports {
  layoutBytes(dx: number, dz: number): number;
  setup(dx: number, dz: number, meanAt: number, secondAt: number, scratch: number): void;
  gradientNorms(R: number, W: number, b: number, V: number, c: number, es: number, betas: number, inv: number, out: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/linear-vae-oracle.wasm', import.meta.url), 'VAE_CLAIMS_LINEAR_ORACLE', { name: 'linear-vae-oracle', source: new URL('./wasm/oracle.as.ts', import.meta.url) });

/** Which implementation LinearVaeGradientNorms runs here: the WebAssembly SIMD one, or JavaScript where that cannot load (or VAE_CLAIMS_LINEAR_ORACLE=js). */
export function linearOracleImplementation(): KernelImplementation {
  return binary.implementation();
}

/** A batch's parameters as the trainers hand them out (BatchedParams.values): each block float32 [R·size]. */
export type BatchedLinearVaeParams = Record<'W' | 'b' | 'V' | 'c' | 's', Float32Array>;

/** ‖∇L(θ_r)‖² for every replica r of a batch, on fixed data moments and σ_x. */
export class LinearVaeGradientNorms {
  private readonly port: WasmGradientNorms | null;
  private readonly scratch: ReturnType<typeof zeroParams>;
  private readonly grad: ReturnType<typeof zeroParams>;

  constructor(
    private readonly dims: LinearVaeDims,
    private readonly moments: DataMoments,
    private readonly sigmaX: number,
  ) {
    if (moments.dx !== dims.dx) throw new RangeError(`LinearVaeGradientNorms: moments have dx = ${moments.dx}, the model ${dims.dx}`);
    if (!(sigmaX > 0) || !Number.isFinite(sigmaX)) throw new RangeError(`LinearVaeGradientNorms: sigmaX must be a finite number > 0, got ${sigmaX}`);
    this.port = WasmGradientNorms.create(dims, moments);
    this.scratch = zeroParams(dims);
    this.grad = zeroParams(dims);
  }

  /** Which implementation this instance runs. */
  get implementation(): KernelImplementation {
    return this.port ? 'wasm-simd' : 'js';
  }

  /** out[r] = squaredNorm(elboGradient(θ_r, moments, σ_x, betas[r])) for r < R. */
  compute(values: BatchedLinearVaeParams, R: number, betas: ArrayLike<number>, out: Float64Array): void {
    const { dx, dz } = this.dims;
    const sizes = { W: dx * dz, b: dx, V: dz * dx, c: dz, s: dz };
    for (const name of ['W', 'b', 'V', 'c', 's'] as const) {
      if (values[name].length !== R * sizes[name]) throw new RangeError(`LinearVaeGradientNorms: ${name} has ${values[name].length} values, need ${R}·${sizes[name]}`);
    }
    if (betas.length < R || out.length < R) throw new RangeError(`LinearVaeGradientNorms: ${betas.length} β and ${out.length} outputs for ${R} replicas`);
    if (this.port) {
      this.port.compute(values, R, betas, 1 / (this.sigmaX * this.sigmaX), out);
      // Compared with oracle.ts during the run (wasm-kernel.ts's PortCheckSchedule).
      if (this.checks.due()) this.checkPort(values, R, betas, out);
      return;
    }
    this.js(values, R, betas, out);
  }

  private readonly checks = new PortCheckSchedule();

  private checkPort(values: BatchedLinearVaeParams, R: number, betas: ArrayLike<number>, port: Float64Array): void {
    const js = new Float64Array(R);
    this.js(values, R, betas, js);
    const r = firstBitDifference(port, js);
    if (r >= 0) throw new Error(`the linear VAE oracle's WebAssembly port (oracle-wasm.ts) gives ‖∇L‖² = ${port[r]} for replica ${r}, its JavaScript (oracle.ts) ${js[r]}: the measurement is not its specification`);
  }

  /** The JavaScript oracle, replica by replica: the specification. */
  private js(values: BatchedLinearVaeParams, R: number, betas: ArrayLike<number>, out: Float64Array): void {
    const { dx, dz } = this.dims;
    const sizes = { W: dx * dz, b: dx, V: dz * dx, c: dz, s: dz };
    for (let r = 0; r < R; r++) {
      const replica = {} as Record<'W' | 'b' | 'V' | 'c' | 's', Float32Array>;
      for (const name of ['W', 'b', 'V', 'c', 's'] as const) replica[name] = values[name].subarray(r * sizes[name], (r + 1) * sizes[name]);
      const p = toFloat64Params(replica, this.scratch);
      out[r] = squaredNorm(elboGradient(p, this.moments, this.sigmaX, betas[r], this.grad));
    }
  }
}

/** The port's instance and memory: the moments and scratch (setup), then the call's inputs (grown on demand). */
class WasmGradientNorms {
  private f32!: Float32Array;
  private f64!: Float64Array;
  private readonly inputsAt: number;
  private capacity = 0;

  static create(dims: LinearVaeDims, moments: DataMoments): WasmGradientNorms | null {
    const module = binary.module();
    if (module === null) return null;
    try {
      return new WasmGradientNorms(module, dims, moments);
    } catch (e) {
      if (e instanceof RangeError) return null; // memory.grow refused
      throw e;
    }
  }

  private readonly exports: OracleExports;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });

  private constructor(
    module: WebAssembly.Module,
    private readonly dims: LinearVaeDims,
    moments: DataMoments,
  ) {
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as OracleExports;
    const { dx, dz } = dims;
    const meanAt = BASE;
    const secondAt = meanAt + align16(8 * dx);
    const scratchAt = secondAt + align16(8 * dx * dx);
    this.inputsAt = scratchAt + align16(this.exports.layoutBytes(dx, dz));
    this.grow(this.inputsAt);
    this.f64.set(moments.mean, meanAt / 8);
    this.f64.set(moments.second, secondAt / 8);
    this.exports.setup(dx, dz, meanAt, secondAt, scratchAt);
  }

  private grow(bytes: number): void {
    growTo(this.memory, bytes);
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
  }

  compute(values: BatchedLinearVaeParams, R: number, betas: ArrayLike<number>, inv: number, out: Float64Array): void {
    const { dx, dz } = this.dims;
    // Inputs: W, b, V, c float32 [R·size] each, then e^s, β and the norms (float64, R·dz, R, R).
    const WAt = this.inputsAt;
    const bAt = WAt + align16(4 * R * dx * dz);
    const VAt = bAt + align16(4 * R * dx);
    const cAt = VAt + align16(4 * R * dz * dx);
    const esAt = cAt + align16(4 * R * dz);
    const betasAt = esAt + align16(8 * R * dz);
    const outAt = betasAt + align16(8 * R);
    const end = outAt + align16(8 * R);
    if (end > this.capacity) {
      this.grow(end);
      this.capacity = end;
    }
    const f32 = this.f32;
    const f64 = this.f64;
    f32.set(values.W, WAt / 4);
    f32.set(values.b, bAt / 4);
    f32.set(values.V, VAt / 4);
    f32.set(values.c, cAt / 4);
    // e^{s_j} by Math.exp on the widened s_j (gradientFromScratch's es), β_r as given.
    const s = values.s;
    const es0 = esAt / 8;
    for (let i = 0; i < R * dz; i++) f64[es0 + i] = Math.exp(s[i]);
    const b0 = betasAt / 8;
    for (let r = 0; r < R; r++) f64[b0 + r] = betas[r];
    this.exports.gradientNorms(R, WAt, bAt, VAt, cAt, esAt, betasAt, inv, outAt);
    out.set(f64.subarray(outAt / 8, outAt / 8 + R));
  }
}
