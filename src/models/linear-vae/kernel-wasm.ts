/**
 * The linear VAE kernels' WebAssembly SIMD path: the arithmetic of
 * LinearVaeModel.objectiveAndGradient (the ELBO, engine-model.ts) and of
 * LinearIwaeModel.objectiveAndGradient (the IWAE bound, iwae-engine-model.ts; the
 * readable specifications) compiled from wasm/kernel.as.ts (AssemblyScript, f64x2),
 * bitwise identical to the JavaScript kernels — same objective and gradient bits
 * for every input (test/convergence/linear-vae-kernel-wasm.test.ts), so switching
 * between the two changes no result. The draws are made in the module's memory, where the
 * step reads them (src/engine/ported-draws.ts): the replica's B row indices from its data
 * stream (drawRows, wasm/random-rows.as.ts compiled in) and its B·K·d_z normals from its
 * noise stream (normalPairs, counter-normals.as.ts compiled in), exactly the values the
 * JavaScript kernel draws one at a time (the two streams are separate, so drawing each
 * stream's values in one run changes none), each stream's state handed in and back; the
 * exponentials come from JavaScript (e^{s/2}, e^s: Math.exp's bits; the IWAE
 * weights' e^x and log x are Math.exp's and Math.log's bits: src/engine/wasm/fdlibm.as.ts). The
 * parameters are copied in (float32 widened to float64, exact), the data once.
 * FusedLinearVaeSgd (below) runs the same step and the optimiser port's SGD for every replica
 * of a batch in one call per step, for the kernel trainer.
 *
 * The binary (wasm/linear-vae-kernel.wasm, committed; `npm run build:wasm`
 * rebuilds it) is loaded synchronously beside this file (src/ under tsx, dist/
 * after `npm run build`, which copies it). Where it cannot be loaded (no
 * WebAssembly SIMD, missing file), the JavaScript kernel runs:
 * linearVaeKernelImplementation() says which. The environment variable
 * VAE_CLAIMS_LINEAR_VAE_KERNEL=js forces the JavaScript kernels (ELBO and IWAE)
 * in the whole process: for a mutant of a JavaScript kernel (which the port would
 * otherwise bypass; mutants/run.ts sets it) and for debugging.
 */
import type { NormalPairsPort } from '../../engine/counter-normals.ts';
import { counterNormalsImplementation } from '../../engine/counter-normals-wasm.ts';
import { fillNormals, fillRows, portableStreams, type DrawRows } from '../../engine/ported-draws.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { ReplicaParams } from '../../engine/trainer.ts';
import type { FusedKernelSteps } from '../../engine/kernel-trainer.ts';
import { comparePairs, counterAt, type CounterNormalStream } from '../../engine/counter-normals.ts';
import { align16, growTo, wasmKernelBinary, WASM_BASE as BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import { linearVaeShapes, type LinearVaeDims } from './params.ts';

export type LinearVaeKernelImplementation = KernelImplementation;

interface KernelExports {
  layoutBytes(dx: number, dz: number): number;
  setup(dx: number, dz: number, logNorm: number, invVar: number, at: number, data: number): void;
  address(which: number): number;
  step(B: number, K: number, beta: number, rowsAt: number, epsAt: number, work: number): number;
  stepWorkBytes(B: number, K: number): number;
  iwaeStep(B: number, K: number, flags: number, v: number, logNorm: number, halfSumS: number, rowsAt: number, epsAt: number, work: number): number;
  normalPairs: NormalPairsPort['pairs'];
  drawRows: DrawRows;
  fusedSetup(W: number, b: number, V: number, c: number, s: number, rowsAt: number, epsAt: number, work: number, n: number): void;
  fusedSgd(R: number, records: number): number;
  fusedGradientBias(delta: number): void;
}

/** What the IWAE step needs besides the ELBO step's inputs (iwae-engine-model.ts's settings). */
export interface IwaeStepSettings {
  /** The encoder mean's parameters: the replica's V and c, or the fixed ones. */
  encoder: { V: Float32Array; c: Float32Array };
  fixedEncoderMean: boolean;
  /** The replica's log-variances s, or null with the fixed `fixedLogVariance`. */
  s: Float32Array | null;
  fixedLogVariance: number;
  dreg: boolean;
  /** The log-weights pooled by their mean (MeanLogWeightModel: the ELBO) instead of log-mean-exp. */
  meanPool: boolean;
}

const binary = wasmKernelBinary(new URL('./wasm/linear-vae-kernel.wasm', import.meta.url), 'VAE_CLAIMS_LINEAR_VAE_KERNEL', { name: 'linear-vae', source: new URL('./wasm/kernel.as.ts', import.meta.url) });

/**
 * A fresh instance of the module on a memory of its own, set up for `dims` and σ_x (engine-model.ts's
 * ELBO constants, by the same expressions): its step arrays from BASE, the data to go at `dataAt`.
 */
function instantiate(module: WebAssembly.Module, { dx, dz }: LinearVaeDims, sigmaX: number): { exports: KernelExports; memory: WebAssembly.Memory; dataAt: number } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const dataAt = BASE + align16(exports.layoutBytes(dx, dz));
  exports.setup(dx, dz, -0.5 * dx * Math.log(2 * Math.PI * sigmaX * sigmaX), 1 / (sigmaX * sigmaX), BASE, dataAt);
  return { exports, memory, dataAt };
}

