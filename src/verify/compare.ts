/**
 * Regression tracking between two reports (e.g. two commits): which verdicts
 * changed, which falsifiers stopped being caught, and which measured
 * quantities moved beyond their intervals.
 *
 * "Moved beyond its interval": the two runs' confidence intervals are
 * disjoint (or, when only one side has an interval, the other side's value
 * lies outside it). Disjoint 95% intervals is a conservative test — for two
 * independent estimates with equal standard errors it corresponds to
 * |Δ| > 2·1.96·se, a two-sided p ≈ 0.006 — so a flagged move is rarely seed
 * noise. Metrics without intervals (exact quantities, counts) are compared
 * through the verdict only.
 *
 * A regression is:
 *  - a claim verdict that got worse (pass > inconclusive > fail > error);
 *  - a falsifier that was caught and no longer is;
 *  - a decision metric (one with a criterion) of a claim that moved beyond its
 *    interval towards its threshold — the direction is read from the criterion
 *    ("≤ …" lower is better, "≥ …" higher is better); when the criterion does
 *    not say (a range, free text) any such move counts.
 * Other moves (falsifier metrics, descriptive metrics, moves away from the
 * threshold) are listed but do not fail the comparison.
 */
import type { Metric } from '../contract/claim.ts';
import type { Verdict } from '../stats/verdict.ts';
import type { VerifyReport } from '../contract/result.ts';
import { incompleteness } from '../report/incomplete.ts';

const RANK: Record<Verdict, number> = { pass: 3, inconclusive: 2, fail: 1, error: 0 };

export type Direction = 'lower-is-better' | 'higher-is-better' | 'unknown';

export interface VerdictChange {
  claim: string;
  /** Set for a falsifier's verdict. */
  falsifier?: string;
  before: Verdict;
  after: Verdict;
  regression: boolean;
}

export interface MetricMove {
  claim: string;
  falsifier?: string;
  metric: string;
  before: Metric;
  after: Metric;
  criterion?: string;
  /** Relative to the criterion: towards its threshold ("worse"), away ("better"), or not known. */
  towards: 'worse' | 'better' | 'unknown';
  regression: boolean;
}

export interface Comparison {
  before: { startedAt: string; gitCommit: string | null; tier: string; seed: number; backend: string };
  after: { startedAt: string; gitCommit: string | null; tier: string; seed: number; backend: string };
  /** Differences in run settings that make metric moves not comparable. */
  warnings: string[];
  verdictChanges: VerdictChange[];
  metricMoves: MetricMove[];
  added: string[];
  removed: string[];
  /** Set when the candidate (after) is itself partial: interrupted, one shard, or a merge with claims missing. */
  partialAfter?: string;
  regressions: number;
}

export interface CompareOptions {
  /** Do not count claims missing from the candidate, or a partial candidate, as regressions. */
  allowMissing?: boolean;
}

/** Which way a criterion text points: "upper bound ≤ -0.35" → lower is better; "≥ 0.9" → higher is better. */
export function criterionDirection(criterion: string | undefined): Direction {
  if (!criterion) return 'unknown';
  const atMost = /≤|<=|<|\bat most\b|\bbelow\b/i.test(criterion);
  const atLeast = /≥|>=|>|\bat least\b|\babove\b/i.test(criterion);
  if (atMost && !atLeast) return 'lower-is-better';
  if (atLeast && !atMost) return 'higher-is-better';
  return 'unknown';
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const hasInterval = (m: Metric) => finite(m.lower) && finite(m.upper);

/** True when the two measurements are separated by their intervals (see the module comment). */
export function movedBeyondIntervals(before: Metric, after: Metric): boolean {
  if (!finite(before.value) || !finite(after.value)) return false;
  if (hasInterval(before) && hasInterval(after)) return after.lower! > before.upper! || after.upper! < before.lower!;
  if (hasInterval(before)) return after.value < before.lower! || after.value > before.upper!;
  if (hasInterval(after)) return before.value < after.lower! || before.value > after.upper!;
  return false;
}

function towards(before: Metric, after: Metric, direction: Direction): MetricMove['towards'] {
  if (direction === 'unknown') return 'unknown';
  const up = after.value > before.value;
  return (direction === 'lower-is-better') === up ? 'worse' : 'better';
}

function metricMoves(claim: string, falsifier: string | undefined, a: Record<string, Metric>, b: Record<string, Metric>): MetricMove[] {
  const moves: MetricMove[] = [];
  for (const [name, before] of Object.entries(a)) {
    const after = b[name];
    if (!after || !movedBeyondIntervals(before, after)) continue;
    const criterion = after.criterion ?? before.criterion;
    const dir = towards(before, after, criterionDirection(criterion));
    moves.push({
      claim,
      ...(falsifier ? { falsifier } : {}),
      metric: name,
      before,
      after,
      ...(criterion ? { criterion } : {}),
      towards: dir,
      regression: !falsifier && criterion !== undefined && dir !== 'better',
    });
  }
  return moves;
}

function runInfo(r: VerifyReport): Comparison['before'] {
  return { startedAt: r.startedAt, gitCommit: r.environment?.gitCommit ?? null, tier: r.tier, seed: r.seed, backend: r.backend };
}

/**
 * A claim of the baseline that the candidate lacks is a regression (it may have
 * crashed, been interrupted or left to another shard: the candidate says
 * nothing about it), and so is a partial candidate, unless `allowMissing`.
 */
export function compareReports(before: VerifyReport, after: VerifyReport, opts: CompareOptions = {}): Comparison {
  const warnings: string[] = [];
  for (const key of ['tier', 'seed', 'backend'] as const) {
    if (before[key] !== after[key]) {
      warnings.push(`${key} differs (${String(before[key])} → ${String(after[key])}): measured values are not directly comparable`);
    }
  }
  const afterById = new Map(after.claims.map((c) => [c.id, c]));
  const beforeIds = new Set(before.claims.map((c) => c.id));
  const verdictChanges: VerdictChange[] = [];
  const moves: MetricMove[] = [];
  for (const a of before.claims) {
    const b = afterById.get(a.id);
    if (!b) continue;
    if (a.verdict !== b.verdict) {
      verdictChanges.push({ claim: a.id, before: a.verdict, after: b.verdict, regression: RANK[b.verdict] < RANK[a.verdict] });
    }
    moves.push(...metricMoves(a.id, undefined, a.metrics, b.metrics));
    const bFalsifiers = new Map(b.falsifiers.map((f) => [f.id, f]));
    for (const fa of a.falsifiers) {
      const fb = bFalsifiers.get(fa.id);
      if (!fb) continue;
      if (fa.verdict !== fb.verdict) {
        verdictChanges.push({ claim: a.id, falsifier: fa.id, before: fa.verdict, after: fb.verdict, regression: fa.caught && !fb.caught });
      }
      moves.push(...metricMoves(a.id, fa.id, fa.metrics, fb.metrics));
    }
  }
  const removed = before.claims.filter((c) => !afterById.has(c.id)).map((c) => c.id);
  const partialAfter = incompleteness(after)?.headline;
  const incomplete = opts.allowMissing ? 0 : removed.length + (partialAfter ? 1 : 0);
  const regressions = verdictChanges.filter((c) => c.regression).length + moves.filter((m) => m.regression).length + incomplete;
  return {
    before: runInfo(before),
    after: runInfo(after),
    warnings,
    verdictChanges,
    metricMoves: moves,
    added: after.claims.filter((c) => !beforeIds.has(c.id)).map((c) => c.id),
    removed,
    ...(partialAfter ? { partialAfter } : {}),
    regressions,
  };
}
