/**
 * Deliberately broken engines for falsifiers. A falsifier must show that the
 * check sees a bug a reviewer fears; these wrap a correct model and inject
 * one, per configuration, so the claim's own configuration trains the
 * untouched model in the same run.
 */
import type { tf } from '../../../engine/backend.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../../engine/replica.ts';
import type { ReplicaParams } from '../../../engine/trainer.ts';
import type { FusedKernelSteps } from '../../../engine/kernel-trainer.ts';
import { LinearVaeModel, type LinearVaeModelOptions, type LinearVaeStepInputs } from '../../../models/linear-vae/engine-model.ts';

/**
 * The linear VAE whose stochastic gradient carries a constant bias δ in every
 * coordinate of ∂/∂b (both gradient paths: the kernel adds δ to ∂b, the
 * autodiff objective gains δ·Σ_q b_q). SGD or Adam then converge to the point
 * where ∇L = −δ·1_b, so E‖∇L(θ_k)‖² floors at d_x·δ² instead of decaying:
 * the error floor of a mis-derived gradient block.
 */
export class BiasedGradientLinearVae extends LinearVaeModel {
  constructor(
    opts: LinearVaeModelOptions,
    private readonly bias: number,
  ) {
    super(opts);
  }

  override objective(params: Record<string, tf.Tensor>, inputs: LinearVaeStepInputs): tf.Tensor1D {
    const b = params.b as tf.Tensor2D; // [R, dx]
    return super.objective(params, inputs).add(b.sum(1).mul(this.bias)) as tf.Tensor1D;
  }

  override objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    const value = super.objectiveAndGradient(params, replica, streams, grad);
    let sum = 0;
    for (let q = 0; q < grad.b.length; q++) {
      grad.b[q] += this.bias;
      sum += params.b[q];
    }
    return value + this.bias * sum;
  }

  /**
   * SGD steps fused into the kernel's module with the same δ on ∂b (the same operations in the
   * same order as objectiveAndGradient above; the falsifier's conformance compares the two), unless
   * a subclass changed objectiveAndGradient again.
   */
  override fusedSgd(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): FusedKernelSteps | null {
    if (this.objectiveAndGradient !== BiasedGradientLinearVae.prototype.objectiveAndGradient) return null;
    return this.fusedSgdSteps(replicas, streams, this.bias);
  }
}
