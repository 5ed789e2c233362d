/**
 * Tier sizes, assumptions and the constant-step falsifier shared by the two
 * linear-VAE rate claims (SGD and Adam differ only in the optimiser).
 *
 * Sizes: d_x = 10, d_z = 3, N = 2000 as in CLAIMS.md's calibration; C = 0.05
 * puts both optimisers past their transient within the fitting window
 * (C = 0.01 left SGD transient-dominated at n = 5000: slope −0.19).
 */
import type { Assumption, Falsifier, TakesData, Tier } from '../claim.ts';
import type { OptimizerConfig } from '../../src/engine/optimizer.ts';
import type { LinearVaeRateConfig } from '../../src/checks/linear-vae-rate.ts';

export function linearVaeRateTiers(optimizer: OptimizerConfig): Record<Tier, LinearVaeRateConfig> {
  const common = {
    optimizer,
    schedule: { C: 0.05, alpha: 0.5 },
    batchSize: 32,
    samples: 1,
    beta: 1,
    data: { n: 2000, dx: 10, dz: 3, noiseStd: 0.5 },
    sigmaX: 1,
    decades: 2,
    checkpointsPerDecade: 10,
    maxSlope: -0.35,
    maxNormalisedSlope: 0.05,
  };
  return {
    quick: { ...common, seeds: 8, steps: 5000 },
    full: { ...common, seeds: 16, steps: 20000 },
  };
}

export const linearVaeRateAssumptions: Assumption[] = [
  { id: 'smooth-objective', statement: 'The expected ELBO is smooth in (θ, φ) (linear Gaussian VAE: quadratic in W, b, V, c; smooth in s).' },
  { id: 'unbiased-gradients', statement: 'Mini-batches drawn uniformly with replacement and reparameterised noise give unbiased gradient estimates.' },
  { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1.' },
  { id: 'exact-measurement', statement: 'G_n uses the exact gradient of the expected ELBO over the full data set (float64 closed form), not mini-batch norms.' },
];

export const constantStep: Falsifier<LinearVaeRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = C (α = 0): SGD/Adam settle in a noise ball whose size does not shrink.',
  expected: 'G_n plateaus (slope ≳ 0), so both slope criteria fail',
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0 } }),
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
