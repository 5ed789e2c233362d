/**
 * report.html: one self-contained page (inline CSS, inline SVG plots, MathML
 * formulas typeset by temml at render time; no script, no network — a
 * Content-Security-Policy of default-src 'none' makes the browser refuse
 * anything else). A summary table with verdict badges, then per claim: its
 * statement and formula, the measured evidence with plots, its falsifiers
 * beside it, the assumptions and whether the run met them.
 *
 * Reads at a glance at any width: titles, statements, assumptions and
 * falsifier descriptions are typeset (the prose convention of formula.ts:
 * `γ_k`, `k^{-1/2}`, `$…$`); metric names break at their word boundaries
 * (camelCase, dots, underscores, hyphens), never mid-word; every table sits
 * in a container that scrolls horizontally inside its card if it is still
 * too wide; plots scale to their column (test/report/html-browser.test.ts
 * checks in Chromium that nothing overflows its card).
 */
import { incompleteness } from './incomplete.ts';
import type { Metric } from '../contract/claim.ts';
import type { Verdict } from '../stats/verdict.ts';
import type { ClaimResult, FalsifierResult, PredictedVsMeasured, VerifyReport } from '../contract/result.ts';
import { formatFalseAlarm } from './calibration-record.ts';
import { predictedVsMeasured } from '../contract/result.ts';
import { caughtCount, formatInterval, formatNumber, keyMetric, seconds, shortCommit } from './format.ts';
import { escapeXml, renderFormula, typesetProse } from './formula.ts';
import { renderPlotSvg } from './plot.ts';

const esc = (s: unknown) => escapeXml(String(s ?? ''));
/** Prose with its mathematics typeset (formula.ts). */
const prose = (s: unknown) => typesetProse(String(s ?? ''));

/**
 * A code-like name (metric, falsifier or claim id) with line-break
 * opportunities at its word boundaries when it is longer than `keep`
 * characters: before a capital after a small letter or digit
 * (engine|Gradient|Over|Floor), after . _ - / (sgd-|rate-|linear-|vae).
 * A shorter name stays on one line (the falsifier column, narrow, breaks all).
 */
function breakable(name: string, keep = 16): string {
  if (name.length <= keep) return esc(name);
  return esc(name)
    .replace(/([._/-])(?=[^<])/g, '$1<wbr>')
    .replace(/([a-z0-9])(?=[A-Z])/g, '$1<wbr>');
}

/** Every table scrolls inside its own container rather than push past its card. */
const scrolls = (table: string) => `<div class="table-wrap">${table}</div>`;

const STYLE = `
:root { --pass: #1a7f37; --fail: #cf222e; --inconclusive: #9a6700; --error: #8250df; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { font-size: 1.25em; margin: 0; } h3 { font-size: 1em; margin: 1em 0 .4em; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 0 .25em; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; } th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; } td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: .5em 0; } .table-wrap > table { margin: 0; }
td code, th code { overflow-wrap: break-word; }
math { font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", "DejaVu Math TeX Gyre", math; font-style: normal; font-weight: normal; line-height: normal; letter-spacing: normal; }
.tml-sml-pad { padding-left: .05em; } .tml-med-pad { padding-left: .1em; } .tml-lrg-pad { padding-left: .15em; }
h2 math, .statement p math { font-size: 1.05em; }
.badge { display: inline-block; min-width: 6.5em; text-align: center; border-radius: 999px; padding: 1px 10px; color: #fff; font-size: .8em; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.inconclusive { background: var(--inconclusive); } .badge.error { background: var(--error); }
.badge.caught { background: var(--pass); } .badge.missed { background: var(--fail); }
.overall { font-size: 1.1em; font-weight: 600; } .overall.ok { color: var(--pass); } .overall.not-ok { color: var(--fail); }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: .5em 0 1.5em; color: var(--muted); font-size: .9em; }
dl.run dt { font-weight: 600; } dl.run dd { margin: 0; }
section.claim { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 20px 0; }
section.claim > header { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
.meta { color: var(--muted); font-size: .9em; margin: .3em 0 .8em; }
.statement { background: #f6f8fa; border-left: 4px solid var(--line); padding: 8px 12px; margin: .5em 0 1em; }
.formula { overflow-x: auto; overflow-y: hidden; margin-top: .4em; font-size: 1.1em; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(260px, 340px); gap: 20px; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
figure.plot { margin: .5em 0 1em; } figure.plot svg { max-width: 100%; height: auto; display: block; }
figure.plot svg tspan.sub, figure.plot svg tspan.sup { font-size: 75%; }
figure.plot figcaption { color: var(--muted); font-size: .85em; }
aside.falsifiers { border-left: 1px solid var(--line); padding-left: 16px; min-width: 0; overflow-wrap: break-word; } aside.falsifiers td.num { white-space: normal; }
@media (max-width: 900px) { aside.falsifiers { border-left: 0; padding-left: 0; border-top: 1px solid var(--line); } }
.evidence { min-width: 0; }
.falsifier { margin-bottom: 1em; } .falsifier p { margin: .2em 0; font-size: .92em; }
.falsifier table { font-size: .88em; }
ul.assumptions { padding-left: 1.2em; } ul.assumptions li { margin: .2em 0; }
.met { color: var(--pass); font-weight: 600; } .unmet { color: var(--fail); font-weight: 600; } .unchecked { color: var(--muted); }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: .85em; } pre.error { color: var(--fail); }
.plot-error { color: var(--fail); }
footer { color: var(--muted); font-size: .85em; margin-top: 2em; }
`;

