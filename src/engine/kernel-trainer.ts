/**
 * The kernel trainer: the same replica-batched training as ReplicaTrainer,
 * for models that supply their objective's gradient in closed form
 * (`ReplicaKernel`). Each replica's step is one fused loop over its own
 * mini-batch: draw (from the replica's own streams, in the order drawStep
 * uses), forward, analytic gradient (float64 accumulation), optimiser update.
 *
 * Why: the linear VAE's per-replica matrices are tiny (10×3), so a TensorFlow.js
 * step is dominated by per-op overhead and autodiff bookkeeping (≈50 ops, 15 ms
 * at R = 64 on wasm) rather than arithmetic. The fused loop does the same
 * arithmetic with no overhead. Every kernel's gradient is tested against
 * TensorFlow.js autodiff on identical draws (test/engine/kernel-trainer.test.ts).
 *
 * Replicas never interact, so a replica trained in a batch is bitwise
 * identical to the same replica trained alone, whatever the batch.
 *
 * A kernel may also offer its SGD steps fused (FusedKernelSteps: its WebAssembly module
 * draws, steps and updates every replica in one call per step, the same bits as the loop
 * here); the trainer then calls it once per step instead of looping (the linear VAE: the
 * JavaScript between the module's calls was ~15% of a replica-step at B = 32).
 */
import { describeSetting, replicaStreams, samplesAt, validateReplica, type ReplicaSetting, type ReplicaStreams } from './replica.ts';
import { createKernelOptimizer, type KernelOptimizer } from './kernel-optimizer.ts';
import { kernelOptimizerImplementation } from './kernel-optimizer-wasm.ts';
import type { OptimizerConfig } from './optimizer.ts';
import { stepSize } from './schedule.ts';
import { BatchedParams, DivergenceError, trainLoop, type ReplicaParams, type Trainer, type TrainOptions } from './trainer.ts';

/** A model whose per-replica objective and gradient are computed by hand. */
export interface ReplicaKernel {
  readonly name: string;
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams;
  /**
   * Draw one step's mini-batch and noise for this replica from its streams
   * (exactly the draws the model's drawStep would make), write the gradient of
   * the objective into `grad` (overwriting it) and return the objective.
   * `index` is the replica's position in the batch, for models configured per
   * position (as BatchedModel.objective sees replicas in batch order).
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number;
}

/**
 * A kernel's SGD steps fused into one call per step for every replica (its WebAssembly module
 * draws, steps and updates each replica in turn): the same draws, objectives and parameters bit
 * for bit as advance()'s loop over objectiveAndGradient and the optimiser port's SGD.
 */
export interface FusedKernelSteps {
  /** Per parameter, every replica's slice [R × size]: the trainer's parameters from then on (never moved). */
  readonly params: Record<string, Float32Array>;
  /**
   * One step of every replica, replica r with step size gammas[r], its objective into objective[r]:
   * −1; or r, replica r's objective (as float32) not finite (r not updated); or R + r, replica r's
   * updated parameters not all finite. Replicas after a failed one are not stepped.
   */
  step(gammas: Float64Array, objective: Float32Array): number;
}

/** A kernel that can fuse SGD steps (null where it cannot for these replicas: the trainer loops). */
interface FusingKernel extends ReplicaKernel {
  fusedSgd(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): FusedKernelSteps | null;
}

export interface KernelTrainerOptions {
  /** Let the kernel fuse SGD steps where it can (default true); false: the loop over replicas, always (the conformance checks' reference). */
  fused?: boolean;
}

export function hasKernel(model: object): model is ReplicaKernel {
  return typeof (model as Partial<ReplicaKernel>).objectiveAndGradient === 'function';
}

export class KernelTrainer implements Trainer {
  readonly R: number;
  private readonly values: Record<string, Float32Array> = {};
  private readonly sizes: Record<string, number> = {};
  private readonly grads: Record<string, Float64Array> = {};
  private readonly streams: ReplicaStreams[];
  /** The optimiser, or null where the kernel's fused steps update the parameters. */
  private readonly optimizer: KernelOptimizer | null;
  private readonly fused: FusedKernelSteps | null;
  /** γ_k per replica, this step's (stepSizes). */
  private readonly gammas: Float64Array;
  /** Per replica: views of its slices of every parameter, and where they start (built once). */
  private readonly views: ReplicaParams[];
  private readonly offsets: Record<string, number>[];
  private k = 0;

