/**
 * D23's VAE-2 and VAE-3 [D23 code, Learning-with-Entropies/ELBO-Entropies-AISTATS23
 * @ 24d4bd4: README.md, model.py, elbo.py, train.py, verification/VAE.py], as one
 * parameter set whose variant is chosen per replica:
 *
 *   encoder (both): h = tanh(x We1 + be1);  ν = (h Wmu + bmu) e^{ρ};  log τ² = h Wlv + blv + 2ρ
 *   VAE-2: p(z) = N(0, diag α²), α_h² = e^{κ·logAlpha_h} LEARNED; the decoder's
 *          first layer has unit-norm latent rows W̃_h = Wd1_h / ‖Wd1_h‖ (D23's
 *          "weight constraint" on the columns W_h of decoder_hidden.weight);
 *          g = tanh(z W̃ + bd1);  f(z) = g Wd2 + bd2;  one learned σ² = e^{κ·logVar}.
 *   VAE-3: p(z) = N(0, I); g = tanh((z e^{−ρ}) Wd1 + bd1);  f(z) = g Wd2 + bd2;
 *          a diagonal decoder covariance that depends on z:
 *          log σ_d²(z) = κ·(logVar + logVarD_d) + (g Wv)_d.
 *
 * Reparameterisations (the function classes are D23's; only Adam's speed along
 * the directions the identity needs changes, as for VAE-1 in
 * src/models/gaussian-vae/params.ts):
 *  - κ = 10 on logVar, logVarD, logAlpha (stored value × κ): a κ-times larger
 *    Adam step on the variances the entropy sum is made of. D23's train.py does
 *    the same with a separate `lr_fast` for logsigma2 and logalpha2.
 *  - logVar in VAE-3 is the global shift c of log σ²(z), redundant with the
 *    per-dimension bias logVarD: its coordinate is exactly the direction whose
 *    derivative is the decoder part of the gap (evaluate.ts).
 *  - ρ_h (stored ρ/κ): VAE-3 as VAE-1 (q's mean and std × e^{ρ}, the decoder
 *    reads z e^{−ρ}: the latent-rescaling direction, ∂F/∂ρ_h = −(m_h − 1)).
 *    VAE-2: the encoder part only (the decoder's rows are unit norm, and the
 *    prior variance α² takes the rescaling's role): ν, τ × e^{ρ} is redundant
 *    with scaling Wmu, bmu and shifting blv, so the class is unchanged; it lets
 *    the latent scale grow to what the unit-norm decoder needs.
 *  - The unit-norm constraint is a normalisation inside the model (weight
 *    normalisation without gain) rather than D23's projection after each Adam
 *    step ("rescale"): the same constrained function class, with the constraint
 *    holding exactly at every iterate.
 * Row-major layouts (We1 is D×Hd with We1[i*Hd + j]); Wd1 is H×Hd, row h = latent h.
 */
export interface VariantVaeArch {
  /** Observed dimension D. */
  D: number;
  /** Hidden units Hd of both MLPs. */
  hidden: number;
  /** Latent dimension H. */
  latent: number;
}

export type VaeVariant = 'vae2' | 'vae3';

export const VARIANT_VAE_PARAM_NAMES = ['We1', 'be1', 'Wmu', 'bmu', 'Wlv', 'blv', 'Wd1', 'bd1', 'Wd2', 'bd2', 'Wv', 'logVar', 'logVarD', 'rho', 'logAlpha'] as const;
export type VariantVaeParamName = (typeof VARIANT_VAE_PARAM_NAMES)[number];
export type VariantVaeParams = Record<VariantVaeParamName, Float32Array | Float64Array>;

/** κ: logVar, logVarD, logAlpha and rho are stored divided by κ (see the header). */
export const VARIANCE_SCALE = 10;

export function variantVaeShapes({ D, hidden: Hd, latent: H }: VariantVaeArch): Record<VariantVaeParamName, number[]> {
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
    Wv: [Hd, D],
    logVar: [1],
    logVarD: [D],
    rho: [H],
    logAlpha: [H],
  };
}

export function checkVariantArch(a: VariantVaeArch): void {
  for (const [k, v] of Object.entries(a)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`variant VAE ${k} = ${v}; allowed an integer ≥ 1`);
  }
}
