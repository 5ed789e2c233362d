/**
 * adam-rate-deep-vae [SGL25, Adam theorem for the deep Gaussian VAE]: with
 * β1 < √β2 < 1 and γ_k = C k^{-1/2}, bias-corrected Adam on a deep Gaussian
 * VAE meeting the paper's assumptions reaches
 *   G_n = O( L* / √n + N a^{2(N−1)} d* log n / ((1 − β1) √n) )
 * (no batch size or K in the bound), G_n = (1/(n+1)) Σ_{k≤n} E‖∇L(θ_k)‖².
 *
 * Model (src/models/deep-vae): one-hidden-layer MLP encoder and decoder with
 * generalised soft-clipping (s = 5; hidden [0, 50], mean heads [−50, 50],
 * log-variance head [−20, 20]), bounded decoder mean, fixed decoder variance
 * c², prior N(0, I); trained on real handwritten digits (mnist package,
 * deterministic per-digit subset, average-pooled at the quick tier).
 * ‖∇L‖² is the exact gradient of the expected ELBO over the subset, estimated
 * in float64 without bias (src/claims/convergence/adam-rate-deep-vae.check.ts).
 *
 * THE PAPER'S STATEMENT, read faithfully: G_n = O(log n/√n), i.e.
 * G_n √n / log n does not rise. Judged: the slope of log(G_n √n / log n)
 * over the end of the run, [n/10^0.75, n] (upper bound ≤ +0.05). The raw
 * slope of log G_n is reported, not judged: where G_n tracks log n/√n
 * exactly its local slope is −0.36 to −0.39, so CLAIMS.md's "≤ −0.35" was a
 * coin flip for a correct engine (full tier −0.389 [−0.414, −0.362]; 1 of 10
 * quick calibration runs inconclusive). Why the end of the run: the local
 * slope of log G_n is g_n/G_n − 1 (g_n = E‖∇L(θ_n)‖²), so the normalised
 * slope there is g_n/G_n − ½ − 1/log n. "Not rising" thus says that the
 * current iterates' gradient norm has fallen to about half the running
 * average, as when g_k ∝ k^{-1/2}; a plateau (g_n ≈ G_n: a floor, a constant
 * step) reads ≈ +0.4 asymptotically. Over the whole last decade the window's
 * early part still averages the burn-in out and hides the end: the constant
 * step's 95% lower bound fell below +0.05 in 2 of 4 master seeds over
 * [600, 6000], while over [1897, 6000] a correct run's upper bound reached
 * +0.03 (one seed's late fluctuation); [1067, 6000] keeps both apart (12 of
 * 12 master seeds: correct ≤ −0.003, constant step ≥ +0.061).
 *
 * OUR SHARPENING, judged alongside, and why it follows:
 * (1) lastDecadeSlope: the seed-averaged E‖∇L(θ_k)‖² over the last decade,
 *     without burn-in, must not rise (upper bound ≤ 0): a converging run's
 *     gradient norm does not grow over a decade. Its slope is NOT judged
 *     against −α: near a local optimum the noise ball scales like γ_k, so
 *     asymptotically it is −1/2, but on this network at quick-tier sizes the
 *     landscape still drifts (measured −0.27 to −0.44 for α = 1/2, −0.04 to
 *     −0.15 for α = 1/4: both shifted by ≈ +0.1 to +0.2), so a threshold between
 *     −1/2 and −1/4 would fail a correct engine.
 * (2) no floor: the exact ‖∇L‖² at the Polyak–Ruppert average θ̄_e of the
 *     last half of the iterates, (e/2, e]. For an unbiased engine the average
 *     removes the noise ball and θ̄_e approaches a stationary point at rate
 *     e^{-1/2}, so ‖∇L(θ̄_e)‖² = O(1/e): it decays (per-seed slopes −0.5 to
 *     −1.5 over the last decade) and is small against the iterates' own
 *     ‖∇L(θ_k)‖² on (n/2, n] (ratio → 0 like n^{-1/2}; measured geometric
 *     means over seeds 0.03–0.06). A constant gradient error b moves the
 *     fixed point to where ∇L = −b: ‖∇L(θ̄)‖² stalls near ‖b‖², its slope
 *     goes to ≥ 0 and the ratio to ‖b‖²/(‖b‖² + noise ball) (measured 0.30–
 *     0.60 for ‖b‖² = G_n/5). Passes when either shows the floor absent
 *     (mean per-seed slope ≤ −0.5, or geometric-mean ratio ≤ 0.15), fails
 *     when both show it. Per-seed statistics averaged on the log scale: a
 *     floor multiplies every seed's ratio, while a seed whose last half
 *     straddles two basins (a late excursion; its average lands between them,
 *     seen in ~1 of 30 seeds) moves the mean of logs by its share only.
 * Engine conformance (src/claims/convergence/adam-rate-deep-vae.conformance.ts) measures the
 * premises instead of declaring them — the trainer's update rule (bias-
 * corrected Adam, γ_k = C k^{-α}, against float64 Adam on a probe with a
 * known gradient), the activation against the paper's formula, the engine's
 * objective and autodiff gradient against the float64 reference on the same
 * draws, the uniformity of its sampler (row counts, noise moments) and the
 * unbiasedness of its stochastic gradient (two-sample test against the
 * float64 expected gradient) — and makes the verdict `error`
 * when the engine is not the algorithm the theorem is about.
 *
 * Configuration. C = 0.03: with C = 0.01 the run was still in its transient
 * at 6000 iterations (E‖∇L(θ_k)‖² fell like k^{-0.7} over the last decade and
 * the floor test could not tell a floor from the transient); with C = 0.1 the
 * first Adam steps (every coordinate moves by C) blow G_n up to ~10 and the
 * burn-in dominates. 6000 iterations: at 5000 a correct run's normalised
 * slope reached +0.066 (inconclusive) and the constant step's lower bound
 * +0.04 (missed). The decoder's output bias starts at the data mean and its
 * weights at 0.1× the usual scale (initial ‖∇L‖² ≈ 100 instead of 4·10⁴).
 * ‖∇L‖² at 6 checkpoints per decade and 36 over the last decade (the
 * single-iterate fluctuation, not the estimator, limits G_n's end: denser
 * iterates with 2 antithetic draws each beat sparser ones with more draws).
 * The informational ReLU arm (identity heads, unbounded mean and
 * log-variance) rides along at the full tier only.
 * Full tier: NOT calibrated (one run took ~26 min here; 200 s since the
 * float64 reference's WebAssembly port, 2026-12-01, same verdicts bit for bit). One run at master
 * seed 1: the claim's own criteria all held (normalised slope −0.338
 * [−0.421, −0.208], last-decade slope −0.435, averaged slope −0.79, ratio
 * 0.021), the constant step was inconclusive (one seed's excursion put G_n at
 * ~3000: its interval spans [−0.73, 1.65]) and the biased gradient at the
 * quick tier's ‖b‖² = 0.24 was not caught (G_n ≈ 91 there); its bias is now
 * sized for that tier (18 ≈ G_n/5), caught at seed 1 (2026-12-01).
 * The constant step at the full tier is held at C/10 = 0.003, not C: at C = 0.03
 * the 196-64-8 network (26,964 Adam coordinates each moving ~0.03 per step for
 * ever) is thrown out of any noise ball, ‖∇L‖² ~ 10⁶ with seed means of the
 * unbiased estimator turning negative (seed 1: normalised slope −0.60 [−0.60,
 * 0.52], inconclusive); that is divergence, not the plateau the falsifier
 * stands for. At 0.003 (the schedule's own step at k = 100) every seed
 * settles in a noise ball G_n ≈ 150–170 that does not shrink: caught in 4 of 4
 * master seeds (1–4), normalised slope 0.33–0.37 with lower bounds 0.26–0.32
 * against the threshold +0.05. At 0.001 it was caught too, but nearer the
 * threshold (0.117 [0.087, 0.151]): the run is still in its transient.
 * The quick tier keeps γ = C (calibrated there). Whole full-tier suite at
 * seed 1 with it (2026-12-01, 438 s on a machine running at half the speed of
 * the 200 s above): the claim passes (normalised slope −0.338 [−0.421,
 * −0.208]), the constant step fails (0.328 [0.268, 0.386]) and the biased
 * gradient fails (normalised slope 0.69 [0.36, 0.94], averaging ratio 1.68):
 * both caught. Full tier still NOT calibrated over master seeds.
 *
 * Grown once to twice the seeds when the first run is undecided (growSeeds
 * below; the falsifiers grow with it). Quick calibration at M = 50: 45/50
 * without it (5 inconclusive, none fail), 49/50 with it (2026-12-01); the one
 * left is a seed where one replica's ‖∇L‖² under the injected bias is below
 * the estimator's resolution (its mean over (n/2, n] reads −0.13), so the
 * biased-gradient falsifier stays inconclusive at 16 seeds too.
 *
 * A user's own VAE (withModel; adam-rate-deep-vae.user-model.ts) trains and
 * is measured in place of the engine's network, judged by the same criteria;
 * its network's premises are reported as not checked.
 *
 * Falsifiers (each must make the same check fail): constant step (the noise
 * ball does not shrink; fails the normalised slope) and biased gradient (a
 * constant bias with ‖b‖² = 0.24 ≈ G_n/5 at the end of the quick window
 * added to the engine's stochastic gradient; fails the floor test). The
 * slow schedule (α = 1/4 at the same C) is NOT a falsifier here, for cost:
 * with 6 seeds and the last decade sampled at 48 per decade the normalised
 * slope over the last half decade caught it in 3 of 3 master seeds (lower
 * bounds +0.09 to +0.10), with 24 per decade it was missed (+0.119
 * [−0.052, 0.258]); 6–8 more replicas cost ≈ 12–16% of this claim's time,
 * which the budget (no slower than the old check) does not allow. A wrong
 * step exponent in the ENGINE is caught regardless, by the update-rule probe
 * (the mutant k^{-α/2} reads `error`).
 */
