/**
 * Replica-batched training: R independent runs held as a leading tensor
 * dimension and trained as one TensorFlow.js program. Per-replica step sizes,
 * batch sizes, sample counts and β ride along as tensors / masks.
 *
 * Data flow per step k (1-based):
 *   model.drawStep (JS, each replica from its own streams) → tensors
 *   → objective [R] → Σ_r (replicas decouple) → autodiff → optimizer ascent.
 * Measurement hooks receive the parameters downloaded as float32 arrays.
 */
import { tf } from './backend.ts';
import { describeSetting, InvalidSettingError, replicaStreams, validateReplica, type ReplicaSetting, type ReplicaStreams } from './replica.ts';
import { createOptimizer, type Optimizer, type OptimizerConfig } from './optimizer.ts';
import { stepSize } from './schedule.ts';

/** Per-replica parameters: name → flat float32 values of that parameter's shape. */
export type ReplicaParams = Record<string, Float32Array>;

export interface BatchedModel<TInputs> {
  readonly name: string;
  /** Number of data points (for batch-size validation). */
  readonly dataSize: number;
  /** Per-replica parameter shapes (the batch adds a leading R). */
  readonly paramShapes: Record<string, number[]>;
  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams;
  /** Draw step k's mini-batches and noise for every replica, each from its own streams. */
  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): TInputs;
  /** Per-replica objective to ascend, shape [R]. Must not mix replicas. */
  objective(params: Record<string, tf.Tensor>, inputs: TInputs, replicas: readonly ReplicaSetting[]): tf.Tensor1D;
  disposeInputs(inputs: TInputs): void;
}

export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly replica: string,
    readonly step: number,
    detail: string,
    /** The replica's hyperparameters, e.g. "C = 0.05, α = 0.5, B = 32, K = 1, β = 1". */
    readonly setting?: string,
  ) {
    super(`training diverged at step ${step} in replica "${replica}"${setting ? ` (${setting})` : ''}: ${detail}`);
  }
}

export interface TrainOptions {
  steps: number;
  /** Steps (0 = initial point) at which `onMeasure` sees the parameters. */
  measureAt?: (k: number) => boolean;
  onMeasure?: (k: number, params: BatchedParams) => void;
  /**
   * onMeasure's params may be views of the trainer's own arrays, valid during the call only
   * (Trainer.viewParams, where the trainer offers it), instead of a copy: for a caller that
   * copies whatever it keeps. Why: the deep claims measure every 4th step over the last half
   * of training, each time a copy of every replica's 26,964 parameters (3 MB).
   */
  viewParams?: boolean;
  /** Called every `progressEvery` steps with (k, steps). */
  onProgress?: (k: number, steps: number) => void;
  progressEvery?: number;
}

/** Downloaded parameters of the whole batch, with per-replica views. */
export class BatchedParams {
  constructor(
    readonly R: number,
    readonly values: Record<string, Float32Array>,
    readonly shapes: Record<string, number[]>,
  ) {}

  replica(r: number): ReplicaParams {
    const out: ReplicaParams = {};
    for (const [name, v] of Object.entries(this.values)) {
      const size = v.length / this.R;
      out[name] = v.subarray(r * size, (r + 1) * size);
    }
    return out;
  }
}

/** What the claims drive: the autodiff ReplicaTrainer or the analytic KernelTrainer (kernel-trainer.ts). */
export interface Trainer {
  readonly R: number;
  readonly replicas: readonly ReplicaSetting[];
  /** Steps taken so far. */
  readonly step: number;
  /** One optimiser step for every replica; returns the per-replica mini-batch objective. */
  advance(): Float32Array;
  /** The current parameters (a copy the caller may keep). */
  readParams(): BatchedParams;
  /** Optional: the current parameters as views of the trainer's own arrays, valid until its next step (no copy). */
  viewParams?(): BatchedParams;
  train(opts: TrainOptions): void;
  dispose(): void;
}

