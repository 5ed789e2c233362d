/**
 * entropy-linear-vae [D23, linear VAE; LW22].
 * Paper's statement: the linear Gaussian VAE
 *   p(z) = N(0, I), p(x|z) = N(Wz + b, σ² I) with σ² LEARNED, q(z|x) = N(Vx + c, diag τ²),
 * has its optimum at the PPCA maximum-likelihood solution (σ² = σ²_ML,
 * τ_h² = σ²_ML/λ_h, F = log-lik; Lucas et al. 2019), and there the ELBO
 * equals the entropy sum S = Σ_h ½ log τ_h² − (D/2) log(2πe σ²).
 * Our sharpening: engine training (float32, full batch, Adam then
 * decaying-step gradient ascent, 3 seeds and the falsifier in one replica
 * batch, kernel trainer), float64 evaluation:
 *  - |F − S| ≤ 1e-4 nats/point at the end, the gap explained by
 *    (D/2)(1 − s̄/σ²) − ½ Σ_h (m_h − 1) (else `error`), and the end point
 *    agrees with PPCA ML (log-lik within 1e-4 nats, σ² within 1e-4, τ_h²
 *    within 2e-3 relative; else `fail`);
 *  - the SGD phase is an engine arm (src/claims/entropy/shared/engine-arm.ts): SGD
 *    steps from a fresh start must be γ_k ∇F of the float64 closed-form ELBO
 *    (the convergence family's oracle, independent of the kernel), the end
 *    point's kernel gradient and objective the float64 ones (else `error`:
 *    e.g. a wrong σ² gradient in the kernel), the end point certified
 *    stationary to float32 resolution (else `inconclusive`), and
 *    |F − S| ≤ Σ|d_i ∂_iF| with d = (W: −½W, V: ½V, c: ½c, s: 1, log σ²: −1)
 *    — σ² → σ²/t for the decoder, z → e^ρ z for the parameter-free prior.
 *    Measured (seed 1): bounds ≈ 1e-5 nats/point, gaps ≈ 5e-6.
 * Data: principal variances 3, 1.5, 0.7 (+ noise 0.25), well separated: the
 * slowest mode of training is the rotation that makes W's columns orthogonal
 * (driven by the diagonal encoder), and its speed scales with the eigen-gaps;
 * plain gradient ascent is limited by the V-block curvature ≈ λ₁²/σ² ≈ 42,
 * hence C = 0.04 < 2/42.
 * Falsifier: σ² fixed at 1 (learned σ² is what makes F = S): the gap is
 * (D/2)(1 − s̄/σ²) ≈ D/2 · (1 − 0.25 …) — several nats.
 * Your data (`verify --data FILE`): any points in R^D with D ≥ H + 1 and a
 * covariance of rank > H, in place of the synthetic data (centred, as it is).
 * The step sizes are the tier's: plain gradient ascent needs C λ₁²/σ² < 2
 * (λ₁ the largest principal variance), so rows of a larger scale, or with
 * less noise, must be scaled down (the input check says by how much).
 */
import { defineClaim, type Falsifier, type TakesData, type Tier } from '../../contract/claim.ts';
import { D23 } from '../sources.ts';
import { checkLinearVaeEntropy, linearVaeEntropyConfigSchema, type LinearVaeEntropyConfig } from './entropy-linear-vae.check.ts';
import { fileDataOf, rankAboveLatent, stableLinearVaeStep } from './shared/user-data.ts';

/** Kingma & Ba's constants for the warm-up phase: stated by the claim, not read from the engine's defaults. */
const ADAM = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

