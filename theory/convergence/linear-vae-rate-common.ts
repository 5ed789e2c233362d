/**
 * Tier sizes, assumptions and falsifiers shared by the linear-VAE rate claims
 * (SGD and Adam differ only in the optimiser and the window length).
 *
 * What is [SGL25]'s statement and what is ours:
 * - The paper bounds G_n = (1/(n+1)) Σ_{k≤n} E‖∇L(θ_k)‖² by O(log n/√n). Read
 *   faithfully that is the NORMALISED slope: log(G_n √n / log n) not rising
 *   (upper bound ≤ +0.05). The raw slope of log G_n is reported, not judged:
 *   where G_n tracks log n/√n exactly its local slope is −0.36 to −0.39, so
 *   CLAIMS.md's "≤ −0.35" is a coin flip for a correct engine on some windows.
 * - G_n is a running average: over a finite window it mostly shows the
 *   burn-in being averaged out, so an error floor or a k^{-1/4} schedule
 *   barely moves it (both passed the old check). Our sharpening, judged
 *   alongside, looks at the end of the run instead:
 *   (1) lastDecadeSlope: the seed-averaged E‖∇L(θ_k)‖² over the last decade.
 *       Near a local optimum SGD's iterates fill a noise ball whose covariance
 *       solves a Lyapunov equation proportional to γ_k, so E‖∇L(θ_k)‖² ∝ γ_k
 *       ∝ k^{-1/2} (Adam: the same, its second-moment estimate settles at the
 *       gradient noise). Slowest modes lag, so finite windows read shallower
 *       (measured −0.42 to −0.90 for SGD, −0.47 to −0.52 for Adam at the quick
 *       tier); γ_k ∝ k^{-1/4} gives ≥ −1/4 (measured −0.21 to −0.30) and a
 *       floor ≈ 0. Criterion: upper bound ≤ −0.3.
 *   (2) no floor: the exact gradient at the Polyak–Ruppert average θ̄_n of the
 *       last half of the iterates. For an unbiased engine ‖∇L(θ̄_n)‖² = O(1/n)
 *       (the average removes the noise ball), so its slope over the last
 *       decade is ≈ −1 (measured −1.3 to −2.0 for SGD) AND it is small against
 *       the iterates' own ‖∇L(θ_k)‖² on that half (ratio → 0 like n^{-1/2};
 *       measured ≤ 0.13 for SGD, ≤ 0.014 for Adam). A constant gradient error
 *       b moves the fixed point to where ∇L = −b: both stall (slope → 0,
 *       ratio → ‖b‖²/(‖b‖² + noise)). Passes when either shows the floor
 *       absent (slope ≤ −0.75 or ratio ≤ 0.05), fails when both show it.
 *       (Adam's averaged-iterate slope is erratic at these sizes — single seeds
 *       make excursions — while its ratio is stable; SGD the other way round.)
 * Falsifiers: constant step (the paper's own negative: a noise ball that does
 * not shrink), slow schedule (α = 1/4 at the same C: converges, but not at the
 * stated rate) and biased gradient (a constant bias δ in every coordinate of
 * the engine's stochastic ∂/∂b: an error floor d_x δ²).
 *
 * Sizes: d_x = 10, d_z = 3, N = 2000 as in CLAIMS.md's calibration. C = 0.1:
 * with C = 0.05 the medium-curvature modes (Hessian eigenvalues ≈ 0.15 at the
 * optimum, 2Cλ√n ≈ 1 at n = 5000) were still in their transient at the quick
 * tier's end, which hid floors; C = 0.1 diverged on 0 of 60 data sets (C = 0.15
 * on 1). The quick tier runs SGD for 2·10⁴ iterations (at 5·10³ a floor of
 * d_x δ² = 0.016 was not separable from the transient) and Adam for 10⁴.
 */
import type { Assumption, Falsifier, TakesData, Tier } from '../claim.ts';
import type { OptimizerConfig } from '../../src/engine/optimizer.ts';
import type { LinearVaeRateConfig } from '../../src/checks/linear-vae-rate.ts';

