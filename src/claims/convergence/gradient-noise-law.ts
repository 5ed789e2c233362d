/**
 * gradient-noise-law (issue 15, item 5): OUR prediction, not the paper's.
 * [SGL25] states the dependence on the batch size B and the number of samples
 * K only through the variance term O(d* log n/(B K √n)) of a bound; it
 * predicts no value. We predict the value of E‖∇L(θ_k)‖² near a maximum:
 *
 * SGD ascent θ_{k+1} = θ_k + γ_{k+1} ĝ_k near a local maximum θ* of the
 * expected ELBO L, with A = −∇²L(θ*) and ĝ_k = ∇L(θ_k) + ξ_k, Cov ξ = Σ₁(K)/B,
 *   Σ₁(K) = Cov_n[E_ε g(x_n, ε)] + E_n[Cov_ε g(x_n, ε)]/K
 * (one point's single-draw gradient g at θ*: the data part, and the
 * reparameterisation part divided by K; B rows uniform with replacement).
 * Linearised, δ_k = θ_k − θ* has P_{k+1} = (I − γA) P_k (I − γA) + γ² Σ₁(K)/B
 * and E‖∇L(θ_k)‖² = tr(A² P_k). Every replica starts AT θ*, so E δ_k = 0 to
 * first order and P₀ = 0 (up to the float32 rounding of θ*, which P₀ carries),
 * and the recursion is iterated exactly in float64 in A's eigenbasis: the
 * prediction holds for any schedule. Not the quasi-static γ_k tr(AΣ)/2
 * (a constant step's stationary ball): with a decaying step the slow modes
 * lag it (reported per arm as quasi-static/exact at the run's end).
 *
 * Test bed: the linear Gaussian VAE (d_x = 10, d_z = 3, N = 2000, noise 0.5,
 * σ_x = 1) on data with a FIXED spectrum (W* singular values 2.5, 2, 1.5, as
 * iwae-rate; src/models/linear-vae/iwae-data.ts). With the rate claims' random
 * W* the data's third principal variance fell below σ_x² on 5 of 50
 * calibration data sets (a collapsed latent, a degenerate optimum) and A's
 * largest eigenvalue ranged over 10–225 (no one step constant is both stable
 * and informative across them); with the fixed spectrum λ_max(A) is 37–51.
 * θ* in closed form: the ML decoder at fixed σ_x (orthogonal columns) with its
 * exact posterior as encoder, ‖∇L(θ*)‖² ≈ 4e-29
 * (src/models/linear-vae/noise-oracle.ts). A from central differences of the
 * exact gradient (h = 1e-4; agrees with h = 2e-4 to ~1e-9 of its largest
 * entry, unit test); eigenvalues 8e-3 to 37 on the quick tier's data (no zero mode:
 * the diagonal encoder breaks the latent rotation symmetry; the softest
 * directions are what is left of it). Σ₁ exactly, no Monte Carlo: the data
 * part from the closed-form per-point expected gradient, the
 * reparameterisation part from the gradient's polynomial form in ε (degree 2:
 * Cov = Σ_j L_j L_jᵀ + 2 tr(Q_a Q_b)); both checked against the covariance of
 * the engine's own gradient draws at θ* in the unit tests. The
 * reparameterisation part dominates (tr(AΣ₁(1)): data 8.6, reparameterisation
 * 3200, 99% of it in modes with λ ≥ 5), so K matters as much as B.
 *
 * Schedule γ_k = 0.02 k^{-1/2}: γ₁ λ_max ≤ 1.02 < 2 on every data set seen
 * (stable from the first step), and the noise ball stays linear: the relative
 * linearisation error √(Σ‖∇L(θ_k) + Aδ_k‖²/Σ‖∇L(θ_k)‖²) is ≈ 0.012 in the
 * noisiest arm (B = 8, K = 1), RMS ‖δ‖ ≈ 0.05 against ‖θ*‖ ≈ 4.4; the ratio's
 * error from it is second order (the cross term is odd in δ).
 *
 * Judged, per arm (B, K): the seed-averaged window mean of the exact
 * ‖∇L(θ_k)‖² of the engine's iterates over the window mean of tr(A² P_k),
 * k ∈ (n/4, n], with a 95% bootstrap over seeds, inside [0.8, 1.25]: pass when
 * every arm's interval is inside, fail when one lies outside entirely, else
 * inconclusive. The window is the last three quarters of the run: by n/4 the
 * modes that carry 99% of tr(A²P) (λ ≥ 5) have relaxed (Σ_k γ_k λ ≥ 3.8 at the
 * quick tier, their variance's memory of the start e^{-2Σγλ} < 1e-3), so the
 * window measures the noise ball the law is about rather than its build-up
 * from θ*; the slowest modes never relax in this run (λ_min Σγ ≈ 0.01) but
 * weigh λ² in tr(A² P) (they dominate tr P: reported as distanceRatio, not
 * judged). The prediction is exact for the build-up too, so the window is a
 * choice of what to look at, not a condition for the formula. Premise: the
 * linearisation error ≤ 0.1 in every arm (else inconclusive: the law is not
 * claimed outside the linear regime); ≤ 0.1 bounds the ratio's error to ~1%.
 * Arms: B ∈ {8, 32, 128} × K ∈ {1, 4, 16} at the full tier. The quick tier
 * keeps B ∈ {8, 32} × K ∈ {1, 16}: a step costs ∝ B·K, and the corners
 * {8, 128} × {1, 16} cost 3.4x as much per seed-step (2312 against 680 samples,
 * twice over with the biased-gradient falsifier's own batch), which at ~20 s
 * would leave 3–4 seeds; these arms still span 4x in B and 16x in K.
 *
 * Falsifiers: the batch size ignored (every arm trains with B = 8, predicted
 * with its label: ratio 16 at B = 128), the samples ignored (K = 1 whatever
 * the arm: ratio ≈ 15 at K = 16, 4 at K = 4), a biased gradient (a constant δ in
 * every ∂b coordinate: the mean of δ_k drifts to A⁻¹δ·1_b, adding up to
 * d_x δ² to E‖∇L‖², which the quietest arm cannot hide).
 * Engine premises measured (error on failure): SGD and γ_k against float64
 * references over the run, the stochastic gradient unbiased and of the
 * estimator's spread on the cheapest arm (shared/linear-vae-conformance.ts),
 * the seeds independent from their common start.
 */
