/**
 * The learned-variance linear VAE kernel's WebAssembly SIMD path: the per-point arithmetic of
 * StochasticLearnedVarianceLinearVae.objectiveAndGradient (stochastic-learned-variance.ts,
 * the readable specification) compiled from wasm/learned-variance.as.ts (AssemblyScript,
 * f64x2), bitwise identical to the JavaScript kernel: same objective and gradient bits for
 * every input (test/convergence/learned-variance-kernel-wasm.test.ts), so switching between
 * the two changes no result. The draws stay in JavaScript: the step's B row indices from the
 * replica's data stream, then its B points' noise statistics from its noise stream
 * (drawNoiseStatisticsBatch, its normals drawn ahead in one fill), exactly the values the
 * JavaScript kernel draws point by point (the two streams are separate, so drawing each
 * stream's values in one run changes none), straight
 * into the module's memory. So do e^{s/2} and the step's scalars (the model computes them once
 * for both paths and finishes the objective and ∂s, ∂log σ² from the two sums this returns).
 * The parameters are copied in (float32 widened to float64, exact), the data once.
 *
 * The binary (wasm/learned-variance-kernel.wasm, committed; `npm run build:wasm` rebuilds it)
 * is loaded synchronously beside this file (src/ under tsx, dist/ after `npm run build`).
 * Where it cannot be loaded (no WebAssembly SIMD, missing file), the JavaScript kernel runs.
 * VAE_CLAIMS_LEARNED_VARIANCE_KERNEL=js forces the JavaScript kernel in the whole process:
 * for a mutant of it (which the port would otherwise bypass; mutants/run.ts sets it) and for
 * debugging.
 */
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { ReplicaParams } from '../../engine/trainer.ts';
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE } from '../../engine/wasm-kernel.ts';
import { drawNoiseStatisticsBatch } from './noise-statistics.ts';

interface KernelExports {
  layoutBytes(D: number, H: number): number;
  setup(D: number, H: number, at: number, data: number): void;
  address(which: number): number;
  step(B: number, w: number, v: number, beta: number, rowsAt: number, ebarAt: number, MAt: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/learned-variance-kernel.wasm', import.meta.url), 'VAE_CLAIMS_LEARNED_VARIANCE_KERNEL', { name: 'learned-variance', source: new URL('./wasm/learned-variance.as.ts', import.meta.url) });

/** One model's module instance and memory: parameters, gradient and work arrays, the data, then the step's draws (grown on demand). */
export class WasmLearnedVarianceKernel {
  private readonly exports: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private f64!: Float64Array;
  private i32!: Int32Array;
  /** Float64 indices of τ and of the step's two sums. */
  private readonly at: { tau: number; sums: number };
  /** Per parameter W, b, V, c, s: its float64 index in the module (s has none: τ goes in instead), and a view of its gradient there (rebuilt when the memory grows). */
  private readonly blocks: { name: string; param: number; grad: number; size: number }[];
  private gradViews: Float64Array[] = [];
  private readonly drawsAt: number;
  private capacity = 0;
  private readonly work: Float64Array;
  private readonly dataRows: number;

  /** null where the module cannot load (or VAE_CLAIMS_LEARNED_VARIANCE_KERNEL=js), or its memory cannot hold the data: the caller runs the JavaScript kernel. */
  static create(D: number, H: number, data: Float32Array): WasmLearnedVarianceKernel | null {
    const module = binary.module();
    if (module === null) return null;
    try {
      return new WasmLearnedVarianceKernel(module, D, H, data);
    } catch (e) {
      if (e instanceof RangeError) return null; // memory.grow refused
      throw e;
    }
  }

  private constructor(
    module: WebAssembly.Module,
    private readonly D: number,
    private readonly H: number,
    data: Float32Array,
  ) {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    const dataAt = BASE + align16(this.exports.layoutBytes(D, H));
    this.drawsAt = dataAt + align16(8 * data.length);
    this.exports.setup(D, H, BASE, dataAt);
    // The module's blocks W, b, V, c (parameters; then the gradient likewise, with s), each 16-byte aligned.
    let param = this.exports.address(0) / 8;
    let grad = this.exports.address(1) / 8;
    this.blocks = Object.entries({ W: D * H, b: D, V: H * D, c: H, s: H }).map(([name, size]) => {
      const block = { name, param, grad, size };
      param += align16(8 * size) / 8;
      grad += align16(8 * size) / 8;
      return block;
    });
    this.at = { tau: this.exports.address(2) / 8, sums: this.exports.address(3) / 8 };
    this.work = new Float64Array(H * H);
    this.dataRows = data.length / D;
    this.grow(this.drawsAt);
    this.f64.set(data, dataAt / 8); // widened to float64 (exact), as the JS kernel reads it
  }

  private grow(bytes: number): void {
    growTo(this.memory, bytes);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.gradViews = this.blocks.map((b) => this.f64.subarray(b.grad, b.grad + b.size));
  }

  /** Where the step's draws go: B row indices (i32), B·H ē, B·H² M̄ (f64; + 16 bytes each: an odd H's spare lane reads one double past them). */
  private layout(B: number): { rowsAt: number; ebarAt: number; MAt: number } {
    const { H } = this;
    const rowsAt = this.drawsAt;
    const ebarAt = rowsAt + align16(4 * B);
    const MAt = ebarAt + align16(8 * B * H + 16);
    if (B > this.capacity) {
      this.capacity = B;
      this.grow(MAt + align16(8 * B * H * H + 16));
    }
    return { rowsAt, ebarAt, MAt };
  }

  /**
   * The JavaScript kernel's per-point loop on the same draws: the gradient of W, b, V, c and
   * ∂s's data term written into `grad`, and `sums` ← (Σ_i w Q_i, Σ_i |μ_i|²), bit for bit.
   */
  step(params: ReplicaParams, tau: Float64Array, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, w: number, v: number, sums: Float64Array): void {
    const { H } = this;
    const { batchSize: B, samples: K, beta } = replica;
    const { rowsAt, ebarAt, MAt } = this.layout(B);
    const f64 = this.f64;
    streams.data.fillInt(this.i32, this.dataRows, rowsAt / 4, B);
    const noise = streams.noise;
    const work = this.work;
    drawNoiseStatisticsBatch(noise, K, H, B, f64, f64, work, ebarAt / 8, MAt / 8);
    const blocks = this.blocks;
    for (let i = 0; i < 4; i++) f64.set(params[blocks[i].name], blocks[i].param);
    f64.set(tau, this.at.tau);
    this.exports.step(B, w, v, beta, rowsAt, ebarAt, MAt);
    for (let i = 0; i < blocks.length; i++) grad[blocks[i].name].set(this.gradViews[i]);
    sums[0] = f64[this.at.sums];
    sums[1] = f64[this.at.sums + 1];
  }
}