  constructor(
    private readonly kernel: ReplicaKernel,
    readonly replicas: readonly ReplicaSetting[],
    optimizer: OptimizerConfig,
    options: KernelTrainerOptions = {},
  ) {
    if (replicas.length === 0) throw new RangeError('a replica batch needs at least one replica');
    for (const r of replicas) validateReplica(r, kernel.dataSize);
    this.R = replicas.length;
    const totals: Record<string, number> = {};
    for (const [name, shape] of Object.entries(kernel.paramShapes)) {
      this.sizes[name] = shape.reduce((a, b) => a * b, 1);
      totals[name] = this.R * this.sizes[name];
    }
    this.streams = replicas.map((r) => replicaStreams(r.seed));
    const initial = replicas.map((r, i) => kernel.initialParams(r, this.streams[i]));
    // SGD fused into the kernel's module where it offers (the optimiser's port would run
    // otherwise: VAE_CLAIMS_OPTIMIZER_KERNEL=js asks for the JavaScript optimiser, which the
    // fused steps would bypass), made after the initial draws: it takes the streams from there.
    const fusing = options.fused !== false && optimizer.kind === 'sgd' && kernelOptimizerImplementation() === 'wasm-simd' && typeof (kernel as Partial<FusingKernel>).fusedSgd === 'function';
    this.fused = fusing ? (kernel as FusingKernel).fusedSgd(replicas, this.streams) : null;
    this.gammas = new Float64Array(this.R);
    this.optimizer = this.fused === null ? createKernelOptimizer(optimizer, totals, this.sizes) : null;
    // The parameters live in the fused module, or where the optimiser offers (its WebAssembly
    // port's memory: no copy per step), else in arrays of their own; all start zeroed.
    const storage = this.optimizer?.storage;
    for (const name of Object.keys(this.sizes)) {
      this.values[name] = this.fused?.params[name] ?? storage?.params[name] ?? new Float32Array(totals[name]);
      // The gradient: only the loop's (the fused steps keep theirs in the kernel's module).
      if (this.optimizer !== null) this.grads[name] = storage?.grads[name] ?? new Float64Array(this.sizes[name]);
    }
    initial.forEach((init, i) => {
      for (const name of Object.keys(this.sizes)) this.values[name].set(init[name], i * this.sizes[name]);
    });
    this.offsets = replicas.map((_, r) => Object.fromEntries(Object.entries(this.sizes).map(([name, size]) => [name, r * size])));
    this.views = this.offsets.map((offsets) =>
      Object.fromEntries(Object.entries(this.sizes).map(([name, size]) => [name, this.values[name].subarray(offsets[name], offsets[name] + size)])),
    );
  }

  /** Whether the kernel's fused steps run (else the loop over replicas: objectiveAndGradient, then the optimiser). */
  get isFused(): boolean {
    return this.fused !== null;
  }

  get step(): number {
    return this.k;
  }

  advance(): Float32Array {
    const k = ++this.k;
    const objective = new Float32Array(this.R);
    if (this.fused !== null) return this.advanceFused(k, objective);
    const optimizer = this.optimizer as KernelOptimizer;
    const gammas = this.stepSizes(k);
    for (let r = 0; r < this.R; r++) {
      const view = this.views[r];
      // Checked as float32 (what the caller receives): a float64 value beyond 3.4e38 has diverged too.
      // A replica with a samples schedule steps with K_k (samplesAt); the others with their own setting, unchanged.
      const replica = this.replicas[r].samplesSchedule ? { ...this.replicas[r], samples: samplesAt(this.replicas[r], k) } : this.replicas[r];
      objective[r] = this.kernel.objectiveAndGradient(view, replica, this.streams[r], this.grads, r);
      if (!Number.isFinite(objective[r])) throw this.objectiveDiverged(r, k, objective[r]);
      // The optimiser's port screens every parameter it updated (true: all finite): then the
      // pass below is not needed. Otherwise (JavaScript optimisers; a non-finite entry) it runs.
      const screened = optimizer.apply(this.values, this.grads, this.offsets[r], r, gammas[r], k);
      if (screened === true) continue;
      this.screen(r, k);
    }
    return objective;
  }

