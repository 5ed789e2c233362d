/** Human-readable output of `compare` (the JSON form is the Comparison object itself). */
import type { Comparison, MetricMove } from '../verify/compare.ts';
import { formatMetric, shortCommit } from '../report/format.ts';

function moveLine(m: MetricMove): string {
  const where = m.falsifier ? `${m.claim} / falsifier ${m.falsifier}` : m.claim;
  const tag = m.regression ? 'REGRESSION ' : '';
  const why = m.criterion ? ` (criterion ${m.criterion}; ${m.towards === 'unknown' ? 'direction not given by the criterion' : `towards ${m.towards === 'worse' ? 'the threshold' : 'safety'}`})` : '';
  return `  ${tag}${where} ${m.metric}: ${formatMetric(m.before)} → ${formatMetric(m.after)}${why}`;
}

export function renderComparison(c: Comparison, beforeFile: string, afterFile: string): string {
  const run = (r: Comparison['before']) => `commit ${shortCommit(r.gitCommit)}, ${r.startedAt}, tier ${r.tier}, seed ${r.seed}, ${r.backend}`;
  const lines = [`before: ${beforeFile} (${run(c.before)})`, `after:  ${afterFile} (${run(c.after)})`];
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  lines.push('', c.verdictChanges.length ? 'verdict changes:' : 'verdict changes: none');
  for (const v of c.verdictChanges) {
    const where = v.falsifier ? `${v.claim} / falsifier ${v.falsifier}` : v.claim;
    const note = v.falsifier ? (v.regression ? ' (no longer caught)' : '') : '';
    lines.push(`  ${v.regression ? 'REGRESSION ' : ''}${where}: ${v.before} → ${v.after}${note}`);
  }
  lines.push('', c.metricMoves.length ? 'moved beyond their intervals:' : 'moved beyond their intervals: none');
  lines.push(...c.metricMoves.map(moveLine));
  if (c.added.length) lines.push('', `new claims: ${c.added.join(', ')}`);
  if (c.partialAfter) lines.push('', `REGRESSION the candidate is incomplete: ${c.partialAfter}`);
  if (c.removed.length) lines.push('', `REGRESSION claims of the baseline missing from the candidate: ${c.removed.join(', ')}`);
  lines.push('', c.regressions ? `${c.regressions} regression(s) found` : 'no regressions');
  return lines.join('\n');
}