function badge(v: Verdict): string {
  return `<span class="badge ${v}">${v}</span>`;
}

function metricRows(metrics: Record<string, Metric>): string {
  const rows = Object.entries(metrics).map(
    ([name, m]) =>
      `<tr><td><code>${breakable(name)}</code></td><td class="num">${esc(formatNumber(m.value))}</td>` +
      `<td class="num">${esc(formatInterval(m))}</td><td>${esc(m.criterion ?? '')}</td></tr>`,
  );
  if (!rows.length) return '<p class="meta">no metrics</p>';
  return scrolls(`<table class="metrics"><thead><tr><th>metric</th><th>value</th><th>interval</th><th>criterion</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
}

/** Narrow table for the falsifier column: the criterion goes under the value. */
function compactMetricRows(metrics: Record<string, Metric>): string {
  const rows = Object.entries(metrics).map(
    ([name, m]) =>
      `<tr><td><code>${breakable(name, 0)}</code></td><td>${esc(formatNumber(m.value))} ${esc(formatInterval(m))}` +
      `${m.criterion ? `<br><span class="meta">criterion ${esc(m.criterion)}</span>` : ''}</td></tr>`,
  );
  return rows.length ? scrolls(`<table class="metrics"><thead><tr><th>metric</th><th>measured</th></tr></thead><tbody>${rows.join('')}</tbody></table>`) : '';
}

/** Predicted against measured; `compact` (the falsifier column) puts the interval under the value. */
function predictedRows(pairs: PredictedVsMeasured[], compact = false): string {
  if (!pairs.length) return '';
  const interval = (m: Metric) => (formatInterval(m) ? (compact ? `<br><span class="meta">${esc(formatInterval(m))}</span>` : ` ${esc(formatInterval(m))}`) : '');
  const rows = pairs.map(
    (p) =>
      `<tr><td>${breakable(p.quantity, compact ? 0 : 16)}</td><td class="num">${esc(formatNumber(p.predicted.value))}</td>` +
      `<td class="num">${esc(formatNumber(p.measured.value))}${interval(p.measured)}</td></tr>`,
  );
  return scrolls(`<table class="predicted"><thead><tr><th>quantity</th><th>predicted</th><th>measured</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
}

function falsifierBlock(f: FalsifierResult): string {
  const pairs = f.predictedVsMeasured ?? predictedVsMeasured(f.metrics);
  const decision = Object.fromEntries(Object.entries(f.metrics).filter(([, m]) => m.criterion));
  return (
    `<div class="falsifier" data-falsifier-id="${esc(f.id)}" data-caught="${f.caught}">` +
    `<p><span class="badge ${f.caught ? 'caught' : 'missed'}">${f.caught ? 'caught' : 'not caught'}</span> <code>${breakable(f.id)}</code> → ${badge(f.verdict)}</p>` +
    `<p>${prose(f.description)}</p>` +
    `<p><strong>expected:</strong> ${prose(f.expected)}</p>` +
    predictedRows(pairs, true) +
    compactMetricRows(decision) +
    (f.notes?.length ? `<ul>${f.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '') +
    `</div>`
  );
}

async function plots(r: ClaimResult): Promise<string> {
  const out: string[] = [];
  for (const [key, series] of Object.entries(r.series ?? {})) {
    const overlays = r.falsifiers.flatMap((f) => (f.series?.[key] ? [{ id: f.id, series: f.series[key] }] : []));
    try {
      const { svg, points, dropped, thinned, sameAsClaim } = await renderPlotSvg({ key, series, overlays });
      const drawn = overlays.filter((o) => !sameAsClaim.includes(o.id));
      const axes = series.logX && series.logY ? 'log–log axes' : series.logX ? 'log x axis' : series.logY ? 'log y axis' : 'linear axes';
      out.push(
        `<figure class="plot" data-series="${esc(key)}">${svg}<figcaption>Series <code>${breakable(key)}</code>, ${axes}` +
          `${drawn.length ? `; dotted: falsifier runs (${drawn.map((o) => esc(o.id)).join(', ')})` : ''}` +
          `${sameAsClaim.length ? `; the falsifier runs ${sameAsClaim.map((id) => esc(id)).join(', ')} are the same curve (shared run)` : ''}; ${points} points` +
          `${dropped ? `, ${dropped} not plottable (non-finite or ≤ 0 on a log axis)` : ''}` +
          `${thinned ? `; ${thinned.from} x values thinned to ${thinned.to} for the page (report.json has them all)` : ''}.</figcaption></figure>`,
      );
    } catch (err) {
      // One bad series must not cost the whole report: say what went wrong where the plot would be.
      out.push(`<figure class="plot" data-series="${esc(key)}"><p class="plot-error">plot "${esc(key)}" could not be drawn: ${esc((err as Error).message)}</p></figure>`);
    }
  }
  return out.join('');
}

function assumptionList(r: ClaimResult): string {
  if (!r.assumptions.length) return '';
  const items = r.assumptions.map((a) => {
    const state = a.met === true ? '<span class="met">met</span>' : a.met === false ? '<span class="unmet">not met</span>' : '<span class="unchecked">not checked by this run</span>';
    return `<li><code>${breakable(a.id)}</code>: ${prose(a.statement)} — ${state}${a.detail ? ` (${prose(a.detail)})` : ''}</li>`;
  });
  return `<h3>Assumptions</h3><ul class="assumptions">${items.join('')}</ul>`;
}

async function claimSection(r: ClaimResult): Promise<string> {
  const src = r.source;
  let formula = '';
  if (r.formula) {
    try {
      formula = `<div class="formula">${renderFormula(r.formula)}</div>`;
    } catch {
      formula = `<div class="formula"><code>${esc(r.formula)}</code></div>`;
    }
  }
  const seeds = r.seeds ? `master seed ${r.seeds.master}${r.seeds.count !== null ? `, ${r.seeds.count} seeds per configuration` : ''}` : '';
  const pairs = r.predictedVsMeasured ?? predictedVsMeasured(r.metrics);
  return (
    `<section class="claim" id="claim-${esc(r.id)}" data-claim-id="${esc(r.id)}" data-verdict="${r.verdict}">` +
    `<header>${badge(r.verdict)}<h2>${prose(r.title)}</h2><code>${breakable(r.id)}</code></header>` +
    `<p class="meta">family <strong>${esc(r.family)}</strong> · ${esc(src.key)}: ${esc(src.authors)}, <em>${esc(src.title)}</em>, ${esc(src.venue)}, ` +
    `<a href="https://arxiv.org/abs/${esc(src.arxiv)}">arXiv:${esc(src.arxiv)}</a> · tier ${esc(r.tier)}${seeds ? ` · ${esc(seeds)}` : ''} · ${esc(seconds(r.durationMs))}</p>` +
    `<div class="statement"><p>${prose(r.statement)}</p>${formula}</div>` +
    `<div class="columns"><div class="evidence"><h3>Evidence</h3>` +
    (r.error ? `<pre class="error">${esc(r.error)}</pre>` : '') +
    metricRows(r.metrics) +
    predictedRows(pairs) +
    (await plots(r)) +
    (r.notes?.length ? `<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '') +
    `</div><aside class="falsifiers"><h3>Falsifiers (${caughtCount(r)} caught)</h3>` +
    (r.falsifiers.length ? r.falsifiers.map(falsifierBlock).join('') : '<p class="meta">none</p>') +
    `</aside></div>` +
    assumptionList(r) +
    `<details><summary>configuration (tier ${esc(r.tier)})</summary><pre>${esc(JSON.stringify(r.config, null, 2))}</pre></details>` +
    `</section>`
  );
}

function summaryTable(report: VerifyReport): string {
  const rows = report.claims.map((r) => {
    const key = keyMetric(r.metrics);
    return (
      `<tr data-claim-id="${esc(r.id)}"><td><a href="#claim-${esc(r.id)}"><code>${breakable(r.id)}</code></a></td><td>${esc(r.family)}</td>` +
      `<td>${esc(r.source.key)} (arXiv:${esc(r.source.arxiv)})</td><td>${badge(r.verdict)}</td>` +
      `<td>${key ? `<code>${breakable(key[0])}</code> ${esc(formatNumber(key[1].value))} ${esc(formatInterval(key[1]))}` : '—'}</td>` +
      `<td class="num">${caughtCount(r)}</td><td class="num" title="runs of the correct claim that did not pass, over M master seeds (vae-claims calibrate); Wilson 95% upper bound">${esc(formatFalseAlarm(r.calibration))}</td>` +
      `<td class="num">${esc(seconds(r.durationMs))}</td></tr>`
    );
  });
  return scrolls(
    `<table class="summary"><thead><tr><th>claim</th><th>family</th><th>source</th><th>verdict</th><th>key measurement</th><th>falsifiers caught</th><th>false alarms (calibrated)</th><th>time</th></tr></thead>` +
      `<tbody>${rows.join('')}</tbody></table>`,
  );
}

function runDetails(report: VerifyReport): string {
  const env = report.environment;
  const items: [string, string][] = [
    ['tier', report.tier],
    ['master seed', String(report.seed)],
    ['backend', `${report.backend} (tfjs ${report.backendInfo.tfjsVersion}, ${report.backendInfo.precision})`],
    ...(report.backendInfo.kernels?.length ? [['engine kernels', `${report.backendInfo.kernels.join(', ')} (each bitwise the backend's own, or the op chain's)`] as [string, string]] : []),
    ['commit', `${shortCommit(env.gitCommit)}${env.gitDirty ? ' (uncommitted changes)' : ''}`],
    ...(env.editedKernels?.length ? [['WebAssembly kernels', `compiled from edited sources (in no commit): ${env.editedKernels.join(', ')}`] as [string, string]] : []),
    ['started', report.startedAt],
    ['duration', seconds(report.durationMs)],
    ['machine', env.machine ? `${env.machine.cores} cores, ${env.machine.cpuModel}, ${(env.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB` : `${env.cores} cores`],
    ['runtime', `node ${env.node}, ${env.platform}`],
    ['packages', Object.entries(env.packages ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'not recorded'],
    ['command', `vae-claims ${report.command.join(' ')}`],
  ];
  if (report.shard) items.push(['shard', `${report.shard.index}/${report.shard.count} of ${report.shard.selection.length} claims`]);
  if (report.merged) {
    items.push(['merged from', report.merged.shards.map((s) => `shard ${s.index}/${s.count} (${s.claims.length} claims, ${seconds(s.durationMs)})`).join('; ')]);
    if (report.merged.missing?.length) items.push(['missing', report.merged.missing.join(', ')]);
  }
  return `<dl class="run">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

export async function renderHtml(report: VerifyReport): Promise<string> {
  const { summary } = report;
  const headline =
    `${summary.passed}/${summary.claims} claims pass, ${summary.caught}/${summary.falsifiers} falsifiers caught` +
    (summary.errors ? `, ${summary.errors} errors` : '');
  const sections: string[] = [];
  for (const r of report.claims) sections.push(await claimSection(r));
  const missing = incompleteness(report);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vae-claims report: ${esc(headline)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>vae-claims verification report</h1>
<p class="overall ${report.ok ? 'ok' : 'not-ok'}">${report.ok ? 'OK' : 'NOT OK'}: ${esc(headline)}</p>
${missing ? `<p class="overall not-ok partial">${esc(missing.headline)}</p>` : ''}
${runDetails(report)}
</header>
<section class="summary-section"><h2>Summary</h2>${summaryTable(report)}</section>
${sections.join('\n')}
<footer>Rendered from report.json by ${esc(report.tool.name)} ${esc(report.tool.version)}. Each claim passes only if its check passes; each falsifier is a mutated setting under which the same check must fail ("caught").</footer>
</body>
</html>
`;
}
