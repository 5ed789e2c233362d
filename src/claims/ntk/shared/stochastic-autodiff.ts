/**
 * The stochastic latent network's hand-written per-group tangent kernels
 * against its own TensorFlow.js autodiff (per-example tf.grads through
 * forward): the check that the closed structure is the Jacobian's Gram
 * matrix, shared by snn-ntk and ntk-min-eigenvalue (verdict error on
 * disagreement, judged on the claim's own configuration).
 */
import { tf } from '../../../engine/backend.ts';
import { STOCHASTIC_GROUPS } from '../../../kernels/stochastic-ntk.ts';
import type { StochasticLatentBatch } from '../../../models/ntk/stochastic-latent.ts';

/**
 * Hand-written kernels (blockKernels' structure via tangentKernels) against
 * per-example autodiff through forward, per group: largest difference
 * relative to the group's largest entry; float32 both, 2e-4 as for the wide
 * ReLU network (src/claims/ntk/shared/relu-kernel-mean.ts autodiffAgreement).
 */
export function stochasticAutodiffAgreement(batch: StochasticLatentBatch, X: tf.Tensor2D, tolerance = 2e-4): { worst: number; ok: boolean; message: string } {
  const hand = batch.tangentKernels(X);
  const ad = batch.autodiffTangentKernels(X);
  let worst = 0;
  let group = 'total';
  try {
    for (const g of [...STOCHASTIC_GROUPS, 'total'] as const) {
      const [a, h] = [ad[g].dataSync(), hand[g].dataSync()];
      let diff = 0;
      let scale = 1e-30;
      for (let q = 0; q < a.length; q++) {
        diff = Math.max(diff, Math.abs(a[q] - h[q]));
        scale = Math.max(scale, Math.abs(a[q]));
      }
      if (diff / scale > worst) [worst, group] = [diff / scale, g];
    }
  } finally {
    tf.dispose([...Object.values(hand), ...Object.values(ad)]);
  }
  return {
    worst,
    ok: worst <= tolerance,
    message: `hand-written stochastic-network kernels vs autodiff (per-example tf.grads through forward, ${batch.R} replicas at m = ${batch.width}): largest difference ${worst.toExponential(2)} of the group's largest entry, in ${group} (tolerance ${tolerance})`,
  };
}
