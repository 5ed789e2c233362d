/**
 * entropy-sbn [LW22, sigmoid belief nets; W25]: for a sigmoid belief net with
 * binary latents z ∈ {0,1}^H (enumerated exactly, H ≤ 10) and Bernoulli
 * observables, at parameters stationary for q (π = q̄, W and b maximising F
 * at fixed q):
 *   F = (1/N) Σ_n H[q_n] − Σ_h H_B(π_h) − (1/N) Σ_n Σ_z q_n(z) Σ_d H_B(sig(W_dᵀz + b_d)).
 * The parameterisation criterion holds because the natural parameter
 * η_d(z) = W_dᵀz + b_d is linear in (W_d, b_d): R_x = Σ_d (W_d·∂F/∂W_d + b_d ∂F/∂b_d).
 * Check: float64, M-step by Newton to gradient ~1e-13; |F − S| ≤ 1e-6
 * nats/point (measured ≈ 1e-14) along EM and for random q.
 * Falsifier: W × 0.8 with b, π re-fitted → gap Σ W'·∂F/∂W (≈ +0.17 in CLAIMS).
 */
import { defineClaim, type Tier } from '../claim.ts';
import { LW22 } from '../sources.ts';
import { checkSbnEntropy, type SbnEntropyConfig } from '../../src/checks/entropy-sbn.ts';

const tiers: Record<Tier, SbnEntropyConfig> = {
  quick: { data: { N: 500, D: 16, weightScale: 1.5 }, H: 5, emIterations: 6, randomQ: 2, tolerance: 1e-6, weightScale: 1 },
  full: { data: { N: 2000, D: 30, weightScale: 1.5 }, H: 10, emIterations: 10, randomQ: 2, tolerance: 1e-6, weightScale: 1 },
};

export default defineClaim<SbnEntropyConfig>({
  id: 'entropy-sbn',
  title: 'Sigmoid belief nets: ELBO = entropy sum after the M-step',
  family: 'entropy',
  source: LW22,
  statement:
    'For a sigmoid belief net with binary latents and Bernoulli observables, when W, b, π are stationary for q, ' +
    'F = (1/N)Σ_n H[q_n] − Σ_h H_B(π_h) − (1/N)Σ_n Σ_z q_n(z) Σ_d H_B(sig(W_dᵀz + b_d)).',
  assumptions: [
    { id: 'stationary-parameters', statement: 'W, b, π stationary for the given q (M-step).' },
    { id: 'constant-base-measure', statement: 'Bernoulli latents and observables: constant base measures.' },
    { id: 'em-monotone', statement: 'EM with exact posteriors does not decrease the log-likelihood.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'weights-scaled',
      description: 'After the M-step W × 0.8, with b and π re-fitted at fixed q.',
      expected: 'gap = Σ_{d,h} W\'_dh ∂F/∂W_dh > 0 (≈ +0.17 in calibration)',
      mutate: (c) => ({ ...c, weightScale: 0.8 }),
    },
  ],
  check: (configs, ctx) => checkSbnEntropy('entropy-sbn', configs, ctx),
});
