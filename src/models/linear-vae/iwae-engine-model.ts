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
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import { InvalidSettingError, type ReplicaSetting, type ReplicaStreams } from '../../engine/replica.ts';
import { LinearVaeModel, type LinearVaeModelOptions, type LinearVaeStepInputs } from './engine-model.ts';
import { addEncoderGradient, encoderMean, zeroedGradients } from './kernel-parts.ts';
import type { LinearVaeDims } from './params.ts';

const MASKED_LOG_WEIGHT = -1e30;

function requireUnitBeta(r: ReplicaSetting): void {
  if (r.beta !== 1) throw new InvalidSettingError(`replica "${r.label}": β = ${r.beta}; the IWAE objective has no KL weight, allowed β = 1`);
}

export class LinearIwaeModel implements BatchedModel<LinearVaeStepInputs>, ReplicaKernel {
  readonly name = 'linear-iwae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly elbo: LinearVaeModel;
  private readonly dims: LinearVaeDims;
  private readonly sigmaX: number;
  /** Per-K work arrays of the kernel step: z_k (K·dz), e_k (K·dx), ε_k (K·dz), log w_k (K). */
  private readonly work = new Map<number, { z: Float64Array; e: Float64Array; eps: Float64Array; logW: Float64Array; mu: Float64Array; gmu: Float64Array; std: Float64Array }>();

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
    replicas.forEach(requireUnitBeta);
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

  /**
   * The same bound for one replica with its gradient in closed form (kernel
   * trainer). Same draws as drawStep. With ω_k the softmax of log w_k over the
   * K samples of a point, e_k = x − W z_k − b and g_k = Wᵀe_k/σ² − z_k:
   *   ∂W = (1/B) Σ ω_k e_k z_kᵀ/σ²,  ∂b = (1/B) Σ ω_k e_k/σ²,
   *   ∂μ = (1/B) Σ_k ω_k g_k,  ∂V = Σ ∂μ xᵀ,  ∂c = Σ ∂μ,
   *   ∂s_j = (1/B) Σ ω_k (g_kj ε_kj e^{s_j/2} + 1)/2.
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    requireUnitBeta(replica);
    const { dx, dz } = this.dims;
    const { W, b, s } = params;
    const g = zeroedGradients(grad);
    const { gW, gb, gs } = g;
    const { batchSize: B, samples: K } = replica;
    let w = this.work.get(K);
    if (!w) {
      w = { z: new Float64Array(K * dz), e: new Float64Array(K * dx), eps: new Float64Array(K * dz), logW: new Float64Array(K), mu: new Float64Array(dz), gmu: new Float64Array(dz), std: new Float64Array(dz) };
      this.work.set(K, w);
    }
    const { z, e, eps, logW, mu, gmu, std } = w;
    const data = this.elbo.data;
    const v = this.sigmaX * this.sigmaX;
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    let halfSumS = 0;
    for (let j = 0; j < dz; j++) {
      std[j] = Math.exp(0.5 * s[j]);
      halfSumS += 0.5 * s[j];
    }
    let objective = 0;
    for (let i = 0; i < B; i++) {
      const row = streams.data.int(this.dataSize) * dx;
      encoderMean(params, data, row, dx, dz, mu);
      gmu.fill(0);
      let maxLogW = -Infinity;
      for (let k = 0; k < K; k++) {
        let zz = 0;
        let ee = 0;
        for (let j = 0; j < dz; j++) {
          const n = streams.noise.normal();
          eps[k * dz + j] = n;
          const zj = mu[j] + std[j] * n;
          z[k * dz + j] = zj;
          zz += zj * zj;
          ee += n * n;
        }
        let sq = 0;
        for (let q = 0; q < dx; q++) {
          let m = b[q];
          for (let j = 0; j < dz; j++) m += W[q * dz + j] * z[k * dz + j];
          const r = data[row + q] - m;
          e[k * dx + q] = r;
          sq += r * r;
        }
        logW[k] = -0.5 * sq / v + logNorm - 0.5 * zz + halfSumS + 0.5 * ee;
        if (logW[k] > maxLogW) maxLogW = logW[k];
      }
      let total = 0;
      for (let k = 0; k < K; k++) total += Math.exp(logW[k] - maxLogW);
      objective += (maxLogW + Math.log(total) - Math.log(K)) / B;
      for (let k = 0; k < K; k++) {
        const omega = Math.exp(logW[k] - maxLogW) / total / B;
        for (let q = 0; q < dx; q++) {
          const gq = (omega * e[k * dx + q]) / v;
          gb[q] += gq;
          for (let j = 0; j < dz; j++) gW[q * dz + j] += gq * z[k * dz + j];
        }
        for (let j = 0; j < dz; j++) {
          let wte = 0;
          for (let q = 0; q < dx; q++) wte += W[q * dz + j] * e[k * dx + q];
          const gk = wte / v - z[k * dz + j];
          gmu[j] += omega * gk;
          gs[j] += 0.5 * omega * (gk * eps[k * dz + j] * std[j] + 1);
        }
      }
      addEncoderGradient(g, gmu, data, row, dx, dz);
    }
    return objective;
  }

  disposeInputs(inputs: LinearVaeStepInputs): void {
    this.elbo.disposeInputs(inputs);
  }
}
