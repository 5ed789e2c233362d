/**
 * sgd-rate-linear-vae [SGL25, Thm. for SGD]: with smoothness and bounded
 * gradient variance, SGD ascent on the ELBO with γ_k = C k^{-1/2} reaches
 * G_n = E‖∇L(θ_R)‖² = O(log n / √n), R uniform on {0..n}.
 *
 * Test bed: the linear Gaussian VAE (d_x = 10, d_z = 3, N = 2000, B = 32,
 * C = 0.1), whose expected ELBO and exact gradient are closed form (float64
 * oracle), so G_n is measured exactly at every iterate; 8 seeds × 2·10⁴
 * iterations at the quick tier (16 × 4·10⁴ full), grown once to twice the
 * seeds when the first run has no power.
 * Judged (95% bootstrap over seeds; shared/linear-vae-rate-tiers.ts says why):
 *   the paper's statement  slope of log(G_n √n / log n) over the last two decades ≤ +0.03;
 *   ours: no error floor   the exact gradient at the Polyak–Ruppert average of the last half
 *                          of the iterates decays (slope ≤ −0.65) or is small against the
 *                          iterates' own (ratio ≤ 0.1 quick, 0.025 full: half the falsifier floor's share);
 *   the engine's premises  its trainer applies SGD and γ_k exactly; its stochastic gradient
 *                          is unbiased for the exact gradient (measured, else `error`).
 * Falsifiers: constant step, slow schedule (k^{-1/4}), biased gradient (a floor).
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import { checkLinearVaeRate, linearVaeRateConfigSchema, type LinearVaeRateConfig } from './shared/linear-vae-rate.ts';
import { biasedGradient, constantStep, growSeeds, linearVaeRateAssumptions, linearVaeRateTiers, linearVaeTakesData, slowSchedule } from './shared/linear-vae-rate-tiers.ts';

const tiers: Record<Tier, LinearVaeRateConfig> = linearVaeRateTiers({ kind: 'sgd' });

export default defineClaim<LinearVaeRateConfig>({
  id: 'sgd-rate-linear-vae',
  title: 'SGD reaches E‖∇L‖² = O(log n/√n) on the linear Gaussian VAE',
  family: 'convergence',
  source: SGL25,
  statement:
    'SGD ascent on the reparameterised ELBO with step γ_k = C·k^{-1/2} gives ' +
    'G_n = (1/(n+1)) Σ_{k≤n} E‖∇L(θ_k)‖² = O(log n / √n).',
  assumptions: linearVaeRateAssumptions,
  tiers,
  falsifiers: [constantStep, slowSchedule, biasedGradient],
  check: (configs, ctx) => checkLinearVaeRate('sgd-rate-linear-vae', configs, ctx),
  takesData: linearVaeTakesData,
  grow: growSeeds,
  schema: linearVaeRateConfigSchema,
  seedCount: (c) => c.seeds,
});
