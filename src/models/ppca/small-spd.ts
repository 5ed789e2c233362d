/**
 * log det M and tr(M⁻¹ A) for a batch of small symmetric positive definite
 * H×H matrices M (shape [R, H, H]) in TensorFlow.js, which has no Cholesky:
 * the factorisation is unrolled entry by entry on [R]-shaped tensors (H is a
 * latent dimension, a handful), L⁻¹ by forward substitution, then
 * tr(M⁻¹A) = tr(L⁻¹ A L⁻ᵀ). Differentiable (sqrt, div, matMul only).
 * Call inside tf.tidy.
 */
import { tf } from '../../engine/backend.ts';

export const MAX_UNROLLED_H = 8;

export function smallSpdTerms(M: tf.Tensor3D, A: tf.Tensor3D): { logDet: tf.Tensor1D; trace: tf.Tensor1D } {
  const [R, H, H2] = M.shape;
  if (H !== H2 || H > MAX_UNROLLED_H) throw new RangeError(`smallSpdTerms: M is ${H}×${H2}; allowed square with H ≤ ${MAX_UNROLLED_H}`);
  const m = tf.unstack(M, 1).map((row) => tf.unstack(row, 1)); // m[i][j]: [R]
  const L: tf.Tensor[][] = Array.from({ length: H }, () => new Array<tf.Tensor>(H));
  for (let j = 0; j < H; j++) {
    let d: tf.Tensor = m[j][j];
    for (let k = 0; k < j; k++) d = d.sub(L[j][k].square());
    L[j][j] = d.sqrt();
    for (let i = j + 1; i < H; i++) {
      let v: tf.Tensor = m[i][j];
      for (let k = 0; k < j; k++) v = v.sub(L[i][k].mul(L[j][k]));
      L[i][j] = v.div(L[j][j]);
    }
  }
  let logDet: tf.Tensor = tf.zeros([R]);
  for (let j = 0; j < H; j++) logDet = logDet.add(L[j][j].log().mul(2));
  // Linv lower triangular: Linv[i][i] = 1/L[i][i], Linv[i][j] = −(Σ_{k=j}^{i−1} L[i][k] Linv[k][j]) / L[i][i].
  const zero = tf.zeros([R]);
  const Linv: tf.Tensor[][] = Array.from({ length: H }, () => new Array<tf.Tensor>(H).fill(zero));
  for (let i = 0; i < H; i++) {
    Linv[i][i] = L[i][i].reciprocal();
    for (let j = 0; j < i; j++) {
      let s: tf.Tensor = tf.zeros([R]);
      for (let k = j; k < i; k++) s = s.add(L[i][k].mul(Linv[k][j]));
      Linv[i][j] = s.neg().div(L[i][i]);
    }
  }
  const LinvT = tf.stack(Linv.map((row) => tf.stack(row, 1)), 1) as tf.Tensor3D; // [R, H, H]
  const B = tf.matMul(tf.matMul(LinvT, A), LinvT, false, true);
  const eye = tf.eye(H).expandDims(0);
  const trace = B.mul(eye).sum([1, 2]);
  return { logDet: logDet as tf.Tensor1D, trace: trace as tf.Tensor1D };
}
