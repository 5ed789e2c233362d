/**
 * sgd-rate-deep-vae [SGL25, SGD theorem: "Smoothness of L + gradient variance
 * bound ⇒ E‖∇L(θ_n, φ_n)‖² = O(n^{-1/2} log n)"]: plain SGD with γ_k = C k^{-1/2}
 * on the deep Gaussian VAE that meets the paper's assumptions (soft-clipped
 * MLP encoder and decoder, bounded decoder mean, fixed decoder variance c²,
 * log-variance ≥ −20: a smooth objective with a bounded gradient variance),
 * trained on real digits: G_n = O(log n/√n).
 *
 * Everything but the optimiser and its configuration is adam-rate-deep-vae's:
 * the model, the data, the exact measurement of ‖∇L(θ_k)‖² (float64,
 * unbiased antithetic estimate over every image), the criteria and the
 * engine conformance (here the trainer's SGD and γ_k against float64 SGD).
 * Why each criterion follows from the statement: adam-rate-deep-vae.ts's
 * header. The engine trains on its closed-form kernel
 * (src/models/deep-vae/kernel.ts), checked against the float64 reference on
 * the same draws and for unbiasedness by the conformance checks.
 *
 * OUR SHARPENING for SGD (judged): the last decade's E‖∇L(θ_k)‖² must FALL
 * at least like k^{-1/4} (upper bound of its slope ≤ −0.25), not merely not
 * rise. Why: near a local optimum SGD's iterates sit in a noise ball whose
 * stationary size is E‖∇L‖² ≈ γ_k tr(HΣ)/(2B) (the Lyapunov equation of
 * gradient-noise-law; our derivation, not the paper's), so it scales like
 * γ_k ∝ k^{-1/2}; a constant step's noise ball does not shrink (slope ≈ 0).
 * −0.25 is the midpoint; the landscape's slow drift, which shifted
 * adam-rate-deep-vae's slopes by +0.1 to +0.2, leaves a margin (measured
 * here: −0.45 to −0.56 over 4 master seeds; constant step −0.03 to −0.08).
 * This is what catches the constant step: at these sizes G_n (a running
 * average) still carries the first steps' large gradients at n = 20000, so
 * the paper's normalised slope alone reads −0.06 to −0.13 for a constant
 * step (inconclusive, never the +0.4 of its asymptote).
 *
 * Configuration (quick tier), and why:
 *   - B = 1, c = 1, C = 0.05. With B = 1 the gradient noise dominates the
 *     transient early, so the noise-ball regime (the theorem's rate) is
 *     reached within 20000 steps, and a step costs a tenth of B = 10's. At
 *     B = 10, c = 1, C = 0.3 (an earlier scan) the normalised slope passed but
 *     the no-floor criteria were inconclusive (averaged slope −0.32
 *     [−0.46, −0.14], ratio 0.127 [0.092, 0.167]) and the constant step was
 *     missed (normalised slope lower bound +0.036). C = 0.1 at B = 1: a
 *     constant-step seed blew up (G_n ≈ 900); C = 0.3: the claim's own seeds did.
 *     c = 0.3 (adam-rate-deep-vae's) needs a step ~11x smaller for SGD.
 *   - 20000 steps: at 10000 the constant step's last-decade slope was still
 *     −0.22 (its transient), not its plateau.
 *   - 12 seeds (falsifiers 8): at 8 the claim's last-decade upper bound
 *     reached −0.27 in 1 of 3 master seeds.
 *   - 4 estimator draws: with 2, one seed's ‖∇L‖² ≈ 0.009 was unresolved by
 *     its (common across its checkpoints) estimator noise, making the run
 *     inconclusive; with 4 the median jackknife SE is 11% of the estimate.
 *
 * Full tier (196 pixels, 500 images, 64 hidden units, d_z = 8: 26,964
 * parameters), and why it differs:
 *   - C = 0.03. At the quick tier's C = 0.05 the claim passed but a
 *     constant-step seed blew up (G_n = 1.1·10⁷: inconclusive, not caught). At
 *     C = 0.02 the constant step stayed bounded but 20000 steps did not reach
 *     its plateau (last-decade slope −0.242 [−0.276, −0.200]: inconclusive);
 *     40000 steps at C = 0.02 caught it (−0.084 [−0.134, −0.026]) at twice the
 *     cost. C = 0.03 catches it at 20000 steps (master seed 1: −0.119
 *     [−0.145, −0.080]) while the claim's last decade falls like −0.54.
 *   - ‖b‖² = 2.2 (≈ 5 G_n at the end of the window; G_n ≈ 0.42): at the quick
 *     tier's 0.06 (≈ G_n/7 here) the floor hides in the noise ball (averaged
 *     slope −0.81, ratio 0.15: not caught). 2.2 was caught at C = 0.05 (ratio
 *     0.72) and C = 0.02 (0.68).
 *   - Not calibrated over 50 master seeds (a run cost 12–13 minutes of a
 *     core before the float64 reference's WebAssembly port; 138 s on 2026-12-01). Master seeds 1–4 pass with both falsifiers caught (seed 4
 *     with this configuration: normalised slope −0.136 [−0.154, −0.119], last
 *     decade −0.512 [−0.549, −0.480], ratio 0.118; constant step's last decade
 *     −0.048 [−0.136, +0.035]; biased gradient's ratio 0.662 [0.638, 0.684]).
 *     Seed 2 first read `error` from a false alarm of the unbiasedness test, since
 *     fixed (adam-rate-deep-vae.conformance.ts, UNBIASED_PROBE_MIN_BATCH); seeds 2
 *     and 3 were re-run whole on 2026-12-01 and passed (320 s and 310 s, shared machine).
 *
 * Falsifiers: constant step (α = 0: the noise ball does not shrink; fails
 * the last-decade slope) and biased gradient (a constant bias b added to the
 * engine's stochastic gradient, ‖b‖² = 0.06 ≈ 4 G_n at the end of the quick
 * window: the floor test). The bias is larger relative to G_n than
 * adam-rate-deep-vae's (G_n/5) because at B = 1 the Polyak–Ruppert average's
 * own ‖∇L‖² is already ≈ 0.13 of the iterates' (vs 0.05 there): at
 * ‖b‖² = 0.03 the averaged slope's interval reached −0.503 in 1 of 2 master
 * seeds (inconclusive). The slow schedule (α = 1/4) is not a falsifier, for
 * adam-rate-deep-vae's reason (no power at these sizes without more seeds).
 */