export function linearVaeRateTiers(optimizer: OptimizerConfig): Record<Tier, LinearVaeRateConfig> {
  const common = {
    optimizer,
    schedule: { C: 0.1, alpha: 0.5 },
    batchSize: 32,
    samples: 1,
    beta: 1,
    data: { n: 2000, dx: 10, dz: 3, noiseStd: 0.5 },
    sigmaX: 1,
    decades: 2,
    checkpointsPerDecade: 10,
    maxSlope: -0.35,
    maxNormalisedSlope: 0.05,
    maxLastDecadeSlope: -0.3,
    maxAveragedSlope: -0.75,
    maxAveragingRatio: 0.05,
  };
  const quickSteps = optimizer.kind === 'sgd' ? 20000 : 10000;
  return {
    quick: { ...common, seeds: 8, steps: quickSteps, falsifierBias: 0.04 },
    full: { ...common, seeds: 16, steps: 40000, falsifierBias: 0.03 },
  };
}

export const linearVaeRateAssumptions: Assumption[] = [
  { id: 'smooth-objective', statement: 'The expected ELBO is smooth in (θ, φ) (linear Gaussian VAE: quadratic in W, b, V, c; smooth in s).' },
  { id: 'unbiased-gradients', statement: 'Mini-batches drawn uniformly with replacement and reparameterised noise give unbiased gradient estimates (measured on the engine: the mean of its stochastic gradients against the exact gradient).' },
  { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1 (measured on the engine: its trainer against a float64 reference optimiser).' },
  { id: 'exact-measurement', statement: 'G_n uses the exact gradient of the expected ELBO over the full data set (float64 closed form), not mini-batch norms.' },
];

const MORE = 'more steps (--set steps=…) or seeds (--set seeds=…); on your own data, a smaller step constant (--set schedule.C=…) if the transient outlasts the window';

export const constantStep: Falsifier<LinearVaeRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = C (α = 0): SGD/Adam settle in a noise ball whose size does not shrink.',
  expected: 'G_n plateaus (normalised slope ≈ +1/2) and E‖∇L(θ_k)‖² stops decaying (last-decade slope ≈ 0)',
  remedy: MORE,
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0 } }),
};

export const slowSchedule: Falsifier<LinearVaeRateConfig> = {
  id: 'slow-schedule',
  description: 'Step γ_k = C·k^{-1/4} where the claim says k^{-1/2}, same C: converges, but its noise ball shrinks like k^{-1/4}.',
  expected: 'last-decade slope of E‖∇L(θ_k)‖² ≈ −1/4 (> −0.3) and/or G_n √n / log n rising',
  remedy: MORE,
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0.25 } }),
};

export const biasedGradient: Falsifier<LinearVaeRateConfig> = {
  id: 'biased-gradient',
  description: 'The engine adds a constant δ to every coordinate of its stochastic gradient of the decoder offset b (δ = 0.04 at the quick tier, 0.03 at the full): an error floor ‖∇L‖² → d_x δ².',
  expected: 'the gradient at the Polyak–Ruppert average stalls at the floor: its slope > −0.75 and it is more than 5% of the iterates\' gradient norm',
  remedy: MORE,
  mutate: (c) => ({ ...c, gradientBias: c.falsifierBias ?? 0.04 }),
};

/**
 * The linear-VAE claims can run on a user's data (`verify --data FILE`): rows
 * are points in R^{d_x}; N becomes the file's row count. The oracle's exact
 * gradient then uses that data's moments, so G_n is still exact.
 */
export const linearVaeTakesData: TakesData<LinearVaeRateConfig> = {
  describe: 'one point x ∈ R^d_x per row, d_x = 10 as in the linear VAE',
  dimension: (c) => c.data.dx,
  withRows: (c, rows) => ({ ...c, data: { ...c.data, n: rows } }),
};

/** The same for configurations that wrap a linear-VAE run (β, batch-size and sample arms). */
export function wrappedLinearVaeTakesData<T extends { run: LinearVaeRateConfig }>(): TakesData<T> {
  return {
    describe: linearVaeTakesData.describe,
    dimension: (c) => linearVaeTakesData.dimension(c.run),
    withRows: (c, rows) => ({ ...c, run: linearVaeTakesData.withRows(c.run, rows) }),
  };
}
