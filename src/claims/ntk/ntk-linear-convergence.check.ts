/**
 * ntk-linear-convergence check [WH24; Du et al. 2019 "Gradient Descent
 * Provably Optimizes Over-parameterized Neural Networks"; Lee et al. 2019]:
 * full-batch GD on the mean squared loss with η < 2n/λ_max converges
 * linearly, following the linearised dynamics r_t = (I − ηΘ₀/n)^t r₀.
 *
 * Three criteria, per replica with its own empirical NTK at initialisation
 * Θ₀ (float64 eigen-decomposition):
 *   bound (widest m): loss_t ≤ loss₀ (1 − ηλ_min/n)^{2t} for every recorded t
 *     and every seed (float32 slack boundSlack on the ratio);
 *   distance: D = max_t ‖r_t − (I − ηΘ₀/n)^t r₀‖/‖r₀‖; slope of
 *     log(seed-mean D) vs log m, upper bound ≤ maxDistanceSlope (−0.4);
 *   sharp rate (widest m): the residual along Θ₀'s bottom eigenvector v,
 *     p_t = vᵀr_t, has log p_t² decaying at 2 log(1 − ηλ_min/n) per step: the
 *     ratio measured/predicted (least squares over the window) must have its
 *     bootstrap interval within 1 ± rateTolerance (0.05).
 * Diverged training violates the bound outright (η above 2n/λ_max).
 * Conformance first (src/claims/ntk/shared/training.ts, the claim's own
 * configuration): loss gradients and kernels vs autodiff, the trainer's first
 * two steps vs the GD update, f₀ ≡ 0, Θ₀'s mean vs the analytic NTK; a
 * failure makes the verdict error, naming the check.
 */
import { z } from 'zod';
import { finiteNumber, fractionBelowOne, nonNegativeNumber, positiveNumber } from '../../config/hyperparameters.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { leastSquaresLine } from '../../stats/least-squares.ts';
import { linearisedResiduals, symmetricEigen } from '../../kernels/krr.ts';
import { allOf, atMost, withinBand } from '../../stats/verdict.ts';
import type { CheckResult, ClaimContext } from '../../contract/claim.ts';
import { intervalMetric, PAPER_CONSTANTS_NOTE, seedMeans } from './shared/common.ts';
import { bootstrapInterval } from '../../stats/bootstrap.ts';
import { widthSlope } from '../../stats/width-slope.ts';
import { conformanceProblems, conformanceReport, gdSetupFields, gdSetupRules, trainSetups, type TrainedReplica } from './shared/training.ts';
import { divergenceSummary, GD_STREAM } from './ntk-lazy-training.check.ts';

/** The configuration of ntk-linear-convergence (a GD setup and its criteria), as a zod schema with its type inferred from it. */
export const linearConvergenceConfigSchema = z
  .object({
    ...gdSetupFields,
    /** Upper bound on the slope in m of the distance to the linearised trajectory. */
    maxDistanceSlope: finiteNumber('distance slope threshold'),
    /** Allowed relative deviation of the bottom-eigenvector rate from 2 log(1 − ηλ_min/n). */
    rateTolerance: positiveNumber('rate tolerance'),
    /** The sharp rate is fitted over steps [rateWindowFrom·T, T]. */
    rateWindowFrom: fractionBelowOne('rate window start rateWindowFrom (a fraction of the steps)'),
    /** Allowed excess of loss_t / bound_t over 1 (float32 rounding). */
    boundSlack: nonNegativeNumber('loss bound slack'),
  })
  .superRefine(gdSetupRules);

export type LinearConvergenceConfig = z.infer<typeof linearConvergenceConfigSchema>;

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

interface ReplicaStats {
  boundRatio: number;
  distance: number;
  rateRatio: number;
  lambdaMin: number;
}

function replicaStats(r: TrainedReplica, n: number, windowFrom: number): ReplicaStats {
  const eig = symmetricEigen(r.kernel0);
  const lambdaMin = eig.values[0];
  const T = r.residuals.length - 1;
  const steps = Array.from({ length: T + 1 }, (_, t) => t);
  const lin = linearisedResiduals(eig, r.residuals[0], r.eta, steps);
  const r0 = norm(r.residuals[0]);
  const loss0 = norm(r.residuals[0]) ** 2;
  const factor = 1 - (r.eta * lambdaMin) / n;
  let boundRatio = 0;
  let distance = 0;
  const p: number[] = [];
  for (let t = 0; t <= T; t++) {
    const res = r.residuals[t];
    boundRatio = Math.max(boundRatio, norm(res) ** 2 / (loss0 * factor ** (2 * t)));
    let d = 0;
    let proj = 0;
    for (let i = 0; i < n; i++) {
      d += (res[i] - lin[t][i]) ** 2;
      proj += eig.vectors.get(i, 0) * res[i];
    }
    distance = Math.max(distance, Math.sqrt(d) / r0);
    p.push(proj);
  }
  const from = Math.floor(windowFrom * T);
  const ts = steps.slice(from);
  const measured = leastSquaresLine(ts, ts.map((t) => Math.log(p[t] * p[t]))).slope;
  const predicted = 2 * Math.log(factor);
  return { boundRatio, distance, rateRatio: measured / predicted, lambdaMin };
}

