/**
 * entropy-sbn [LW22, sigmoid belief nets; W25].
 * Paper's statement: for a sigmoid belief net with binary latents z ∈ {0,1}^H
 * (enumerated exactly, H ≤ 10) and Bernoulli observables, at parameters
 * stationary for q (π = q̄, W and b maximising F at fixed q):
 *   F = (1/N) Σ_n H[q_n] − Σ_h H_B(π_h) − (1/N) Σ_n Σ_z q_n(z) Σ_d H_B(sig(W_dᵀz + b_d)).
 * The parameterisation criterion holds because the natural parameter
 * η_d(z) = W_dᵀz + b_d is linear in (W_d, b_d): R_x = Σ_d (W_d·∂F/∂W_d + b_d ∂F/∂b_d),
 * R_z = Σ_h (q̄_h − π_h) logit π_h — the rescaling direction is θ itself.
 * Our sharpening:
 *  - float64 arm: M-step by Newton to gradient ~1e-13; |F − S| ≤ 1e-6
 *    nats/point (measured ≈ 1e-14) along EM and for random q; unexplained →
 *    `error`, explained → `fail`; EM monotone (else `error`).
 *  - engine arm: the M-step by the engine's gradient ascent (SbnMStepModel,
 *    kernel trainer, SGD γ_k = 2 k^-0.1, 2000 steps) for the last EM
 *    posterior and a random q, judged by src/claims/entropy/shared/engine-arm.ts
 *    (see entropy-gmm). Measured (seed 1): bounds ≈ 3e-6 nats/point.
 * Falsifier: W × 0.8 with b, π re-fitted → gap Σ W'·∂F/∂W (≈ +0.17 in
 * CLAIMS), applied to both arms' end points.
 * Your data (`verify --data FILE`): binary rows (0/1), any number of columns,
 * each column taking both values (an all-0 or all-1 column's logistic
 * regression has no finite maximiser), in place of the synthetic data; H
 * latent bits as the tier says (2^H states enumerated, H ≤ 12).
 */
import { defineClaim, type TakesData, type Tier } from '../../contract/claim.ts';
import { firstConstantColumn, firstNonBinary } from '../../data/data-values.ts';
import { LW22 } from '../sources.ts';
import { checkSbnEntropy, sbnEntropyConfigSchema, type SbnEntropyConfig } from './entropy-sbn.check.ts';
import { fileDataOf } from './shared/user-data.ts';
import { MAX_H } from '../../models/sbn/sbn.ts';

const engine: SbnEntropyConfig['engine'] = {
  steps: 2000,
  schedule: { C: 2, alpha: 0.1 },
  stepChecks: [1, 2],
  tolerances: { step: 1e-3, gradient: 1e-6, objective: 1e-9, stallFactor: 4 },
};

const tiers: Record<Tier, SbnEntropyConfig> = {
  quick: { data: { N: 500, D: 16, weightScale: 1.5 }, H: 5, emIterations: 6, randomQ: 2, tolerance: 1e-6, weightScale: 1, engine },
  full: { data: { N: 2000, D: 30, weightScale: 1.5 }, H: 10, emIterations: 10, randomQ: 2, tolerance: 1e-6, weightScale: 1, engine },
};

/** Any binary rows whose columns take both values: the SBN (H latent bits, as the tier says) is fitted to them; D is the file's. */
const takesData: TakesData<SbnEntropyConfig> = {
  describe: `binary rows (0/1), any number of columns, each column taking both values; H latent bits (5 quick, 10 full; --set H=…, 1 ≤ H ≤ ${MAX_H})`,
  dimension: () => null,
  withRows: (c, rows, columns) => ({ ...c, data: fileDataOf(rows, columns) }),
  checkValues: (data) =>
    firstNonBinary(data) ??
    firstConstantColumn(data, "the M-step's logistic regression for it has no finite maximiser (its bias goes to ±∞); drop the column"),
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
  takesData,
  schema: sbnEntropyConfigSchema,
  // No seeds setting: deterministic given the master seed (the engine arm's two replicas are two q's, not repetitions).
  seedCount: () => null,
});
