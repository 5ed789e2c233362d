/**
 * The user's data (`verify --data FILE`) in the entropy claims that fit a
 * model to data (Gaussian, Bernoulli and Poisson mixtures, PPCA, the SBN, the
 * linear VAE). These models take any number of columns D, so their
 * takesData.dimension is null and withRows puts `data: { source: 'file', N,
 * D }` in place of the settings of the claim's own generator or digits; the
 * check then reads the rows from ctx.data (a copy: checks may centre or
 * whiten it in place). Without --data nothing here runs.
 *
 * Also what the models need of the data beyond sizes (the schema) and cell
 * values (src/data/data-values.ts), found before any training:
 *  - PPCA and the linear VAE: a covariance of rank > H (σ²_ML, the mean of
 *    the D − H smallest eigenvalues, must be > 0);
 *  - the linear VAE: plain gradient ascent with the tier's step γ = C k^{-α}
 *    stable on the rows (C λ₁²/σ² < 2, the encoder block's curvature);
 *  - a Gaussian mixture with full covariances: linearly independent columns
 *    (else every Σ_c is singular).
 */
import { z } from 'zod';
import { intAtLeast } from '../../../config/hyperparameters.ts';
import { dataStats, eigenSystem } from '../../../models/ppca/oracle.ts';
import type { DataProblem, DataSet } from '../../../contract/claim.ts';
import { fileData } from '../../shared/user-data.ts';

/** How a configuration tells its own data from the user's file, and the file's sizes (src/claims/shared/user-data.ts). */
export { dataSource, fileData, fileDataOf, fileRows, fromFile, ownData, type FileData } from '../../shared/user-data.ts';

/** The same for a model fitted to the rows' sample covariance (PPCA, the linear VAE): at least two rows. */
export const covarianceFileData = fileData.extend({ N: intAtLeast('data points N', 2, 'a sample covariance') });

/** Eigenvalues (decreasing) of the rows' sample covariance (1/N), or of their correlation matrix. */
function covarianceEigenvalues(data: DataSet, correlation: boolean): Float64Array {
  const stats = dataStats(data.x, data.n, data.dim);
  if (correlation) {
    const D = data.dim;
    const sd = Float64Array.from({ length: D }, (_, i) => Math.sqrt(stats.cov[i * D + i]));
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) stats.cov[i * D + j] /= sd[i] * sd[j];
  }
  return eigenSystem(stats).values;
}

/** Relative size below which an eigenvalue counts as zero: float64 rounding of a covariance is ≈ 1e-16 of its largest. */
const RANK_TOLERANCE = 1e-10;

/** σ²_ML of PPCA with H latent dimensions: the mean of the D − H smallest eigenvalues of the rows' covariance (H < D). */
function mlVariance(values: Float64Array, H: number): number {
  let discarded = 0;
  for (let k = H; k < values.length; k++) discarded += Math.max(0, values[k]) / (values.length - H);
  return discarded;
}

/** PPCA (and the linear VAE, whose optimum it is) with H latent dimensions: σ²_ML = mean of the D − H smallest eigenvalues must be > 0. */
export function rankAboveLatent(data: DataSet, H: number): DataProblem | null {
  const D = data.dim;
  if (H >= D) return null; // the schema says H < D
  const values = covarianceEigenvalues(data, false);
  const discarded = mlVariance(values, H);
  if (discarded > RANK_TOLERANCE * values[0]) return null;
  return {
    problem:
      `the rows' covariance has rank ≤ H = ${H}: σ²_ML, the mean of its ${D - H} smallest eigenvalues, is ${discarded.toExponential(2)} ` +
      `(≤ ${RANK_TOLERANCE} × the largest, ${values[0].toExponential(2)}), and the model needs σ² > 0; use fewer latent dimensions (--set H=…) or rows that span more directions`,
  };
}

/** A full-covariance Gaussian mixture: the columns must be linearly independent (call after the constant-column check). */
export function independentColumns(data: DataSet): DataProblem | null {
  const values = covarianceEigenvalues(data, true);
  const smallest = values[values.length - 1];
  if (smallest > RANK_TOLERANCE * values[0]) return null;
  return {
    problem:
      `the columns are linearly dependent (the smallest eigenvalue of their correlation matrix is ${smallest.toExponential(2)}): ` +
      `every full covariance fitted to them is singular; drop a dependent column, or run the shared isotropic variance only (--set 'covariances=["shared-isotropic"]')`,
  };
}

/**
 * The linear VAE's plain gradient ascent (step γ_1 = C at its largest) is
 * stable only when C times the encoder block's curvature λ₁²/σ² is below 2
 * (entropy-linear-vae.ts: ≈ 42 on its own data, hence C = 0.04), with σ² =
 * σ²_ML for a learned variance and the fixed value for a falsifier that pins
 * it (falsifiers train in the same replica batch: one diverging stops all).
 * On rows where it is not, training diverges or stalls far from the optimum.
 * Scaling the rows by s multiplies λ₁²/σ²_ML by s², and λ₁²/σ² for a fixed
 * σ² by s⁴: the message says by how much to scale them. `setting`: the
 * step constant's path for --set.
 */
export function stableLinearVaeStep(data: DataSet, H: number, C: number, setting: string, fixedVariances: readonly number[]): DataProblem | null {
  if (H >= data.dim) return null; // the schema says H < D
  const values = covarianceEigenvalues(data, false);
  const ml = mlVariance(values, H);
  if (!(ml > 0)) return null; // rankAboveLatent says so
  const lambda2 = values[0] * values[0];
  const cases = [{ sigma2: ml, what: 'σ²_ML', power: 2 }, ...fixedVariances.map((v) => ({ sigma2: v, what: "a falsifier's fixed σ²", power: 4 }))];
  const worst = cases.find((k) => !(C * (lambda2 / k.sigma2) < 2));
  if (!worst) return null;
  const scale = Math.min(...cases.map((k) => Math.pow(2 / (C * (lambda2 / k.sigma2)), 1 / k.power)));
  return {
    problem:
      `the rows' largest principal variance λ₁ = ${values[0].toPrecision(4)} with σ² = ${worst.sigma2.toPrecision(4)} (${worst.what}) gives the encoder ` +
      `a curvature λ₁²/σ² = ${(lambda2 / worst.sigma2).toPrecision(4)}, and plain gradient ascent with step C = ${C} needs C · λ₁²/σ² < 2: ` +
      `multiply every value by less than ${scale.toPrecision(2)}, or lower the step (--set ${setting}=…)`,
  };
}
