/**
 * The maximum-likelihood decoder of the linear Gaussian model
 * x = W z + b + σ_x ε (z ~ N(0, I_dz)) at a FIXED σ_x, in closed form from the
 * rows' sample mean and covariance S = U Λ Uᵀ (1/N, eigenvalues decreasing):
 *   b = x̄,  W = U_dz · diag( √max(λ_j − σ_x², 0) )
 * (Tipping & Bishop 1999, the stationary point of the log-likelihood in W for
 * a given σ² that is its maximum; a direction with λ_j ≤ σ_x² gets a zero
 * column). Of the rotations W R that share it, R = I: WᵀW is diagonal.
 * Where a claim needs a decoder "fitted to the data" on rows that came from no
 * known generating model (iwae-bias on a user's data).
 */
import { dataStats, eigenSystem } from '../ppca/oracle.ts';
import type { LinearVaeDims } from './params.ts';

export function fixedVarianceMlDecoder(x: ArrayLike<number>, n: number, dims: LinearVaeDims, sigmaX: number): { W: Float64Array; b: Float64Array } {
  const { dx, dz } = dims;
  if (dz > dx) throw new RangeError(`fixedVarianceMlDecoder: d_z = ${dz} > d_x = ${dx}; allowed d_z ≤ d_x (one column per principal direction)`);
  if (!(sigmaX > 0) || !Number.isFinite(sigmaX)) throw new RangeError(`fixedVarianceMlDecoder: σ_x = ${sigmaX}; allowed a finite number > 0`);
  const stats = dataStats(x, n, dx);
  const { values, vectors } = eigenSystem(stats);
  const W = new Float64Array(dx * dz);
  for (let j = 0; j < dz; j++) {
    const scale = Math.sqrt(Math.max(values[j] - sigmaX * sigmaX, 0));
    for (let i = 0; i < dx; i++) W[i * dz + j] = vectors[i * dx + j] * scale;
  }
  return { W, b: stats.mean };
}
