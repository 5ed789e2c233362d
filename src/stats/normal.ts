/**
 * The standard normal distribution: density, distribution function,
 * complementary error function and quantile. Statistics (intervals,
 * thresholds) and the kernels' quadrature both use them; they live here, at
 * the bottom, so that the statistics depend on nothing above them.
 */
/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF via erfc. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * Complementary error function in double precision: the Taylor series of erf
 * for |x| < 0.5, Lentz's continued fraction for erfc beyond (relative error
 * below 1e-13 against Python's math.erfc on a grid of test values).
 */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    // erf by its Taylor series: rapidly convergent for small x.
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let k = 1; k < 60; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Lentz's continued fraction for erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
    const tiny = 1e-300;
    let f = ax;
    let C = ax;
    let D = 0;
    for (let k = 1; k < 500; k++) {
      const a = k / 2;
      D = ax + a * D;
      D = D === 0 ? tiny : D;
      C = ax + a / C;
      C = C === 0 ? tiny : C;
      D = 1 / D;
      const delta = C * D;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x >= 0 ? r : 2 - r;
}

/**
 * Standard normal quantile Φ⁻¹(p), p ∈ (0, 1): Acklam's rational
 * approximation (relative error < 1.2e-9) refined by one Halley step on Φ.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

// Wichura's AS 241 (PPND16) coefficients, ascending powers (Applied Statistics 37, 1988, 477–484).
const AS241_A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const AS241_B = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561];
const AS241_C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const AS241_D = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const AS241_E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const AS241_F = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

function horner8(c: readonly number[], x: number): number {
  return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x + c[0];
}

/**
 * Φ⁻¹(p) for a value that is then held in float32 (the stochastic networks' stratified noise
 * draws, Float32Array): Wichura's AS 241 (PPND16), a ratio of two degree-7 polynomials in each
 * of three ranges, accurate to about 1 part in 10¹⁶, with no Φ to evaluate. normalQuantile's
 * Halley step evaluates Φ through erfc's continued fraction, hundreds of divisions near
 * |x| = 0.7: it was half of ntk-min-eigenvalue's full tier. Both are within a few float64 ulps
 * of Φ⁻¹, far inside a float32 ulp (2⁻²⁴ relative): rounded to float32 they agree except where
 * Φ⁻¹(p) lies within those few ulps of a float32 rounding boundary, about 1 in 10⁸ draws
 * (test/stats/normal.test.ts counts the disagreements over 2·10⁶ draws: none).
 */
export function normalQuantileFast(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner8(AS241_A, r)) / horner8(AS241_B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = horner8(AS241_C, r) / horner8(AS241_D, r);
  } else {
    r -= 5;
    x = horner8(AS241_E, r) / horner8(AS241_F, r);
  }
  return q < 0 ? -x : x;
}
