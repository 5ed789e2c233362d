/**
 * entropy-bernoulli-mixture [LW22, mixture models; W25].
 * Paper's statement: for a mixture of factorised Bernoulli distributions
 * (constant base measure), after the M-step for ANY responsibilities q,
 *   F = (1/N) Σ_n H[q_n] − H[π] − Σ_c q̄_c Σ_d H_B(p_cd).
 * Data: binarised real digits (mnist package, pixel > 0.5, average-pooled).
 * Our sharpening: F − S = Σ_c (q̄_c − π_c) log π_c + Σ_c q̄_c Σ_d (x̄_cd − p_cd) logit p_cd
 * at any point, so
 *  - float64 EM arm: after every M-step (exact q along the run, hard and
 *    random q at the end) relative gap ≤ 1e-11 (measured ≈ 1e-16); an
 *    unexplained gap is `error`, an explained one `fail`; EM monotone and
 *    log-lik = F at EM convergence (else `error`); the Bernoulli family's
 *    formulas against direct sums over its pmf (else `error`).
 *  - engine arm: the M-step by the engine's gradient ascent (natural
 *    parameters, kernel trainer, SGD γ_k = 10 k^-0.1, 1500 steps) for
 *    ½ EM posterior + ½ uniform and for a random q, on the 15 pixels whose
 *    mean lies in [0.1, 0.9] (a pixel that is always 0 has its M-step at
 *    η = −∞, which gradient ascent reaches only like log t), judged as in
 *    entropy-gmm (step and end-point conformance → `error`; certified
 *    stationarity → else `inconclusive`; |F − S| ≤ Σ|d_i ∂_iF| → else
 *    `fail`). Measured (seed 1): bounds ≈ 2.6e-6 nats/point, gaps ≈ 9e-7.
 * Falsifier (CLAIMS.md lists none; designed here): p' = 0.8 p + 0.1 after the
 * M-step, predicted gap Σ_c q̄_c Σ_d (p − p') logit(p') > 0, on both arms.
 * Your data (`verify --data FILE`): binary rows (0/1), any number of columns,
 * in place of the digits; the engine arm needs a column whose mean m has
 * min(m, 1 − m) ≥ engine.minColumnMean.
 */
import { defineClaim, type TakesData, type Tier } from '../../contract/claim.ts';
import { columnMeans, firstNonBinary } from '../../data/data-values.ts';
import { LW22 } from '../sources.ts';
import { bernoulliMixtureEntropyConfigSchema, checkBernoulliMixtureEntropy, type BernoulliMixtureEntropyConfig } from './entropy-bernoulli-mixture.check.ts';
import { fileDataOf } from './shared/user-data.ts';

const common: Omit<BernoulliMixtureEntropyConfig, 'data' | 'K'> = {
  maxEmIterations: 300,
  emTolerance: 1e-12,
  responsibilities: ['exact', 'hard', 'random'],
  tolerance: 1e-11,
  convergenceTolerance: 1e-9,
  perturbation: { kind: 'none' },
  engine: {
    steps: 1500,
    schedule: { C: 10, alpha: 0.1 },
    stepChecks: [1, 2],
    minColumnMean: 0.1,
    tolerances: { step: 1e-3, gradient: 1e-6, objective: 1e-9, stallFactor: 4 },
  },
};

const tiers: Record<Tier, BernoulliMixtureEntropyConfig> = {
  quick: { ...common, K: 10, data: { perDigit: 100, pool: 4 } },
  full: { ...common, K: 20, data: { perDigit: 500, pool: 2 } },
};

/** Any binary rows: the mixture (K components, as the tier says) is fitted to them; D is the file's. */
const takesData: TakesData<BernoulliMixtureEntropyConfig> = {
  describe: 'binary rows (0/1), any number of columns; a column with mean in [0.1, 0.9] (engine.minColumnMean); N ≥ K rows (K = 10 quick, 20 full)',
  dimension: () => null,
  withRows: (c, rows, columns) => ({ ...c, data: fileDataOf(rows, columns) }),
  checkValues: (data, c) => {
    const bad = firstNonBinary(data);
    if (bad) return bad;
    const min = c.engine.minColumnMean;
    if (Array.from(columnMeans(data)).some((m) => Math.min(m, 1 - m) >= min)) return null;
    return {
      problem:
        `no column has a mean m with min(m, 1 − m) ≥ engine.minColumnMean = ${min}: the engine arm trains on those columns only ` +
        `(a column that is almost always 0 has its M-step at η = −∞); lower it (--set engine.minColumnMean=…) or add columns that vary more`,
    };
  },
};

export default defineClaim<BernoulliMixtureEntropyConfig>({
  id: 'entropy-bernoulli-mixture',
  title: 'Bernoulli mixtures: ELBO = entropy sum after every M-step, for any q',
  family: 'entropy',
  source: LW22,
  statement: 'For a Bernoulli mixture, after the M-step for any q, F = (1/N)Σ_n H[q_n] − H[π] − Σ_c q̄_c Σ_d H_B(p_cd).',
  assumptions: [
    { id: 'stationary-parameters', statement: 'π and p stationary for the given q (closed-form M-step).' },
    { id: 'constant-base-measure', statement: 'Bernoulli observables: constant base measure.' },
    { id: 'em-monotone', statement: 'EM does not decrease the log-likelihood.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'p-shrunk',
      description: "Bernoulli means shrunk toward ½ after the M-step: p' = 0.8 p + 0.1.",
      expected: "gap Σ_c q̄_c Σ_d (p − p') logit(p') > 0 (several nats)",
      mutate: (c) => ({ ...c, perturbation: { kind: 'shrink', factor: 0.8, target: 0.5 } }),
    },
  ],
  check: (configs, ctx) => checkBernoulliMixtureEntropy('entropy-bernoulli-mixture', configs, ctx),
  takesData,
  schema: bernoulliMixtureEntropyConfigSchema,
  // No seeds setting: deterministic given the master seed (the engine arm's two replicas are two q's, not repetitions).
  seedCount: () => null,
});
