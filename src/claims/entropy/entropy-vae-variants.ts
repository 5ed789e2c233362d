/**
 * entropy-vae-variants [D23: VAE-2 and VAE-3]: the ELBO of D23's VAE-2
 * (learned prior variances α_h², unit-norm columns of the decoder's first
 * layer, learned σ²) and of VAE-3 (N(0, I) prior, a diagonal decoder
 * covariance σ²(z) that depends on the latent) converges to each variant's own
 * sum of entropies
 *   VAE-2: S = (1/N) Σ_n Σ_h log τ_h(x_n) − Σ_h log α_h − (D/2) log(2πe σ²),
 *   VAE-3: S = (1/N) Σ_n Σ_h log τ_h(x_n) − (1/N) Σ_n E_q Σ_d log σ_d(z) − (D/2) log(2πe)
 *          (D23's Eq. 31, as coded in verification/VAE.py three_entropies_sigmaz),
 * and at ANY point, exactly (our derivation [D], src/models/variant-vae/evaluate.ts):
 *   VAE-2: F − S = (D/2)(1 − s/σ²) − ½ Σ_h (m_h/α_h² − 1)
 *          = −∂F/∂log σ² − Σ_h ∂F/∂log α_h²,
 *   VAE-3: F − S = (D/2)(1 − u) − ½ Σ_h (m_h − 1),  u = mean of r_d²/σ_d²(z)
 *          = −∂F/∂c (c a global shift of log σ²(z)) + ½ Σ_h ∂F/∂ρ_h (latent rescaling),
 * both zero at stationary points.
 * What was read [C]: the D23 code, Learning-with-Entropies/ELBO-Entropies-AISTATS23
 * @ 24d4bd4 — README.md (the variants VAE-0…3, the weight constraint of VAE-2
 * "rescale"/"regularize"), elbo.py (the entropies as p_z.entropy(),
 * q_z.entropy(), p_x_z.entropy(); VAE-2's prior N(0, e^{logalpha2}); the optimal
 * α² is the encoder's second moment mean(ν² + τ²), i.e. m_h), train.py (the
 * unit-norm rescaling of decoder_hidden.weight's columns for VAE-2; a faster
 * learning rate for logsigma2 and logalpha2), model.py, verification/VAE.py
 * (class VAE3: the decoder outputs a mean and softplus σ(z), entropy sum Eq. 31).
 * The theorem's wording was NOT read; the claim tests the identity in the
 * scale-free form (relative gap) and our exact decomposition.
 * Our modelling choices (each stated where it differs from D23's code):
 *  - VAE-3 is D23's verification model (σ depends on z), with log σ²(z) = c +
 *    b_d + (g(z) Wv)_d over the decoder's hidden units g (D23: softplus of a
 *    second output head). The log link keeps the global shift c a coordinate.
 *    (D23's main model.py has a per-dimension logsigma2 of size D for "VAE-3",
 *    constant in z; ours includes that case at Wv = 0.)
 *  - VAE-2's unit-norm constraint is a normalisation inside the model (the
 *    same constrained class as D23's projection after each step); the identity
 *    does not need it (α's own derivative closes the prior part); it fixes α's
 *    scale, which the falsifier below relies on.
 *  - The digits are jittered: x + N(0, 0.05²) drawn once per value from the
 *    master seed. VAE-3's ELBO on the raw digits is unbounded above (pixels
 *    that are 0 in every image, or nearly, let σ_d(z) → 0), so no stationary
 *    point exists and the claim's premise would be void; D23 ran VAE-3 on
 *    noisy synthetic data (PCA-ring, noise 0.1). Both variants train on the
 *    same jittered set in one replica batch.
 *  - κ = 10 larger Adam steps on the variances (log σ², the shift c, log α²)
 *    and latent scales (src/models/variant-vae/params.ts), as D23's `lr_fast`
 *    and our VAE-1 claim; Adam β2 = 0.99; the final model is the average of
 *    the last iterates (Polyak–Ruppert), the last iterate is reported too.
 * Check: engine training (TF.js) of both variants; float64 evaluation at
 * log-spaced checkpoints with fixed evaluation noise: F from its definition,
 * the entropies from theirs, the parts from u, s, m_h, α² — the decomposition
 * must explain the measured gap at every checkpoint (else `error`: a wrong
 * entropy or ELBO term); the engine's objective, gradient and Adam update on
 * its first two steps must match the float64 ELBO (else `error`). Per
 * variant: `pass` when the seed-mean relative gap |F − S|/|F| shrinks from
 * the first checkpoint to the final model and every seed's final model ends
 * ≤ 1% (D23's plots: 0–4%; our VAE-1 claim: 1%); `inconclusive` when it
 * shrinks and ends in (1%, 3%] (stationarity not reached: the own sum's gap
 * is the derivative of F along the rescaling directions); `fail` otherwise.
 * Calibration at the quick tier (M = 50 master seeds, 500 images, D = 49,
 * 2 seeds per variant): at 1500 steps (last 150 iterates averaged) pass
 * 42/50, inconclusive 8/50 (a seed of one variant ending at 1.0–1.1%), no
 * fail; at 2500 steps, last 250, pass 46/50, inconclusive 4/50 (VAE-2: a
 * seed at 1.08–1.13%, its decoder part (D/2)(1 − s/σ²) at ±0.25 nats: σ²'s
 * jitter amplified by D/2), no fail; at 2500 steps, last 500 (the quick
 * tier) pass 48/50, inconclusive 2/50, no fail — below the 99% target: the
 * run sometimes ends short of stationarity, never contradicting the claim.
 * With growth (twice the steps when undecided, growSteps below): pass 50/50,
 * both falsifiers caught 50/50 (2026-12-01; the two former misses end at
 * 0.21% and 0.61% after 5000 steps). Both falsifiers caught 50/50 at each length (VAE-1's sum on VAE-3
 * ≈ 45–58% of |F|, the N(0, I) prior entropy on VAE-2 ≈ 12–23%). Full tier
 * (3 seeds, 1000 images, 32 hidden, H = 5, 3000 steps): final gaps 0.02–0.45%.
 * Public diagnose(): { kind: 'vae-variant', variant: 'vae2' | 'vae3', params,
 * arch } evaluates a user's VAE-2/VAE-3 in this parameterisation; the claim
 * requires it to agree with its own evaluation (1e-12), else `error`.
 * Falsifiers (evaluation only, same training):
 *  - vae1-formula-on-vae3: VAE-1's entropy sum with one constant σ̄² (the
 *    mean of σ_d²(z)) on VAE-3: the gap gains the Jensen gap
 *    (D/2)(log σ̄² − mean log σ²(z)) > 0 of a heteroscedastic decoder, which
 *    does not vanish at stationarity. (Which constant is a choice: the
 *    geometric mean exp(mean log σ²(z)) would reproduce Eq. 31 exactly — VAE-3's
 *    sum only depends on mean log σ² — so "VAE-1's formula" can only be wrong
 *    with another summary; the arithmetic mean is what "the decoder variance"
 *    of a σ(z) model usually means, and σ̄² = s, the mean squared error,
 *    gives a gap of the same kind, (D/2)(log s − mean log σ²(z)).)
 *  - standard-prior-entropy-on-vae2: the N(0, I) prior entropy with VAE-2's
 *    learned α: the gap gains −Σ_h log α_h, ≠ 0 since the unit-norm decoder
 *    fixes the latent scale (α_h² ≈ 0.01–0.5 here).
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { D23 } from '../sources.ts';
import { checkVaeVariants, vaeVariantsConfigSchema, type VaeVariantsConfig } from './entropy-vae-variants.check.ts';

const quick: VaeVariantsConfig = {
  data: { perDigit: 50, pool: 4, jitter: 0.05 },
  hidden: 16,
  latent: 4,
  seeds: 2,
  steps: 2500,
  batchSize: 50,
  samples: 1,
  // β2 = 0.99 as for VAE-1 (entropy-gaussian-vae): a short second-moment memory lets the variances follow the falling errors.
  optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.99, epsilon: 1e-8 },
  schedule: { C: 1e-2, alpha: 0.5 },
  formulas: { vae2: 'own', vae3: 'own' },
  // The final model averages the last 20% of the iterates (Polyak–Ruppert). With the last 10% (250), VAE-2's
  // σ² still jittered enough (≈ ±0.25 nats through D/2) that 4 of 50 calibration runs ended at 1.08–1.13%
  // (inconclusive); two of them re-run with 500 ended at 0.29% and 0.79%.
  evaluation: { samples: 4, checkpointsPerDecade: 4, averageLast: 500 },
  maxRelativeGap: 0.01,
  // As VAE-1's (measured there ≤ 4e-7, 1.5e-4, 2e-7); measured here in the claim's metrics.
  conformance: { objective: 1e-5, gradient: 5e-3, update: 1e-3 },
};

const tiers: Record<Tier, VaeVariantsConfig> = {
  quick,
  full: { ...quick, data: { perDigit: 100, pool: 4, jitter: 0.05 }, hidden: 32, latent: 5, seeds: 3, steps: 3000, batchSize: 100, evaluation: { samples: 4, checkpointsPerDecade: 6, averageLast: 600 } },
};

/**
 * Grown once when the first run had no power (runClaim): twice the steps, the last 20% of the
 * iterates averaged as before, the same seeds. `inconclusive` here means a run ended short of
 * stationarity (a seed's final gap in (1%, 3%]): the remedy the theory points to is training
 * longer, not more seeds. The falsifiers evaluate the same training, so they follow.
 */
