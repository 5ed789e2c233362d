/**
 * ntk-lazy-training check [WH24; Jacot et al. 2018; Du et al. 2019]: during
 * full-batch GD with a fixed step η < 2n/λ_max, the tangent kernel of a wide
 * network barely moves: ‖Θ_T − Θ₀‖_F/‖Θ₀‖_F → 0 as m grows (∝ m^{−1/2} by the
 * standard argument; faster here at small widths).
 *
 * Per width and seed (all seeds, widths' falsifier parameterisations in one
 * replica batch, src/claims/ntk/shared/training.ts): the relative kernel change after
 * T steps. Statistic: slope of log(seed-mean change) vs log m with a bootstrap
 * over seeds; pass when its upper bound ≤ maxSlope (CLAIMS.md −0.4;
 * calibration 0.067 → 0.002 over 64..8192).
 * A replica whose training diverges has no finite kernel change: the check
 * then fails and says so (the standard parameterisation at the same η: its
 * tangent kernel is ∝ m, so η·λ_max/n ≫ 2).
 * Self-check of the statistic (kernelPairingSelfCheck): each replica's own
 * Θ₀ put through the change expression must give exactly 0, else error (a
 * kernel compared with another seed's or width's Θ₀).
 * Conformance first (src/claims/ntk/shared/training.ts, the claim's own
 * configuration): a failed engine check (loss gradients or kernels vs
 * autodiff, the trainer's step, f₀ ≡ 0, Θ₀'s mean vs the analytic NTK — e.g.
 * a layer's contribution missing from the empirical NTK, which still
 * "changes little") makes the verdict error, naming the check.
 */
import { z } from 'zod';
import { finiteNumber } from '../../config/hyperparameters.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { relativeFrobenius } from '../../kernels/krr.ts';
import { atMost } from '../../stats/verdict.ts';
import type { CheckResult, ClaimContext, Metric } from '../../contract/claim.ts';
import { intervalMetric, PAPER_CONSTANTS_NOTE, seedMeans } from './shared/common.ts';
import { widthSlope } from '../../stats/width-slope.ts';
import { conformanceProblems, conformanceReport, gdSetupFields, gdSetupRules, trainSetups, type TrainedReplica } from './shared/training.ts';

/** The configuration of ntk-lazy-training (a GD setup and its criterion), as a zod schema with its type inferred from it. */
export const lazyTrainingConfigSchema = z
  .object({
    ...gdSetupFields,
    /** Upper bound on the slope of the relative kernel change vs width. */
    maxSlope: finiteNumber('kernel-change slope threshold'),
  })
  .superRefine(gdSetupRules);

export type LazyTrainingConfig = z.infer<typeof lazyTrainingConfigSchema>;

export const GD_STREAM = 'ntk-gd';

export function divergenceSummary(divergedAt: number[][], widths: readonly number[]): { metrics: Record<string, Metric>; notes: string[] } {
  const metrics: Record<string, Metric> = {};
  const parts: string[] = [];
  widths.forEach((m, w) => {
    const steps = divergedAt[w].filter((s) => s >= 0);
    metrics[`diverged_m${m}`] = { value: steps.length / divergedAt[w].length, criterion: 'fraction of seeds whose training diverged (must be 0)' };
    if (steps.length > 0) parts.push(`m = ${m}: ${steps.length}/${divergedAt[w].length} seeds diverged (first at step ${Math.min(...steps)})`);
  });
  return { metrics, notes: parts.length > 0 ? [`Training diverged — ${parts.join('; ')}.`] : [] };
}

/**
 * Harness self-check of the kernel-change table: every replica's OWN Θ₀, put
 * through the same expression in place of its Θ_T, must give a change of
 * exactly 0 (‖Θ₀ − Θ₀‖_F = 0 in any floating point, so no tolerance and no
 * false alarm). Any other value means the expression pairs a replica's kernel
 * with another replica's Θ₀ (another seed's or another width's): an index
 * slip that still "changes little" (seed-to-seed Θ₀ distance ≈ 0.06 at
 * m = 4096, a slope ≈ −0.5) and would pass the claim. Returns the message, or
 * null when the pairing is right. Cost: S·W relative norms of n × n matrices.
 */
