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
