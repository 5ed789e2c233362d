/**
 * Synthetic clustered data for the Gaussian mixture claims: K components in D
 * dimensions with means spread by `separation`, random full covariances
 * A Aᵀ/D + 0.25 I (well conditioned, visibly anisotropic) and unequal weights.
 * Every block has its own stream from the seed, so the truth does not depend
 * on N.
 */
import { RandomStream } from '../../engine/rng.ts';
import { drawCategorical } from './responsibilities.ts';
import type { Dataset } from './gmm.ts';

export interface GmmDataOptions {
  N: number;
  D: number;
  K: number;
  separation: number;
  seed: number;
}

export function generateGmmData(opts: GmmDataOptions): Dataset & { labels: Int32Array; weights: Float64Array } {
  const { N, D, K, separation, seed } = opts;
  for (const [name, v] of [['N', N], ['D', D], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`generateGmmData: ${name} = ${v}; allowed an integer ≥ 1`);
  }
  if (!(separation > 0)) throw new RangeError(`generateGmmData: separation = ${separation}; allowed > 0`);
  const stream = (block: string) => RandomStream.at(seed, 'gmm-data', block);
  // Unequal weights 1, 2, ..., K (normalised): a uniform π would hide π-errors.
  const weights = Float64Array.from({ length: K }, (_, c) => (2 * (c + 1)) / (K * (K + 1)));
  const means = new Float64Array(K * D);
  stream('means').fillNormal(means);
  for (let i = 0; i < means.length; i++) means[i] *= separation;
  // Cholesky-like factors: covariance A Aᵀ / D + 0.25 I, sampled through A ε₁ / √D + 0.5 ε₂.
  const A = new Float64Array(K * D * D);
  stream('covariance-factors').fillNormal(A);
  const x = new Float64Array(N * D);
  const labels = new Int32Array(N);
  const pick = stream('labels');
  const noise = stream('points');
  const e1 = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    const c = drawCategorical(weights, pick);
    labels[n] = c;
    noise.fillNormal(e1);
    for (let i = 0; i < D; i++) {
      let v = means[c * D + i] + 0.5 * noise.normal();
      for (let j = 0; j < D; j++) v += (A[c * D * D + i * D + j] * e1[j]) / Math.sqrt(D);
      x[n * D + i] = v;
    }
  }
  return { x, N, D, labels, weights };
}
