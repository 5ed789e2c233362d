/**
 * ntk-linear-convergence [WH24, on the template of Du et al. ICLR 2019 and
 * Lee et al. 2019]: for a wide network, full-batch GD with η < 2n/λ_max
 * converges linearly, loss_t ≤ (1 − ηλ_min/n)^{2t} loss₀, and follows the
 * linearised trajectory r_t = (I − ηΘ₀/n)^t r₀ ever more closely as m grows.
 *
 * Check (src/claims/ntk/ntk-linear-convergence.check.ts), with each replica's own
 * initial tangent kernel Θ₀: the bound holds at the widest m for every step
 * and seed; the distance to the linearised trajectory has slope ≤ −0.4 in m;
 * sharp variant: the residual along Θ₀'s bottom eigenvector decays at
 * 2 log(1 − ηλ_min/n) per step within 5% (bootstrap interval over seeds).
 * The targets carry half their norm along the analytic Θ's bottom
 * eigenvector so that this direction is excited in every run.
 * Falsifier: η = 2.5·n/λ_max, above the stability limit 2n/λ_max: the top
 * mode grows, the loss bound fails.
 * Engine conformance before judging (verdict error otherwise): the
 * hand-written loss gradients against autodiff, the trainer's first two steps
 * against the GD update written out (a wrong step, a missing 1/n or a wrong
 * loss normalisation is named there, not only seen as a failed rate), the
 * hand-written kernels Θ₀ against autodiff and, in mean over seeds and units,
 * against the analytic NTK; f₀ ≡ 0 from the antisymmetric pairs.
 * The paper's own constants could not be read: this tests the scale-free law.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { WH24 } from '../sources.ts';
import { checkLinearConvergence, linearConvergenceConfigSchema, type LinearConvergenceConfig } from './ntk-linear-convergence.check.ts';
import { FULL_WIDTHS, GD_COMMON, QUICK_GD_WIDTHS } from './shared/tiers.ts';

const criteria = { maxDistanceSlope: -0.4, rateTolerance: 0.05, rateWindowFrom: 0.3, boundSlack: 1e-3 };

const tiers: Record<Tier, LinearConvergenceConfig> = {
  // 10 seeds, not 5: calibration (15 master seeds) had 3 inconclusive runs with 5, e.g. distance
  // slope −0.45 [−0.56, −0.35] straddling −0.4 (the bootstrap over 5 seeds is wide).
  // The quick calibration at M = 50 passes 41/50 (2026-12-01); all 9 misses are the distance
  // slope straddling −0.4 (estimates −0.39 to −0.48), loss bound and rate passing, falsifier
  // caught. Not noise that more seeds would cure: at 20 seeds three of them read −0.44, −0.37,
  // −0.40, and on two of them adding m = 16384 gave −0.39 both times (D halves from 4096 to
  // 16384, no floor). On those data sets the local exponent at m ≥ 1024 is ≈ −0.4, shallower
  // than the O(m^{-1/2}) of the theorem's bound; the full tier (m from 64) passes both
  // (−0.57, −0.56) because D falls steeply below m = 256. The threshold is the catalogue's; a
  // quick run reading `inconclusive` here is the honest answer at these widths.
  quick: { ...GD_COMMON, ...criteria, widths: QUICK_GD_WIDTHS, seeds: 10 },
  full: { ...GD_COMMON, ...criteria, widths: FULL_WIDTHS, seeds: 10 },
};

export default defineClaim<LinearConvergenceConfig>({
  id: 'ntk-linear-convergence',
  title: 'GD on a wide network converges linearly along the linearised (kernel) trajectory',
  family: 'ntk',
  source: WH24,
  statement:
    'With η < 2n/λ_max, gradient descent on (1/2n)‖f − y‖² satisfies loss_t ≤ (1 − ηλ_min/n)^{2t} loss₀ for wide networks, ' +
    'the residual tracks (I − ηΘ₀/n)^t r₀ with a gap vanishing in m, and the component along the bottom eigenvector decays ' +
    'at exactly 2 log(1 − ηλ_min/n) per step.',
  assumptions: [
    { id: 'stable-step', statement: 'Fixed step η < 2n/λ_max(Θ).' },
    { id: 'ntk-parameterisation', statement: 'NTK parameterisation, antisymmetric initialisation (f₀ = 0).' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'step-above-stability-limit',
      description: 'η = 2.5·n/λ_max(Θ), above 2n/λ_max: the top eigen-direction is amplified every step.',
      expected: 'loss grows (or training diverges): the loss bound fails',
      mutate: (c) => ({ ...c, etaFactor: 2.5 }),
    },
  ],
  check: (configs, ctx) => checkLinearConvergence(configs, ctx),
  schema: linearConvergenceConfigSchema,
  seedCount: (c) => c.seeds,
});
