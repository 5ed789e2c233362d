/**
 * report.md: compact enough for a CI job summary ($GITHUB_STEP_SUMMARY) or a
 * pull-request comment. One summary table (a row per claim), then each
 * claim's decision metrics, falsifiers and unmet assumptions folded in a
 * <details> block. If that would exceed a PR comment's size limit (65,536
 * characters on GitHub) the details are left out and the reader is pointed
 * at report.html.
 */
import { incompleteness } from './incomplete.ts';
import type { ClaimResult, VerifyReport } from '../contract/result.ts';
import type { Verdict } from '../stats/verdict.ts';
import { predictedVsMeasured } from '../contract/result.ts';
import { formatFalseAlarm } from './calibration-record.ts';
import { VERDICT_EMOJI, caughtCount, decisionMetrics, formatMetric, formatNumber, keyMetric, seconds, shortCommit } from './format.ts';

export { formatMetric, formatNumber } from './format.ts';

/** Leave headroom under GitHub's 65,536-character comment limit. */
export const MARKDOWN_LIMIT = 60_000;

const badge = (v: Verdict) => `${VERDICT_EMOJI[v]} ${v}`;
/** Table cells cannot hold a pipe or a newline. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function falsifierCell(r: ClaimResult): string {
  if (r.falsifiers.length === 0) return '—';
  const missed = r.falsifiers.filter((f) => !f.caught);
  return `${caughtCount(r)}` + (missed.length ? ` (not caught: ${missed.map((f) => `\`${f.id}\` ${f.verdict}`).join(', ')})` : '');
}

function keyCell(r: ClaimResult): string {
  const key = keyMetric(r.metrics);
  return key ? `${key[0]} ${formatMetric(key[1])}` : r.error ? 'error' : '—';
}

function details(r: ClaimResult): string[] {
  const lines = [`<details><summary>${VERDICT_EMOJI[r.verdict]} <code>${r.id}</code>: ${r.title}</summary>`, '', r.statement, ''];
  if (r.error) lines.push('```', r.error, '```', '');
  const rows = decisionMetrics(r.metrics).map(([k, m]) => `| ${cell(k)} | ${cell(formatMetric(m))} | ${cell(m.criterion ?? '')} |`);
  if (rows.length) lines.push('| metric | value | criterion |', '|---|---|---|', ...rows, '');
  for (const p of r.predictedVsMeasured ?? predictedVsMeasured(r.metrics)) {
    lines.push(`- ${p.quantity}: predicted ${formatNumber(p.predicted.value)}, measured ${formatMetric(p.measured)}`);
  }
  for (const f of r.falsifiers) {
    const fm = decisionMetrics(f.metrics).map(([k, m]) => `${k} ${formatMetric(m)}`);
    const pairs = (f.predictedVsMeasured ?? predictedVsMeasured(f.metrics)).map(
      (p) => `${p.quantity} predicted ${formatNumber(p.predicted.value)} vs measured ${formatMetric(p.measured)}`,
    );
    lines.push(
      `- falsifier \`${f.id}\` → ${badge(f.verdict)}${f.caught ? ' (caught)' : ' — **NOT caught**'}; expected: ${f.expected}` +
        ([...pairs, ...fm].length ? `; measured ${[...pairs, ...fm].join(', ')}` : ''),
    );
  }
  const unmet = r.assumptions.filter((a) => a.met === false);
  for (const a of unmet) lines.push(`- assumption \`${a.id}\` **not met**${a.detail ? ` (${a.detail})` : ''}`);
  lines.push('', '</details>', '');
  return lines;
}

export function renderMarkdown(report: VerifyReport): string {
  const { summary } = report;
  const missing = incompleteness(report);
  const head = [
    `## vae-claims verification report`,
    '',
    ...(missing ? [`⚠️ **${missing.headline}**`, ''] : []),
    `${report.ok ? '✅' : '❌'} **${summary.passed}/${summary.claims} claims pass, ${summary.caught}/${summary.falsifiers} falsifiers caught**` +
      (summary.errors ? `, ${summary.errors} errors` : '') +
      (report.merged?.missing?.length ? `, **${report.merged.missing.length} missing** (${report.merged.missing.join(', ')})` : ''),
    '',
    `tier \`${report.tier}\` · seed ${report.seed} · backend \`${report.backend}\` (tfjs ${report.backendInfo.tfjsVersion}, float32${report.backendInfo.kernels?.length ? `; engine kernels with the same bits: ${report.backendInfo.kernels.join(', ')}` : ''})` +
      ` · ${seconds(report.durationMs)} · ${report.startedAt} · commit \`${shortCommit(report.environment.gitCommit)}\`` +
      (report.environment.gitDirty ? ' (dirty)' : '') +
      (report.environment.editedKernels?.length ? ` · **WebAssembly kernels compiled from edited sources: ${report.environment.editedKernels.join(', ')}**` : '') +
      (report.shard ? ` · shard ${report.shard.index}/${report.shard.count}` : '') +
      (report.merged ? ` · merged from ${report.merged.shards.length} shard(s)` : ''),
    '',
    '| claim | source | verdict | key measurement | falsifiers caught | false alarms (calibrated) | time |',
    '|---|---|---|---|---|---|---|',
    ...report.claims.map(
      (r) =>
        `| \`${r.id}\` | ${r.source.key} (arXiv:${r.source.arxiv}) | ${badge(r.verdict)} | ${cell(keyCell(r))} | ${cell(falsifierCell(r))} | ${formatFalseAlarm(r.calibration)} | ${seconds(r.durationMs)} |`,
    ),
    '',
  ];
  const body = report.claims.flatMap(details);
  const full = [...head, ...body].join('\n');
  if (full.length <= MARKDOWN_LIMIT) return full;
  return [...head, '_Per-claim details are omitted to fit a PR comment; see report.html or report.json._', ''].join('\n');
}
