/**
 * The deep Gaussian VAE (params.ts) as a replica-batched TensorFlow.js model:
 * the reparameterised Monte Carlo ELBO with B data points and K samples per
 * point, the KL term in closed form (× β), on real digits or any [N, dx]
 * data. Per-replica B and K share one program through padding and weight
 * masks, as in the linear VAE (src/models/linear-vae/engine-model.ts).
 *
 * One packed parameter. Every replica's parameters are one flat vector
 * `theta` of deepParamCount(dims) values, the blocks in DEEP_VAE_PARAM_NAMES
 * order (the layout of flattenDeep / unflattenDeep). The objective splits it
 * into its blocks (one op; its gradient is one concat), reading the two
 * encoder heads as one [2dz, H] matrix (one product for μ and log σ²). Why: at these
 * sizes a step is mostly per-op overhead, and Adam costs ~17 ops per
 * parameter tensor; packing cuts the optimiser from ~170 ops to ~17 (an
 * elementwise optimiser is indifferent to packing). With the merged heads and
 * [1, out] bias rows below, a training step runs ≈ 340 TF.js kernels instead
 * of 668.
 *
 * Activations may differ per replica ('soft-clip' or 'relu', chosen by
 * `activationOf`): when a batch mixes them, both are computed and a [R] mask
 * selects one, so a ReLU comparison rides in the same batch as the
 * soft-clipped replicas; a batch of soft-clip replicas only skips the mask.
 *
 * `gradientBiasOf` (falsifiers only): a constant vector b added to a
 * replica's stochastic gradient, by adding ⟨b, θ⟩ to its objective. It is
 * the error floor of a mis-derived gradient that a rate check must see; the
 * claim's own replicas never carry one.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { packedGradientBias } from '../../engine/gradient-bias.ts';
import { drawReparameterisedBatch, type ReparameterisedBatch } from '../../engine/minibatch.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, SOFT_CLIP_SHARPNESS, type ClipRange } from './soft-clip.ts';
import { DEEP_VAE_PARAM_NAMES, deepParamCount, deepVaeShapes, validateDeepDims, type Activation, type DeepVaeDims } from './params.ts';
import { DeepVaeKernel } from './kernel.ts';

/** The engine's single parameter name: every block, flattened in DEEP_VAE_PARAM_NAMES order. */
export const PACKED_PARAM = 'theta';

export interface DeepVaeStepInputs extends ReparameterisedBatch {
  /** [R]: 1 for soft-clip replicas, 0 for ReLU replicas; null when every replica is soft-clip. */
  softMask: tf.Tensor1D | null;
  /** [R, P]: the injected gradient bias per replica; null when no replica carries one. */
  gradientBias: tf.Tensor2D | null;
}

export interface DeepVaeModelOptions {
  dims: DeepVaeDims;
  /** Data, row-major N × dx. */
  data: Float32Array | Float64Array;
  /** Decoder standard deviation c (fixed). */
  decoderStd: number;
  /** Activation per replica (default: soft-clip for all). */
  activationOf?: (replica: ReplicaSetting) => Activation;
  /** Falsifiers only: a constant bias vector (length deepParamCount) added to the replica's stochastic gradient; null for none. */
  gradientBiasOf?: (replica: ReplicaSetting) => Float32Array | null;
  /**
   * Initialisation: weights N(0, scale²/fan_in) (scale 1 by default; the
   * decoder's output layer may use its own scale), biases 0 except the
   * decoder's output bias, which may start at the data mean so that the
   * first iterates do not spend their gradient on reconstructing the mean.
   */
  init?: { weightScale?: number; outputWeightScale?: number; outputBiasAtDataMean?: boolean };
  /**
   * The closed-form kernel's arithmetic: 'auto' (default) runs its WebAssembly
   * SIMD port where that loads, 'js' its JavaScript loop. Both give the same
   * bits (kernel-wasm.ts); 'js' is for the tests and benchmarks that compare them.
   */
  kernelImplementation?: 'auto' | 'js';
}

/** Per-column ranges along the last axis: lo[j], hi[j] for column j. */
export interface ColumnRanges {
  lo: Float32Array;
  hi: Float32Array;
}

/**
 * Generalised soft-clipping in tfjs: s1 + (softplus(s(x − s1)) − softplus(s(x − s2)))/s,
 * with one range for every entry or one per column of the last axis.
 */
export function softClipTensor(x: tf.Tensor, range: ClipRange | ColumnRanges, s = SOFT_CLIP_SHARPNESS): tf.Tensor {
  const sx = x.mul(s);
  if (typeof range.lo === 'number' && typeof range.hi === 'number') {
    const { lo, hi } = range as ClipRange;
    const lower = tf.softplus(lo === 0 ? sx : sx.sub(s * lo));
    const upper = tf.softplus(sx.sub(s * hi));
    const clipped = lower.sub(upper).mul(1 / s);
    return lo === 0 ? clipped : clipped.add(lo);
  }
  const { lo, hi } = range as ColumnRanges;
  const lower = tf.softplus(sx.sub(tf.tensor1d(lo.map((v) => s * v))));
  const upper = tf.softplus(sx.sub(tf.tensor1d(hi.map((v) => s * v))));
  return lower.sub(upper).mul(1 / s).add(tf.tensor1d(lo));
}

