/**
 * ntk-krr-equivalence [WH24; Hu, Li & Yu 2020; Lee et al. 2019]: gradient
 * descent on (1/2n)‖f − y‖² + (λ/2)‖θ − θ₀‖², run to convergence, returns the
 * kernel ridge regression predictor f₀* + Θ*(Θ + λ'I)⁻¹(y − f₀) with
 * λ' = nλ (src/kernels/krr.ts: ridgeToKrrLambda; tested in test/ntk/krr.test.ts).
 *
 * The paper's statement (CLAIMS.md): relative error of the trained
 * predictions against the KRR predictor < 0.02 at the widest m and
 * decreasing in m.
 *
 * Check (src/claims/ntk/ntk-krr-equivalence.check.ts) at 32 test inputs, with a PLAIN
 * initialisation so that f₀ ≠ 0 and the predictor must subtract it (CLAIMS.md:
 * "subtract or zero f₀"; zeroing it would leave a predictor that forgets f₀
 * undetected): the relative error against the KRR predictor of each
 * replica's own initial tangent kernel (Θ₀, Θ₀*, its f₀, f₀*) has seed-mean
 * upper bound < 0.02 at the widest m and decreases with m; against the
 * analytic-kernel predictor f₀* + Θ*(Θ + λ'I)⁻¹(y − f₀) it decreases with m
 * too (per width: at finite m the kernel's own fluctuation, ∝ m^{−1/2},
 * moves test predictions by ≈ 4% at m = 4096, so the 0.02 applies to the
 * own-kernel predictor).
 * Our sharpening, and why it follows: the predictor GD reaches is KRR with
 * Θ₀, and E Θ₀ = Θ exactly at every width for this network
 * (src/claims/ntk/shared/kernel-mean.ts), so the claim "GD reaches KRR with the NTK"
 * is judged against the analytic Θ through the seed- and unit-averaged Θ₀
 * (train × train and test × train): the kernel mean test (family-wise false
 * alarm 1e-4) resolves ≈ 0.5% of a group's scale across entries (≈ 2.7% on the
 * diagonal), so a kernel
 * formula a few percent off fails here although the per-seed prediction error
 * against the analytic predictor (≈ 4%) cannot see it.
 * Engine conformance (verdict error): the hand-written loss gradients and
 * kernels against autodiff, the trainer's first two steps against the GD
 * update written out.
 * Targets: the smooth teacher at the prior's output scale (no excitation).
 * λ' = 0.05, comparable to λ_min(Θ) ≈ 0.037, so the ridge matters.
 * Falsifier: ridge toward 0 (weight decay) at the same small λ: the weights
 * shrink instead of staying near θ₀ and the predictor is not KRR.
 * The paper's own constants could not be read: this tests the scale-free law.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { WH24 } from '../sources.ts';
import { checkKrrEquivalence, krrEquivalenceConfigSchema, type KrrEquivalenceConfig } from './ntk-krr-equivalence.check.ts';
import { ridgeToKrrLambda } from '../../kernels/krr.ts';
import { FULL_WIDTHS, GD_COMMON, NTK_BED, QUICK_GD_WIDTHS } from './shared/tiers.ts';

const LAMBDA_PRIME = 0.05;

const common = {
  ...GD_COMMON,
  exciteBottom: 0,
  // A plain initialisation, so that f₀ ≠ 0 and the predictor must subtract it (CLAIMS.md: "subtract or zero f₀").
  antisymmetric: false,
  ridge: { lambdaPrime: LAMBDA_PRIME, toward: 'init' as const },
  // The training penalty is λ = λ'/n; the predictor it converges to has ridge nλ.
  krrLambdaPrime: ridgeToKrrLambda(LAMBDA_PRIME / NTK_BED.n, NTK_BED.n),
  maxError: 0.02,
  // CLAIMS.md: "decreasing in m" (the kernel's own m^{-1/2} law is ntk-init-limit's claim).
  maxLimitSlope: 0,
};

const tiers: Record<Tier, KrrEquivalenceConfig> = {
  quick: { ...common, widths: QUICK_GD_WIDTHS, seeds: 5 },
  full: { ...common, widths: FULL_WIDTHS, seeds: 10 },
};

export default defineClaim<KrrEquivalenceConfig>({
  id: 'ntk-krr-equivalence',
  title: 'GD with ridge toward initialisation converges to kernel ridge regression with the NTK',
  family: 'ntk',
  source: WH24,
  statement:
    'Training a wide network by gradient descent on (1/2n)‖f − y‖² + (λ/2)‖θ − θ₀‖² to convergence gives ' +
    "f₀(x*) + Θ(x*, X)(Θ + nλ I)⁻¹(y − f₀), the kernel ridge predictor with the neural tangent kernel.",
  assumptions: [
    { id: 'ridge-to-initialisation', statement: 'The penalty pulls toward the initial parameters θ₀, not toward 0.' },
    { id: 'initial-output-subtracted', statement: 'f₀ subtracted (plain initialisation here: the predictor is f₀* + Θ*(Θ + λ\'I)⁻¹(y − f₀)) or zero (antisymmetric initialisation).' },
    { id: 'converged', statement: 'GD run until the linearised iterates have converged.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'ridge-toward-zero',
      description: 'Weight decay (ridge toward 0) with the same small λ instead of ridge toward θ₀.',
      expected: 'weights collapse toward 0: predictions far from KRR (error ≈ 1 ≫ 0.02)',
      mutate: (c) => ({ ...c, ridge: { ...c.ridge!, toward: 'zero' } }),
    },
  ],
  check: (configs, ctx) => checkKrrEquivalence(configs, ctx),
  schema: krrEquivalenceConfigSchema,
  seedCount: (c) => c.seeds,
});
