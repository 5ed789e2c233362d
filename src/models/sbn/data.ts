/**
 * Synthetic binary data from a sigmoid belief net with moderate weights
 * (W_dh ~ N(0, weightScale²), b_d ~ N(0, 0.5²), π_h ∈ [0.2, 0.5]): every
 * pixel takes both values and no state separates the data, so the M-step's
 * logistic regressions have finite maximisers.
 */
import { RandomStream } from '../../engine/rng.ts';
import { bit, stateCount, type BinaryData, type SbnParams } from './sbn.ts';
import { sigmoid } from '../../entropy/formulas.ts';

export interface SbnDataOptions {
  N: number;
  D: number;
  H: number;
  weightScale: number;
  seed: number;
}

export function generateSbnData(opts: SbnDataOptions): BinaryData & { truth: SbnParams } {
  const { N, D, H, weightScale, seed } = opts;
  stateCount(H);
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(D) || D < 1) throw new RangeError(`generateSbnData: N = ${N}, D = ${D}; allowed integers ≥ 1`);
  const stream = (block: string) => RandomStream.at(seed, 'sbn-data', block);
  const W = new Float64Array(D * H);
  stream('W').fillNormal(W);
  for (let i = 0; i < W.length; i++) W[i] *= weightScale;
  const b = new Float64Array(D);
  stream('b').fillNormal(b);
  for (let d = 0; d < D; d++) b[d] = 0.5 * b[d] - 0.5 * (W.slice(d * H, (d + 1) * H).reduce((a, v) => a + v, 0) * 0.35);
  const pr = stream('pi');
  const pi = Float64Array.from({ length: H }, () => 0.2 + 0.3 * pr.uniform());
  const zs = stream('z');
  const xs = stream('x');
  const x = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    let z = 0;
    for (let h = 0; h < H; h++) if (zs.uniform() < pi[h]) z |= 1 << h;
    for (let d = 0; d < D; d++) {
      let e = b[d];
      for (let h = 0; h < H; h++) if (bit(z, h)) e += W[d * H + h];
      x[n * D + d] = xs.uniform() < sigmoid(e) ? 1 : 0;
    }
  }
  return { x, N, D, truth: { H, D, W, b, pi } };
}
