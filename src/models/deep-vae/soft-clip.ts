/**
 * Generalised soft-clipping [SGL25, after Klimek & Perelstein]: a smooth,
 * Lipschitz, bounded activation
 *   f(x) = (1/s) log((1 + e^{s(x−s1)}) / (1 + e^{s(x−s2)})) + s1
 *        = s1 + (softplus(s(x−s1)) − softplus(s(x−s2))) / s,
 * ≈ s1 below s1, ≈ x in between, ≈ s2 above s2; f'(x) = σ(s(x−s1)) − σ(s(x−s2)) ∈ (0, 1).
 * The paper's deep Gaussian VAE uses s = 5 with ranges [0, 50] (hidden
 * layers), [−50, 50] (mean heads) and [−20, 20] (log-variance head, so
 * λ_min(Σ_φ) ≥ e^{−20}).
 */
export interface ClipRange {
  lo: number;
  hi: number;
}

export const SOFT_CLIP_SHARPNESS = 5;
export const HIDDEN_RANGE: ClipRange = { lo: 0, hi: 50 };
export const MEAN_RANGE: ClipRange = { lo: -50, hi: 50 };
export const LOG_VARIANCE_RANGE: ClipRange = { lo: -20, hi: 20 };

/** softplus(t) = log(1 + e^t), stable for any t. */
export function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

export function softClip(x: number, { lo, hi }: ClipRange, s = SOFT_CLIP_SHARPNESS): number {
  return lo + (softplus(s * (x - lo)) - softplus(s * (x - hi))) / s;
}

export function softClipDerivative(x: number, { lo, hi }: ClipRange, s = SOFT_CLIP_SHARPNESS): number {
  return sigmoid(s * (x - lo)) - sigmoid(s * (x - hi));
}

/**
 * softplus(a) and sigmoid(a) from at most one exponential, into out[at], out[at + 1].
 * For |a| > 40, e^{−|a|} < 5·10⁻¹⁸ is below half an ulp of the result, so the
 * saturated forms are exact in float64: a > 40 gives softplus = a, sigmoid = 1
 * (no exponential), a < −40 gives softplus = sigmoid = e^a (log1p(e) = e and
 * e/(1 + e) = e to rounding). The saturated side of every clip (e.g. the mean
 * heads' corners at ±50) thus costs one exponential or none.
 */
function softplusAndSigmoid(a: number, out: Float64Array, at: number): void {
  if (a > 40) {
    out[at] = a;
    out[at + 1] = 1;
  } else if (a < -40) {
    const e = Math.exp(a);
    out[at] = e;
    out[at + 1] = e;
  } else if (a >= 0) {
    const e = Math.exp(-a);
    out[at] = a + Math.log1p(e);
    out[at + 1] = 1 / (1 + e);
  } else {
    const e = Math.exp(a);
    out[at] = Math.log1p(e);
    out[at + 1] = e / (1 + e);
  }
}

const scratch = new Float64Array(2);

/**
 * f(x) and f'(x) together (the float64 reference's hot path): f into out[at],
 * f' into out[at + 1]. Equal to softClip / softClipDerivative up to rounding.
 *
 * Outside the saturated branch, when a2 < −60 and a2 < a1 − 60, the upper corner's
 * softplus and sigmoid (both e = e^{a2}: softplusAndSigmoid's a < −40 case) are not
 * computed: 0 stands in for e, and sp1 − 0, sg1 − 0 are the bits of sp1 − e and sg1 − e,
 * because e is below half the spacing of the doubles under sp1 and under sg1, so both
 * subtractions round back to sp1 and sg1 (x − 0 = x for every double, −0 included). With Math.exp faithful (error below 1 ulp;
 * V8's is fdlibm's): here a1 ≤ 40 (a1 > 40 would be the saturated branch), so
 *   - a1 ≥ 0: sp1 ≥ log 2 and sg1 ≥ ½, while e < e^{−60}(1 + 2⁻⁵²) < 2⁻⁸⁶ ≪ 2⁻⁵⁵;
 *   - a1 < 0: sp1 and sg1 are ≥ e_a/2 (log1p(u) ≥ u/2 and u/(1 + u) ≥ u/2 for 0 < u ≤ 1;
 *     e_a itself below −40), e_a = Math.exp(a1), and e ≤ e^{a1 − 60}(1 + 2⁻⁵²) ≈
 *     e_a·2⁻⁸⁶·⁶, far below the half spacing ≥ 2⁻⁵⁵·sp1. Where e ≠ 0 (a2 ≥ −745.2),
 *     a1 > −685 and e_a ≥ 10⁻²⁹⁸ is normal, so the relative bound holds; a subnormal e is
 *     off by at most 2⁻¹⁰⁷⁴, still far below;
 *   - NaN and −∞ fail a2 < a1 − 60 and take the full path.
 * The hidden layers ([0, 50], s = 5: a2 = a1 − 250) take it at every x < 38. Tested bitwise
 * against the full computation on both sides of each threshold (test/convergence/soft-clip.test.ts).
 */
export function softClipWithDerivative(x: number, { lo, hi }: ClipRange, out: Float64Array, at: number, s = SOFT_CLIP_SHARPNESS): void {
  const a1 = s * (x - lo);
  const a2 = s * (x - hi);
  if (a1 > 40 && a2 < -40) {
    // Inside the range (the usual case for the heads and the decoder's mean): both corners
    // saturated, f = lo + (a1 − e^{a2})/s = x − e^{a2}/s and f' = 1 − e^{a2}, exact as above.
    const e = Math.exp(a2);
    out[at] = x - e / s;
    out[at + 1] = 1 - e;
    return;
  }
  // The lower corner: softplusAndSigmoid's four cases written out (the same expressions), into
  // locals. This is the float64 reference's hot path (every hidden unit of every sample): through
  // the scratch array it was 5% slower a measurement, through a module variable 11%.
  let sp1: number;
  let sg1: number;
  if (a1 > 40) {
    sp1 = a1;
    sg1 = 1;
  } else if (a1 < -40) {
    sp1 = sg1 = Math.exp(a1);
  } else if (a1 >= 0) {
    const e = Math.exp(-a1);
    sp1 = a1 + Math.log1p(e);
    sg1 = 1 / (1 + e);
  } else {
    const e = Math.exp(a1);
    sp1 = Math.log1p(e);
    sg1 = e / (1 + e);
  }
  // The upper corner far below the lower one (every hidden unit below x = 38 on [0, 50]):
  // 0 in place of its e^{a2}, the same bits without the exponential (proof above).
  let sp2 = 0;
  let sg2 = 0;
  if (!(a2 < -60 && a2 < a1 - 60)) {
    softplusAndSigmoid(a2, scratch, 0);
    sp2 = scratch[0];
    sg2 = scratch[1];
  }
  out[at] = lo + (sp1 - sp2) / s;
  out[at + 1] = sg1 - sg2;
}