import { defineClaim, type Falsifier, type TakesData, type Tier } from '../../contract/claim.ts';
import { fileDataOf } from '../shared/user-data.ts';
import { doubleSeeds } from '../shared/grow.ts';
import { MEAN_RANGE } from '../../models/deep-vae/soft-clip.ts';
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

/** Kingma & Ba's constants, as in [SGL25]'s experiments: stated by the claim, not read from the engine's defaults. */
const ADAM = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

const common = {
  optimizer: ADAM,
  // The engine's own soft-clipped MLP; withModel puts a user's VAE here.
  model: null,
  schedule: { C: 0.03, alpha: 0.5 },
  batchSize: 10,
  samples: 1,
  decoderStd: 0.3,
  init: { weightScale: 1, outputWeightScale: 0.1, outputBiasAtDataMean: true },
  maxNormalisedSlope: 0.05,
  maxLastDecadeSlope: 0,
  maxAveragedSlope: -0.5,
  maxAveragingRatio: 0.15,
  maxSlope: -0.35,
  gradientBias: 0,
};

const tiers: Record<Tier, DeepVaeRateConfig> = {
  quick: {
    ...common,
    seeds: 8,
    reluSeeds: 0,
    falsifierBias: 0.24,
    steps: 6000,
    decades: 0.75,
    data: { perDigit: 10, pool: 4 },
    hidden: 16,
    dz: 2,
    checkpointsPerDecade: 6,
    lastDecadeCheckpoints: 36,
    estimatorDraws: 2,
    averaged: { ends: 3, decades: 1, draws: 12, stride: 8 },
    // 128 reference draws: with the engine's B >= 50 (conformance.ts) its standard error shrank √5, so 32 left the reference ~40% of the Welch variance and its tails (1 of 50 master seeds read |z| = 6.1 > 5.69 at ν = 163; 128 pass).
    conformance: { engineDraws: 800, referenceDraws: 128, probeSteps: 40 },
  },
  full: {
    ...common,
    seeds: 8,
    reluSeeds: 4,
    // G_n ≈ 91 at the end of the full window (one run, seed 1): the quick tier's 0.24 was not caught there.
    falsifierBias: 18,
    // Held at C = 0.03 the 26,964-parameter network leaves any noise ball (‖∇L‖² ~ 10⁶, the estimator's
    // seed means turn negative) and the constant step read inconclusive; C/10 (the schedule's step at
    // k = 100) is a noise ball that does not shrink (header).
    falsifierStep: 0.003,
    steps: 20000,
    decades: 0.75,
    data: { perDigit: 50, pool: 2 },
    hidden: 64,
    dz: 8,
    checkpointsPerDecade: 6,
    lastDecadeCheckpoints: 36,
    estimatorDraws: 2,
    averaged: { ends: 4, decades: 1, draws: 16, stride: 4 },
    conformance: { engineDraws: 2000, referenceDraws: 128, probeSteps: 100 },
  },
};

