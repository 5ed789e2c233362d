/**
 * snn-krr-equivalence [WH24, Wang & Huang, "On the Convergence Analysis of
 * Over-Parameterized Variational Autoencoders: A Neural Tangent Kernel
 * Perspective"]: the paper's central connection, as a verdict — the
 * stochastic network inside a VAE (reparameterised latent layer of width m,
 * readout (1/√m) Σ a_r ψ(z_r), output averaged over the noise), trained by
 * gradient descent with a regulariser, reaches a kernel-regression predictor
 * built from its summed tangent kernel Θ = Θ_readout + Θ_mean + Θ_variance.
 *
 * What could be read [3P, a third-party summary; the paper's text could not
 * be got here]: "incorporating the KL divergence term … converges to a
 * KRR-like solution with explicit regularization, and provide finite-width
 * error bounds". The exact objective (a ridge toward initialisation? the KL's
 * scaling?) is NOT FOUND, so this claim judges the two readings whose wide
 * limit can be derived, each against its own predictor:
 *   1. ridge toward initialisation (λ/2)‖θ − θ₀‖², λ = λ'/n (the standard
 *      KRR statement of the NTK literature, Hu, Li & Yu 2020): the limit is
 *      KRR(Θ, λ') — the predictor Θ*(Θ + λ'I)⁻¹y (f₀ ≡ 0, antisymmetric
 *      initialisation);
 *   2. the VAE's KL term with weight β/m (our reading: the only scaling that
 *      keeps the kernel regime, since the KL is a sum of m unit terms): our
 *      derivation [D] — each unit's KL gradient is O(1/m) and the twin units
 *      of the antisymmetric initialisation receive identical KL gradients
 *      with opposite readouts, so its first-order effect on f cancels and the
 *      wide limit is the unregularised kernel flow after T steps,
 *      Θ*Θ⁻¹(I − (I − ηΘ/n)^T)y: "KRR-like" through early stopping.
 * Check (src/claims/ntk/snn-krr-equivalence.check.ts), per arm, at 32 held-out
 * inputs: the relative error against the predictor of the replica's own
 * initial kernel Θ₀ must be < 0.02 at the widest m (bootstrap upper bound)
 * and decrease with m; and Θ₀ must be the analytic summed kernel Θ in
 * expectation (the kernel mean test over blocks of units, family-wise false
 * alarm 1e-4, as snn-ntk and ntk-krr-equivalence). The error against the
 * analytic Θ's predictor (≈ m^{−1/2}: the kernel's own fluctuation) is
 * reported per width with its slope.
 * Reported (the literal KL test, not judged): one ridge λ_eff fitted
 * at the middle width to the KL arm and that KRR predictor's error at every
 * width. By the derivation above it plateaus (≈ 6%: the flow's spectral
 * filter is not a ridge's), so "the KL acts as one fixed ridge" is not what
 * the 1/m-scaled KL does; with the unscaled KL the network leaves the kernel
 * regime altogether (snn-ntk's regulariser study: errors ≈ 1).
 * Conformance (verdict error): the engine's hand-written kernels and loss
 * gradients (KL terms included) against TF.js autodiff.
 * Falsifiers: a single plain noise sample per unit (its kernel converges to
 * another limit: the analytic-predictor errors plateau); the ridge toward 0
 * (weight decay) instead of θ₀ (the ridge arm's weights shrink: error ≈ 1).
 * The paper's own constants could not be read (ψ = ReLU, softplus variance
 * map, σ_W = √2, σ_b = 0.1 are our choices): this tests the scale-free form.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { WH24 } from '../sources.ts';
import { checkSnnKrr, snnKrrConfigSchema, type SnnKrrConfig } from './snn-krr-equivalence.check.ts';
import { KERNEL_MEAN, NTK_BED } from './shared/tiers.ts';

const common = {
  bed: NTK_BED,
  samples: 8,
  noise: 'stratified' as const,
  quadratureOrder: 20,
  // η = n/λ_max (half the stability limit); λ' = 0.25 ≫ λ_min(Θ) ≈ 0.002, so the ridge matters for most
  // of Θ's spectrum, and the slowest ridge-arm mode contracts by (1 − (λ_min + λ')/λ_max)^T ≈ e^{−9.7} at T = 120.
  steps: 60,
  etaFactor: 1,
  ridge: { lambdaPrime: 0.5, toward: 'init' as const },
  klBeta: 1,
  testPoints: 32,
  maxError: 0.02,
  // The reported slope against the analytic predictor on m ≥ 256: below, the relative error is O(1) and saturates.
  limitSlopeMinWidth: 256,
  kernelMean: KERNEL_MEAN,
};

const tiers: Record<Tier, SnnKrrConfig> = {
  // kernelSeeds: the kernel mean test's diagonal resolution was 5.9% with the 6 trained seeds' kernels alone
  // (≤ 5% required); 24 seeds' kernels (18 of them kernel-only, no training) put it near 3%.
  quick: { ...common, widths: [64, 256, 1024], seeds: 6, kernelSeeds: 24 },
  full: { ...common, widths: [64, 256, 1024, 4096], seeds: 8, kernelSeeds: 24 },
};

export default defineClaim<SnnKrrConfig>({
  id: 'snn-krr-equivalence',
  title: 'The stochastic network trained with a regulariser reaches kernel regression with its summed tangent kernel',
  family: 'ntk',
  source: WH24,
  statement:
    "Trained by gradient descent with ridge toward initialisation, the noise-averaged stochastic network's predictions converge " +
    "(as m → ∞) to kernel ridge regression with the summed kernel Θ_readout + Θ_mean + Θ_variance; with the KL term scaled by 1/m, " +
    'to the kernel flow of the same kernel (a KRR-like, early-stopped predictor).',
  assumptions: [
    { id: 'ridge-to-initialisation', statement: 'The ridge arm pulls toward the initial parameters θ₀.' },
    { id: 'noise-average', statement: 'The output analysed is the noise average (a fixed set of stratified draws per latent unit).' },
    { id: 'kl-scaling', statement: 'The KL term is weighted by β/m (our reading; the paper\'s objective could not be read).' },
    { id: 'converged', statement: 'The ridge arm runs until its linearised iterates have converged.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'single-noise-sample',
      description: 'One plain noise draw per latent unit (K = 1) instead of the noise average.',
      expected: 'the kernel converges to a different limit: errors against the analytic predictors plateau (slopes ≈ 0)',
      mutate: (c) => ({ ...c, samples: 1, noise: 'iid' }),
    },
    {
      id: 'ridge-toward-zero',
      description: 'Weight decay (ridge toward 0) with the same λ instead of ridge toward θ₀.',
      expected: 'the ridge arm\'s weights shrink toward 0: predictions far from KRR (error ≈ 1 ≫ 0.02)',
      mutate: (c) => ({ ...c, ridge: { ...c.ridge, toward: 'zero' } }),
    },
  ],
  check: (configs, ctx) => checkSnnKrr(configs, ctx),
  schema: snnKrrConfigSchema,
  seedCount: (c) => c.seeds,
});
