/**
 * d23-figure-1 [D23, Figure 1 (linear VAE, PCA data); issue 16 item 5].
 * Paper: a linear VAE (learned decoder variance σ², prior N(0, I), diagonal
 * Gaussian encoder) trained on synthetic PCA data (N = 10⁴, D = 10, H = 2,
 * noise σ = 0.1; W*, μ* ~ U(0, 1)) with Adam (lr 1e-3, batch 2000, 100
 * samples per point, 1500 epochs, 10 runs): per epoch the ELBO, the sum of
 * the three entropies and the exact log-likelihood converge together.
 * Ours: the engine trains (StochasticLearnedVarianceLinearVae: float32,
 * mini-batches of B points drawn with replacement, K reparameterised samples
 * per point through their exact sufficient statistics, kernel trainer, Adam
 * β1 = 0.9, β2 = 0.999, ε = 1e-8 as PyTorch's); after every epoch the float64
 * side evaluates every run exactly (no sampling): F in closed form, S, the
 * exact decomposition of F − S, log p(x) of the linear Gaussian model.
 * Judged (d23-figure-1.check.ts): at the last epoch, for every run,
 * log p − F ≤ 0.25 and |F − S| ≤ min(0.25, √(2(ℓ_ML − F)((D + H)/2 − (F − S))))
 * nats/point — the second, the gap first order allows at the reached distance
 * from the optimum (ℓ_ML − F, measured exactly; the ELBO's maximum is the PPCA
 * ML log-likelihood ℓ_ML), the first stated with its measured margin (below);
 * and both gaps at the last epoch ≤ 1/10 of their largest value in the first
 * quarter of training (the curves come together). A run not there whose gap
 * stopped closing (kept 90% over the last quarter) is a `fail`, one still
 * closing `inconclusive`. At the paper's 1500 epochs training is in the tail of its
 * transient, not at Adam's noise floor: F is still rising (≈ 0.09 nats/point
 * over the last quarter, 7e-3 below ℓ_ML at the end; seed 1) and |F − S|
 * closing (0.064 at epoch 1400, 0.042 at 1500, run mean).
 * Differences from the paper: log σ² and log τ² parameterisations (D23's code:
 * softplus of σ and τ; we start σ² at softplus(0)² as they do, τ² at 1), a
 * N(0, 0.1²) initialisation of W and V (PyTorch: uniform ±1/√fan-in), data
 * drawn with replacement (PyTorch: shuffled epochs), the curves evaluated
 * exactly rather than by the 100-sample Monte Carlo ELBO.
 * Full tier: the paper's sizes (N, D, H, σ, B, K, lr, epochs, 10 runs): one
 * training run ≈ 5 s of one core, the claim with its falsifier (20 runs in one
 * replica batch) 96 s (measured on a 2-core machine at load ≈ 2; 232 s before the
 * kernel's WebAssembly port and the faster χ² squeeze, bitwise the same results);
 * measured (seed 1): pass, worst |F − S| 0.067 (first-order bounds 0.17–0.29),
 * worst log p − F 1.4e-3, gaps down to ≤ 0.015 of their first-quarter size;
 * the falsifier |F − S| 3.92 (ratio 0.96): fail.
 * Quick tier (CI, ≲ 20 s): N = 2000, B = 400 (still 5 steps an epoch),
 * lr 1e-2 and 500 epochs (2500 steps: log σ² must travel from log 0.48 to
 * log 0.01, ≈ 3.9 at ≤ lr per Adam step; the slowest mode is the rotation
 * that makes W's columns orthogonal, which closes log p − F), K = 100, 10 runs.
 * The statement and the criteria are the same (the same distance travelled
 * at 10x the step, 1/5 of the steps). Calibration (50 master seeds) with
 * lr 5e-3 gave 28 pass, 22 inconclusive (never fail): log p − F still closing
 * at the end (ratio to the first quarter > 0.1, F rising); hence 1e-2.
 * Calibration at 1e-2 (50 master seeds, final criteria): at 300 epochs 41
 * pass, 9 inconclusive, 0 fail (on some generator draws the rotation mode
 * was not finished); at 400 epochs 47 pass, 3 inconclusive (13.5 s a run);
 * at 500 epochs 50/50 pass (16.7 s a run): hence 500. The falsifier caught
 * 50/50 at each. On the counter-based noise stream (2026-12-01) 500 epochs read
 * 46/50 and 48/50 pass on two sets of 50 master seeds (6/100 inconclusive, never
 * fail), and 600 epochs read 46/50 on the first set again: the inconclusive runs
 * are not a transient that more epochs close. Open (the calibration record
 * states the rate).
 * Falsifier: σ² fixed at its initial value (ln 2)²: F − S keeps
 * (D/2)(1 − s̄/σ²) ≈ 5 nats (s̄ ≈ 0.01 ≪ σ²): must `fail`. (With σ² fixed the
 * ELBO still becomes tight against that model's log p, the encoder being the
 * exact posterior at the optimum: it stays far below the PPCA ML likelihood.)
 */
