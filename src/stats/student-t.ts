/**
 * Student's t distribution: CDF and quantile, for small-sample corrections
 * (the expanded percentile bootstrap, src/stats/bootstrap.ts) and the mean
 * test's threshold at a finite number of draws.
 *
 * CDF through the regularized incomplete beta function
 *   P(|T| > t) = I_{ν/(ν+t²)}(ν/2, 1/2),
 * evaluated by its continued fraction (modified Lentz; Numerical Recipes
 * §6.4), accurate to ~1e-14. The quantile inverts the upper tail by
 * safeguarded Newton steps (bisection when a step would leave the bracket):
 * agrees with scipy's t.ppf to ~1e-12 relative for 1 ≤ ν ≤ 1e5, including far
 * tails such as 1 − 1e-8, and to ~1e-10 at ν = 1e6 (log Γ of large
 * arguments) (test/stats/student-t.test.ts).
 */

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error < 1e-15). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 5000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for t ≥ 0: computed directly so that far tails keep their relative accuracy. */
function upperTail(t: number, nu: number): number {
  return 0.5 * regularizedBeta(nu / (nu + t * t), nu / 2, 0.5);
}

/** P(T ≤ t) for T ~ Student t with ν degrees of freedom (ν > 0, not necessarily an integer). */
export function studentTCdf(t: number, nu: number): number {
  if (!(nu > 0)) throw new RangeError(`studentTCdf: ν = ${nu}; allowed ν > 0`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  return t >= 0 ? 1 - upperTail(t, nu) : upperTail(-t, nu);
}

/** The p-quantile of Student's t with ν degrees of freedom (0 < p < 1). */
export function studentTQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p = ${p}; allowed 0 < p < 1`);
  if (!(nu > 0)) throw new RangeError(`studentTQuantile: ν = ${nu}; allowed ν > 0`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, nu);
  // Solve P(T > t) = q on the upper tail: a bracket by doubling, then safeguarded Newton (a Newton step on
  // the density when it stays inside the bracket, else bisection), shrinking the bracket every step.
  const q = 1 - p;
  let lo = 0;
  let hi = 1;
  while (upperTail(hi, nu) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  const logNorm = logGamma((nu + 1) / 2) - logGamma(nu / 2) - 0.5 * Math.log(nu * Math.PI);
  let t = 0.5 * (lo + hi);
  for (let i = 0; i < 200; i++) {
    const excess = upperTail(t, nu) - q;
    if (excess > 0) lo = t;
    else hi = t;
    const density = Math.exp(logNorm - ((nu + 1) / 2) * Math.log(1 + (t * t) / nu));
    const newton = t + excess / density;
    const next = density > 0 && newton > lo && newton < hi ? newton : 0.5 * (lo + hi);
    if (Math.abs(next - t) <= 1e-14 * Math.max(1, t) || hi - lo <= 1e-14 * Math.max(1, hi)) return next;
    t = next;
  }
  return t;
}