const common: LinearVaeEntropyConfig = {
  data: { N: 2000, D: 10, signal: [3, 1.5, 0.7], noiseStd: 0.5 },
  H: 3,
  seeds: 3,
  // 4000 + 6000 steps, not 2500 + 1500: calibration over 50 master seeds found 3 of 20 data sets
  // still short of the ML solution (log-lik shortfall up to 2e-3, τ² off by 2%) after 4000 steps;
  // 50/50 reach it after 10000. The kernel trainer makes this ~2 s.
  phases: [
    { optimizer: ADAM, schedule: { C: 0.1, alpha: 0.6 }, steps: 4000 },
    { optimizer: { kind: 'sgd' }, schedule: { C: 0.04, alpha: 0.1 }, steps: 6000 },
  ],
  fixedVariance: null,
  tolerance: 1e-4,
  ml: { logLik: 1e-4, variance: 1e-4, encoderVariance: 2e-3 },
  checkpointsPerDecade: 8,
  arm: { stepChecks: [1, 2], tolerances: { step: 1e-3, gradient: 1e-6, objective: 1e-9, stallFactor: 4 } },
};

const tiers: Record<Tier, LinearVaeEntropyConfig> = {
  quick: common,
  full: {
    ...common,
    data: { N: 10000, D: 20, signal: [3, 1.5, 0.7, 0.35], noiseStd: 0.5 },
    H: 4,
    seeds: 5,
    phases: [
      { optimizer: ADAM, schedule: { C: 0.1, alpha: 0.6 }, steps: 8000 },
      { optimizer: { kind: 'sgd' }, schedule: { C: 0.04, alpha: 0.1 }, steps: 12000 },
    ],
  },
};

const falsifiers: Falsifier<LinearVaeEntropyConfig>[] = [
  {
    id: 'fixed-variance',
    description: 'σ² fixed at 1 instead of learned (trained in the same replica batch).',
    expected: 'gap (D/2)(1 − s̄/σ²) of several nats; σ² ≠ σ²_ML',
    mutate: (c) => ({ ...c, fixedVariance: 1 }),
  },
];

/** Any points in R^D with D > H on which the tier's plain gradient ascent is stable: the linear VAE with the tier's H is trained on them (centred); D is the file's. */
const takesData: TakesData<LinearVaeEntropyConfig> = {
  describe:
    'points in R^D, one per row (real values), D ≥ H + 1 columns (H = 3 quick, 4 full; --set H=…), covariance of rank > H, ' +
    'scaled so that plain gradient ascent with the tier\'s step C is stable (C·λ₁²/σ² < 2); N ≥ 2 rows',
  dimension: () => null,
  withRows: (c, rows, columns) => ({ ...c, data: fileDataOf(rows, columns) }),
  checkValues: (data, c) => {
    const last = c.phases.length - 1;
    const fixed = [c, ...falsifiers.map((f) => f.mutate(c))].flatMap((m) => (m.fixedVariance === null ? [] : [m.fixedVariance]));
    return rankAboveLatent(data, c.H) ?? stableLinearVaeStep(data, c.H, c.phases[last].schedule.C, `phases.${last}.schedule.C`, fixed);
  },
};

export default defineClaim<LinearVaeEntropyConfig>({
  id: 'entropy-linear-vae',
  title: 'Linear VAE with learned σ²: the optimum is PPCA ML and there ELBO = entropy sum',
  family: 'entropy',
  source: D23,
  statement:
    'The linear Gaussian VAE with learned σ² and diagonal encoder reaches the PPCA ML solution (τ_h² = σ²/λ_h), ' +
    'and there F = Σ_h ½ log τ_h² − (D/2) log(2πe σ²).',
  assumptions: [
    { id: 'learned-variance', statement: 'The decoder variance σ² is a learned parameter.' },
    { id: 'stationary-point', statement: 'Training reached the stationary point (checked against the PPCA ML log-likelihood).' },
  ],
  tiers,
  falsifiers,
  check: (configs, ctx) => checkLinearVaeEntropy('entropy-linear-vae', configs, ctx),
  takesData,
  schema: linearVaeEntropyConfigSchema,
  seedCount: (c) => c.seeds,
});
