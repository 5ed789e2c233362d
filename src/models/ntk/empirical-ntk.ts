/**
 * The empirical tangent kernel by plain per-example autodiff: for every
 * example i, one tf.grads of Σ_r f_r(x_i) w.r.t. all parameters gives row i
 * of every replica's Jacobian J_r (replicas never mix, so the gradient of the
 * sum w.r.t. replica r's parameters is the gradient of f_r alone), then
 * Θ_r = J_r J_rᵀ. TensorFlow.js has no vmap/jacobian, so this costs n
 * backward passes: it is the reference the batched closed-structure kernels
 * (WideReluBatch.tangentKernels, StochasticLatentBatch.tangentKernels) are
 * tested against, and the baseline of bench/ntk-gram.bench.ts.
 */
import { tf } from '../../engine/backend.ts';

export interface AutodiffKernelOptions {
  /** Parameter tensors, each [R, ...]. */
  params: Record<string, tf.Tensor>;
  /** Outputs of example i for every replica, [R], as a function of the parameters. */
  exampleOutput: (params: Record<string, tf.Tensor>, i: number) => tf.Tensor1D;
  n: number;
  /** Parameter groups whose kernels to return separately: group → parameter names. */
  groups?: Record<string, string[]>;
}

/** Θ (and optional per-group kernels) as [R, n, n] tensors; the caller disposes them. */
export function autodiffTangentKernel(opts: AutodiffKernelOptions): { total: tf.Tensor3D; groups: Record<string, tf.Tensor3D> } {
  const names = Object.keys(opts.params);
  const tensors = names.map((k) => opts.params[k]);
  const R = tensors[0].shape[0];
  const rows: Record<string, tf.Tensor2D[]> = Object.fromEntries(names.map((k) => [k, [] as tf.Tensor2D[]]));
  try {
    for (let i = 0; i < opts.n; i++) {
      const grads = tf.grads((...ps: tf.Tensor[]) => {
        const byName = Object.fromEntries(names.map((k, j) => [k, ps[j]]));
        return opts.exampleOutput(byName, i).sum();
      })(tensors);
      names.forEach((k, j) => {
        rows[k].push(grads[j].reshape([R, -1]) as tf.Tensor2D);
        grads[j].dispose();
      });
    }
    return tf.tidy(() => {
      const jac: Record<string, tf.Tensor3D> = {};
      for (const k of names) jac[k] = tf.stack(rows[k], 1) as tf.Tensor3D; // [R, n, P_k]
      const gram = (ks: string[]) => tf.addN(ks.map((k) => tf.matMul(jac[k], jac[k], false, true))) as tf.Tensor3D;
      const groups: Record<string, tf.Tensor3D> = {};
      for (const [g, ks] of Object.entries(opts.groups ?? {})) groups[g] = gram(ks);
      return { total: gram(names), groups };
    });
  } finally {
    for (const k of names) for (const t of rows[k]) t.dispose();
  }
}
