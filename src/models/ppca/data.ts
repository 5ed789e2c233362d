/**
 * Synthetic data for the PPCA and linear-VAE entropy claims: a low-rank
 * Gaussian with well separated principal variances,
 *   x = μ* + U diag(√signal) z + noiseStd · ε,  z ~ N(0, I_H), ε ~ N(0, I_D),
 * U a random orthonormal D×H frame (QR of a Gaussian matrix). The population
 * covariance has eigenvalues signal_h + noiseStd² and noiseStd² (D − H times),
 * so the ML solution and its saddles are well conditioned. Blocks have their
 * own streams: the truth does not depend on N.
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import { RandomStream } from '../../engine/rng.ts';

export interface LowRankDataOptions {
  N: number;
  D: number;
  /** Signal variances along the H principal directions (H = signal.length ≤ D). */
  signal: readonly number[];
  noiseStd: number;
  seed: number;
}

export interface LowRankData {
  /** N×D row-major. */
  x: Float64Array;
  N: number;
  D: number;
}

export function generateLowRankData(opts: LowRankDataOptions): LowRankData {
  const { N, D, signal, noiseStd, seed } = opts;
  const H = signal.length;
  if (!Number.isInteger(N) || N < 2) throw new RangeError(`generateLowRankData: N = ${N}; allowed an integer ≥ 2`);
  if (!Number.isInteger(D) || D < 1 || H < 1 || H > D) throw new RangeError(`generateLowRankData: D = ${D}, H = ${H}; allowed 1 ≤ H ≤ D`);
  if (!signal.every((s) => s > 0)) throw new RangeError(`generateLowRankData: signal variances ${signal.join(', ')}; allowed all > 0`);
  if (!(noiseStd > 0)) throw new RangeError(`generateLowRankData: noiseStd = ${noiseStd}; allowed > 0`);
  const stream = (block: string) => RandomStream.at(seed, 'low-rank-data', block);
  const G = new Matrix(D, H);
  const g = stream('frame');
  for (let i = 0; i < D; i++) for (let h = 0; h < H; h++) G.set(i, h, g.normal());
  const U = new QrDecomposition(G).orthogonalMatrix; // D×D; first H columns span G
  const offset = new Float64Array(D);
  stream('offset').fillNormal(offset);
  const zs = stream('z');
  const eps = stream('noise');
  const x = new Float64Array(N * D);
  const z = new Float64Array(H);
  const amp = signal.map(Math.sqrt);
  for (let n = 0; n < N; n++) {
    zs.fillNormal(z);
    for (let i = 0; i < D; i++) {
      let v = offset[i] + noiseStd * eps.normal();
      for (let h = 0; h < H; h++) v += U.get(i, h) * amp[h] * z[h];
      x[n * D + i] = v;
    }
  }
  return { x, N, D };
}
