/**
 * iwae-rate [SGL25, IWAE theorem]: SGD on the importance-weighted bound L_K
 * with γ_k = C k^{-1/2} reaches
 *   G_n = O( L*_K/√n + d* log n / (B K √n) ),
 * so the rate criterion of sgd-rate-linear-vae holds, and at fixed n G_n is
 * non-increasing in B·K.
 *
 * Test bed: the linear Gaussian VAE trained on L_K by the engine; arms
 * (B, K) = (16, 1), (8, 4), (16, 4), i.e. B·K = 16, 32, 64. ∇L_K has no
 * closed form: ‖∇L_K‖² over the whole data set is estimated at log-spaced
 * checkpoints from common-random-number draws with the variance floor
 * subtracted (unbiased), and G_n integrated by the trapezoid rule in k; the
 * estimator's error is reported (and checked against the closed form at K = 1).
 * Pass: the rate criterion (slope ≤ −0.35, normalised slope ≤ +0.05) for every
 * arm, and log(G(BK_i)/G(BK_{i+1})) ≥ −log 1.1 (non-increasing). Falsifier:
 * a constant step (G_n plateaus, or the run diverges: G_n → ∞).
 */
import { defineClaim, type Falsifier, type Tier } from '../claim.ts';
import { SGL25 } from '../sources.ts';
import { checkIwaeRate, type IwaeRateConfig } from '../../src/checks/convergence-iwae-rate.ts';

// Arms: B·K = 16, 32, 64. The K = 1 arm is the ELBO with a Monte Carlo KL
// term, whose gradient is closed form: it checks the estimator. Bmax·Kmax = 64
// keeps the padded replica batch small (the quick tier's cost is the batch).
// The K = 1 arm has B = 16, not 8: with B = 8 its G_n reached the noise-
// dominated regime at the full tier, where it followed log n/√n exactly
// (normalised slope −0.016 [−0.054, 0.021]) — and log n/√n itself has slope
// ≈ −0.36 on [222, 2·10⁴], so "slope ≤ −0.35" came out inconclusive
// (−0.383 [−0.421, −0.346]) on a run that meets the theorem's rate.
const common = {
  optimizer: { kind: 'sgd' } as const,
  schedule: { C: 0.05, alpha: 0.5 },
  arms: [
    { batchSize: 16, samples: 1 },
    { batchSize: 8, samples: 4 },
    { batchSize: 16, samples: 4 },
  ],
  sigmaX: 1,
  decades: 2,
  maxSlope: -0.35,
  maxNormalisedSlope: 0.05,
  tolerance: 0.1,
};

const tiers: Record<Tier, IwaeRateConfig> = {
  // 12 seeds, not 6: calibration (50 master seeds) had 5 inconclusive runs with 6, each an interval
  // straddling its threshold (e.g. the K = 1 arm's slope upper bound −0.349 vs −0.35).
  quick: { ...common, data: { n: 300, dx: 10, dz: 3, noiseStd: 0.5 }, seeds: 12, steps: 5000, checkpointsPerDecade: 6, estimatorDraws: 4 },
  full: { ...common, data: { n: 500, dx: 10, dz: 3, noiseStd: 0.5 }, seeds: 12, steps: 20000, checkpointsPerDecade: 10, estimatorDraws: 8 },
};

// A constant step at the full C may diverge for some seeds (the IWAE bound's
// Monte Carlo KL term makes the gradient heavy-tailed, and C = 0.05 is near
// 2/L for the encoder weights): a diverged run has G_n → ∞ and fails the
// check like a plateau does (src/checks/divergence.ts; the other runs of the
// batch are retrained without it).
const constantStep: Falsifier<IwaeRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = C (α = 0) for every arm: SGD settles in a noise ball whose size does not shrink (or, beyond the stability limit, diverges).',
  expected: 'G_n plateaus (slope ≳ 0) or training diverges (G_n → ∞), so the rate criterion fails',
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0 } }),
};

export default defineClaim<IwaeRateConfig>({
  id: 'iwae-rate',
  title: 'SGD on the IWAE bound reaches E‖∇L_K‖² = O(log n/√n), and G_n is non-increasing in B·K',
  family: 'convergence',
  source: SGL25,
  statement:
    'SGD ascent on the importance-weighted bound L_K with γ_k = C·k^{-1/2} gives G_n = O(L*_K/√n + d* log n/(B K √n)): ' +
    'the rate O(log n/√n), and G_n at fixed n non-increasing in B·K.',
  formula: 'G_n = O\\left(\\frac{L^*_K}{\\sqrt{n}} + \\frac{d^* \\log n}{B K \\sqrt{n}}\\right)',
  assumptions: [
    { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1.' },
    { id: 'sgd', statement: 'Plain SGD on the IWAE bound with reparameterised samples.' },
    {
      id: 'exact-measurement',
      statement: 'G_n uses the gradient of the expected bound over the full data set: an unbiased common-random-number estimate (no closed form for K > 1).',
    },
  ],
  tiers,
  falsifiers: [constantStep],
  check: (configs, ctx) => checkIwaeRate('iwae-rate', configs, ctx),
});