/** The measure / advance / progress loop shared by every trainer. */
export function trainLoop(trainer: Trainer, opts: TrainOptions): void {
  const { steps, measureAt, onMeasure, onProgress, progressEvery = 1000, viewParams = false } = opts;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps = ${steps}; allowed an integer ≥ 0`);
  const measure = () => {
    if (onMeasure && (!measureAt || measureAt(trainer.step))) onMeasure(trainer.step, viewParams && trainer.viewParams ? trainer.viewParams() : trainer.readParams());
  };
  if (trainer.step === 0) measure();
  const end = trainer.step + steps;
  while (trainer.step < end) {
    trainer.advance();
    measure();
    if (onProgress && trainer.step % progressEvery === 0) onProgress(trainer.step, end);
  }
}

/** Variable names must be unique per TensorFlow.js engine. */
let variableCounter = 0;

export class ReplicaTrainer<TInputs> implements Trainer {
  readonly R: number;
  private readonly params: Record<string, tf.Variable>;
  private readonly optimizer: Optimizer;
  private readonly streams: ReplicaStreams[];
  private readonly scheduleC: Float64Array;
  private readonly scheduleAlpha: Float64Array;
  private k = 0;

  constructor(
    private readonly model: BatchedModel<TInputs>,
    readonly replicas: readonly ReplicaSetting[],
    optimizer: OptimizerConfig,
  ) {
    if (replicas.length === 0) throw new RangeError('a replica batch needs at least one replica');
    for (const r of replicas) {
      validateReplica(r, model.dataSize);
      // K changing with the step is a kernel-trainer feature: refuse rather than silently train at fixed K.
      if (r.samplesSchedule) throw new InvalidSettingError(`replica "${r.label}": a samples schedule K_k; allowed only on the kernel trainer (a model with a closed-form gradient)`);
    }
    this.R = replicas.length;
    this.streams = replicas.map((r) => replicaStreams(r.seed));
    this.scheduleC = Float64Array.from(replicas, (r) => r.schedule.C);
    this.scheduleAlpha = Float64Array.from(replicas, (r) => r.schedule.alpha);
    // The optimiser validates its constants: build it before allocating tensors so a rejection leaks nothing.
    const schedules = replicas.map((r) => `${r.schedule.C}/${r.schedule.alpha}`);
    this.optimizer = createOptimizer(optimizer, schedules.map((s) => [...new Set(schedules)].indexOf(s)));
    const inits = replicas.map((r, i) => model.initialParams(r, this.streams[i]));
    this.params = {};
    for (const [name, shape] of Object.entries(model.paramShapes)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const flat = new Float32Array(this.R * size);
      inits.forEach((p, i) => flat.set(p[name], i * size));
      const initial = tf.tensor(flat, [this.R, ...shape]);
      this.params[name] = tf.variable(initial, true, `${model.name}/${name}/${variableCounter++}`);
      initial.dispose();
    }
  }

  get step(): number {
    return this.k;
  }

  /** One optimiser step for every replica; returns the per-replica mini-batch objective. */
  advance(): Float32Array {
    const k = ++this.k;
    const inputs = this.model.drawStep(this.replicas, this.streams);
    const gamma = new Float32Array(this.R);
    for (let r = 0; r < this.R; r++) gamma[r] = stepSize({ C: this.scheduleC[r], alpha: this.scheduleAlpha[r] }, k);
    // The gradient tape disposes the forward pass's intermediates; keep the
    // per-replica objective out of it so divergence can be named per replica.
    let perReplica: tf.Tensor1D | null = null;
    try {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const objective = this.model.objective(this.params, inputs, this.replicas);
          perReplica = tf.keep(objective);
          return objective.sum() as tf.Scalar;
        }, Object.values(this.params));
        const byName: Record<string, tf.Tensor> = {};
        for (const [name, p] of Object.entries(this.params)) byName[name] = grads[p.name];
        this.optimizer.apply(this.params, byName, tf.tensor1d(gamma), k);
      });
      const values = (perReplica as unknown as tf.Tensor1D).dataSync() as Float32Array;
      this.assertFinite(values, 'objective');
      return values;
    } finally {
      (perReplica as tf.Tensor1D | null)?.dispose();
      this.model.disposeInputs(inputs);
    }
  }

  /** Download all parameters (a sync point). */
  readParams(): BatchedParams {
    const values: Record<string, Float32Array> = {};
    for (const [name, p] of Object.entries(this.params)) values[name] = p.dataSync() as Float32Array;
    const out = new BatchedParams(this.R, values, this.model.paramShapes);
    for (const [name, v] of Object.entries(values)) this.assertFinite(v, `parameter ${name}`, v.length / this.R);
    return out;
  }

  train(opts: TrainOptions): void {
    trainLoop(this, opts);
  }

  dispose(): void {
    for (const p of Object.values(this.params)) p.dispose();
    this.optimizer.dispose();
  }

  private assertFinite(values: Float32Array, what: string, stride = 1): void {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        const r = Math.floor(i / stride);
        throw new DivergenceError(this.replicas[r].label, this.k, `${what} is ${values[i]}`, describeSetting(this.replicas[r]));
      }
    }
  }
}
