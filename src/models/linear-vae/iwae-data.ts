/**
 * Synthetic data for iwae-rate with a FIXED spectrum: the linear Gaussian
 * model of data.ts, x = W* z + b* + noiseStd·ε, but with W* = U·diag(sv), U a
 * random d_x × d_z matrix with orthonormal columns (Gram–Schmidt of a Gaussian
 * matrix). The data covariance then has the eigenvalues sv_j² + noiseStd² on
 * the signal directions whatever the seed, so the test bed's conditioning —
 * how far the fixed-variance encoder is from the posterior, how fast SGD
 * leaves its transient, how far apart the optima of L_K and the ELBO are —
 * does not depend on the master seed (with data.ts's random W* the separation
 * ‖∇L_K(θ*_ELBO)‖² ranged over 0.16–1.2 across master seeds, and so did the
 * transient's length).
 */
import { RandomStream } from '../../engine/rng.ts';
import type { LinearGaussianData } from './data.ts';

export interface FixedSpectrumDataOptions {
  n: number;
  dx: number;
  dz: number;
  noiseStd: number;
  /** The singular values of W* (d_z of them, each > 0). */
  singularValues: readonly number[];
  seed: number;
}

/** b*_i ~ N(0, 1)·0.5, as in data.ts. */
const B_STAR_SCALE = 0.5;

export function fixedSpectrumLinearGaussianData(opts: FixedSpectrumDataOptions): LinearGaussianData {
  const { n, dx, dz, noiseStd, singularValues: sv, seed } = opts;
  for (const [name, v] of [['n', n], ['dx', dx], ['dz', dz]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`fixedSpectrumLinearGaussianData: ${name} = ${v}; allowed a positive integer`);
  }
  if (dz > dx) throw new RangeError(`fixedSpectrumLinearGaussianData: dz = ${dz} > dx = ${dx} has no orthonormal columns`);
  if (sv.length !== dz || sv.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new RangeError(`fixedSpectrumLinearGaussianData: singular values [${sv.join(', ')}]; allowed dz = ${dz} finite values > 0`);
  }
  if (!(noiseStd > 0) || !Number.isFinite(noiseStd)) throw new RangeError(`fixedSpectrumLinearGaussianData: noiseStd = ${noiseStd}; allowed a finite value > 0`);
  const stream = (block: string) => RandomStream.at(seed, 'fixed-spectrum-linear-gaussian-data', block);

  const W = new Float64Array(dx * dz);
  stream('W').fillNormal(W);
  // Gram–Schmidt on the columns (column j of the row-major dx × dz matrix is W[i·dz + j]), then scale.
  for (let j = 0; j < dz; j++) {
    for (let q = 0; q < j; q++) {
      let dot = 0;
      for (let i = 0; i < dx; i++) dot += W[i * dz + j] * W[i * dz + q];
      for (let i = 0; i < dx; i++) W[i * dz + j] -= dot * W[i * dz + q];
    }
    let norm = 0;
    for (let i = 0; i < dx; i++) norm += W[i * dz + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < dx; i++) W[i * dz + j] /= norm;
  }
  for (let i = 0; i < dx; i++) for (let j = 0; j < dz; j++) W[i * dz + j] *= sv[j];

  const b = new Float64Array(dx);
  stream('b').fillNormal(b);
  for (let i = 0; i < dx; i++) b[i] *= B_STAR_SCALE;

  const zs = stream('z');
  const eps = stream('noise');
  const x = new Float64Array(n * dx);
  const z = new Float64Array(dz);
  for (let k = 0; k < n; k++) {
    zs.fillNormal(z);
    for (let i = 0; i < dx; i++) {
      let xi = b[i] + noiseStd * eps.normal();
      for (let j = 0; j < dz; j++) xi += W[i * dz + j] * z[j];
      x[k * dx + i] = xi;
    }
  }
  return { x, W, b, dims: { dx, dz } };
}