import { defineClaim, type Falsifier, type Tier } from '../../contract/claim.ts';
import { D23 } from '../sources.ts';
import { checkFigure1, figure1ConfigSchema, type Figure1Config } from './d23-figure-1.check.ts';

const SOFTPLUS0_SQUARED = Math.log(2) ** 2;

const full: Figure1Config = {
  data: { N: 10000, D: 10, noiseStd: 0.1 },
  H: 2,
  seeds: 10,
  batchSize: 2000,
  samples: 100,
  lr: 1e-3,
  epochs: 1500,
  initialVariance: SOFTPLUS0_SQUARED,
  fixedVariance: null,
  // absolute 0.25 nats/point: measured worst last-epoch |F − S| 0.067 at the full tier (log p − F
  // 1.4e-3), 0.036 at the quick tier (log p − F 0.026 on the hardest of 3 data sets): margins ≥ 3.7x;
  // the falsifier leaves ≈ 3.9, 15x above.
  // |F − S| must also be within the first-order bound at the reached distance (firstOrderGapBound:
  // ≈ 0.3 at the full tier's end, ℓ_ML − F ≈ 7e-3).
  // ratio 0.1: the gaps start at ≈ 4 nats (|F − S|) and 0.5 (log p − F); measured 0.015 at the end.
  tolerance: { absolute: 0.25, ratio: 0.1 },
};

const tiers: Record<Tier, Figure1Config> = {
  quick: { ...full, data: { ...full.data, N: 2000 }, batchSize: 400, lr: 1e-2, epochs: 500 },
  full,
};

const falsifiers: Falsifier<Figure1Config>[] = [
  {
    id: 'fixed-variance',
    description: 'σ² fixed at its initial value (ln 2)² instead of learned (trained in the same replica batch).',
    expected: '|F − S| ≈ (D/2)(1 − s̄/σ²) of several nats at every epoch: the entropy identity does not hold',
    mutate: (c) => ({ ...c, fixedVariance: c.initialVariance }),
  },
];

export default defineClaim<Figure1Config>({
  id: 'd23-figure-1',
  title: 'D23 Figure 1: a linear VAE trained with Adam, ELBO, entropy sum and log-likelihood converge together',
  family: 'entropy',
  source: D23,
  statement:
    'Training a linear VAE with learned σ² by Adam on mini-batches with sampled ELBO gradients, the ELBO F, the entropy sum ' +
    'S = Σ_h ½ log τ_h² − (D/2) log(2πe σ²) and the log-likelihood log p(x) converge to one value.',
  assumptions: [
    { id: 'learned-variance', statement: 'The decoder variance σ² is a learned parameter.' },
    { id: 'settled', statement: 'A run not converged by the last epoch has settled (its gap no longer closing), so the remaining gap is evidence against the claim; else the verdict is inconclusive.' },
  ],
  tiers,
  falsifiers,
  check: (configs, ctx) => checkFigure1('d23-figure-1', configs, ctx),
  schema: figure1ConfigSchema,
  seedCount: (c) => c.seeds,
});
