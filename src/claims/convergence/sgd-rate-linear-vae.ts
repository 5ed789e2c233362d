/**
 * sgd-rate-linear-vae [SGL25, Thm. for SGD]: with smoothness and bounded
 * gradient variance, SGD ascent on the ELBO with γ_k = C k^{-1/2} reaches
 * G_n = E‖∇L(θ_R)‖² = O(log n / √n), R uniform on {0..n}.
 *
 * Test bed: the linear Gaussian VAE, whose expected ELBO and exact gradient
 * are closed form (float64 oracle), so G_n is measured without the
 * mini-batch noise floor. Falsifier: a constant step (α = 0) converges only
 * to a noise ball, G_n plateaus, and the same check must fail.
 * Calibration (CLAIMS.md): float64 slopes −0.61 to −0.67; measured here at the
 * quick tier ≈ −0.60, constant step ≈ +0.5 (G_n still rising to its plateau).
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import { checkLinearVaeRate, type LinearVaeRateConfig } from './shared/linear-vae-rate.ts';
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
});
