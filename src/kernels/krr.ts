/**
 * Kernel ridge regression and the linearised gradient-descent dynamics in
 * float64 (ml-matrix), the oracle side of ntk-krr-equivalence and
 * ntk-linear-convergence (Jacot et al. 2018; Lee et al. 2019; Hu, Li & Yu 2020).
 *
 * The training objective of src/models/ntk/gd.ts is
 *   L(θ) = (1/(2n)) ‖f(θ) − y‖² + (λ/2) ‖θ − θ₀‖².
 * For the model linearised at θ₀, f = f₀ + J(θ − θ₀), its minimiser is
 *   θ − θ₀ = (JᵀJ + nλ I)⁻¹ Jᵀ (y − f₀) = Jᵀ (JJᵀ + nλ I)⁻¹ (y − f₀),
 * so the prediction at new inputs is f₀* + Θ* (Θ + λ' I)⁻¹ (y − f₀) with
 *   λ' = n λ     (ridgeToKrrLambda; the n comes from the MEAN squared loss).
 * Unregularised GD on the linearised model moves the training residual as
 *   r_t = (I − ηΘ/n)^t r₀,
 * computed here through the eigen-decomposition of Θ.
 */
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** λ' of the kernel predictor reproduced by ridge λ toward θ₀ under the loss (1/2n)‖f − y‖². */
export function ridgeToKrrLambda(lambda: number, n: number): number {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`ridge λ = ${lambda}; allowed a finite λ ≥ 0`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n = ${n}; allowed an integer ≥ 1`);
  return n * lambda;
}

/**
 * KRR predictor f₀* + Θ*(Θ + λ'I)⁻¹(y − f₀) at the rows of `cross` (n* × n),
 * via the Cholesky factor of Θ + λ'I. f₀ terms default to zero (antisymmetric
 * initialisation).
 */
export function krrPredict(opts: {
  train: Matrix;
  cross: Matrix;
  y: ArrayLike<number>;
  lambdaPrime: number;
  f0Train?: ArrayLike<number>;
  f0Test?: ArrayLike<number>;
}): Float64Array {
  const { train, cross, y, lambdaPrime } = opts;
  const n = train.rows;
  if (train.columns !== n) throw new RangeError(`training kernel must be square, got ${train.rows} × ${train.columns}`);
  if (cross.columns !== n) throw new RangeError(`cross kernel has ${cross.columns} columns for ${n} training points`);
  if (y.length !== n) throw new RangeError(`y has ${y.length} entries for ${n} training points`);
  if (!(lambdaPrime >= 0) || !Number.isFinite(lambdaPrime)) throw new RangeError(`λ' = ${lambdaPrime}; allowed a finite λ' ≥ 0`);
  // Symmetrise: float32 kernels and quadrature can differ from their transpose in the last bits.
  const A = train.clone().add(train.transpose()).mul(0.5);
  for (let i = 0; i < n; i++) A.set(i, i, A.get(i, i) + lambdaPrime);
  const chol = new CholeskyDecomposition(A);
  if (!chol.isPositiveDefinite()) throw new RangeError(`Θ + λ'I is not positive definite (λ' = ${lambdaPrime}): raise λ'`);
  const rhs = new Matrix(n, 1);
  for (let i = 0; i < n; i++) rhs.set(i, 0, y[i] - (opts.f0Train?.[i] ?? 0));
  const alpha = chol.solve(rhs);
  const pred = cross.mmul(alpha);
  const out = new Float64Array(cross.rows);
  for (let i = 0; i < cross.rows; i++) out[i] = pred.get(i, 0) + (opts.f0Test?.[i] ?? 0);
  return out;
}

/** Symmetric eigen-decomposition with eigenvalues ascending. */
export interface SymmetricEigen {
  values: Float64Array;
  /** Column k is the unit eigenvector of values[k]. */
  vectors: Matrix;
}

export function symmetricEigen(K: Matrix): SymmetricEigen {
  const sym = K.clone().add(K.transpose()).mul(0.5);
  const e = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const order = e.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const n = K.rows;
  const values = new Float64Array(n);
  const vectors = new Matrix(n, n);
  const V = e.eigenvectorMatrix;
  order.forEach(([v, i], k) => {
    values[k] = v;
    for (let r = 0; r < n; r++) vectors.set(r, k, V.get(r, i));
  });
  return { values, vectors };
}

/**
 * Linearised residuals r_t = (I − ηΘ/n)^t r₀ at the requested steps, from the
 * eigen-decomposition of Θ (exact in float64 up to rounding).
 */
export function linearisedResiduals(eig: SymmetricEigen, r0: ArrayLike<number>, eta: number, steps: readonly number[]): Float64Array[] {
  const n = eig.values.length;
  const coef = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += eig.vectors.get(i, k) * r0[i];
    coef[k] = s;
  }
  return steps.map((t) => {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const c = coef[k] * Math.pow(1 - (eta * eig.values[k]) / n, t);
      for (let i = 0; i < n; i++) out[i] += c * eig.vectors.get(i, k);
    }
    return out;
  });
}

/** Matrix from a row-major float array (e.g. one replica's slice of a downloaded [R, n, n] kernel). */
export function matrixFrom(values: ArrayLike<number>, rows: number, cols: number, offset = 0): Matrix {
  const M = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) M.set(i, j, values[offset + i * cols + j]);
  return M;
}

/** ‖A − B‖_F / ‖B‖_F. */
export function relativeFrobenius(A: Matrix, B: Matrix): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < B.rows; i++) {
    for (let j = 0; j < B.columns; j++) {
      num += (A.get(i, j) - B.get(i, j)) ** 2;
      den += B.get(i, j) ** 2;
    }
  }
  return Math.sqrt(num / den);
}

/** ‖a − b‖ / ‖b‖ for vectors. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
