/**
 * Shared verdict logic of the entropy-sum claims (family E of CLAIMS.md).
 * A check evaluates the identity at several points (after each M-step, at
 * ML solutions, at trained parameters, ...). At each point it has
 *   - the measured gap F − S (F computed directly, S from the entropies),
 *   - the gap predicted by the exact decomposition R_z + R_x + B,
 *   - optionally a closed-form prediction specific to a falsifier
 *     (e.g. Σ × 1.2 after an M-step gives exactly (D/2)(1 − 1/1.2)).
 * Verdicts (CLAIMS.md, "Verdicts mean one thing each"):
 *   - `error`: somewhere the measured gap is NOT what the exact decomposition
 *     (or the falsifier's closed form) predicts. F = S + R_z + R_x + B holds at
 *     every point whatever the parameters, so an unexplained gap is a defect
 *     of the harness or of the formulas (a wrong entropy term, a dropped
 *     constant, an ELBO computed wrongly), never evidence about the claim.
 *     The note names the point and the unexplained amount.
 *   - `fail`: every gap is explained, and at a point that is stationary by
 *     construction (the closed-form M-step, the ML solution) the gap exceeds
 *     the tolerance: the identity is violated. A falsifier (Σ × 1.2, π
 *     perturbed, σ² fixed) must end here: its gap is explained and large.
 *   - `pass`: every gap explained and within tolerance.
 *   - `inconclusive` is never produced here: it belongs to arms whose premise
 *     (stationarity) may not have been reached (see entropy-engine-arm.ts).
 */
import type { EntropyDiagnosis } from '../../../entropy/formulas.ts';
import type { CheckResult, Metric } from '../../../contract/claim.ts';
import { allOf, type Verdict } from '../../../stats/verdict.ts';

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

/** The gap |F − S| (absolute, or relative to |F|), recomputed from the primitives (see bookkeepingErrorOf). */
export function gapOf(e: IdentityEvaluation, scale: GapScale): number {
  const d = e.diag;
  const gap = Math.abs(d.elbo - (d.encoderEntropy - d.priorEntropy - d.decoderEntropy + (d.correction ?? 0)));
  return scale === 'relative' ? gap / Math.abs(d.elbo) : gap;
}

/**
 * The diagnosis's bookkeeping recomputed from its primitives (the three
 * entropies, F, the decomposition's parts): the largest disagreement with its
 * own S, gap, total, relative gap and decomposition error, in nats. A
 * bookkeeping bug (a sign in S = H_enc − H_prior − H_dec, a gap taken the
 * wrong way) must not be able to hide a gap or invent one.
 */
export function bookkeepingErrorOf(d: EntropyDiagnosis): number {
  const S = d.encoderEntropy - d.priorEntropy - d.decoderEntropy + (d.correction ?? 0);
  const gap = d.elbo - S;
  const total = d.decomposition.prior + d.decomposition.decoder + d.decomposition.baseMeasure;
  const scale = Math.max(1, Math.abs(d.elbo));
  return Math.max(
    Math.abs(d.entropySum - S),
    Math.abs(d.gap - gap),
    Math.abs(d.decomposition.total - total),
    Math.abs(d.relativeGap - Math.abs(gap) / Math.abs(d.elbo)) * scale,
    Math.abs(d.decompositionError - Math.abs(gap - total)),
  );
}

/**
 * |measured − predicted| relative to max(1, |F|): the decomposition's, the
 * closed form's when there is one, and the diagnosis's own bookkeeping.
 */
export function predictionErrorOf(e: IdentityEvaluation): number {
  const d = e.diag;
  const scale = Math.max(1, Math.abs(d.elbo));
  const S = d.encoderEntropy - d.priorEntropy - d.decoderEntropy + (d.correction ?? 0);
  const gap = d.elbo - S;
  const total = d.decomposition.prior + d.decomposition.decoder + d.decomposition.baseMeasure;
  const errors = [Math.abs(gap - total), bookkeepingErrorOf(d)];
  if (e.closedFormGap !== undefined) errors.push(Math.abs(gap - e.closedFormGap));
  const worst = Math.max(...errors);
  // A non-finite F, S or prediction is unexplained by definition.
  return Number.isFinite(worst) && Number.isFinite(gap) ? worst / scale : Infinity;
}

