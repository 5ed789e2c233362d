/**
 * The linear Gaussian VAE trained on the importance-weighted bound (IWAE),
 * replica-batched: per replica and data point,
 *   log (1/K) Σ_k w_k,  log w_k = log p(x | z_k) + log p(z_k) − log q(z_k | x),
 * with z_k = μ + e^{s/2} ⊙ ε_k (see iwae-oracle.ts for the float64 reference),
 * averaged over the B points of the step. K = 1 is the ELBO with a Monte
 * Carlo KL term (same expectation and expected gradient as LinearVaeModel's
 * closed-form KL).
 *
 * Mini-batches and noise are drawn exactly as LinearVaeModel draws them (the
 * same streams, the same padding), so an IWAE replica and an ELBO replica
 * with the same seed see the same data and noise. Padding: samples beyond a
 * replica's K get log-weight −1e30 (exp underflows to exactly 0, so they
 * carry no weight and no gradient), points beyond its B get weight 0.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import { InvalidSettingError, type ReplicaSetting, type ReplicaStreams } from '../../engine/replica.ts';
import { LinearVaeModel, type LinearVaeModelOptions, type LinearVaeStepInputs } from './engine-model.ts';
import type { LinearVaeDims } from './params.ts';

const MASKED_LOG_WEIGHT = -1e30;

export class LinearIwaeModel implements BatchedModel<LinearVaeStepInputs> {
  readonly name = 'linear-iwae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly elbo: LinearVaeModel;
  private readonly dims: LinearVaeDims;
  private readonly sigmaX: number;

  constructor(opts: LinearVaeModelOptions) {
    this.elbo = new LinearVaeModel(opts);
    this.dims = opts.dims;
    this.sigmaX = opts.sigmaX;
    this.dataSize = this.elbo.dataSize;
    this.paramShapes = this.elbo.paramShapes;
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    return this.elbo.initialParams(replica, streams);
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): LinearVaeStepInputs {
    for (const r of replicas) {
      if (r.beta !== 1) throw new InvalidSettingError(`replica "${r.label}": β = ${r.beta}; the IWAE objective has no KL weight, allowed β = 1`);
    }
    return this.elbo.drawStep(replicas, streams);
  }

  objective(params: Record<string, tf.Tensor>, inputs: LinearVaeStepInputs, replicas: readonly ReplicaSetting[]): tf.Tensor1D {
    const { dx, dz } = this.dims;
    const { x, eps, sampleWeight, pointWeight } = inputs;
    const [R, Bmax, Kmax] = eps.shape;
    const W = params.W as tf.Tensor3D; // [R, dx, dz]
    const b = params.b as tf.Tensor2D; // [R, dx]
    const V = params.V as tf.Tensor3D; // [R, dz, dx]
    const c = params.c as tf.Tensor2D; // [R, dz]
    const s = params.s as tf.Tensor2D; // [R, dz]
    const v = this.sigmaX * this.sigmaX;

    const mu = tf.matMul(x, V, false, true).add(c.expandDims(1)); // [R, Bmax, dz]
    const std = s.mul(0.5).exp().reshape([R, 1, 1, dz]);
    const z = mu.expandDims(2).add(std.mul(eps)); // [R, Bmax, Kmax, dz]
    const mean = tf.matMul(z.reshape([R, Bmax * Kmax, dz]), W, false, true).add(b.expandDims(1)).reshape([R, Bmax, Kmax, dx]);
    const sqErr = x.expandDims(2).sub(mean).square().sum(-1); // [R, Bmax, Kmax]
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    // log p(x|z) + log p(z) − log q(z|x); the (2π)^{dz/2} factors cancel.
    const halfSumS = s.sum(-1).mul(0.5).reshape([R, 1, 1]);
    const logW = sqErr
      .mul(-0.5 / v)
      .add(logNorm)
      .sub(z.square().sum(-1).mul(0.5))
      .add(halfSumS)
      .add(eps.square().sum(-1).mul(0.5));
    const mask = tf.where(sampleWeight.greater(0), tf.zerosLike(sampleWeight), tf.fill(sampleWeight.shape, MASKED_LOG_WEIGHT));
    const lse = tf.logSumExp(logW.add(mask), 2); // [R, Bmax]
    const logK = tf.tensor1d(replicas.map((r) => Math.log(r.samples))).reshape([R, 1]);
    return lse.sub(logK).mul(pointWeight).sum(1) as tf.Tensor1D;
  }

  disposeInputs(inputs: LinearVaeStepInputs): void {
    this.elbo.disposeInputs(inputs);
  }
}