import { defineClaim, type Falsifier, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import {
  biasedGradientMutation,
  checkDeepVaeRate,
  constantStepMutation,
  DEEP_VAE_EXACT_MEASUREMENT,
  DEEP_VAE_MODEL_ASSUMPTIONS,
  deepVaeRateConfigSchema,
  type DeepVaeRateConfig,
} from './adam-rate-deep-vae.check.ts';

const SGD = { kind: 'sgd' } as const;

const common = {
  optimizer: SGD,
  // The engine's own soft-clipped MLP; withModel puts a user's VAE here.
  model: null,
  schedule: { C: 0.05, alpha: 0.5 },
  batchSize: 1,
  samples: 1,
  decoderStd: 1,
  init: { weightScale: 1, outputWeightScale: 0.1, outputBiasAtDataMean: true },
  maxNormalisedSlope: 0.05,
  // Our sharpening (header): the noise ball shrinks like γ_k ∝ k^{-1/2}; −0.25 is the midpoint to a plateau's 0.
  maxLastDecadeSlope: -0.25,
  maxAveragedSlope: -0.5,
  maxAveragingRatio: 0.15,
  maxSlope: -0.35,
  gradientBias: 0,
};

const tiers: Record<Tier, DeepVaeRateConfig> = {
  quick: {
    ...common,
    seeds: 12,
    reluSeeds: 0,
    falsifierBias: 0.06,
    steps: 20000,
    decades: 0.75,
    data: { perDigit: 10, pool: 4 },
    hidden: 16,
    dz: 2,
    checkpointsPerDecade: 6,
    lastDecadeCheckpoints: 36,
    estimatorDraws: 4,
    averaged: { ends: 3, decades: 1, draws: 12, stride: 8 },
    // 128 reference draws: with the engine's B >= 50 (conformance.ts) its standard error shrank √5, so 32 left the reference ~40% of the Welch variance and its tails (1 of 50 master seeds read |z| = 6.1 > 5.69 at ν = 163; 128 pass).
    conformance: { engineDraws: 800, referenceDraws: 128, probeSteps: 40 },
  },
  full: {
    ...common,
    // Header: at C = 0.05 a constant-step seed blows up; at 0.02 it has not reached its plateau by 20000 steps.
    schedule: { C: 0.03, alpha: 0.5 },
    seeds: 12,
    // No informational ReLU arm here (adam-rate-deep-vae carries it).
    reluSeeds: 0,
    // ≈ 5 G_n at the end of the full window (header); the quick tier's 0.06 is G_n/7 here.
    falsifierBias: 2.2,
    steps: 20000,
    decades: 0.75,
    data: { perDigit: 50, pool: 2 },
    hidden: 64,
    dz: 8,
    checkpointsPerDecade: 6,
    lastDecadeCheckpoints: 36,
    estimatorDraws: 4,
    averaged: { ends: 4, decades: 1, draws: 16, stride: 4 },
    conformance: { engineDraws: 2000, referenceDraws: 128, probeSteps: 100 },
  },
};

/** Falsifier seeds: 8 (adam-rate-deep-vae's; with 8 both falsifiers were caught in 4 of 4 master seeds). */
const FALSIFIER_SEEDS = 8;

const constantStep: Falsifier<DeepVaeRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = C (α = 0): SGD settles in a noise ball whose size does not shrink. (The informational ReLU arm is not retrained.)',
  expected: 'E‖∇L(θ_k)‖² plateaus over the last decade (slope ≈ 0, against ≤ −0.25); G_n √n / log n stops falling',
  mutate: constantStepMutation(FALSIFIER_SEEDS),
};