/** The parameters' lengths in paramShapes order (W, b, V, c, s): the module's blocks. */
function paramSizes(dims: LinearVaeDims): [string, number][] {
  return Object.entries(linearVaeShapes(dims)).map(([name, shape]) => [name, shape.reduce((a, b) => a * b, 1)]);
}

/** Which implementation LinearVaeModel runs by default here: the WebAssembly SIMD one, or the JavaScript one where that cannot load (or VAE_CLAIMS_LINEAR_VAE_KERNEL=js). */
export function linearVaeKernelImplementation(): LinearVaeKernelImplementation {
  return binary.implementation();
}

/** One model's module instance and memory: parameters, gradient and work arrays, the data, then the step's draws (grown on demand). */
export class WasmLinearVaeKernel {
  private readonly exports: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private f64!: Float64Array;
  private i32!: Int32Array;
  /** Float64 indices of e^{s/2} and e^s. */
  private readonly at: { std: number; es: number };
  /** Per parameter (paramShapes order): its float64 index in the module, and a view of its gradient there (rebuilt when the memory grows). */
  private readonly blocks: { name: string; param: number; grad: number; size: number }[];
  private gradViews: Float64Array[] = [];
  /** The data stream's generator state (16 bytes), then the draws. */
  private readonly drawsAt: number;
  /** The module's normalPairs, or null where VAE_CLAIMS_COUNTER_NORMALS_KERNEL=js (read at construction) asks for the JavaScript normals. */
  private readonly pairsPort: NormalPairsPort | null;
  private rowsCapacity = 0;
  private epsCapacity = 0;
  private workCapacity = 0;

  /**
   * null where the module cannot load (or VAE_CLAIMS_LINEAR_VAE_KERNEL=js), or its memory
   * cannot hold the data (wasm32: 4 GiB): the caller runs the JavaScript kernel.
   */
  static create(dims: LinearVaeDims, data: Float32Array, sigmaX: number): WasmLinearVaeKernel | null {
    const module = binary.module();
    if (module === null) return null;
    // iwae-engine-model.ts's constants, by the same expressions (the ELBO's: instantiate).
    const v = sigmaX * sigmaX;
    const iwae = { v, logNorm: -0.5 * dims.dx * Math.log(2 * Math.PI * v) };
    try {
      return new WasmLinearVaeKernel(module, dims, data, sigmaX, iwae, data.length / dims.dx);
    } catch (e) {
      if (e instanceof RangeError) return null; // memory.grow refused
      throw e;
    }
  }

