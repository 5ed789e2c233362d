/**
 * snn-ntk [WH24, Wang & Huang, "On the Convergence Analysis of
 * Over-Parameterized Variational Autoencoders: A Neural Tangent Kernel
 * Perspective"]: for the stochastic network of a VAE latent layer —
 * z_r = μ_r(x) + s_r(x) ε_r reparameterised, readout (1/√m) Σ a_r ψ(z_r), output
 * averaged over the noise — the tangent kernel of each parameter group (mean
 * head, variance head, readout) converges to a deterministic limit as the
 * latent width m grows.
 *
 * Check (src/claims/ntk/snn-ntk.check.ts): per group, relative Frobenius error of the
 * engine's empirical kernel (noise average estimated with K = 16 stratified
 * draws per unit, fixed at initialisation) against the float64 limit
 * (closed forms in (μ, ε), Gauss–Hermite over the variance-head
 * pre-activations, quadrature error reported); the slope in m must lie in
 * [−0.65, −0.35] (≈ −0.5) for all three groups.
 * Our sharpening, and why it follows: as for the deterministic network, the
 * per-group empirical kernel is a sum of i.i.d. unit terms, so its mean is
 * known at every width: the limit plus the finite noise average's excess
 * (K = 16 stratified draws: exactly its variance on the diagonal, bounded by
 * Cauchy–Schwarz off it; src/kernels/stochastic-ntk.ts noiseBias). The
 * kernels of blocks of 64 units are tested against that mean per group and
 * entry bin (src/claims/ntk/shared/kernel-mean.ts, family-wise false alarm 1e-4):
 * ≈ 0.1% resolution across entries, ≈ 0.6% on the diagonal, so one group's
 * kernel a few percent off fails (the slopes alone left a 3% error in the
 * variance head inconclusive). The hand-written kernels are checked against
 * per-example autodiff (smallest width) and the study's loss gradients (with
 * the KL terms) against tf.grads: verdict error on disagreement.
 * Also reported (not part of the verdict): which regulariser reproduces KRR —
 * ridge toward initialisation, the KL term scaled by β/m, or the KL term
 * unscaled — by training the stochastic network to convergence under each.
 * Falsifier: a single noise sample per unit instead of the noise average; its
 * kernel converges to a different limit and the errors plateau.
 * The paper's own constants could not be read (its ψ, variance map and
 * scalings are our choices: ReLU, softplus, σ_W = √2, σ_b = 0.1): this tests
 * the scale-free law.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { WH24 } from '../sources.ts';
import { checkSnnNtk, snnConfigSchema, type SnnConfig } from './snn-ntk.check.ts';
import { FULL_WIDTHS, KERNEL_MEAN, NTK_BED } from './shared/tiers.ts';

const common = {
  bed: NTK_BED,
  samples: 16,
  noise: 'stratified' as const,
  quadratureOrder: 20,
  slopeBand: [-0.65, -0.35] as [number, number],
  kernelMean: KERNEL_MEAN,
};

const tiers: Record<Tier, SnnConfig> = {
  quick: {
    ...common,
    widths: [128, 512, 2048, 8192],
    // 32 seeds: each slope must lie INSIDE a band 0.30 wide, so its 95% interval must be well under 0.30.
    // At 16 seeds the honest (expanded percentile) intervals were ≈ 0.24 wide on the variance head and
    // calibration passed only 8/12 (all misses inconclusive); doubling the seeds narrows them by ≈ √2.
    seeds: 32,
    // The regulariser study is reported, not judged: at the quick tier one width (m = 1024 cost ≈ 8 s of CPU).
    study: { widths: [256], seeds: 2, steps: 300, lambdaPrime: 0.05, beta: 1, testPoints: 32 },
  },
  full: {
    ...common,
    widths: FULL_WIDTHS,
    seeds: 32, // at least the quick tier's (see there)
    study: { widths: [256, 1024, 4096], seeds: 4, steps: 300, lambdaPrime: 0.05, beta: 1, testPoints: 32 },
  },
};

export default defineClaim<SnnConfig>({
  id: 'snn-ntk',
  title: 'The stochastic latent network has three tangent kernels, each with a deterministic wide limit',
  family: 'ntk',
  source: WH24,
  statement:
    'For the reparameterised latent layer of width m with a 1/√m readout, the noise-averaged network has one tangent ' +
    'kernel per parameter group (mean head, variance head, readout); each converges to a deterministic limit as m → ∞ ' +
    '(fluctuations O(m^{-1/2})).',
  assumptions: [
    { id: 'noise-average', statement: 'The output analysed is the noise average (estimated with a fixed large set of draws).' },
    { id: 'quadrature', statement: 'Limit kernels by float64 quadrature with a stated error far below the measured differences.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'single-noise-sample',
      description: 'One plain noise draw per latent unit (K = 1) instead of the noise average.',
      expected: 'kernels converge to a different limit: errors plateau (slopes ≈ 0) for every group',
      mutate: (c) => ({ ...c, samples: 1, noise: 'iid' }),
    },
  ],
  check: (configs, ctx) => checkSnnNtk(configs, ctx),
  schema: snnConfigSchema,
  seedCount: (c) => c.seeds,
});