const biasedGradient: Falsifier<DeepVaeRateConfig> = {
  id: 'biased-gradient',
  description: 'A constant bias b (every coordinate ±√(‖b‖²/P); ‖b‖² = 0.06 ≈ 4 G_n at the end of the quick window, 2.2 ≈ 5 G_n at the full tier) added to the engine\'s stochastic gradient: an error floor.',
  expected: 'the Polyak–Ruppert average stalls near ‖b‖²: its slope ≈ −0.2 to −0.3 (> −0.5) and its ratio to the iterates\' ‖∇L‖² ≈ 0.5–0.6 (> 0.15)',
  remedy: 'more steps (--set steps=…) or seeds: the floor must emerge from the transient within the last decade',
  mutate: biasedGradientMutation(FALSIFIER_SEEDS),
};

export default defineClaim<DeepVaeRateConfig>({
  id: 'sgd-rate-deep-vae',
  title: 'SGD reaches E‖∇L‖² = O(log n/√n) on a soft-clipped deep Gaussian VAE trained on real digits',
  family: 'convergence',
  source: SGL25,
  statement:
    'Plain SGD with γ_k = C·k^{-1/2} on a deep Gaussian VAE with smooth bounded (soft-clipped) activations, bounded decoder mean, ' +
    'fixed decoder variance and log-variance ≥ −20 (a smooth ELBO with a bounded gradient variance) gives E‖∇L‖² = O(log n/√n).',
  formula: 'G_n = O\\left(\\frac{\\log n}{\\sqrt{n}}\\right)',
  assumptions: [
    { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1 (measured on the engine: its trainer against a float64 reference SGD).' },
    ...DEEP_VAE_MODEL_ASSUMPTIONS,
    { id: 'unbiased-gradients', statement: 'The engine\'s stochastic gradient is unbiased for the expected ELBO\'s gradient (measured as for adam-rate-deep-vae).' },
    DEEP_VAE_EXACT_MEASUREMENT,
  ],
  tiers,
  falsifiers: [constantStep, biasedGradient],
  check: (configs, ctx) => checkDeepVaeRate('sgd-rate-deep-vae', configs, ctx),
  schema: deepVaeRateConfigSchema,
  seedCount: (c) => c.seeds,
});