/**
 * The `error` note for an unexplained gap: the point, F, S, the measured and
 * predicted gaps and the unexplained amount in nats per point.
 */
export function unexplainedNote(e: IdentityEvaluation, tolerance: number): string {
  const predicted = e.diag.decomposition.total;
  const closed = e.closedFormGap === undefined ? '' : `, the falsifier's closed form ${e.closedFormGap.toExponential(4)}`;
  const unexplained = e.diag.gap - (e.closedFormGap !== undefined && Math.abs(e.diag.gap - e.closedFormGap) > e.diag.decompositionError ? e.closedFormGap : predicted);
  return (
    `unexplained gap at "${e.label}": F − S = ${e.diag.gap.toExponential(4)} but the exact decomposition R_z + R_x + B predicts ` +
    `${predicted.toExponential(4)}${closed}; unexplained ${unexplained.toExponential(3)} nats/point ` +
    `(${predictionErrorOf(e).toExponential(2)} relative to max(1, |F|), allowed ${tolerance.toExponential(0)}; F = ${e.diag.elbo.toPrecision(10)}, ` +
    `S = ${e.diag.entropySum.toPrecision(10)}). F = S + R_z + R_x + B holds at ANY point, so this is a defect of the ELBO, ` +
    `entropy or decomposition code (harness or engine), not evidence about the claim`
  );
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
  let worstExplained = evals[0];
  for (const e of evals) if (predictionErrorOf(e) > predictionErrorOf(worstExplained)) worstExplained = e;
  const worstPrediction = predictionErrorOf(worstExplained);
  const worstGap = gapOf(worst, crit.scale);
  const notes: string[] = [];
  let verdict: Verdict = worstGap <= crit.tolerance ? 'pass' : 'fail';
  if (!(worstPrediction <= crit.predictionTolerance)) {
    verdict = 'error';
    notes.push(unexplainedNote(worstExplained, crit.predictionTolerance));
  }
  const unit = crit.scale === 'relative' ? '|F − S|/|F|' : '|F − S| (nats/point)';
  const predicted = worst.closedFormGap ?? worst.diag.decomposition.total;
  const metrics: Record<string, Metric> = {
    worstGap: { value: worstGap, criterion: `${unit} ≤ ${crit.tolerance.toExponential(0)} at every point` },
    worstAbsoluteGap: { value: evals.reduce((m, e) => Math.max(m, Math.abs(e.diag.gap)), 0) },
    worstRelativeGap: { value: evals.reduce((m, e) => Math.max(m, e.diag.relativeGap), 0) },
    measuredGap: { value: worst.diag.gap },
    predictedGap: { value: predicted },
    worstPredictionError: { value: worstPrediction, criterion: `≤ ${crit.predictionTolerance.toExponential(0)} (measured gap explained by the exact formula; else error)` },
    elboAtWorst: { value: worst.diag.elbo },
    entropySumAtWorst: { value: worst.diag.entropySum },
    points: { value: evals.length },
  };
  notes.push(
    `worst point: ${worst.label} (F = ${worst.diag.elbo.toPrecision(10)}, S = ${worst.diag.entropySum.toPrecision(10)}, ` +
      `F − S = ${worst.diag.gap.toExponential(3)}, predicted ${predicted.toExponential(3)})`,
  );
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

/** Every part must pass: error dominates, then fail (evidence against), then inconclusive. */
export function combine(...verdicts: Verdict[]): Verdict {
  return allOf(verdicts);
}

/** Metrics of a sub-check under a prefix: worstGap → f64WorstGap. */
export function prefixed(prefix: string, metrics: Record<string, Metric>): Record<string, Metric> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [prefix ? prefix + k[0].toUpperCase() + k.slice(1) : k, v]));
}