export function kernelPairingSelfCheck(
  changeTable: (table: readonly (readonly TrainedReplica[])[]) => number[][],
  perWidth: readonly (readonly TrainedReplica[])[],
  widths: readonly number[],
): string | null {
  const zero = changeTable(perWidth.map((reps) => reps.map((r) => ({ ...r, kernelT: r.kernel0 }))));
  const slips: string[] = [];
  zero.forEach((row, s) => row.forEach((v, w) => v !== 0 && slips.push(`seed ${s}, m = ${widths[w]}: ${v.toExponential(2)}`)));
  if (slips.length === 0) return null;
  return (
    `harness self-check: the kernel-change expression does not compare each replica with its own Θ₀ — each replica's Θ₀ put through it in place of Θ_T ` +
    `gives ${slips.length} non-zero change(s) (must be exactly 0): ${slips.slice(0, 4).join('; ')}${slips.length > 4 ? '; …' : ''}`
  );
}

export async function checkLazyTraining(configs: readonly LazyTrainingConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  const { problem, results, conformance } = trainSetups(ctx.masterSeed, GD_STREAM, configs, ctx.progress);
  const report = conformanceReport(conformance);
  return configs.map((c, ci) => {
    // Conformance is judged on the claim's own configuration (falsifiers mutate the setting on purpose).
    const problems = ci === 0 ? conformanceProblems(conformance) : [];
    const perWidth = results[ci];
    const div = divergenceSummary(
      perWidth.map((reps) => reps.map((r) => r.divergedAt)),
      c.widths,
    );
    const assumptions = [
      { id: 'ntk-parameterisation', met: c.parameterisation === 'ntk', detail: `parameterisation: ${c.parameterisation}` },
      { id: 'stable-step', met: c.etaFactor < 2, detail: `η = ${c.etaFactor}·n/λ_max(Θ) = ${(c.etaFactor * problem.baseEta).toFixed(3)} (n = ${c.bed.n}, λ_max = ${problem.eigen.values[c.bed.n - 1].toFixed(4)})` },
    ];
    const notes = [PAPER_CONSTANTS_NOTE, ...div.notes, ...(ci === 0 ? report.notes : []), ...problems];
    if (problems.length > 0) return { verdict: 'error', metrics: { ...div.metrics, ...report.metrics }, assumptions, notes };
    if (perWidth.some((reps) => reps.some((r) => r.divergedAt >= 0))) {
      return { verdict: 'fail', metrics: div.metrics, assumptions, notes: [...notes, 'A diverged run has no finite kernel change: the kernel did not stay near Θ₀.'] };
    }
    // One expression builds the statistic's table (seeds × widths) and its self-check's.
    const changeTable = (table: readonly (readonly TrainedReplica[])[]) =>
      Array.from({ length: c.seeds }, (_, s) => table.map((reps) => relativeFrobenius(reps[s].kernelT!, reps[s].kernel0)));
    const change = changeTable(perWidth);
    const pairing = kernelPairingSelfCheck(changeTable, perWidth, c.widths);
    if (pairing) return { verdict: 'error', metrics: { ...div.metrics, ...(ci === 0 ? report.metrics : {}) }, assumptions, notes: [...notes, pairing], error: pairing };
    const slope = widthSlope(change, c.widths, { bootstrapSeed: deriveSeed(ctx.masterSeed, 'ntk-lazy-training', 'bootstrap') });
    const means = seedMeans(change);
    return {
      verdict: atMost(slope, c.maxSlope),
      metrics: {
        slope: intervalMetric(slope, `upper bound ≤ ${c.maxSlope}`),
        ...Object.fromEntries(c.widths.map((m, w) => [`kernelChange_m${m}`, { value: means[w] }])),
        ...div.metrics,
        ...(ci === 0 ? report.metrics : {}),
      },
      series: {
        kernelChange: {
          x: c.widths,
          y: { '‖Θ_T−Θ₀‖/‖Θ₀‖': means, 'm^{-1/2} (scaled)': c.widths.map((m) => means[0] * Math.sqrt(c.widths[0] / m)) },
          xLabel: 'width m',
          yLabel: `relative kernel change after ${c.steps} GD steps`,
          logX: true,
          logY: true,
        },
      },
      assumptions,
      notes,
    };
  });
}
