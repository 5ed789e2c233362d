/**
 * snn-linear-convergence [WH24, Wang & Huang, "On the Convergence Analysis of
 * Over-Parameterized Variational Autoencoders: A Neural Tangent Kernel
 * Perspective", Theorem 1, as read through a third-party summary: "linear
 * convergence rates for the reconstruction loss governed by
 * λ₀ = λ_min(Θ^∞)"; the paper's statement, constants, step size and width
 * requirement could NOT be read]: gradient descent on the noise-averaged
 * stochastic latent network converges linearly at the rate of the summed
 * tangent kernel of its three parameter groups, and follows the linearised
 * (kernel) trajectory ever more closely as the width m grows.
 *
 * Our reading: WH24's Lemma 1 (read verbatim, maths stripped) interchanges
 * integration and differentiation, so the analysed output is the noise
 * average f̄(x) = E_ε f(x; ε) = (1/√m) Σ_r a_r E_ε relu(μ_r(x) + s_r(x) ε), and
 * the loss is the squared error of f̄ (not the noise average of the squared
 * error, which adds a variance term). For ReLU the average is closed form,
 * E relu(μ + sε) = μΦ(μ/s) + sφ(μ/s), so the engine trains exactly that network
 * (src/models/ntk/noise-averaged.ts, TensorFlow.js; the same parameters and
 * softplus variance head as src/models/ntk/stochastic-latent.ts) with its
 * full-batch GD runner (src/models/ntk/gd.ts) on (1/(2n))‖f̄ − y‖².
 *
 * Check (src/claims/ntk/snn-linear-convergence.check.ts), with each replica's
 * own initial summed kernel Θ₀ = Θ_a + Θ_μ + Θ_s (float64 from θ₀,
 * src/kernels/noise-averaged-ntk.ts). We use the empirical Θ₀, not Θ^∞: the
 * linearised trajectory a finite network follows is its own Θ₀'s (as in
 * ntk-linear-convergence); Θ^∞ (src/kernels/stochastic-ntk.ts, float64
 * quadrature) fixes η and the targets, and λ_min(Θ₀)/λ_min(Θ^∞) at the
 * widest width is measured as the premise "wide enough" (≥ 1/2, WH24's
 * Lemma 2 in spirit). Criteria:
 *   bound (the paper's, in our reading): at the widest m the noise-averaged
 *     loss stays under loss₀(1 − ηλ_min(Θ₀)/n)^{2t} at every step for EVERY
 *     seed, float32 slack 1e-3. No violation is allowed (no Wilson-style
 *     allowance for a few bad seeds): the linearised dynamics obey the bound
 *     exactly, the finite-width departure only makes the slowest mode decay
 *     faster here (see the rate below), and at seed 1 the largest ratio over
 *     every seed and step is its t = 0 value 1 at both tiers; a violation at
 *     the widest width is evidence against the claim, not noise;
 *   distance (the lazy-training picture of Lee et al. 2019 that the NTK
 *     convergence proofs rest on): D = max_t ‖r_t − (I − ηΘ₀/n)^t r₀‖/‖r₀‖ has log–log slope
 *     ≤ −0.4 in m, upper end of the 95% bootstrap interval over seeds (seeds
 *     averaged before the log); measured ≈ −0.93 to −0.98, i.e. D ∝ 1/m;
 *   sharp rate (ours, and why it follows): in the lazy regime the residual
 *     along Θ₀'s bottom eigenvector decays exactly at the bound's per-step
 *     factor, so the bound is attained along that direction; the fitted rate
 *     (least squares of log p_t² over the last 70% of the steps) over the
 *     bound's must lie within 1 ± 0.05 at the widest m (bootstrap interval
 *     over seeds). A bound with the wrong rate (too loose, e.g. the residual's
 *     rate used for the loss's) fails here, where the bound criterion alone
 *     would still pass. Measured 1.03 at m = 1024 (quick) and 1.007 at
 *     m = 4096 (full): the finite-width drift of λ_min(Θ_t).
 * Step η = n/λ_max(Θ^∞), half the stability limit 2n/λ_max in the GD
 * runner's units (a step on the stored parameters of the mean loss with
 * the 1/2, so that r_{t+1} ≈ (I − ηΘ/n) r_t).
 *
 * Test bed: d = 16, n = 8 on the sphere, σ_W = √2, σ_b = 0.1. The
 * noise-averaged network's kernel is smooth (the noise smooths the ReLU), so
 * its spectrum falls fast: at d = 32, n = 32 (the family's bed)
 * λ_max/λ_min(Θ^∞) ≈ 1700, out of reach of a few hundred steps; at d = 16,
 * n = 8 it is 28–56 over 8 data draws, so 150 steps at η = n/λ_max shrink
 * the slowest mode's share of the loss by e^{−300/κ}, e^{−5} to e^{−11}.
 * Quick tier: m = 64, 256, 1024, 10 seeds; full: m = 64 … 4096, 16 seeds.
 * The claim and the step falsifier train as one replica batch (per-replica
 * η), the single-sample falsifier as another.
 *
 * Falsifiers: η = 2.5·n/λ_max(Θ^∞), above the stability limit (the top mode
 * grows by 1.5 per step, the bound fails); and a single noise sample per
 * latent unit: the stochastic network trained on one fixed draw (K = 1,
 * the same θ₀), measured exactly like the claim (noise-averaged residual,
 * noise-averaged Θ₀). Its gradient is that of another loss, and its tangent
 * kernel differs from the noise average's by an O(1) term that does not
 * vanish with m (snn-ntk), so f̄ leaves the kernel trajectory by O(1) at
 * every width: the distance stops decreasing in m (measured slope +0.3 to
 * +0.4) and the noise-averaged loss rises far above the bound (ratio ≈ 500–1000).
 * (Had the loss and the kernel both been the single draw's, the network
 * would just be another deterministic network, for which the bound does
 * hold: the claim would have nothing to catch.)
 * Engine conformance before judging (verdict error otherwise): hand-written
 * loss gradients vs tf.grads, the trainer's first step vs θ − η∇L, the
 * float64 kernels vs the engine's autodiff Jacobians, the engine's outputs
 * vs the float64 closed form after training (every width), f̄₀ ≡ 0 from
 * antisymmetric pairs, and the single-sample network's θ₀ equal to the
 * claim's (common random numbers). The paper's own constants could not be read: this tests the
 * scale-free law.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { WH24 } from '../sources.ts';
import { checkSnnLinearConvergence, snnConvergenceConfigSchema, type SnnConvergenceConfig } from './snn-linear-convergence.check.ts';

const common = {
  bed: { d: 16, n: 8, sigmaW: Math.SQRT2, sigmaB: 0.1 },
  steps: 150,
  etaFactor: 1,
  training: 'noise-averaged' as const,
  targetScale: 1,
  exciteBottom: 0.5,
  quadratureOrder: 16,
  maxDistanceSlope: -0.4,
  rateTolerance: 0.05,
  rateWindowFrom: 0.3,
  boundSlack: 1e-3,
};

const tiers: Record<Tier, SnnConvergenceConfig> = {
  quick: { ...common, widths: [64, 256, 1024], seeds: 10 },
  full: { ...common, widths: [64, 128, 256, 512, 1024, 2048, 4096], seeds: 16 },
};

export default defineClaim<SnnConvergenceConfig>({
  id: 'snn-linear-convergence',
  title: 'GD on the noise-averaged stochastic network converges linearly along its summed-kernel trajectory',
  family: 'ntk',
  source: WH24,
  statement:
    'For the noise-averaged stochastic latent network (readout, mean head, variance head), gradient descent on (1/2n)‖f̄ − y‖² ' +
    'with η < 2n/λ_max satisfies loss_t ≤ (1 − ηλ_min/n)^{2t} loss₀ at large width, λ_min of the summed kernel Θ_a + Θ_μ + Θ_s, ' +
    'and the residual tracks (I − ηΘ₀/n)^t r₀ with a gap vanishing in m.',
  assumptions: [
    { id: 'stable-step', statement: 'Fixed step η < 2n/λ_max(Θ).' },
    { id: 'noise-average', statement: 'GD differentiates the noise-averaged loss (closed form for ReLU).' },
    { id: 'wide-enough', statement: 'At the widest width λ_min(Θ₀) ≥ λ_min(Θ^∞)/2 for every seed.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'step-above-stability-limit',
      description: 'η = 2.5·n/λ_max(Θ^∞), above 2n/λ_max: the top eigen-direction is amplified every step.',
      expected: 'the top mode grows by |1 − 2.5| = 1.5 per step, the loss with it: the loss bound fails (ratio in the thousands)',
      mutate: (c) => ({ ...c, etaFactor: 2.5 }),
    },
    {
      id: 'single-noise-sample',
      description: 'GD on one fixed noise draw per latent unit (K = 1) instead of the noise average, same θ₀ and η.',
      expected: 'the noise-averaged residual leaves the kernel trajectory by O(1) at every width: distance slope ≥ 0, loss far above the bound',
      mutate: (c) => ({ ...c, training: 'single-sample' }),
    },
  ],
  check: (configs, ctx) => checkSnnLinearConvergence(configs, ctx),
  schema: snnConvergenceConfigSchema,
  seedCount: (c) => c.seeds,
});