  /** advance() with the kernel's fused steps: the same γ_k, the same stops and messages. */
  private advanceFused(k: number, objective: Float32Array): Float32Array {
    const failed = (this.fused as FusedKernelSteps).step(this.stepSizes(k), objective);
    if (failed < 0) return objective;
    if (failed < this.R) throw this.objectiveDiverged(failed, k, objective[failed]);
    this.screen(failed - this.R, k);
    throw new Error(`kernel trainer: replica ${this.replicas[failed - this.R].label}'s fused step reported a non-finite parameter, and none is`);
  }

  /** γ_k of every replica's schedule (into this.gammas). */
  private stepSizes(k: number): Float64Array {
    const gammas = this.gammas;
    // γ_k of the previous replica's schedule, reused while the next has the same C and α
    // (replicas of a claim mostly share one): Math.pow per replica-step was 1% of a linear claim.
    let lastC = NaN;
    let lastAlpha = NaN;
    let gamma = 0;
    for (let r = 0; r < this.R; r++) {
      const schedule = this.replicas[r].schedule;
      if (schedule.C !== lastC || schedule.alpha !== lastAlpha) {
        gamma = stepSize(schedule, k);
        lastC = schedule.C;
        lastAlpha = schedule.alpha;
      }
      gammas[r] = gamma;
    }
    return gammas;
  }

  private objectiveDiverged(r: number, k: number, value: number): DivergenceError {
    return new DivergenceError(this.replicas[r].label, k, `objective is ${value}`, describeSetting(this.replicas[r]));
  }

  /** Throws DivergenceError naming replica r's first parameter with a non-finite entry, if any. */
  private screen(r: number, k: number): void {
    const view = this.views[r];
    for (const name in view) {
      const v = view[name];
      // v·0 is 0 for a finite v and NaN for ±∞ or NaN: sums of it screen the slice (a per-entry
      // Number.isFinite cost ~15% of a deep-VAE step); the entry is looked up only on divergence.
      // Four running sums, so the adds do not wait on each other: the total is NaN exactly when
      // one entry is not finite, as with one sum (test/engine/kernel-trainer-screen.test.ts).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const n = v.length;
      let i = 0;
      for (; i + 3 < n; i += 4) {
        s0 += v[i] * 0;
        s1 += v[i + 1] * 0;
        s2 += v[i + 2] * 0;
        s3 += v[i + 3] * 0;
      }
      for (; i < n; i++) s0 += v[i] * 0;
      if (s0 + s1 + s2 + s3 !== 0) {
        const bad = v.findIndex((x) => !Number.isFinite(x));
        throw new DivergenceError(this.replicas[r].label, k, `parameter ${name} is ${v[bad]}`, describeSetting(this.replicas[r]));
      }
    }
  }

  readParams(): BatchedParams {
    const copy: Record<string, Float32Array> = {};
    for (const [name, v] of Object.entries(this.values)) copy[name] = v.slice();
    return new BatchedParams(this.R, copy, this.kernel.paramShapes);
  }

  /** The parameters where the trainer keeps them (the optimiser's memory, sized once: the views stay valid), not copied. */
  viewParams(): BatchedParams {
    return new BatchedParams(this.R, this.values, this.kernel.paramShapes);
  }

  train(opts: TrainOptions): void {
    trainLoop(this, opts);
  }

  dispose(): void {}
}