  private constructor(
    module: WebAssembly.Module,
    private readonly dims: LinearVaeDims,
    data: Float32Array,
    sigmaX: number,
    private readonly iwae: { v: number; logNorm: number },
    private readonly dataSize: number,
  ) {
    const { exports, memory, dataAt } = instantiate(module, dims, sigmaX);
    this.exports = exports;
    this.memory = memory;
    this.drawsAt = dataAt + align16(8 * data.length);
    // The module's blocks W, b, V, c, s (parameters, then the gradient likewise), each 16-byte aligned.
    let param = this.exports.address(0) / 8;
    let grad = this.exports.address(1) / 8;
    this.blocks = paramSizes(dims).map(([name, size]) => {
      const block = { name, param, grad, size };
      param += align16(8 * size) / 8;
      grad += align16(8 * size) / 8;
      return block;
    });
    this.at = { std: this.exports.address(2) / 8, es: this.exports.address(3) / 8 };
    this.pairsPort = counterNormalsImplementation() === 'js' ? null : { pairs: this.exports.normalPairs, checked: false };
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
   * The step's draws into the module's memory (grown to hold them and `workBytes` of work
   * arrays after them): B row indices from the data stream, B·K·d_z normals from the noise
   * stream, the values (and stream states) the JavaScript kernels' draws give.
   */
  private draw(B: number, K: number, workBytes: number, streams: ReplicaStreams): { rowsAt: number; epsAt: number; workAt: number } {
    const nEps = B * K * this.dims.dz;
    if (B > this.rowsCapacity || nEps > this.epsCapacity || workBytes > this.workCapacity) {
      this.rowsCapacity = Math.max(B, this.rowsCapacity);
      this.epsCapacity = Math.max(nEps, this.epsCapacity);
      this.workCapacity = Math.max(workBytes, this.workCapacity);
      // + 16: an odd d_z's last pair reads one double past the draws (its spare lane).
      this.grow(this.drawsAt + 16 + align16(4 * this.rowsCapacity) + align16(8 * this.epsCapacity + 16) + this.workCapacity);
    }
    const stateAt = this.drawsAt;
    const rowsAt = stateAt + 16;
    const epsAt = rowsAt + align16(4 * this.rowsCapacity);
    // Made in the module (ported-draws.ts): the streams' own fills' values and end states.
    fillRows(streams.data, this.i32, stateAt, this.dataSize, B, rowsAt, this.exports.drawRows);
    fillNormals(streams.noise, this.f64, epsAt / 8, nEps, this.pairsPort);
    return { rowsAt, epsAt, workAt: epsAt + align16(8 * this.epsCapacity + 16) };
  }

  /**
   * iwae-engine-model.ts's objectiveAndGradient (with its own poolKernel): the same draws,
   * the same bound, the same gradient written into `grad` (W, b; V, c unless the encoder
   * mean is fixed; s when it trains), bit for bit.
   */
  iwaeObjectiveAndGradient(params: ReplicaParams, settings: IwaeStepSettings, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    const { dx, dz } = this.dims;
    const { batchSize: B, samples: K } = replica;
    const workBytes = align16(8 * K * dz) + align16(8 * K * dx) + 2 * align16(8 * K) + align16(8 * (dz + 2));
    const { rowsAt, epsAt, workAt } = this.draw(B, K, workBytes, streams);
    const f64 = this.f64;
    const [W, b, V, c] = this.blocks;
    f64.set(params.W, W.param);
    f64.set(params.b, b.param);
    f64.set(settings.encoder.V, V.param);
    f64.set(settings.encoder.c, c.param);
    const std = this.at.std;
    const s = settings.s;
    let halfSumS = 0;
    for (let j = 0; j < dz; j++) {
      const sj = s !== null ? s[j] : settings.fixedLogVariance;
      f64[std + j] = Math.exp(0.5 * sj);
      halfSumS += 0.5 * sj;
    }
    const flags = (s !== null ? 1 : 0) | (settings.dreg ? 2 : 0) | (settings.fixedEncoderMean ? 4 : 0) | (settings.meanPool ? 8 : 0);
    const objective = this.exports.iwaeStep(B, K, flags, this.iwae.v, this.iwae.logNorm, halfSumS, rowsAt, epsAt, workAt);
    const views = this.gradViews;
    grad.W.set(views[0]);
    grad.b.set(views[1]);
    if (!settings.fixedEncoderMean) {
      grad.V.set(views[2]);
      grad.c.set(views[3]);
    }
    if (s !== null) grad.s.set(views[4]);
    return objective;
  }

  /**
   * engine-model.ts's objectiveAndGradient: the same draws from the replica's
   * streams, the same objective, and the same gradient written into `grad`, bit for bit.
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    const { batchSize: B, samples: K, beta } = replica;
    const { rowsAt, epsAt, workAt } = this.draw(B, K, this.exports.stepWorkBytes(B, K), streams);
    const f64 = this.f64;
    const { std, es } = this.at;
    const blocks = this.blocks;
    for (let i = 0; i < blocks.length; i++) f64.set(params[blocks[i].name], blocks[i].param);
    const s = params.s;
    for (let j = 0; j < s.length; j++) {
      f64[std + j] = Math.exp(0.5 * s[j]);
      f64[es + j] = Math.exp(s[j]);
    }
    const objective = this.exports.step(B, K, beta, rowsAt, epsAt, workAt);
    for (let i = 0; i < blocks.length; i++) grad[blocks[i].name].set(this.gradViews[i]);
    return objective;
  }
}

/** Bytes of one replica's record in the fused module (wasm/kernel.as.ts's fusedSgd). */
const RECORD = 64;

/**
 * The kernel trainer's SGD steps fused into the module (wasm/kernel.as.ts's fusedSgd): one call
 * per step for every replica, each stepped exactly as the unfused path steps it (this file's
 * objectiveAndGradient, then the optimiser port's sgd) — the same parameters, objectives and
 * draws bit for bit (test/convergence/linear-vae-fused.test.ts; the conformance checks compare
 * the two at run time). Why: at B = 32, d_z = 3 the JavaScript between the module's calls
 * (draws' stream states handed in and back, parameter and gradient copies, Math.exp, the
 * optimiser's five calls) was ~15% of a replica-step.
 *
 * Its own instance and memory, sized once (the parameters' views stay valid): the step's arrays,
 * the data, the float32 parameters [R × size] per parameter (the trainer's `values`), one record
 * per replica, the draws. The replicas' stream states move into the records when it is made and
 * live there from then on: the trainer's stream objects are not drawn from again.
 */
export class FusedLinearVaeSgd implements FusedKernelSteps {
  readonly params: Record<string, Float32Array> = {};
  private readonly exports: KernelExports;
  private readonly f64: Float64Array;
  private readonly records: number;
  private readonly R: number;

  /**
   * null where the module cannot load, a stream is not the base classes' own, or the memory cannot be
   * had. `gradientBiasB`: a constant δ added to every ∂b_q (and δ·Σ_q b_q to the objective) after each
   * step, as the falsifiers' BiasedGradientLinearVae does (src/claims/convergence/shared/falsifier-models.ts).
   */
  static create(dims: LinearVaeDims, data: Float32Array, sigmaX: number, replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[], gradientBiasB?: number): FusedLinearVaeSgd | null {
    const module = binary.module();
    if (module === null || counterNormalsImplementation() === 'js') return null;
    if (replicas.some((r) => r.samplesSchedule !== undefined) || !streams.every(portableStreams)) return null;
    try {
      const fused = new FusedLinearVaeSgd(module, dims, data, sigmaX, replicas, streams);
      if (gradientBiasB !== undefined) fused.exports.fusedGradientBias(gradientBiasB);
      return fused;
    } catch (e) {
      if (e instanceof RangeError) return null; // memory refused
      throw e;
    }
  }

  private constructor(module: WebAssembly.Module, dims: LinearVaeDims, data: Float32Array, sigmaX: number, replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]) {
    const { dx, dz } = dims;
    const R = replicas.length;
    this.R = R;
    const sizes = Object.fromEntries(paramSizes(dims));
    const { exports, memory, dataAt } = instantiate(module, dims, sigmaX);
    this.exports = exports;
    let at = dataAt + align16(8 * data.length);
    const blocks: Record<string, number> = {};
    for (const [name, size] of Object.entries(sizes)) {
      blocks[name] = at;
      at += align16(4 * R * size);
    }
    this.records = at;
    at += RECORD * R;
    const rowsAt = at;
    at += align16(4 * Math.max(...replicas.map((r) => r.batchSize)));
    const epsAt = at;
    // Whole pairs from an even index (one normal more before and after) and the step's spare lane past
    // them; at least the 16 pairs compared below.
    at += align16(8 * Math.max(32, Math.max(...replicas.map((r) => r.batchSize * r.samples * dz)) + 2)) + 32;
    const workAt = at;
    at += Math.max(...replicas.map((r) => this.exports.stepWorkBytes(r.batchSize, r.samples)));
    growTo(memory, at); // once: the views below stay valid
    this.exports.fusedSetup(blocks.W, blocks.b, blocks.V, blocks.c, blocks.s, rowsAt, epsAt, workAt, data.length / dx);
    this.f64 = new Float64Array(memory.buffer);
    this.f64.set(data, dataAt / 8);
    const f32 = new Float32Array(memory.buffer);
    for (const [name, size] of Object.entries(sizes)) this.params[name] = f32.subarray(blocks[name] / 4, blocks[name] / 4 + R * size);
    const i32 = new Int32Array(memory.buffer);
    const u32 = new Uint32Array(memory.buffer);
    replicas.forEach((r, i) => {
      const rec = this.records + RECORD * i;
      streams[i].data.generatorState(i32, rec / 4);
      const noise = streams[i].noise as CounterNormalStream;
      u32[(rec + 16) / 4] = noise.key.lo;
      u32[(rec + 20) / 4] = noise.key.hi;
      u32[(rec + 24) / 4] = noise.position % 2 ** 32;
      u32[(rec + 28) / 4] = Math.floor(noise.position / 2 ** 32);
      i32[(rec + 32) / 4] = r.batchSize;
      i32[(rec + 36) / 4] = r.samples;
      this.f64[(rec + 40) / 8] = r.beta;
    });
    // As a port's first pairs are (CounterNormalStream.fillNormalPorted): the module's pairs for
    // replica 0's next normals against the specification's, bit for bit, before any step uses them.
    const noise = streams[0].noise as CounterNormalStream;
    const even = noise.position - (noise.position & 1);
    const c0 = { hi: 0, lo: 0 };
    counterAt(noise.key, even, c0);
    this.exports.normalPairs(c0.hi, c0.lo, 16, epsAt);
    comparePairs(noise.key, even / 2, 16, this.f64, epsAt / 8, "the linear VAE kernel's fused steps' normalPairs (its copy of src/engine/wasm/counter-normals.as.ts)");
  }

  step(gammas: Float64Array, objective: Float32Array): number {
    const f64 = this.f64;
    const base = this.records / 8;
    for (let r = 0; r < this.R; r++) f64[base + 8 * r + 6] = gammas[r];
    const failed = this.exports.fusedSgd(this.R, this.records);
    const end = failed < 0 ? this.R : failed < this.R ? failed + 1 : failed - this.R + 1;
    for (let r = 0; r < end; r++) objective[r] = f64[base + 8 * r + 7];
    return failed;
  }
}