export async function checkLinearConvergence(configs: readonly LinearConvergenceConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  const { problem, results, conformance } = trainSetups(ctx.masterSeed, GD_STREAM, configs, ctx.progress);
  const report = conformanceReport(conformance);
  return configs.map((c, ci) => {
    // Conformance is judged on the claim's own configuration (falsifiers mutate the setting on purpose).
    const problems = ci === 0 ? conformanceProblems(conformance) : [];
    const n = c.bed.n;
    const perWidth = results[ci];
    const widest = c.widths.length - 1;
    const mWide = c.widths[widest];
    const div = divergenceSummary(
      perWidth.map((reps) => reps.map((r) => r.divergedAt)),
      c.widths,
    );
    const assumptions = [
      { id: 'stable-step', met: c.etaFactor < 2, detail: `η = ${c.etaFactor}·n/λ_max(Θ) = ${(c.etaFactor * problem.baseEta).toFixed(3)}` },
      { id: 'ntk-parameterisation', met: c.parameterisation === 'ntk', detail: `parameterisation: ${c.parameterisation}` },
    ];
    const notes = [PAPER_CONSTANTS_NOTE, ...div.notes, ...(ci === 0 ? report.notes : []), ...problems];
    if (problems.length > 0) return { verdict: 'error', metrics: { ...div.metrics, ...report.metrics }, assumptions, notes };
    if (perWidth.some((reps) => reps.some((r) => r.divergedAt >= 0))) {
      return {
        verdict: 'fail',
        metrics: { ...div.metrics, boundRatio: { value: Number.MAX_VALUE, criterion: `≤ ${1 + c.boundSlack} (diverged: loss unbounded)` } },
        assumptions,
        notes: [...notes, 'Training diverged: the loss is not bounded by (1 − ηλ_min/n)^{2t}·loss₀.'],
      };
    }
    const stats = perWidth.map((reps) => reps.map((r) => replicaStats(r, n, c.rateWindowFrom)));
    const wide = stats[widest];
    const boundRatio = Math.max(...wide.map((s) => s.boundRatio));
    const boundVerdict = boundRatio <= 1 + c.boundSlack ? 'pass' : 'fail';
    const distances = Array.from({ length: c.seeds }, (_, s) => stats.map((w) => w[s].distance));
    // Above the stability limit the linearised reference itself explodes; a non-finite distance cannot be fitted.
    const finite = distances.every((row) => row.every((v) => Number.isFinite(v) && v > 0));
    const distanceSlope = finite
      ? widthSlope(distances, c.widths, { bootstrapSeed: deriveSeed(ctx.masterSeed, 'ntk-linear-convergence', 'bootstrap', 'distance') })
      : { estimate: Number.MAX_VALUE, lower: Number.MAX_VALUE, upper: Number.MAX_VALUE, level: 0.95 };
    const rate = bootstrapInterval(
      wide.map((s) => s.rateRatio),
      { bootstrapSeed: deriveSeed(ctx.masterSeed, 'ntk-linear-convergence', 'bootstrap', 'rate') },
    );
    const verdict = allOf([boundVerdict, atMost(distanceSlope, c.maxDistanceSlope), withinBand(rate, 1 - c.rateTolerance, 1 + c.rateTolerance)]);
    const meanD = seedMeans(distances);
    // Seed-averaged loss at the widest width against the bound with the seeds' mean λ_min.
    const T = perWidth[widest][0].residuals.length - 1;
    const plotSteps = Array.from(new Set(Array.from({ length: 41 }, (_, k) => Math.round((k * T) / 40))));
    const loss = plotSteps.map((t) => perWidth[widest].reduce((a, r) => a + norm(r.residuals[t]) ** 2 / (2 * n), 0) / c.seeds);
    const lambdaMin = wide.reduce((a, s) => a + s.lambdaMin, 0) / c.seeds;
    const eta = perWidth[widest][0].eta;
    return {
      verdict,
      metrics: {
        boundRatio: { value: boundRatio, criterion: `max_t loss_t/(loss₀(1−ηλ_min/n)^{2t}) ≤ ${1 + c.boundSlack} at m = ${mWide}, every seed` },
        distanceSlope: intervalMetric(distanceSlope, `upper bound ≤ ${c.maxDistanceSlope}`),
        rateRatio: intervalMetric(rate, `measured/predicted bottom-eigenvector rate within [${1 - c.rateTolerance}, ${1 + c.rateTolerance}] at m = ${mWide}`),
        predictedRate: { value: 2 * Math.log(1 - (eta * lambdaMin) / n) },
        measuredRate: { value: rate.estimate * 2 * Math.log(1 - (eta * lambdaMin) / n) },
        ...Object.fromEntries(c.widths.map((m, w) => [`distance_m${m}`, { value: meanD[w] }])),
        ...div.metrics,
        ...(ci === 0 ? report.metrics : {}),
      },
      series: {
        loss: {
          x: plotSteps,
          y: { 'loss (seed mean)': loss, 'loss₀(1−ηλ̄_min/n)^{2t}': plotSteps.map((t) => loss[0] * (1 - (eta * lambdaMin) / n) ** (2 * t)) },
          xLabel: 'step t',
          yLabel: `training loss at m = ${mWide}`,
          logY: true,
        },
        distance: {
          x: c.widths,
          y: { 'max_t ‖r_t − r_t^lin‖/‖r₀‖': meanD },
          xLabel: 'width m',
          yLabel: 'distance to the linearised trajectory',
          logX: true,
          logY: true,
        },
      },
      assumptions,
      notes,
    };
  });
}
