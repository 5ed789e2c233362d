/**
 * Shared verdict logic of the entropy-sum claims (family E of CLAIMS.md).
 * A check evaluates the identity at several points (after each M-step, at
 * ML solutions, at trained parameters, ...). At each point it has
 *   - the measured gap F − S (F computed directly, S from the entropies),
 *   - the gap predicted by the exact decomposition R_z + R_x + B,
 *   - optionally a closed-form prediction specific to a falsifier
 *     (e.g. Σ × 1.2 after an M-step gives exactly (D/2)(1 − 1/1.2)).
 * Pass: the worst gap is within tolerance at every point. A falsifier must
 * fail BY THE PREDICTED AMOUNT: if the measured gap is not what the exact
 * formula predicts, the result is 'inconclusive' (an unexplained gap is a
 * bug, not a caught falsifier).
 */
import type { EntropyDiagnosis } from '../entropy/formulas.ts';
import type { CheckResult, Metric } from '../../theory/claim.ts';
import type { Verdict } from '../stats/verdict.ts';

export interface IdentityEvaluation {
  label: string;
  diag: EntropyDiagnosis;
  /** A falsifier-specific closed-form prediction of F − S, when there is one. */
  closedFormGap?: number;
}

export type GapScale = 'relative' | 'absolute';

export interface IdentityCriterion {
  /** Largest allowed gap: relative |F − S|/|F| or absolute nats per point. */
  tolerance: number;
  scale: GapScale;
  /** Largest allowed |measured − predicted| relative to max(1, |F|) (rounding only). */
  predictionTolerance: number;
}

export function gapOf(e: IdentityEvaluation, scale: GapScale): number {
  return scale === 'relative' ? e.diag.relativeGap : Math.abs(e.diag.gap);
}

export function predictionErrorOf(e: IdentityEvaluation): number {
  const scale = Math.max(1, Math.abs(e.diag.elbo));
  const errors = [e.diag.decompositionError];
  if (e.closedFormGap !== undefined) errors.push(Math.abs(e.diag.gap - e.closedFormGap));
  return Math.max(...errors) / scale;
}

export interface IdentitySummary {
  verdict: Verdict;
  metrics: Record<string, Metric>;
  notes: string[];
  worst: IdentityEvaluation;
}

/** Verdict and metrics over all evaluation points of one configuration. */
export function summariseIdentity(evals: readonly IdentityEvaluation[], crit: IdentityCriterion): IdentitySummary {
  if (evals.length === 0) throw new Error('summariseIdentity: no evaluation points');
  let worst = evals[0];
  // NaN counts as the worst possible gap (a non-finite F or S must never pass).
  const badness = (e: IdentityEvaluation) => (Number.isNaN(gapOf(e, crit.scale)) ? Infinity : gapOf(e, crit.scale));
  for (const e of evals) if (badness(e) > badness(worst)) worst = e;
  const worstPrediction = evals.reduce((m, e) => Math.max(m, predictionErrorOf(e)), 0); // NaN propagates
  const worstGap = gapOf(worst, crit.scale);
  const notes: string[] = [];
  let verdict: Verdict = worstGap <= crit.tolerance ? 'pass' : 'fail';
  if (!(worstPrediction <= crit.predictionTolerance)) {
    verdict = 'inconclusive';
    notes.push(
      `the measured gap F − S differs from the exact decomposition by ${worstPrediction.toExponential(2)} ` +
        `(relative to max(1, |F|); allowed ${crit.predictionTolerance.toExponential(0)}): the gap is not explained`,
    );
  }
  const unit = crit.scale === 'relative' ? '|F − S|/|F|' : '|F − S| (nats/point)';
  const predicted = worst.closedFormGap ?? worst.diag.decomposition.total;
  const metrics: Record<string, Metric> = {
    worstGap: { value: worstGap, criterion: `${unit} ≤ ${crit.tolerance.toExponential(0)} at every point` },
    worstAbsoluteGap: { value: evals.reduce((m, e) => Math.max(m, Math.abs(e.diag.gap)), 0) },
    worstRelativeGap: { value: evals.reduce((m, e) => Math.max(m, e.diag.relativeGap), 0) },
    measuredGap: { value: worst.diag.gap },
    predictedGap: { value: predicted },
    worstPredictionError: { value: worstPrediction, criterion: `≤ ${crit.predictionTolerance.toExponential(0)} (measured gap explained by the exact formula)` },
    elboAtWorst: { value: worst.diag.elbo },
    entropySumAtWorst: { value: worst.diag.entropySum },
    points: { value: evals.length },
  };
  notes.push(`worst point: ${worst.label} (F = ${worst.diag.elbo.toPrecision(10)}, S = ${worst.diag.entropySum.toPrecision(10)}, ` +
    `F − S = ${worst.diag.gap.toExponential(3)}, predicted ${predicted.toExponential(3)})`);
  return { verdict, metrics, notes, worst };
}

export function identityResult(evals: readonly IdentityEvaluation[], crit: IdentityCriterion, extra: Partial<CheckResult> = {}): CheckResult {
  const s = summariseIdentity(evals, crit);
  return {
    verdict: s.verdict,
    metrics: { ...s.metrics, ...(extra.metrics ?? {}) },
    series: extra.series,
    assumptions: extra.assumptions,
    notes: [...s.notes, ...(extra.notes ?? [])],
  };
}

/** Combine verdicts where every part must pass (error dominates, then fail, then inconclusive). */
export function combine(...verdicts: Verdict[]): Verdict {
  if (verdicts.includes('error')) return 'error';
  if (verdicts.includes('inconclusive')) return 'inconclusive';
  if (verdicts.includes('fail')) return 'fail';
  return 'pass';
}
