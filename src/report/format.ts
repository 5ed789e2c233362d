/**
 * Number and metric formatting shared by every report format. Values read
 * back from JSON may be null where a number was not finite (see result.ts).
 */
import type { Metric } from '../contract/claim.ts';
import type { Verdict } from '../stats/verdict.ts';
import type { ClaimResult, FalsifierResult } from '../contract/result.ts';

export const VERDICT_EMOJI: Record<Verdict, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️', error: '💥' };

export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(3).replace(/\.?0+$/, '') || '0';
}

export function formatInterval(m: Metric): string {
  if (m.lower === undefined || m.upper === undefined) return '';
  return `[${formatNumber(m.lower)}, ${formatNumber(m.upper)}]${m.level ? ` (${Math.round(m.level * 100)}%)` : ''}`;
}

export function formatMetric(m: Metric): string {
  const interval = formatInterval(m);
  return `${formatNumber(m.value)}${interval ? ` ${interval}` : ''}`;
}

/**
 * The claim's headline measurement: the first decision statistic (a metric
 * with a criterion), preferring one with an interval; else the first metric.
 */
export function keyMetric(metrics: Record<string, Metric>): [string, Metric] | undefined {
  const entries = Object.entries(metrics);
  return (
    entries.find(([, m]) => m.criterion && m.lower !== undefined && m.upper !== undefined) ??
    entries.find(([, m]) => m.criterion) ??
    entries[0]
  );
}

export function decisionMetrics(metrics: Record<string, Metric>): [string, Metric][] {
  return Object.entries(metrics).filter(([, m]) => m.criterion);
}

export function caughtCount(r: ClaimResult): string {
  return `${r.falsifiers.filter((f) => f.caught).length}/${r.falsifiers.length}`;
}

export function seconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'n/a';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 600_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 10) : 'unknown';
}
