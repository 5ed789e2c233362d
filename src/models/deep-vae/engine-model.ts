/**
 * The deep Gaussian VAE (params.ts) as a replica-batched TensorFlow.js model:
 * the reparameterised Monte Carlo ELBO with B data points and K samples per
 * point, the KL term in closed form (× β), on real digits or any [N, dx]
 * data. Per-replica B and K share one program through padding and weight
 * masks, as in the linear VAE (src/models/linear-vae/engine-model.ts).
 *
 * Activations may differ per replica ('soft-clip' or 'relu', chosen by
 * `activationOf`): both are computed and a [R] mask selects one, so a ReLU
 * comparison rides in the same batch as the soft-clipped replicas.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { drawReparameterisedBatch, type ReparameterisedBatch } from '../../engine/minibatch.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, SOFT_CLIP_SHARPNESS, type ClipRange } from './soft-clip.ts';
import { DEEP_VAE_PARAM_NAMES, deepVaeShapes, validateDeepDims, type Activation, type DeepVaeDims } from './params.ts';

export interface DeepVaeStepInputs extends ReparameterisedBatch {
  /** [R]: 1 for soft-clip replicas, 0 for ReLU replicas. */
  softMask: tf.Tensor1D;
}

export interface DeepVaeModelOptions {
  dims: DeepVaeDims;
  /** Data, row-major N × dx. */
  data: Float32Array | Float64Array;
  /** Decoder standard deviation c (fixed). */
  decoderStd: number;
  /** Activation per replica (default: soft-clip for all). */
  activationOf?: (replica: ReplicaSetting) => Activation;
  /**
   * Initialisation: weights N(0, scale²/fan_in) (scale 1 by default; the
   * decoder's output layer may use its own scale), biases 0 except the
   * decoder's output bias, which may start at the data mean so that the
   * first iterates do not spend their gradient on reconstructing the mean.
   */
  init?: { weightScale?: number; outputWeightScale?: number; outputBiasAtDataMean?: boolean };
}

/** Generalised soft-clipping in tfjs: s1 + (softplus(s(x − s1)) − softplus(s(x − s2)))/s. */
export function softClipTensor(x: tf.Tensor, { lo, hi }: ClipRange, s = SOFT_CLIP_SHARPNESS): tf.Tensor {
  return tf.softplus(x.sub(lo).mul(s)).sub(tf.softplus(x.sub(hi).mul(s))).div(s).add(lo);
}

export class DeepVaeModel implements BatchedModel<DeepVaeStepInputs> {
  readonly name = 'deep-vae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly dims: DeepVaeDims;
  private readonly data: Float32Array;
  private readonly decoderStd: number;
  private readonly activationOf: (replica: ReplicaSetting) => Activation;
  private readonly init: { weightScale: number; outputWeightScale: number; outputBias: Float32Array | null };

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
    this.paramShapes = deepVaeShapes(opts.dims);
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
  }

  /** Weights N(0, scale²/fan_in), biases 0 (or the data mean at the output), from the replica's init stream. */
  initialParams(_replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const out: ReplicaParams = {};
    for (const name of DEEP_VAE_PARAM_NAMES) {
      const shape = this.paramShapes[name];
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (shape.length === 2) {
        const scale = (name === 'W3' ? this.init.outputWeightScale : this.init.weightScale) / Math.sqrt(shape[1]);
        for (let i = 0; i < size; i++) values[i] = scale * streams.init.normal();
      } else if (name === 'b3' && this.init.outputBias) {
        values.set(this.init.outputBias);
      }
      out[name] = values;
    }
    return out;
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): DeepVaeStepInputs {
    const batch = drawReparameterisedBatch(replicas, streams, this.data, this.dims.dx, this.dims.dz);
    const softMask = Float32Array.from(replicas, (r) => (this.activationOf(r) === 'soft-clip' ? 1 : 0));
    return { ...batch, softMask: tf.tensor1d(softMask) };
  }

  objective(params: Record<string, tf.Tensor>, inputs: DeepVaeStepInputs): tf.Tensor1D {
    const { dx, dz } = this.dims;
    const { x, eps, sampleWeight, pointWeight, beta, softMask } = inputs;
    const [R, Bmax, Kmax] = eps.shape;
    // m·soft(t) + (1 − m)·plain(t), m broadcast over the replica dimension.
    const mixed = (t: tf.Tensor, range: ClipRange, plain: (t: tf.Tensor) => tf.Tensor) => {
      const m = softMask.reshape([R, ...t.shape.slice(1).map(() => 1)]);
      return softClipTensor(t, range).mul(m).add(plain(t).mul(tf.scalar(1).sub(m)));
    };
    const hiddenAct = (t: tf.Tensor) => mixed(t, HIDDEN_RANGE, (u) => tf.relu(u));
    const meanAct = (t: tf.Tensor) => mixed(t, MEAN_RANGE, (u) => u);
    const logVarAct = (t: tf.Tensor) => mixed(t, LOG_VARIANCE_RANGE, (u) => u);
    const dense = (input: tf.Tensor3D, W: tf.Tensor, b: tf.Tensor) => tf.matMul(input, W as tf.Tensor3D, false, true).add(b.expandDims(1));

    const h1 = hiddenAct(dense(x, params.W1, params.b1)) as tf.Tensor3D; // [R, Bmax, H]
    const mu = meanAct(dense(h1, params.Wm, params.bm)); // [R, Bmax, dz]
    const lv = logVarAct(dense(h1, params.Wv, params.bv)); // [R, Bmax, dz]
    const z = mu.expandDims(2).add(lv.mul(0.5).exp().expandDims(2).mul(eps)).reshape([R, Bmax * Kmax, dz]) as tf.Tensor3D;
    const h2 = hiddenAct(dense(z, params.W2, params.b2)) as tf.Tensor3D; // [R, Bmax·Kmax, H]
    const G = meanAct(dense(h2, params.W3, params.b3)).reshape([R, Bmax, Kmax, dx]);
    const v = this.decoderStd * this.decoderStd;
    const sqErr = x.expandDims(2).sub(G).square().sum(-1); // [R, Bmax, Kmax]
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    const recon = sqErr.mul(-0.5 / v).add(logNorm).mul(sampleWeight).sum([1, 2]);
    const kl = lv.exp().add(mu.square()).sub(1).sub(lv).sum(-1).mul(0.5); // [R, Bmax]
    return recon.sub(beta.mul(kl.mul(pointWeight).sum(1))) as tf.Tensor1D;
  }

  disposeInputs(inputs: DeepVaeStepInputs): void {
    tf.dispose([inputs.x, inputs.eps, inputs.sampleWeight, inputs.pointWeight, inputs.beta, inputs.softMask]);
  }
}
