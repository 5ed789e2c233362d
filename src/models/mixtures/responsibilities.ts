/**
 * Responsibility matrices q (N×K, rows sum to 1) for the "any q" M-step
 * checks of the mixture claims: exact posteriors come from each model's
 * E-step; here the other two kinds.
 */
import type { RandomStream } from '../../engine/rng.ts';


/** One-hot at each row's largest entry (ties: the first). */
export function hardResponsibilities(q: Float64Array, N: number, K: number): Float64Array {
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (q[n * K + c] > q[n * K + best]) best = c;
    out[n * K + best] = 1;
  }
  return out;
}

/** Rows drawn from the flat Dirichlet(1, ..., 1): normalised exponentials. */
export function randomResponsibilities(N: number, K: number, rng: RandomStream): Float64Array {
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < K; c++) {
      let u = 0;
      while (u === 0) u = rng.uniform();
      out[n * K + c] = -Math.log(u);
      s += out[n * K + c];
    }
    for (let c = 0; c < K; c++) out[n * K + c] /= s;
  }
  return out;
}

/** Draw an index from the probability vector p. */
export function drawCategorical(p: ArrayLike<number>, rng: RandomStream): number {
  let u = rng.uniform();
  for (let c = 0; c < p.length - 1; c++) {
    u -= p[c];
    if (u < 0) return c;
  }
  return p.length - 1;
}