/**
 * Grown once when the first run had no power (runClaim): twice the seeds, the first run's among
 * them. Why: in the quick calibration at M = 50 (2026-12-01) 5 runs read inconclusive, none
 * fail. In 3 of them the claim's own estimates were on the pass side with intervals straddling a
 * threshold at 8 seeds (last-decade slope −0.203 [−0.345, +0.003] against ≤ 0; averaged slope
 * −0.62 [−0.98, −0.13] and ratio 0.092 [0.055, 0.206], where either passing would have sufficed),
 * and in 2 a falsifier was missed. 16 seeds narrow the seed-bootstrap intervals by ≈ √2.
 */
// The falsifiers take as many seeds as the claim, uncapped (the mutations' default): the expanded
// bootstrap intervals widen by ×1.29 at 8 seeds, ×1.44 at 6, ×1.88 at 4 (at 6 the constant step
// was missed in 1 of 3 master seeds), and a grown run grows the falsifiers too.
function growSeeds(c: DeepVaeRateConfig): { config: DeepVaeRateConfig; what: string } | { declined: string } {
  // A user's model is run at the size the user set: its cost per step is theirs, not known here
  // (examples/own-deep-vae.mjs's tanh VAE, undecided at its 2000 steps as it warns, would take
  // ≈ 2× its minutes again), and growing would double it without their asking.
  if (c.model !== null) return { declined: `a user's model (${c.model.name}) runs at the size it was set to; set more seeds (e.g. seeds=${2 * c.seeds}) or steps to give it more power` };
  return doubleSeeds(c);
}

