/**
 * The Gaussian VAE of [D23] ("VAE-1"): an MLP encoder giving the mean ν(x)
 * and the log-variances log τ_h²(x) of a diagonal Gaussian q(z|x), an MLP
 * decoder mean f(z), a LEARNED scalar decoder variance σ², and p(z) = N(0, I).
 * "VAE-0" is the same with σ² fixed (the falsifier).
 *   encoder: h = tanh(x We1 + be1);  ν = h Wmu + bmu;  log τ² = h Wlv + blv
 *   decoder: g = tanh(z Wd1 + bd1);  f(z) = g Wd2 + bd2
 * Row-major layouts, e.g. We1 is D×Hd with We1[i*Hd + j].
 * σ² is stored as θ = log σ² / κ (κ = LOG_VARIANCE_SCALE): Adam moves every
 * parameter by about its step size γ per iteration, so this gives log σ² a
 * κ-times larger effective step than the network weights — a per-parameter
 * learning rate; the model itself is unchanged. Without it σ² lags behind
 * the falling reconstruction error for thousands of steps and the gap
 * (D/2)(1 − s/σ²) reflects the optimiser's speed limit, not the model.
 *
 * Latent scales ρ_h (stored as ρ/κ like σ²): q's mean and std are multiplied
 * by e^{ρ_h} and the decoder reads z_h e^{−ρ_h}. This is a reparameterisation
 * — ρ can be absorbed into the encoder's output layer and the decoder's first
 * layer, the function class is VAE-1's — whose coordinate is exactly the
 * latent-rescaling direction of [LW22, D23]: ∂F/∂ρ_h = −(m_h − 1). Plain
 * Adam moves along that direction only slowly (the balance between encoder
 * scale, KL and decoder weights), and the prior part −½ Σ_h (m_h − 1) of the
 * gap then measures training time, not the theory. `rho` is trained or
 * pinned at 0 (plain parameterisation) per replica.
 */
export interface GaussianVaeArch {
  /** Observed dimension D. */
  D: number;
  /** Hidden units Hd of both MLPs. */
  hidden: number;
  /** Latent dimension H. */
  latent: number;
}

export const GAUSSIAN_VAE_PARAM_NAMES = ['We1', 'be1', 'Wmu', 'bmu', 'Wlv', 'blv', 'Wd1', 'bd1', 'Wd2', 'bd2', 'logVar', 'rho'] as const;

/** κ_σ: the stored parameter `logVar` is log σ² / κ_σ (see the header). */
export const LOG_VARIANCE_SCALE = 10;
/** κ_ρ: the stored parameter `rho` is ρ / κ_ρ (see the header). */
export const LATENT_SCALE_SCALE = 10;

/** ρ_h of a parameter set (stored values times κ). */
export function latentScalesOf(p: { rho: ArrayLike<number> }): Float64Array {
  return Float64Array.from(p.rho, (v) => LATENT_SCALE_SCALE * v);
}

/** log σ² of a parameter set (the stored value times κ). */
export function logVarianceOf(p: { logVar: ArrayLike<number> }): number {
  return LOG_VARIANCE_SCALE * p.logVar[0];
}
export type GaussianVaeParamName = (typeof GAUSSIAN_VAE_PARAM_NAMES)[number];
export type GaussianVaeParams = Record<GaussianVaeParamName, Float32Array | Float64Array>;

export function gaussianVaeShapes({ D, hidden: Hd, latent: H }: GaussianVaeArch): Record<GaussianVaeParamName, number[]> {
  return {
    We1: [D, Hd],
    be1: [Hd],
    Wmu: [Hd, H],
    bmu: [H],
    Wlv: [Hd, H],
    blv: [H],
    Wd1: [H, Hd],
    bd1: [Hd],
    Wd2: [Hd, D],
    bd2: [D],
    logVar: [1],
    rho: [H],
  };
}

export function checkArch(a: GaussianVaeArch): void {
  for (const [k, v] of Object.entries(a)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`Gaussian VAE ${k} = ${v}; allowed an integer ≥ 1`);
  }
}