function growSteps(c: VaeVariantsConfig): { config: VaeVariantsConfig; what: string } {
  return {
    config: { ...c, steps: 2 * c.steps, evaluation: { ...c.evaluation, averageLast: 2 * c.evaluation.averageLast } },
    what: `${2 * c.steps} steps instead of ${c.steps}, the last ${2 * c.evaluation.averageLast} iterates averaged`,
  };
}

export default defineClaim<VaeVariantsConfig>({
  id: 'entropy-vae-variants',
  title: "D23's VAE-2 (learned prior) and VAE-3 (σ(z) decoder) on real digits: each ELBO converges to its own sum of entropies",
  family: 'entropy',
  source: D23,
  statement:
    'VAE-2: F − S = (D/2)(1 − s/σ²) − ½Σ_h(m_h/α_h² − 1); VAE-3: F − S = (D/2)(1 − u) − ½Σ_h(m_h − 1) with u = mean r²/σ²(z), exactly at any point; ' +
    "during training each variant's relative gap |F − S|/|F| shrinks to ≈ 0, S being the variant's own entropy sum (VAE-3: D23's Eq. 31).",
  assumptions: [
    { id: 'learned-variances', statement: 'VAE-2: σ² and the prior variances α² learned; VAE-3: σ²(z) learned, with a free global shift of log σ²(z).' },
    { id: 'unit-norm-decoder-rows', statement: "VAE-2: the decoder's first-layer weights of each latent have unit norm." },
    { id: 'entropy-sum', statement: "Each variant is judged with its own entropy sum (VAE-2: the learned prior's entropy; VAE-3: E_q Σ_d log σ_d(z))." },
    { id: 'stationary-point', statement: 'Parameters near a stationary point (finite training approximates it).' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'vae1-formula-on-vae3',
      description: "VAE-1's entropy sum (one constant σ̄², the mean of σ_d²(z)) applied to VAE-3, on the same training.",
      expected: 'VAE-3 gap ≈ (D/2)(log σ̄² − mean log σ²(z)) ≈ 40–60% of |F|, not shrinking to 0 → fail',
      mutate: (c) => ({ ...c, formulas: { ...c.formulas, vae3: 'vae1' } }),
    },
    {
      id: 'standard-prior-entropy-on-vae2',
      description: "The N(0, I) prior entropy (H/2) log(2πe) used with VAE-2's learned prior variances, on the same training.",
      expected: 'VAE-2 gap ≈ −Σ_h log α_h ≈ 10–25% of |F| → fail',
      mutate: (c) => ({ ...c, formulas: { ...c.formulas, vae2: 'standard-prior' } }),
    },
  ],
  grow: growSteps,
  check: (configs, ctx) => checkVaeVariants('entropy-vae-variants', configs, ctx),
  schema: vaeVariantsConfigSchema,
  seedCount: (c) => c.seeds,
});