const constantStep: Falsifier<DeepVaeRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = γ (α = 0; γ = C = 0.03 at the quick tier, C/10 = 0.003 at the full tier, where 0.03 throws the larger network out of any noise ball): Adam settles in a noise ball whose size does not shrink. (The informational ReLU arm is not retrained.)',
  expected: 'E‖∇L(θ_k)‖² plateaus, so G_n √n / log n rises (normalised slope ≈ +0.4)',
  mutate: constantStepMutation(),
};

const biasedGradient: Falsifier<DeepVaeRateConfig> = {
  id: 'biased-gradient',
  description: 'A constant bias b (every coordinate ±√(‖b‖²/P), ‖b‖² ≈ G_n/5 at the end of the window: 0.24 at the quick tier) added to the engine\'s stochastic gradient: an error floor.',
  expected: 'the Polyak–Ruppert average stalls near ‖b‖²: its slope ≥ 0 and its ratio to the iterates\' ‖∇L‖² ≈ 0.3–0.6 (> 0.15)',
  remedy: 'more steps (--set steps=…) or seeds: the floor must emerge from the transient within the last decade',
  mutate: biasedGradientMutation(),
};

/** The engine's decoder mean is soft-clipped to [−50, 50] (MEAN_RANGE). */
const DECODER_MEAN_BOUND = MEAN_RANGE.hi;

/**
 * `verify --data FILE`: the user's rows in place of the digits, any width
 * (the network's input and output layers take it). Values must lie where the
 * bounded decoder mean can reach them; the step C = 0.03 and the falsifiers'
 * bias ‖b‖² were sized on the digits' [0, 1], so rows of that scale suit
 * them (a bias sized for another G_n may go unseen: the falsifier then reads
 * inconclusive, and says so).
 */
const takesData: TakesData<DeepVaeRateConfig> = {
  describe:
    `real rows, any number of columns D, values in [−${DECODER_MEAN_BOUND}, ${DECODER_MEAN_BOUND}] (the decoder mean is soft-clipped there); ` +
    'N ≥ B rows (batch size 10); Adam\'s step C = 0.03 and the falsifiers\' bias suit values of order 1, like the digits\' [0, 1]',
  dimension: () => null,
  withRows: (c, rows, columns) => ({ ...c, data: fileDataOf(rows, columns) }),
  checkValues: (data) => {
    for (let i = 0; i < data.x.length; i++) {
      if (Math.abs(data.x[i]) > DECODER_MEAN_BOUND) {
        return { row: Math.floor(i / data.dim), column: i % data.dim, problem: `is ${data.x[i]}, outside [−${DECODER_MEAN_BOUND}, ${DECODER_MEAN_BOUND}] where the soft-clipped decoder mean lives; rescale the rows` };
      }
    }
    return null;
  },
};

export default defineClaim<DeepVaeRateConfig>({
  id: 'adam-rate-deep-vae',
  title: 'Adam reaches E‖∇L‖² = O(log n/√n) on a soft-clipped deep Gaussian VAE trained on real digits',
  family: 'convergence',
  source: SGL25,
  statement:
    'Bias-corrected Adam (β1 = 0.9 < √β2 = √0.999 < 1) with γ_k = C·k^{-1/2} on a deep Gaussian VAE with smooth bounded ' +
    '(soft-clipped) activations, bounded decoder mean, fixed decoder variance and log-variance ≥ −20 gives ' +
    'G_n = O(L* / √n + N a^{2(N−1)} d* log n/((1 − β1)√n)).',
  formula: 'G_n = O\\left(\\frac{L^*}{\\sqrt{n}} + \\frac{N a^{2(N-1)} d^* \\log n}{(1-\\beta_1)\\sqrt{n}}\\right)',
  assumptions: [
    { id: 'adam-momentum', statement: 'β1 < √β2 < 1 (bias-corrected Adam, measured on the engine\'s trainer).' },
    { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1 (measured on the engine: its trainer against a float64 reference optimiser).' },
    ...DEEP_VAE_MODEL_ASSUMPTIONS,
    { id: 'unbiased-gradients', statement: 'The engine\'s stochastic gradient is unbiased for the expected ELBO\'s gradient (measured: same objective as the float64 reference on the same draws, and the mean of its draws against the float64 expected gradient).' },
    DEEP_VAE_EXACT_MEASUREMENT,
  ],
  tiers,
  falsifiers: [constantStep, biasedGradient],
  grow: growSeeds,
  check: (configs, ctx) => checkDeepVaeRate('adam-rate-deep-vae', configs, ctx),
  takesData,
  schema: deepVaeRateConfigSchema,
  seedCount: (c) => c.seeds,
});
