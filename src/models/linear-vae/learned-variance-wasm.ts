/**
 * The learned-variance linear VAE kernel's WebAssembly SIMD path: the per-point arithmetic of
 * StochasticLearnedVarianceLinearVae.objectiveAndGradient (stochastic-learned-variance.ts,
 * the readable specification) compiled from wasm/learned-variance.as.ts (AssemblyScript,
 * f64x2), bitwise identical to the JavaScript kernel: same objective and gradient bits for
 * every input (test/convergence/learned-variance-kernel-wasm.test.ts), so switching between
 * the two changes no result. The step's B row indices come from the replica's data stream,
 * drawn in the module (drawRows, wasm/random-rows.as.ts compiled in: src/engine/ported-draws.ts),
 * then its B points' noise statistics from its noise stream: drawn by the module
 * (drawStatistics: the normals drawn ahead into its memory in one fill, the uniforms from the
 * stream's generator state, handed in and back; rare branches back in JavaScript), exactly the
 * values the JavaScript kernel draws point by point (the two streams are separate, so drawing
 * each stream's values in one run changes none), straight into the module's memory. So do e^{s/2} and the step's scalars (the model computes them once
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
import type { RandomStream } from '../../engine/rng.ts';
import { fillRows, type DrawRows } from '../../engine/ported-draws.ts';
import { drawNoiseStatistics, drawNoiseStatisticsBatch, isPlainCounterStream, noiseNormalsPerPoint } from './noise-statistics.ts';

interface KernelExports {
  layoutBytes(D: number, H: number): number;
  setup(D: number, H: number, at: number, data: number): void;
  address(which: number): number;
  step(B: number, w: number, v: number, beta: number, rowsAt: number, ebarAt: number, MAt: number): void;
  drawStatistics(K: number, H: number, B: number, from: number, normals: number, count: number, state: number, ebarAt: number, MAt: number, work: number): number;
  drawRows: DrawRows;
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
  private normalsCapacity = 0;
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

  /**
   * Where the step's draws go: B row indices (i32), B·H ē, B·H² M̄ (f64; + 16 bytes each: an odd
   * H's spare lane reads one double past them); then the statistics' work (H² f64), the
   * generator's state (6 i32) and the normals drawn ahead for them (`normals` of them).
   */
  private layout(B: number, K: number): { rowsAt: number; ebarAt: number; MAt: number; workAt: number; stateAt: number; normalsAt: number; normals: number } {
    const { H } = this;
    const rowsAt = this.drawsAt;
    const ebarAt = rowsAt + align16(4 * B);
    const MAt = ebarAt + align16(8 * B * H + 16);
    const workAt = MAt + align16(8 * B * H * H + 16);
    const stateAt = workAt + align16(8 * H * H);
    const normalsAt = stateAt + 32;
    // The normals B points take without rejections and 64 more (Marsaglia–Tsang's rejections at the claims' K ≥ 100
    // are ~0.1% of its draws; where more are needed the port returns and is called again with a refill).
    const normals = B * noiseNormalsPerPoint(K, H) + 64;
    if (B > this.capacity || normals > this.normalsCapacity) {
      this.capacity = Math.max(B, this.capacity);
      this.normalsCapacity = Math.max(normals, this.normalsCapacity);
      this.grow(normalsAt + 8 * this.normalsCapacity);
    }
    return { rowsAt, ebarAt, MAt, workAt, stateAt, normalsAt, normals };
  }

  /**
   * B points' noise statistics into the module at ebarAt, MAt: drawNoiseStatisticsBatch's draws
   * and values, bit for bit, by the module's drawStatistics where the stream is a counter stream
   * (normals drawn ahead into the module, the uniforms from the stream's generator state, handed
   * in and back); a point the module leaves (a rare branch: see drawStatistics) is drawn here by
   * drawNoiseStatistics on the stream itself, and a point that ran out of normals gets a refill.
   */
  private drawStatistics(noise: RandomStream, K: number, B: number, at: ReturnType<WasmLearnedVarianceKernel['layout']>): void {
    const { H } = this;
    const f64 = this.f64;
    const i32 = this.i32;
    if (!isPlainCounterStream(noise)) {
      drawNoiseStatisticsBatch(noise, K, H, B, f64, f64, this.work, at.ebarAt / 8, at.MAt / 8);
      return;
    }
    const state = at.stateAt / 4;
    const perPoint = noiseNormalsPerPoint(K, H);
    let i = 0;
    while (i < B) {
      // The remaining points' normals and the 64 to spare (at.normals for i = 0).
      const count = at.normals - i * perPoint;
      noise.peekNormals(f64, at.normalsAt / 8, count);
      noise.generatorState(i32, state);
      const from = i;
      i = this.exports.drawStatistics(K, H, B, i, at.normalsAt, count, at.stateAt, at.ebarAt, at.MAt, at.workAt);
      noise.setGeneratorState(i32, state);
      noise.skipNormals(i32[state + 4]);
      // A point the module leaves to JavaScript, or one that ran out of every normal drawn ahead for
      // it (more than 64 rejections: never seen, but a refill would not help it) is drawn here.
      if (i < B && (i32[state + 5] === 2 || i === from)) {
        drawNoiseStatistics(noise, K, H, f64, f64, this.work, at.ebarAt / 8 + i * H, at.MAt / 8 + i * H * H);
        i++;
      }
    }
  }

  /**
   * The JavaScript kernel's per-point loop on the same draws: the gradient of W, b, V, c and
   * ∂s's data term written into `grad`, and `sums` ← (Σ_i w Q_i, Σ_i |μ_i|²), bit for bit.
   */
  step(params: ReplicaParams, tau: Float64Array, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, w: number, v: number, sums: Float64Array): void {
    const { H } = this;
    const { batchSize: B, samples: K, beta } = replica;
    const at = this.layout(B, K);
    const { rowsAt, ebarAt, MAt } = at;
    const f64 = this.f64;
    // The rows in the module (the stream's state through the generator-state slot, which the noise's draws reuse after).
    fillRows(streams.data, this.i32, at.stateAt, this.dataRows, B, rowsAt, this.exports.drawRows);
    this.drawStatistics(streams.noise, K, B, at);
    const blocks = this.blocks;
    for (let i = 0; i < 4; i++) f64.set(params[blocks[i].name], blocks[i].param);
    f64.set(tau, this.at.tau);
    this.exports.step(B, w, v, beta, rowsAt, ebarAt, MAt);
    for (let i = 0; i < blocks.length; i++) grad[blocks[i].name].set(this.gradViews[i]);
    sums[0] = f64[this.at.sums];
    sums[1] = f64[this.at.sums + 1];
  }
}
