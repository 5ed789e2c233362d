/**
 * Verdicts and one-sided decision helpers. A one-sided claim "θ ≤ t" passes
 * when the whole interval is at or below t, fails when the whole interval is
 * above t, and is inconclusive when the interval straddles t.
 */
import type { Interval, Verdict } from '../contract/claim.ts';

export type { Verdict };


export function atMost(x: Interval, threshold: number): Verdict {
  if (x.upper <= threshold) return 'pass';
  if (x.lower > threshold) return 'fail';
  return 'inconclusive';
}

export function atLeast(x: Interval, threshold: number): Verdict {
  if (x.lower >= threshold) return 'pass';
  if (x.upper < threshold) return 'fail';
  return 'inconclusive';
}

/** Two-sided criterion lo ≤ θ ≤ hi: pass when the interval is inside, fail when it misses the band entirely. */
export function withinBand(x: Interval, lo: number, hi: number): Verdict {
  if (x.lower >= lo && x.upper <= hi) return 'pass';
  if (x.upper < lo || x.lower > hi) return 'fail';
  return 'inconclusive';
}

/** All criteria must pass; any failure fails; otherwise inconclusive (error dominates all). */
export function allOf(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('error')) return 'error';
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.every((v) => v === 'pass')) return 'pass';
  return 'inconclusive';
}
