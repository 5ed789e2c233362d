/**
 * Building blocks of the family-N configuration schemas (zod): the test bed,
 * the width ladders, the kernel mean test's settings, the slope band and the
 * engine's parameterisations, each message naming the setting and what is
 * allowed (`allowed <what>: <range>`, the form the validator probes for).
 * The shared blocks (seeds, steps, β, ...) are src/config/hyperparameters.ts's.
 *
 * The runtime checks in the claims' check functions (validateTestBed,
 * validateWidths, validateKernelMean, ...) stay: the check functions are
 * public API and may be called without the schema.
 */
import { z } from 'zod';
import { finiteNumber, intAtLeast, nonNegativeNumber, positiveNumber } from '../../../config/hyperparameters.ts';
import type { NtkFormula } from '../../../kernels/relu-ntk.ts';
import { PARAMETERISATIONS } from '../../../models/ntk/wide-relu.ts';
import type { NoiseDraws } from '../../../models/ntk/stochastic-latent.ts';

/** A width m: even (antisymmetric initialisation pairs its units; the kernel blocks split in halves). */
export const evenWidth = (what = 'width m') => {
  const allowed = `allowed ${what}: an even integer ≥ 2`;
  return z.number({ error: `${what} must be a number` }).int({ error: allowed }).min(2, { error: allowed }).multipleOf(2, { error: allowed });
};

/** Increasing even widths, at least `minCount` of them (a least-squares slope in log m needs 3). */
export const widthLadder = (minCount = 3, what = 'widths') =>
  z
    .array(evenWidth(), { error: `allowed ${what}: a list of at least ${minCount} increasing even integers ≥ 2` })
    .min(minCount, { error: `allowed ${what}: at least ${minCount} increasing even integers ≥ 2${minCount >= 3 ? ' (a width slope needs 3)' : ''}` })
    .superRefine((ws, ctx) => {
      for (let i = 1; i < ws.length; i++) {
        if (!(ws[i] > ws[i - 1])) ctx.addIssue({ code: 'custom', path: [i], message: `allowed ${what}: increasing (got ${ws.join(', ')})` });
      }
    });

/** Network and data sizes shared by a family-N check (src/claims/ntk/shared/tiers.ts NTK_BED). */
export const ntkTestBedSchema = z.object({
  /** Input dimension (≥ 8, CLAIMS.md pitfall). */
  d: intAtLeast('input dimension d', 8, 'CLAIMS.md: d = 2 gives condition numbers up to 1e6'),
  /** Training points. */
  n: intAtLeast('training points n', 4),
  sigmaW: positiveNumber('weight scale σ_W'),
  sigmaB: nonNegativeNumber('bias scale σ_b'),
});

/** The kernel mean test of the block kernels (src/claims/ntk/shared/kernel-mean.ts, relu-kernel-mean.ts). */
export const kernelMeanSchema = z.object({
  /** Hidden units per i.i.d. block draw (divides every width; even). */
  blockUnits: evenWidth('kernel-mean block units'),
  /** Bins of off-diagonal entries by input cosine (plus the diagonal). */
  offDiagonalBins: intAtLeast('kernel-mean off-diagonal bins', 1),
  /** Family-wise false-alarm rate of the test. */
  falseAlarm: z
    .number({ error: 'kernel-mean false-alarm rate must be a number' })
    .gt(0, { error: 'allowed kernel-mean false-alarm rate α: 0 < α < 0.5' })
    .lt(0.5, { error: 'allowed kernel-mean false-alarm rate α: 0 < α < 0.5' }),
  /**
   * A pass needs the test to resolve shifts of this fraction of a group's
   * scale: on the control-variate adjusted coordinates (the kernel's shape
   * across entries, where formula errors such as π − 0.9θ show) and on the
   * diagonal ones (its overall scale, limited by what the parameter-moment
   * controls leave of the units' spread).
   */
  maxShapeResolution: positiveNumber('kernel-mean shape resolution'),
  maxScaleResolution: positiveNumber('kernel-mean scale resolution'),
});

/**
 * Cross-field rule of every configuration with widths and a kernel mean test:
 * each width is a whole number of blocks (one block of blockUnits hidden units
 * is one i.i.d. kernel draw).
 */
export function blocksDivideWidths(c: { widths: readonly number[]; kernelMean: { blockUnits: number } }, ctx: z.RefinementCtx): void {
  const k = c.kernelMean.blockUnits;
  if (!Number.isInteger(k) || k < 1 || !Array.isArray(c.widths)) return;
  c.widths.forEach((m, i) => {
    if (Number.isInteger(m) && m % k !== 0) ctx.addIssue({ code: 'custom', path: ['widths', i], message: `allowed widths: multiples of kernelMean.blockUnits = ${k} (got ${m})` });
  });
}

/** Allowed range [lower, upper] of an error-vs-width slope. */
export const slopeBandSchema = z
  .tuple([finiteNumber('slope band lower end'), finiteNumber('slope band upper end')], { error: 'allowed slope band: [lower, upper], two finite numbers with lower < upper' })
  .superRefine(([lo, hi], ctx) => {
    if (!(lo < hi)) ctx.addIssue({ code: 'custom', path: [], message: `allowed slope band: [lower, upper] with lower < upper (got [${lo}, ${hi}])` });
  });

/** The wide ReLU network's parameterisations (src/models/ntk/wide-relu.ts). */
export const parameterisationSchema = z.enum(PARAMETERISATIONS, { error: `allowed parameterisation: ${PARAMETERISATIONS.map((p) => `"${p}"`).join(', ')}` });

/** The analytic NTK formula: the closed form, or the falsifier's with the 1/2 of the derivative term dropped. */
export const ntkFormulaSchema = z.enum(['correct', 'missing-half'] as const satisfies readonly NtkFormula[], { error: 'allowed analytic formula: "correct" or "missing-half"' });

/** How the stochastic network's noise draws are made (src/models/ntk/stochastic-latent.ts). */
export const noiseDrawsSchema = z.enum(['stratified', 'iid'] as const satisfies readonly NoiseDraws[], { error: 'allowed noise draws: "stratified" or "iid"' });
