/**
 * report.md: compact enough for a CI job summary or a pull-request comment.
 */
import type { Metric } from '../../theory/claim.ts';
import type { ClaimResult, VerifyReport } from '../verify/result.ts';
import type { Verdict } from '../stats/verdict.ts';

const BADGE: Record<Verdict, string> = { pass: '✅ pass', fail: '❌ fail', inconclusive: '⚠️ inconclusive', error: '💥 error' };

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(3).replace(/\.?0+$/, '') || '0';
}

export function formatMetric(m: Metric): string {
  const interval =
    m.lower !== undefined && m.upper !== undefined
      ? ` [${formatNumber(m.lower)}, ${formatNumber(m.upper)}]${m.level ? ` (${Math.round(m.level * 100)}%)` : ''}`
      : '';
  return `${formatNumber(m.value)}${interval}`;
}

function falsifierCell(r: ClaimResult): string {
  if (r.falsifiers.length === 0) return '—';
  return r.falsifiers.map((f) => `${f.id}: ${f.caught ? 'caught (fail)' : `NOT caught (${f.verdict})`}`).join('<br>');
}

function keyMetrics(r: ClaimResult): string {
  return Object.entries(r.metrics)
    .filter(([, m]) => m.criterion)
    .map(([name, m]) => `${name} ${formatMetric(m)}`)
    .join('<br>');
}

export function renderMarkdown(report: VerifyReport): string {
  const { summary } = report;
  const lines = [
    `# vae-claims verification report`,
    '',
    `${report.ok ? '✅' : '❌'} **${summary.passed}/${summary.claims} claims pass, ` +
      `${summary.caught}/${summary.falsifiers} falsifiers caught**` +
      (summary.errors ? `, ${summary.errors} errors` : '') +
      ` · tier \`${report.tier}\` · seed ${report.seed} · backend \`${report.backend}\` (tfjs ${report.backendInfo.tfjsVersion}, float32)` +
      ` · ${(report.durationMs / 1000).toFixed(1)} s · ${report.startedAt}` +
      (report.environment.gitCommit ? ` · commit \`${report.environment.gitCommit.slice(0, 10)}\`` : ''),
    '',
    '| claim | source | verdict | measured | falsifiers | time |',
    '|---|---|---|---|---|---|',
    ...report.claims.map(
      (r) =>
        `| \`${r.id}\` | ${r.source.key} (arXiv:${r.source.arxiv}) | ${BADGE[r.verdict]} | ${keyMetrics(r) || '—'} | ` +
        `${falsifierCell(r)} | ${(r.durationMs / 1000).toFixed(1)} s |`,
    ),
    '',
  ];
  for (const r of report.claims) {
    lines.push(`## \`${r.id}\`: ${r.title}`, '', `${r.statement}`, '');
    if (r.error) lines.push('```', r.error, '```', '');
    const metricRows = Object.entries(r.metrics).map(([k, m]) => `| ${k} | ${formatMetric(m)} | ${m.criterion ?? ''} |`);
    if (metricRows.length) lines.push('| metric | value | criterion |', '|---|---|---|', ...metricRows, '');
    for (const f of r.falsifiers) {
      const fm = Object.entries(f.metrics)
        .filter(([, m]) => m.criterion)
        .map(([k, m]) => `${k} ${formatMetric(m)}`)
        .join(', ');
      lines.push(`- falsifier \`${f.id}\` (${f.description}) → ${BADGE[f.verdict]}${f.caught ? ' as it must' : ' — NOT caught'}; expected: ${f.expected}${fm ? `; measured ${fm}` : ''}`);
    }
    const assumptions = r.assumptions.filter((a) => a.met !== null);
    if (assumptions.length) {
      lines.push('', ...assumptions.map((a) => `- assumption \`${a.id}\`: ${a.met ? 'met' : '**not met**'}${a.detail ? ` (${a.detail})` : ''}`));
    }
    lines.push('');
  }
  return lines.join('\n');
}