import { defineClaim, type Falsifier, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import { checkGradientNoiseLaw, gradientNoiseLawConfigSchema, type GradientNoiseLawConfig } from './gradient-noise-law.check.ts';

// Band [0.8, 1.25]: a factor 1.25 either way (symmetric in log). Sizes: per seed, the window ratio
// scatters by ≈ 0.10–0.13 (SD over 32 seeds, 1500 steps; it shrinks only like n^{-1/4}: the stiff
// modes' relaxation times grow like √k), so 12 seeds give a 95% half-width ≈ 0.07 at the quick
// tier and 16 seeds × 3000 steps ≈ 0.05 at the full, against a distance ≥ 0.2 from the band's
// ends for a correct engine (measured ratios 0.96–1.04 over 32 seeds). The bias δ of the
// biased-gradient falsifier is sized against the quietest arm: its floor d_x δ² (0.009 quick,
// 0.0023 full) is 2–4 times that arm's predicted E‖∇L‖² in the window, the drift towards it
// (modes with λ ≈ 1, Σγλ ≈ 1.5–2 by the window) only partly relaxed.
const common = {
  schedule: { C: 0.02, alpha: 0.5 },
  data: { n: 2000, dx: 10, dz: 3, noiseStd: 0.5, singularValues: [2.5, 2, 1.5] },
  sigmaX: 1,
  windowFrom: 0.25,
  band: { lower: 0.8, upper: 1.25 },
  maxLinearisationError: 0.1,
};

const tiers: Record<Tier, GradientNoiseLawConfig> = {
  quick: { ...common, seeds: 12, steps: 1500, batchSizes: [8, 32], Ks: [1, 16], falsifierBias: 0.03 },
  full: { ...common, seeds: 16, steps: 3000, batchSizes: [8, 32, 128], Ks: [1, 4, 16], falsifierBias: 0.015 },
};

const batchSizeIgnored: Falsifier<GradientNoiseLawConfig> = {
  id: 'batch-size-ignored',
  description: 'The batch-size setting is silently ignored: every arm trains with B = 8 while labelled (and predicted) with its own B.',
  expected: 'measured/predicted ≈ B/8: 4 at B = 32 (quick), 16 at B = 128 (full), far above 1.25',
  mutate: (c) => ({ ...c, trainedBatchSize: 8 }),
};

const samplesIgnored: Falsifier<GradientNoiseLawConfig> = {
  id: 'samples-ignored',
  description: 'The number of samples is silently ignored: every arm draws K = 1 sample per point while labelled (and predicted) with its own K.',
  expected: 'measured/predicted ≈ tr(A Σ₁(1)) / tr(A Σ₁(K)): ≈ 15 at K = 16, 4 at K = 4, far above 1.25',
  mutate: (c) => ({ ...c, trainedSamples: 1 }),
};

const biasedGradient: Falsifier<GradientNoiseLawConfig> = {
  id: 'biased-gradient',
  description: 'The engine adds a constant δ to every coordinate of its stochastic gradient of the decoder offset b (δ = 0.03 at the quick tier, 0.015 at the full).',
  expected: 'E δ_k drifts to A⁻¹δ·1_b, adding up to d_x δ² to E‖∇L(θ_k)‖²: measured/predicted > 1.25 in the quietest arm',
  mutate: (c) => ({ ...c, gradientBias: c.falsifierBias }),
};

export default defineClaim<GradientNoiseLawConfig>({
  id: 'gradient-noise-law',
  title: 'Near the optimum, SGD\'s E‖∇L(θ_k)‖² follows the linearised noise law tr(A² P_k) with Cov ξ = Σ₁(K)/B (our prediction)',
  family: 'convergence',
  source: SGL25,
  statement:
    'Our prediction, not the paper\'s ([SGL25] has B and K only in the bound\'s term O(d* log n/(B K √n))): SGD ascent with γ_k = C·k^{-1/2} started at a ' +
    'maximum θ* of the expected ELBO has E‖∇L(θ_k)‖² = tr(A² P_k), P_{k+1} = (I − γ_k A) P_k (I − γ_k A) + γ_k² Σ₁(K)/B, A = −∇²L(θ*), ' +
    'Σ₁(K) = Cov_n[E_ε g] + E_n[Cov_ε g]/K: measured/predicted within [0.8, 1.25] for every B and K.',
  formula: '\\mathbb{E}\\|\\nabla L(\\theta_k)\\|^2 = \\operatorname{tr}(A^2 P_k),\\ P_{k+1} = (I - \\gamma_k A) P_k (I - \\gamma_k A) + \\gamma_k^2 \\Sigma_1(K)/B',
  assumptions: [
    { id: 'start-at-optimum', statement: 'Every replica starts at a strict local maximum θ* of the expected ELBO (closed form; ‖∇L(θ*)‖² ≈ 0 to float64 rounding, A positive definite).' },
    { id: 'step-schedule', statement: 'Plain SGD ascent with γ_k = C·k^{-1/2} (measured on the engine: its trainer against a float64 reference SGD, and γ_k at log-spaced k).' },
    { id: 'linear-regime', statement: 'The noise ball stays where ∇L is linear in δ = θ − θ* (measured: relative linearisation error over the window ≤ 0.1).' },
    { id: 'setting-applied', statement: 'Each arm trains with the B and K it is labelled (and predicted) with.' },
    { id: 'unbiased-gradients', statement: 'Mini-batches of B rows uniform with replacement, K reparameterised samples each: ξ has mean 0 and covariance Σ₁(K)/B (measured on the engine: mean and spread of its stochastic gradient).' },
    { id: 'exact-measurement', statement: 'E‖∇L(θ_k)‖² uses the exact gradient of the expected ELBO (float64 closed form) at every iterate.' },
  ],
  tiers,
  falsifiers: [batchSizeIgnored, samplesIgnored, biasedGradient],
  check: (configs, ctx) => checkGradientNoiseLaw('gradient-noise-law', configs, ctx),
  schema: gradientNoiseLawConfigSchema,
  seedCount: (c) => c.seeds,
});
