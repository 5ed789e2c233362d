/**
 * The falsifier engine of iwae-rate's `objective-is-elbo`: the IWAE model with
 * the K log-weights of a point pooled by their MEAN instead of their
 * log-mean-exp, i.e. the reparameterised Monte Carlo ELBO (1/K) Σ_k log w_k
 * with uniform weights 1/K in the gradient. Same streams, draws and encoder
 * family as LinearIwaeModel, so the replicas differ from the claim's only in
 * the objective: on a test bed where q cannot match the posterior, SGD then
 * converges to the ELBO's optimum, where ∇L_K ≠ 0, and E‖∇L_K(θ_k)‖² floors.
 * The same bug, made by accident, is the mutant "log-mean-exp replaced by the
 * mean of the log-weights" (mutants/iwae.ts).
 */
import { tf } from '../../engine/backend.ts';
import type { ReplicaSetting } from '../../engine/replica.ts';
import type { LinearVaeStepInputs } from './engine-model.ts';
import { LinearIwaeModel } from './iwae-engine-model.ts';

export class MeanLogWeightModel extends LinearIwaeModel {
  override readonly name: string = 'linear-iwae-mean-log-weight';

  protected override poolLogWeights(logW: tf.Tensor3D, inputs: LinearVaeStepInputs, replicas: readonly ReplicaSetting[]): tf.Tensor2D {
    // sampleWeight is 1/(B K) on a replica's real samples and 0 on padding, so B·sampleWeight is 1/K there.
    const B = tf.tensor1d(replicas.map((r) => r.batchSize)).reshape([replicas.length, 1, 1]);
    return logW.mul(inputs.sampleWeight.mul(B)).sum(2) as tf.Tensor2D; // (1/K) Σ_k log w_k per point
  }

  /** The port pools by the mean too (flag 8 of its iwaeStep), while poolKernel is this class's. */
  protected override portPooling(): 'log-mean-exp' | 'mean' | null {
    return this.poolKernel === MeanLogWeightModel.prototype.poolKernel ? 'mean' : null;
  }

  protected override poolKernel(logW: Float64Array, K: number, omega: Float64Array): number {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      sum += logW[k];
      omega[k] = 1 / K;
    }
    return sum / K;
  }
}

