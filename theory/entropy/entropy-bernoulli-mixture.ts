/**
 * entropy-bernoulli-mixture [LW22, mixture models; W25]: for a mixture of
 * factorised Bernoulli distributions (constant base measure), after the
 * M-step for ANY responsibilities q,
 *   F = (1/N) Σ_n H[q_n] − H[π] − Σ_c q̄_c Σ_d H_B(p_cd).
 * Data: binarised real digits (mnist package, pixel > 0.5, average-pooled).
 * Check: float64 EM; after every M-step (exact q along the run, hard and
 * random q at the end) relative gap ≤ 1e-11 (measured ≈ 1e-16), and the gap
 * explained by the exact decomposition.
 * Falsifier (CLAIMS.md lists none; designed here): p' = 0.8 p + 0.1 after the
 * M-step, predicted gap Σ_c q̄_c Σ_d (p − p') logit(p') > 0.
 */
import { defineClaim, type Tier } from '../claim.ts';
import { LW22 } from '../sources.ts';
import { checkBernoulliMixtureEntropy, type BernoulliMixtureEntropyConfig } from '../../src/checks/entropy-bernoulli-mixture.ts';

const common: Omit<BernoulliMixtureEntropyConfig, 'data' | 'K'> = {
  maxEmIterations: 300,
  emTolerance: 1e-12,
  responsibilities: ['exact', 'hard', 'random'],
  tolerance: 1e-11,
  perturbation: { kind: 'none' },
};

const tiers: Record<Tier, BernoulliMixtureEntropyConfig> = {
  quick: { ...common, K: 10, data: { perDigit: 100, pool: 4 } },
  full: { ...common, K: 20, data: { perDigit: 500, pool: 2 } },
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
});
