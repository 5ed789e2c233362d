/**
 * Tier sizes, assumptions and falsifiers shared by the linear-VAE rate claims
 * (SGD and Adam differ only in the optimiser).
 *
 * What is [SGL25]'s statement and what is ours:
 * - The paper bounds G_n = (1/(n+1)) Σ_{k≤n} E‖∇L(θ_k)‖² by O(log n/√n). Read
 *   faithfully that is the NORMALISED slope: log(G_n √n / log n) not rising
 *   over the last two decades (upper bound ≤ +0.03). The raw slope of log G_n
 *   is reported, not judged: where G_n tracks log n/√n exactly its local slope
 *   is −0.36 to −0.39, so CLAIMS.md's "≤ −0.35" is a coin flip for a correct
 *   engine on some windows. A k^{-1/4} schedule makes G_n √n / log n rise: its
 *   normalised slope's lower bound was ≥ +0.069 (SGD) and ≥ +0.084 (Adam) over
 *   24 and 21 design seeds, a correct engine's upper bound ≤ −0.046 and ≤ −0.019.
 * - G_n is a running average: over a finite window it mostly shows the burn-in
 *   being averaged out, so an error floor barely moves it (a floor passed the
 *   old check at both tiers). Our sharpening, judged alongside, looks at the
 *   end of the run: the exact gradient at the Polyak–Ruppert average θ̄_n of the
 *   last half of the iterates. For an unbiased engine ‖∇L(θ̄_n)‖² = O(1/n) (the
 *   average removes the noise ball whose size is ∝ γ_n), so (a) its slope over
 *   the last decade is ≈ −1 and (b) it is small against the iterates' own
 *   ‖∇L(θ_k)‖² over the same windows (ratio → 0 like n^{-1/2}; summed over the
 *   last three windows). A constant gradient error b moves the fixed point to
 *   where ∇L = −b: both stall (slope → 0, ratio → ‖b‖²/(‖b‖² + noise)). The
 *   floor test passes when either shows the floor absent (slope ≤ −0.65 or
 *   ratio ≤ 0.1) and fails when both show it. (Adam's averaged-iterate slope is
 *   erratic at these sizes — single seeds make excursions — while its ratio is
 *   stable; SGD the other way round: hence either.) Thresholds: chosen on 24
 *   (SGD) and 21 (Adam) design master seeds (calibration base 101, not the
 *   record's base 1) as the pair separating every correct run from every
 *   biased-gradient run; the margins are thin (clean SGD slope up to −0.676,
 *   biased SGD ratio down to 0.124) and the calibration record states the
 *   resulting rates.
 * - Reported, not judged: the slope of the seed-averaged E‖∇L(θ_k)‖² over the
 *   last decade. Near an optimum the noise ball's size is ∝ γ_k, so −1/2 in the
 *   limit, but the slowest modes lag: finite windows read −0.31 to −0.9 for a
 *   correct SGD run and down to −0.46 for a k^{-1/4} one, so it cannot judge.
 * Falsifiers: constant step (the paper's own negative: a noise ball that does
 * not shrink), slow schedule (α = 1/4 at the same C: converges, but not at the
 * stated rate) and biased gradient (a constant bias δ in every coordinate of
 * the engine's stochastic ∂/∂b: an error floor d_x δ²).
 *
 * Sizes: d_x = 10, d_z = 3, N = 2000 as in CLAIMS.md's calibration. C = 0.1:
 * with C = 0.05 the medium-curvature modes (Hessian eigenvalues ≈ 0.15 at the
 * optimum; 2Cλ√n ≈ 1 at n = 5000) were still in their transient at the quick
 * tier's end, which hid floors; C = 0.1 diverged on 0 of 60 data sets (C = 0.15
 * on 1). Both optimisers run 2·10⁴ iterations at the quick tier: at 5·10³ a
 * floor of d_x δ² = 0.016 was not separable from the transient, and Adam's
 * averaged-iterate measurements were erratic at 10⁴.
 */
import type { Assumption, Falsifier, TakesData, Tier } from '../../../contract/claim.ts';
import type { OptimizerConfig } from '../../../engine/optimizer.ts';
import type { LinearVaeRateConfig } from './linear-vae-rate.ts';
import { doubleSeeds } from '../../shared/grow.ts';

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
    maxNormalisedSlope: 0.03,
    maxAveragedSlope: -0.65,
    maxAveragingRatio: 0.1,
  };
  // The biased-gradient falsifier's floor d_x δ² is sized against G_n at the quick window's end
  // (SGD ≈ 0.03–0.09, Adam ≈ 0.1–0.3): δ = 0.05 (SGD) and 0.06 (Adam), about G_n/5 or less.
  const quickBias = optimizer.kind === 'sgd' ? 0.05 : 0.06;
  return {
    quick: { ...common, seeds: 8, steps: 20000, falsifierBias: quickBias },
    // Under a floor F the averaging ratio tends to F's share of the iterates' ‖∇L‖² (F/(F + noise)).
    // The quick tier's falsifier floor is about a fifth of G_n and its threshold, 0.1, half of that;
    // the full tier's floor (δ halved) is about a twentieth, so its threshold is half of 1/20. With
    // 0.1 at the full tier Adam's biased-gradient falsifier passed through this leg (ratio 0.0675
    // [0.066, 0.069], seed 1) while its averaged slope showed the floor (−0.14); clean ratios at the
    // full tier: Adam 0.0069 [0.0045, 0.011], SGD 0.028 [0.010, 0.062] (SGD's no-floor evidence then
    // comes from its averaged slope, −1.25 [−1.97, −0.71] ≤ −0.65).
    full: { ...common, seeds: 16, steps: 40000, falsifierBias: quickBias / 2, maxAveragingRatio: 0.025 },
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
  expected: 'G_n plateaus (normalised slope ≈ +1/2): O(log n/√n) fails',
  remedy: MORE,
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0 } }),
};

export const slowSchedule: Falsifier<LinearVaeRateConfig> = {
  id: 'slow-schedule',
  description: 'Step γ_k = C·k^{-1/4} where the claim says k^{-1/2}, same C: converges, but its noise ball shrinks like k^{-1/4}.',
  expected: 'G_n √n / log n rising (normalised slope > +0.03)',
  remedy: MORE,
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0.25 } }),
};

export const biasedGradient: Falsifier<LinearVaeRateConfig> = {
  id: 'biased-gradient',
  description: 'The engine adds a constant δ to every coordinate of its stochastic gradient of the decoder offset b (δ = 0.05 for SGD, 0.06 for Adam at the quick tier, half that at the full): an error floor ‖∇L‖² → d_x δ².',
  expected: 'the gradient at the Polyak–Ruppert average stalls at the floor: its slope > −0.65 and it is more than 10% of the iterates\' gradient norm',
  remedy: MORE,
  mutate: (c) => ({ ...c, gradientBias: c.falsifierBias ?? 0.04 }),
};

/**
 * Grown once when the first run had no power (runClaim): twice the seeds, the
 * first run's among them (seed s derives from the claim id and s). On 4 of 50
 * calibration data sets the first run was undecided: two floor-test intervals
 * too wide at 8 seeds, and two data sets on which a falsifier was not caught.
 */
export const growSeeds = doubleSeeds<LinearVaeRateConfig>;

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
    withRows: (c, rows, columns) => ({ ...c, run: linearVaeTakesData.withRows(c.run, rows, columns) }),
  };
}
