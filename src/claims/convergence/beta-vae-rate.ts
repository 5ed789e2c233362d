/**
 * beta-vae-rate [SGL25, SGD theorem]: weighting the KL term by β keeps the
 * objective smooth with bounded gradient variance, so SGD with
 * γ_k = C k^{-1/2} reaches G_n = O(log n / √n) for every β.
 *
 * Test bed: the linear Gaussian VAE with β ∈ {0.25, 1, 4}; G_n from the exact
 * gradient of the β-weighted expected objective (float64 oracle) at every
 * iterate, mini-batches of B = 8. Pass: the rate criterion of sgd-rate-linear-vae (slope ≤ −0.35 and
 * normalised slope ≤ +0.05, 95% upper bounds) for EACH β, over the last two
 * decades: [10³, 10⁵] at the full tier as CLAIMS.md asks (a short window
 * misled for β = 4 in calibration: −0.28 short, −0.50 over [10³, 10⁵]); the
 * quick tier uses [50, 5·10³] and records the shorter window as an unmet
 * assumption. Falsifier: a constant step for every β (G_n plateaus; with
 * β = 4, C = 0.05 is close to 2/L for the encoder weights, and some seeds
 * diverge instead: G_n → ∞, which fails the check too — src/claims/shared/divergence.ts).
 */
import { defineClaim, type Falsifier, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import { betaRateConfigSchema, checkBetaRate, type BetaRateConfig } from './beta-vae-rate.check.ts';
import { linearVaeRateAssumptions, linearVaeRateTiers, wrappedLinearVaeTakesData } from './shared/linear-vae-rate-tiers.ts';

const base = linearVaeRateTiers({ kind: 'sgd' });
const betas = [0.25, 1, 4];

// B = 8 (not the rate claims' 32): with B = 32 the constant-step noise ball is
// so small that over [50, 5000] G_n was still falling for β = 0.25 and 4
// (slopes −0.49 and −0.62), so the falsifier was caught through β = 1 alone.
// With B = 8 every β's constant-step run plateaus inside the quick window.
// C = 0.05 (the rate claims moved to 0.1 for their sharpened measurements; β = 4 with B = 8 is stiffer).
// The sharpened end-of-run measurements (last-decade slope, Polyak–Ruppert floor test) are reported,
// not judged, here: at B = 8 over 5·10³ iterations the run is still in its transient for them. The
// engine itself (schedule, optimiser, unbiased gradients) is checked by the conformance probes, and
// the sharpened rate is judged by sgd-rate-linear-vae and adam-rate-linear-vae.
const run = { batchSize: 8, schedule: { C: 0.05, alpha: 0.5 }, maxLastDecadeSlope: undefined, maxAveragedSlope: undefined, maxAveragingRatio: undefined };
const tiers: Record<Tier, BetaRateConfig> = {
  quick: { run: { ...base.quick, ...run, seeds: 8, steps: 5000 }, betas },
  full: { run: { ...base.full, ...run, seeds: 8, steps: 100000 }, betas },
};

const constantStep: Falsifier<BetaRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = C (α = 0) for every β: SGD settles in a noise ball whose size does not shrink (or, beyond the stability limit, diverges).',
  expected: 'for every β, G_n plateaus (slope ≳ 0) or training diverges (G_n → ∞), so the rate criterion fails',
  mutate: (c) => ({ ...c, run: { ...c.run, schedule: { ...c.run.schedule, alpha: 0 } } }),
};

export default defineClaim<BetaRateConfig>({
  id: 'beta-vae-rate',
  title: 'SGD on the β-VAE objective reaches E‖∇L_β‖² = O(log n/√n) for β ∈ {0.25, 1, 4}',
  family: 'convergence',
  source: SGL25,
  statement:
    'SGD ascent on the β-weighted reparameterised ELBO (KL term × β) with γ_k = C·k^{-1/2} gives ' +
    'G_n = O(log n / √n) for every fixed β > 0.',
  formula: 'G_n = O(\\log n/\\sqrt{n}) \\ \\forall \\beta \\in \\{0.25, 1, 4\\}',
  assumptions: [
    ...linearVaeRateAssumptions,
    { id: 'long-window', statement: 'The fit window is the last two decades of at least 10⁵ iterations ([10³, 10⁵]).' },
  ],
  tiers,
  falsifiers: [constantStep],
  check: (configs, ctx) => checkBetaRate('beta-vae-rate', configs, ctx),
  takesData: wrappedLinearVaeTakesData(),
  schema: betaRateConfigSchema,
  seedCount: (c) => c.run.seeds,
});
