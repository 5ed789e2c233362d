/**
 * entropy-ppca [LW22, probabilistic PCA example; W25].
 * Paper's statement: with exact posteriors the ELBO of PPCA is the
 * log-likelihood and the entropy sum is
 *   S = −(D/2) log(2πe) − ½ log det C,  C = W Wᵀ + σ² I,
 * and F − S = ½ (D − tr C⁻¹ S_data) exactly at any point, zero at every
 * stationary point (Tipping–Bishop ML solution and its saddles).
 * Our sharpening:
 *  - float64 arm at the ML solution (eigen-decomposition of the 1/N sample
 *    covariance) and at every correctly built saddle from the top H+1
 *    eigen-directions: relative gap ≤ 1e-10 (measured ≈ 1e-15); a gap the
 *    decomposition (and the eigenvalue closed form) does not explain is
 *    `error`, an explained one `fail`.
 *  - engine arm: TensorFlow.js autodiff of the exact log-likelihood (float32,
 *    full-batch SGD, γ_k = 0.3 k^-0.25, 600 steps, 3 seeds as one replica
 *    batch), judged by src/claims/entropy/shared/engine-arm.ts: the first two
 *    updates are γ_k ∇ℓ of the float64 log-likelihood, the end-point
 *    gradient and objective the float64 ones (else `error`: e.g. a wrong
 *    float32 log-determinant); the end point certified stationary to float32
 *    resolution (4× the floor, which includes the engine's own float32
 *    gradient error; else `inconclusive`); then |F − S| ≤ Σ|d_i ∂_iF| with
 *    d = (−½W, 0, −1) (C → C/t), else `fail`. Measured: bounds ≈ 6e-6
 *    nats/point, gaps ≈ 6e-6 (the float32 floor).
 * Data: 4 signal directions (variances 8, 4, 2, 1) + noise 0.5² in D = 10,
 * model H = 3, so saddles that drop a top direction for the 4th exist.
 * Falsifiers: σ² × 1.1 (float64 points and engine end points); a mis-built
 * saddle that keeps a direction with λ < σ².
 * Your data (`verify --data FILE`): any points in R^D with D ≥ H + 1 and a
 * covariance of rank > H, in place of the synthetic data.
 */
import { defineClaim, type TakesData, type Tier } from '../../contract/claim.ts';
import { LW22 } from '../sources.ts';
import { checkPpcaEntropy, ppcaEntropyConfigSchema, type PpcaEntropyConfig } from './entropy-ppca.check.ts';
import { fileDataOf, rankAboveLatent } from './shared/user-data.ts';

const common: PpcaEntropyConfig = {
  data: { N: 2000, D: 10, signal: [8, 4, 2, 1], noiseStd: 0.5 },
  H: 3,
  relativeTolerance: 1e-10,
  training: {
    seeds: 3,
    steps: 600,
    schedule: { C: 0.3, alpha: 0.25 },
    stepChecks: [1, 2],
    tolerances: { step: 1e-3, gradient: 1e-4, objective: 1e-5, stallFactor: 4 },
  },
  varianceScale: 1,
  saddles: 'correct',
};

const tiers: Record<Tier, PpcaEntropyConfig> = {
  quick: common,
  full: {
    ...common,
    data: { N: 10000, D: 20, signal: [10, 6, 4, 2, 1], noiseStd: 0.5 },
    H: 4,
    training: { ...common.training, seeds: 5, steps: 1500 },
  },
};

/** Any points in R^D with D > H: PPCA with the tier's H is fitted to them; D is the file's. */
const takesData: TakesData<PpcaEntropyConfig> = {
  describe: 'points in R^D, one per row (real values), D ≥ H + 1 columns (H = 3 quick, 4 full; --set H=…), covariance of rank > H; N ≥ 2 rows',
  dimension: () => null,
  withRows: (c, rows, columns) => ({ ...c, data: fileDataOf(rows, columns) }),
  checkValues: (data, c) => rankAboveLatent(data, c.H),
};

export default defineClaim<PpcaEntropyConfig>({
  id: 'entropy-ppca',
  title: 'PPCA: ELBO = entropy sum at the ML solution, at saddles and after engine training',
  family: 'entropy',
  source: LW22,
  statement:
    'For probabilistic PCA with exact posteriors, S = −(D/2) log(2πe) − ½ log det C and F − S = ½(D − tr C⁻¹S) at any point; ' +
    'the gap vanishes at the Tipping–Bishop ML solution and at every stationary saddle.',
  assumptions: [
    { id: 'stationary-parameters', statement: 'W and σ² at a stationary point of the log-likelihood (ML solution or a correctly built saddle).' },
    { id: 'exact-posteriors', statement: 'q_n is the exact posterior of the current parameters.' },
    { id: 'engine-training', statement: 'Engine training: float32, full batch, decaying step γ_k = C k^{-α}.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'variance-scaled',
      description: 'σ² multiplied by 1.1 at every evaluated point (W kept).',
      expected: 'gap ½(D − tr C⁻¹S) ≈ (D − H)/2 · (1 − 1/1.1) + …, far above tolerance',
      mutate: (c) => ({ ...c, varianceScale: 1.1 }),
    },
    {
      id: 'misbuilt-saddle',
      description: 'Saddles built with a kept direction whose eigenvalue is below σ² (its column clipped to 0).',
      expected: 'gap ½(1 − λ/σ²) > 0 at those points',
      mutate: (c) => ({ ...c, saddles: 'misbuilt' }),
    },
  ],
  check: (configs, ctx) => checkPpcaEntropy('entropy-ppca', configs, ctx),
  takesData,
  schema: ppcaEntropyConfigSchema,
  seedCount: (c) => c.training.seeds,
});
