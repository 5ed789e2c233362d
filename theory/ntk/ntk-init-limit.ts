/**
 * ntk-init-limit [WH24, on the template of Jacot et al. 2018, "Neural Tangent
 * Kernel: Convergence and Generalization in Neural Networks"]: at random
 * initialisation, the tangent kernel of a wide one-hidden-layer ReLU network
 * in the NTK parameterisation converges to the deterministic analytic kernel
 *   Θ = K + σ_W² q12 (π − θ)/(2π),  K = σ_W² (√(q11 q22 − q12²) + (π − θ) q12)/(2π) + σ_b²,
 * with fluctuations of order m^{−1/2}.
 *
 * Check (src/checks/ntk-init-limit.ts): per width and seed, the relative
 * Frobenius error of the engine's empirical NTK (per-example gradients, all
 * seeds of a width in one replica batch) against the float64 closed form; the
 * slope of log(seed-mean error) vs log m (bootstrap over seeds) must lie in
 * [−0.65, −0.35] (CLAIMS.md, calibration −0.49), and the kernel averaged over
 * seeds at m = 1024 must be within rtol 0.05 of Θ.
 * Falsifiers: the standard parameterisation (no 1/√m multiplier; Θ̂ grows ∝ m,
 * so the error grows: slope ≈ +1) and a wrong analytic formula (the 1/2 of the
 * derivative term dropped: an error floor, slope ≈ 0).
 * The paper's own constants could not be read: this tests the scale-free law.
 */
import { defineClaim, type Tier } from '../claim.ts';
import { WH24 } from '../sources.ts';
import { checkInitLimit, type InitLimitConfig } from '../../src/checks/ntk-init-limit.ts';
import { FULL_WIDTHS, NTK_BED } from './common.ts';

const common = {
  bed: NTK_BED,
  parameterisation: 'ntk' as const,
  formula: 'correct' as const,
  slopeBand: [-0.65, -0.35] as [number, number],
  averagedWidth: 1024,
  averagedRtol: 0.05,
};

const tiers: Record<Tier, InitLimitConfig> = {
  quick: { ...common, widths: [64, 256, 1024, 4096], seeds: 10 },
  full: { ...common, widths: FULL_WIDTHS, seeds: 16 },
};

export default defineClaim<InitLimitConfig>({
  id: 'ntk-init-limit',
  title: 'The empirical NTK at initialisation converges to the analytic ReLU NTK at rate m^{-1/2}',
  family: 'ntk',
  source: WH24,
  statement:
    'For a one-hidden-layer ReLU network in the NTK parameterisation, the empirical tangent kernel J Jᵀ at random ' +
    'initialisation converges to the analytic arc-cosine NTK Θ as the width m grows, with relative error O(m^{-1/2}).',
  assumptions: [
    { id: 'ntk-parameterisation', statement: 'Weights N(0, 1) with explicit multipliers σ_W/√fan_in and σ_b (NTK parameterisation).' },
    { id: 'inputs-on-sphere', statement: 'Inputs on the unit sphere with d ≥ 8 (well-conditioned kernel).' },
    { id: 'analytic-kernel', statement: 'Θ from the closed form of CLAIMS.md, evaluated in float64.' },
  ],
  tiers,
  falsifiers: [
    {
      id: 'standard-parameterisation',
      description: 'Standard parameterisation: weights drawn with variance σ²/fan_in, no multipliers; the tangent kernel grows ∝ m.',
      expected: 'relative error grows with m (slope ≈ +1), outside [−0.65, −0.35]; averaged kernel far from Θ',
      mutate: (c) => ({ ...c, parameterisation: 'standard' }),
    },
    {
      id: 'wrong-analytic-formula',
      description: 'Analytic Θ with the 1/2 of the derivative term dropped: σ_W² q12 (π − θ)/π.',
      expected: 'error plateaus at the formula error (slope ≈ 0); averaged kernel off by ≈ 25%',
      mutate: (c) => ({ ...c, formula: 'missing-half' }),
    },
  ],
  check: (configs, ctx) => checkInitLimit('ntk-init-limit', configs, ctx),
});
