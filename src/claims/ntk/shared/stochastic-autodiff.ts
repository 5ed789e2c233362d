/**
 * The stochastic latent network's hand-written per-group tangent kernels
 * against its own TensorFlow.js autodiff (per-example tf.grads through
 * forward): the check that the closed structure is the Jacobian's Gram
 * matrix, shared by snn-ntk and ntk-min-eigenvalue; and its hand-written
 * loss gradients (KL terms included) against tf.grads, shared by snn-ntk and
 * snn-krr-equivalence (verdict error on disagreement, judged on the claim's
 * own configuration).
 */
import { tf } from '../../../engine/backend.ts';
import { STOCHASTIC_GROUPS } from '../../../kernels/stochastic-ntk.ts';
import { StochasticLatentBatch, type StochasticArchitecture, type StochasticParam, type StochasticReplica } from '../../../models/ntk/stochastic-latent.ts';

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

/**
 * tf.grads of Σ_r [(1/(2n))‖f_r − y‖² + w_r·KL_r] through forward and klTerm
 * against the hand-written lossGradients: largest difference per parameter
 * relative to its largest entry (float32 both; 2e-4).
 */
export function stochasticGradientAgreement(batch: StochasticLatentBatch, X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D, kl: Float64Array, tolerance = 2e-4): { worst: number; ok: boolean; message: string } {
  const n = X.shape[0];
  const names = Object.keys(batch.params) as StochasticParam[];
  const hand = batch.lossGradients(X, Xt, y, kl);
  const w = tf.tensor1d(Float32Array.from(kl));
  const ref = tf.grads((...ps: tf.Tensor[]) => {
    const p = Object.fromEntries(names.map((k, j) => [k, ps[j]])) as Record<StochasticParam, tf.Tensor>;
    const data = batch.forward(X, p).sub(y.transpose()).square().sum().div(2 * n);
    return data.add(batch.klTerm(X, p).mul(w).sum()) as tf.Scalar;
  })(names.map((k) => batch.params[k]));
  let worst = 0;
  let param = names[0] as string;
  try {
    names.forEach((k, j) => {
      const [a, b] = [hand.grads[k].dataSync(), ref[j].dataSync()];
      let diff = 0;
      let scale = 1e-30;
      for (let q = 0; q < b.length; q++) {
        diff = Math.max(diff, Math.abs(a[q] - b[q]));
        scale = Math.max(scale, Math.abs(b[q]));
      }
      if (diff / scale > worst) [worst, param] = [diff / scale, k];
    });
  } finally {
    tf.dispose([hand.f, ...Object.values(hand.grads), ...ref, w]);
  }
  return {
    worst,
    ok: worst <= tolerance,
    message: `hand-written loss gradients of the stochastic network (with the KL terms) vs tf.grads at initialisation (m = ${batch.width}, ${batch.R} replicas): largest difference ${worst.toExponential(2)} of the parameter's largest entry, in ${param} (tolerance ${tolerance})`,
  };
}

/**
 * stochasticGradientAgreement on `replicas` and on the same replicas with i.i.d. draws (one
 * batch, KL weights repeated). Why both: the fused loss gradient sorts each unit's draws
 * (src/models/ntk/stochastic-latent-loss.ts), and stratified draws are generated in
 * ascending order already (one per stratum, strata in order), so on the claims' own
 * configuration a defect of the sorting could not show; i.i.d. draws come unsorted.
 */
export function stochasticGradientProbe(arch: StochasticArchitecture, replicas: readonly StochasticReplica[], kl: Float64Array, X: tf.Tensor2D, Xt: tf.Tensor2D, y: tf.Tensor2D): { worst: number; ok: boolean; message: string } {
  const iid = replicas.map((r) => ({ ...r, noise: 'iid' as const, label: `${r.label}, i.i.d. draws` }));
  const batch = new StochasticLatentBatch(arch, [...replicas, ...iid]);
  try {
    const out = stochasticGradientAgreement(batch, X, Xt, y, Float64Array.from([...kl, ...kl]));
    return { ...out, message: `${out.message}; half the replicas with i.i.d. (unsorted) draws` };
  } finally {
    batch.dispose();
  }
}