export class DeepVaeModel implements BatchedModel<DeepVaeStepInputs>, ReplicaKernel {
  readonly name = 'deep-vae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  /** Values per replica in the packed parameter. */
  readonly parameterCount: number;
  private readonly dims: DeepVaeDims;
  private readonly blockShapes: number[][];
  private readonly blockSizes: number[];
  /** The packed vector read as the objective uses it: the two heads merged (params.ts's layout makes them contiguous). */
  private readonly engineBlockShapes: number[][];
  private readonly engineBlockSizes: number[];
  /** The encoder heads' ranges, column by column: dz mean columns, then dz log-variance columns. */
  private readonly headRanges: ColumnRanges;
  private readonly data: Float32Array;
  private readonly decoderStd: number;
  private readonly activationOf: (replica: ReplicaSetting) => Activation;
  private readonly gradientBiasOf: (replica: ReplicaSetting) => Float32Array | null;
  private readonly init: { weightScale: number; outputWeightScale: number; outputBias: Float32Array | null };
  private readonly kernel: DeepVaeKernel;

  constructor(opts: DeepVaeModelOptions) {
    validateDeepDims(opts.dims);
    if (!(opts.decoderStd > 0) || !Number.isFinite(opts.decoderStd)) throw new RangeError(`decoder std c = ${opts.decoderStd}; allowed a finite c > 0`);
    if (opts.data.length === 0 || opts.data.length % opts.dims.dx !== 0) {
      throw new RangeError(`data length ${opts.data.length} is not a positive multiple of dx = ${opts.dims.dx}`);
    }
    this.dims = opts.dims;
    this.data = Float32Array.from(opts.data);
    this.dataSize = this.data.length / opts.dims.dx;
    this.decoderStd = opts.decoderStd;
    this.activationOf = opts.activationOf ?? (() => 'soft-clip');
    this.gradientBiasOf = opts.gradientBiasOf ?? (() => null);
    this.parameterCount = deepParamCount(opts.dims);
    this.paramShapes = { [PACKED_PARAM]: [this.parameterCount] };
    const shapes = deepVaeShapes(opts.dims);
    this.blockShapes = DEEP_VAE_PARAM_NAMES.map((name) => shapes[name]);
    this.blockSizes = this.blockShapes.map((s) => s.reduce((a, b) => a * b, 1));
    const { dx, hidden: H, dz } = opts.dims;
    // Biases read as [1, out] rows: they broadcast over the batch without an expandDims.
    this.engineBlockShapes = [[H, dx], [1, H], [2 * dz, H], [1, 2 * dz], [H, dz], [1, H], [dx, H], [1, dx]];
    this.engineBlockSizes = this.engineBlockShapes.map((s) => s.reduce((a, b) => a * b, 1));
    const column = (mean: number, logVar: number) => Float32Array.from({ length: 2 * dz }, (_, j) => (j < dz ? mean : logVar));
    this.headRanges = { lo: column(MEAN_RANGE.lo, LOG_VARIANCE_RANGE.lo), hi: column(MEAN_RANGE.hi, LOG_VARIANCE_RANGE.hi) };
    const weightScale = opts.init?.weightScale ?? 1;
    const outputWeightScale = opts.init?.outputWeightScale ?? weightScale;
    for (const [k, v] of Object.entries({ weightScale, outputWeightScale })) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`init.${k} = ${v}; allowed a finite value ≥ 0`);
    }
    let outputBias: Float32Array | null = null;
    if (opts.init?.outputBiasAtDataMean) {
      const { dx } = opts.dims;
      const mean = new Float64Array(dx);
      for (let i = 0; i < this.data.length; i++) mean[i % dx] += this.data[i] / this.dataSize;
      outputBias = Float32Array.from(mean);
    }
    this.init = { weightScale, outputWeightScale, outputBias };
    this.kernel = new DeepVaeKernel(opts.dims, this.data, opts.decoderStd, opts.kernelImplementation ?? 'auto');
  }

  /** Weights N(0, scale²/fan_in), biases 0 (or the data mean at the output), from the replica's init stream, block by block. */
  initialParams(_replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const theta = new Float32Array(this.parameterCount);
    let offset = 0;
    DEEP_VAE_PARAM_NAMES.forEach((name, b) => {
      const shape = this.blockShapes[b];
      const size = this.blockSizes[b];
      const values = theta.subarray(offset, offset + size);
      if (shape.length === 2) {
        const scale = (name === 'W3' ? this.init.outputWeightScale : this.init.weightScale) / Math.sqrt(shape[1]);
        for (let i = 0; i < size; i++) values[i] = scale * streams.init.normal();
      } else if (name === 'b3' && this.init.outputBias) {
        values.set(this.init.outputBias);
      }
      offset += size;
    });
    return { [PACKED_PARAM]: theta };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): DeepVaeStepInputs {
    const batch = drawReparameterisedBatch(replicas, streams, this.data, this.dims.dx, this.dims.dz);
    const soft = replicas.map((r) => this.activationOf(r) === 'soft-clip');
    const softMask = soft.every(Boolean) ? null : tf.tensor1d(soft.map((s) => (s ? 1 : 0)));
    const gradientBias = packedGradientBias(replicas, this.gradientBiasOf, this.parameterCount);
    return { ...batch, softMask, gradientBias };
  }

  objective(params: Record<string, tf.Tensor>, inputs: DeepVaeStepInputs): tf.Tensor1D {
    const { dx, dz } = this.dims;
    const { x, eps, sampleWeight, pointWeight, beta, softMask, gradientBias } = inputs;
    const [R, Bmax, Kmax] = eps.shape;
    const theta = params[PACKED_PARAM];
    // Blocks: W1 [H, dx], b1, the two encoder heads as one [2dz, H] matrix and its bias, W2, b2, W3, b3.
    const [W1, b1, Wh, bh, W2, b2, W3, b3] = tf.split(theta, this.engineBlockSizes, 1).map((t, i) => t.reshape([R, ...this.engineBlockShapes[i]]));
    // With ReLU replicas in the batch: m·soft(t) + (1 − m)·plain(t), m broadcast over the replica dimension.
    const act = (t: tf.Tensor, range: ClipRange, plain: (t: tf.Tensor) => tf.Tensor) => {
      if (softMask === null) return softClipTensor(t, range);
      const m = softMask.reshape([R, ...t.shape.slice(1).map(() => 1)]);
      return softClipTensor(t, range).mul(m).add(plain(t).mul(tf.scalar(1).sub(m)));
    };
    const hiddenAct = (t: tf.Tensor) => act(t, HIDDEN_RANGE, (u) => tf.relu(u));
    const meanAct = (t: tf.Tensor) => act(t, MEAN_RANGE, (u) => u);
    const logVarAct = (t: tf.Tensor) => act(t, LOG_VARIANCE_RANGE, (u) => u);
    // W [R, out, in], b [R, 1, out]: input·Wᵀ + b.
    const dense = (input: tf.Tensor3D, W: tf.Tensor, b: tf.Tensor) => tf.matMul(input, W as tf.Tensor3D, false, true).add(b);

    const h1 = hiddenAct(dense(x, W1, b1)) as tf.Tensor3D; // [R, Bmax, H]
    const heads = dense(h1, Wh, bh); // [R, Bmax, 2dz]: μ's pre-activations, then log σ²'s
    let mu: tf.Tensor;
    let lv: tf.Tensor;
    if (softMask === null) {
      // Both heads clipped in one pass, each column with its own range (one soft-clip instead of two).
      [mu, lv] = tf.split(softClipTensor(heads, this.headRanges), 2, 2);
    } else {
      const [preMu, preLv] = tf.split(heads, 2, 2);
      mu = meanAct(preMu);
      lv = logVarAct(preLv);
    }
    const z = mu.expandDims(2).add(lv.mul(0.5).exp().expandDims(2).mul(eps)).reshape([R, Bmax * Kmax, dz]) as tf.Tensor3D;
    const h2 = hiddenAct(dense(z, W2, b2)) as tf.Tensor3D; // [R, Bmax·Kmax, H]
    const G = meanAct(dense(h2, W3, b3)).reshape([R, Bmax, Kmax, dx]);
    const v = this.decoderStd * this.decoderStd;
    const sqErr = x.expandDims(2).sub(G).square().sum(-1); // [R, Bmax, Kmax]
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    const recon = sqErr.mul(-0.5 / v).add(logNorm).mul(sampleWeight).sum([1, 2]);
    const kl = lv.exp().add(mu.square()).sub(1).sub(lv).sum(-1).mul(0.5); // [R, Bmax]
    const elbo = recon.sub(beta.mul(kl.mul(pointWeight).sum(1))) as tf.Tensor1D;
    return gradientBias === null ? elbo : (elbo.add(theta.mul(gradientBias).sum(1)) as tf.Tensor1D);
  }

  /**
   * The same objective for one replica with its gradient by hand-written
   * backpropagation (kernel.ts): what the kernel trainer steps with, on the
   * draws drawStep would make for this replica.
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    return this.kernel.objectiveAndGradient(params[PACKED_PARAM], this.activationOf(replica), this.gradientBiasOf(replica), replica, streams, grad[PACKED_PARAM]);
  }

  /** The rows and noise the kernel steps with for this replica (a copy), for the sampler conformance check. */
  kernelDraw(replica: ReplicaSetting, streams: ReplicaStreams): { rows: Int32Array; eps: Float64Array } {
    const { rows, eps } = this.kernel.draw(replica, streams);
    return { rows: rows.slice(), eps: eps.slice() };
  }

  disposeInputs(inputs: DeepVaeStepInputs): void {
    tf.dispose([inputs.x, inputs.eps, inputs.sampleWeight, inputs.pointWeight, inputs.beta]);
    if (inputs.softMask) inputs.softMask.dispose();
    if (inputs.gradientBias) inputs.gradientBias.dispose();
  }
}
