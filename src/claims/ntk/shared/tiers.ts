/**
 * The test bed shared by the family-N claims [WH24]: inputs uniform on the
 * unit sphere S^{31} (CLAIMS.md: d ≥ 8), n = 32 training points, ReLU network
 * in the NTK parameterisation with σ_W = √2 (He scale) and σ_b = 0.1.
 *
 * Why d = 32, n = 32: the analytic NTK on these points has λ_min ≈ 0.037 and
 * λ_max ≈ 1.5 (condition number ≈ 41), so full-batch GD with η = n/λ_max
 * resolves the slowest mode within a few hundred steps; at d = 8 with n = 64
 * the condition number is ≈ 230 with a tight cluster of bottom eigenvalues,
 * and the bottom-eigenvector rate is then dominated by kernel drift at the
 * widths the spec allows (float64 prototype: 5–10% rate error at m = 8192).
 *
 * Not a claim: shared sizes only. Each NTK claim file declares its own falsifiers.
 */
import type { NtkTestBed } from './common.ts';

export const NTK_BED: NtkTestBed = { d: 32, n: 32, sigmaW: Math.SQRT2, sigmaB: 0.1 };

/** Widths 64..8192 (full tier) and the quick tier's subset. */
export const FULL_WIDTHS = [64, 128, 256, 512, 1024, 2048, 4096, 8192];

/**
 * The kernel-mean test (src/claims/ntk/shared/kernel-mean.ts): i.i.d. draws are the
 * kernels of blocks of 64 hidden units (the smallest width), entries in 4
 * cosine bins plus the diagonal, with the blocks' parameter moments (a², ‖W‖²/d,
 * b², expectation 1) and the diagonal bins as control variates; family-wise
 * false alarm 1e-4. Power: a formula error of the π − 0.9θ kind moves the
 * off-diagonal bins by 1–9% of their value, so the shape resolution must be
 * ≤ 2% of a group's scale (measured ≈ 0.3% in ntk-init-limit, ≈ 0.5–0.8% in
 * the gradient-descent claims, ≈ 0.1% in snn-ntk); the diagonal (a group's
 * overall scale) is resolved to ≈ 1.6%, ≈ 2.7–3.9% and ≈ 0.6%: ≤ 5% required.
 */
export const KERNEL_MEAN = { blockUnits: 64, offDiagonalBins: 4, falseAlarm: 1e-4, maxShapeResolution: 0.02, maxScaleResolution: 0.05 };

/**
 * The GD experiment shared by ntk-lazy-training and ntk-linear-convergence:
 * η = n/λ_max(Θ) (half the stability limit), T = 300 steps (ηλ_min/n ≈ 0.025
 * per step, so the slowest mode decays by ≈ e^{−7.4}), targets at the prior's
 * output scale with half their norm along Θ's bottom eigenvector.
 */
export const GD_COMMON = {
  bed: NTK_BED,
  steps: 300,
  etaFactor: 1,
  parameterisation: 'ntk' as const,
  ridge: null,
  targetScale: 1,
  exciteBottom: 0.5,
  testPoints: 32,
  antisymmetric: true,
  kernelMean: KERNEL_MEAN,
};

export const QUICK_GD_WIDTHS = [256, 1024, 4096];
