/**
 * iwae-rate-adam [SGL25, IWAE theorem, as the authors plot it]: bias-corrected
 * Adam (β1 = 0.9 < √β2 = √0.999 < 1) on the importance-weighted bound L_K with
 * γ_k = C k^{-1/2} reaches G_n = O(log n/√n). Which optimiser the IWAE bound
 * O(L*_K/√n + d* log n/(BK√n)) is proved for could not be read (the poster's
 * goal box says SGD; the authors' IWAE figures train with Adam): the claim
 * checks the rate under Adam, the optimiser of their experiments, with the
 * Adam theorem's premises (β1 < √β2 < 1, bias correction); B and K are not
 * judged (the Adam bound has neither), so one arm (B = 8, K = 4).
 *
 * Everything else is iwae-rate's (iwae-rate.check.ts and iwae-rate.ts's
 * header: the fixed-variance encoder that tells L_K from the ELBO, the
 * unbiased float64 measurement of ‖∇L_K‖², engine conformance — here the
 * kernel trainer's Adam against float64 Adam over the full run — and the same
 * three criteria: slope of log G_n ≤ −0.35, log(G_n √n/log n) not rising,
 * and the seed-averaged E‖∇L_K(θ_k)‖² over the last decade decaying with
 * slope ≤ −0.375 on its upper bound).
 *
 * Falsifiers: constant step (α = 0: Adam's noise ball does not shrink) and
 * objective-is-elbo (the engine trains the ELBO: E‖∇L_K(θ_k)‖² floors at
 * ‖∇L_K(θ*_ELBO)‖²).
 *
 * Calibration (quick tier, M = 50 master seeds): with growth (below) pass 50/50,
 * constant step caught 50/50, objective-is-elbo 50/50, 5.6 s a run (2026-12-01);
 * before it 49/50 (the one miss inconclusive, no fail), 6.9 s a run. Full tier: one run at master seed 1, pass (slope −0.856
 * [−0.867, −0.845], normalised −0.489 [−0.500, −0.478], last decade −0.941
 * [−1.054, −0.825]), both falsifiers caught, 22 s; not calibrated.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import { doubleSeeds } from '../shared/grow.ts';
import { checkIwaeRate, iwaeRateConfigSchema, type IwaeRateConfig } from './iwae-rate.check.ts';
import { constantStep, iwaeRateTakesData, objectiveIsElbo } from './iwae-rate.ts';

/** Kingma & Ba's constants, stated by the claim (not read from the engine's defaults). */
const ADAM = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

// C = 0.03 (Adam moves every coordinate by ≈ γ_k): over the quick tier's last decade the run is
// still in its transient (iterates' slope −1.4 [−1.6, −1.2]), where an engine optimising the ELBO
// stands out (its last-decade slope's lower bound −0.20 > −0.375). Scan at master seed 1, quick
// tier: C = 0.01 was inconclusive (G_n's slope −0.358 [−0.394, −0.318] against −0.35: the burn-in
// still dominates G_n); C = 0.1 was inconclusive too (the iterates reach the noise ball, where
// the last-decade slope is −1/2 asymptotically: −0.353 [−0.709, −0.034] against −0.375).
const common = {
  optimizer: ADAM,
  schedule: { C: 0.03, alpha: 0.5 },
  arms: [{ batchSize: 8, samples: 4 }],
  encoderLogVariance: 0.5,
  objective: 'iwae' as const,
  sigmaX: 1,
  decades: 2,
  lastDecadeCheckpoints: 8,
  maxSlope: -0.35,
  maxNormalisedSlope: 0.05,
  maxLastDecadeSlope: -0.375,
  tolerance: 0.1,
  conformance: { draws: 50, batchSize: 100, anchorDraws: 40, falseAlarm: 1e-4 },
  separationPairs: 32,
};

const tiers: Record<Tier, IwaeRateConfig> = {
  quick: { ...common, data: { n: 300, dx: 10, dz: 3, noiseStd: 0.5, singularValues: [2.5, 2, 1.5] }, seeds: 8, steps: 5000, checkpointsPerDecade: 5, estimatorPairs: 3 },
  full: { ...common, data: { n: 500, dx: 10, dz: 3, noiseStd: 0.5, singularValues: [2.5, 2, 1.5] }, seeds: 12, steps: 20000, checkpointsPerDecade: 8, estimatorPairs: 4 },
};

/**
 * Grown once when the first run had no power (runClaim): twice the seeds, the first run's among
 * them. Why: the one miss of the quick calibration (master seed 2626513412) was the last-decade
 * slope −0.743 [−1.18, −0.327] straddling −0.375 at 8 seeds, every other criterion passing and
 * both falsifiers caught: an interval too wide, which 16 seeds narrow by ≈ √2.
 */
const growSeeds = doubleSeeds<IwaeRateConfig>;

export default defineClaim<IwaeRateConfig>({
  id: 'iwae-rate-adam',
  title: 'Adam on the IWAE bound reaches E‖∇L_K‖² = O(log n/√n)',
  family: 'convergence',
  source: SGL25,
  statement:
    'Bias-corrected Adam (β1 < √β2 < 1) ascending the importance-weighted bound L_K with γ_k = C·k^{-1/2} gives G_n = O(log n/√n) ' +
    '(the IWAE rate under the optimiser of the authors\' IWAE experiments; the Adam bound has no B or K).',
  formula: 'G_n = O\\left(\\frac{\\log n}{\\sqrt{n}}\\right)',
  assumptions: [
    { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1 (the engine\'s Adam and step size measured against float64 Adam over the full run).' },
    { id: 'adam-momentum', statement: 'β1 < √β2 < 1, bias-corrected Adam.' },
    {
      id: 'exact-measurement',
      statement: 'G_n uses the gradient of the expected bound over the full data set: an unbiased float64 estimate from antithetic noise pairs, variance floor subtracted (no closed form for K > 1).',
    },
    {
      id: 'iwae-differs-from-elbo',
      statement: "The test bed tells L_K from the ELBO: q cannot be the posterior at the ELBO's optimum, where ‖∇L_K‖² is far above the claim's final E‖∇L_K(θ_n)‖².",
    },
    { id: 'engine-computes-iwae', statement: "The engine's stochastic gradient is the IWAE gradient: identical-draws agreement with the float64 reference, unbiased for ∇L_K." },
  ],
  tiers,
  falsifiers: [constantStep, objectiveIsElbo],
  grow: growSeeds,
  check: (configs, ctx) => checkIwaeRate('iwae-rate-adam', configs, ctx),
  takesData: iwaeRateTakesData,
  schema: iwaeRateConfigSchema,
  seedCount: (c) => c.seeds,
});
