/**
 * junit.xml for CI test dashboards: one test suite per family, one test case
 * per claim (passes when the claim's verdict is pass) and one per falsifier
 * (passes when the falsifier is caught, i.e. the check FAILED under the
 * mutation). A fail/inconclusive verdict is a <failure>; an error verdict is
 * an <error>. Titles and statements are plain text: TeX written between `$`
 * (formula.ts) is kept, its dollars dropped.
 */
import { incompleteness } from './incomplete.ts';
import type { Metric } from '../contract/claim.ts';
import type { ClaimResult, FalsifierResult, VerifyReport } from '../contract/result.ts';
import { formatMetric } from './format.ts';
import { escapeXml, plainProse } from './formula.ts';

/** XML 1.0 forbids most control characters even escaped: drop them. */
function xml(s: unknown): string {
  // eslint-disable-next-line no-control-regex
  return escapeXml(String(s ?? '').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));
}

const secs = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(3) : '0');

function metricLines(metrics: Record<string, Metric>): string[] {
  return Object.entries(metrics).map(([k, m]) => `${k} = ${formatMetric(m)}${m.criterion ? `  (criterion: ${m.criterion})` : ''}`);
}

interface Case {
  name: string;
  classname: string;
  time: string;
  failure?: { type: string; message: string; body: string };
  error?: { type: string; message: string; body: string };
  out: string[];
}

function claimCase(r: ClaimResult): Case {
  const c: Case = { name: r.id, classname: `vae-claims.${r.family}`, time: secs(r.durationMs), out: [plainProse(r.title), plainProse(r.statement), ...metricLines(r.metrics), ...(r.notes ?? [])] };
  const body = [`${r.source.key} arXiv:${r.source.arxiv}`, ...metricLines(r.metrics)].join('\n');
  if (r.verdict === 'error') c.error = { type: 'error', message: r.error ?? 'check errored', body: r.error ?? '' };
  else if (r.verdict !== 'pass') c.failure = { type: r.verdict, message: `verdict ${r.verdict}`, body };
  return c;
}

function falsifierCase(r: ClaimResult, f: FalsifierResult): Case {
  const c: Case = {
    name: `${r.id} / falsifier ${f.id}`,
    classname: `vae-claims.${r.family}.${r.id}`,
    // The falsifiers train in the claim's replica batch: they have no separate time.
    time: '0',
    out: [f.description, `expected: ${f.expected}`, ...metricLines(f.metrics), ...(f.notes ?? [])],
  };
  if (f.verdict === 'error') c.error = { type: 'error', message: `falsifier errored${r.error ? `: ${r.error}` : ''}`, body: r.error ?? '' };
  else if (!f.caught) {
    c.failure = {
      type: 'not-caught',
      message: `falsifier not caught: the check returned ${f.verdict} under the mutation, it must fail`,
      body: [`expected: ${f.expected}`, ...metricLines(f.metrics)].join('\n'),
    };
  }
  return c;
}

function renderCase(c: Case): string {
  const inner: string[] = [];
  if (c.failure) inner.push(`      <failure type="${xml(c.failure.type)}" message="${xml(c.failure.message)}">${xml(c.failure.body)}</failure>`);
  if (c.error) inner.push(`      <error type="${xml(c.error.type)}" message="${xml(c.error.message)}">${xml(c.error.body)}</error>`);
  if (c.out.length) inner.push(`      <system-out>${xml(c.out.join('\n'))}</system-out>`);
  return `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}" time="${c.time}">\n${inner.join('\n')}\n    </testcase>`;
}

/** Claims of the run that are not in this report (interrupted, other shards, missing from a merge): one skipped case each. */
function skippedCases(report: VerifyReport): string {
  const missing = incompleteness(report);
  if (!missing || missing.notRun.length === 0) return '';
  const cases = missing.notRun.map(
    (n) => `    <testcase name="${xml(n.id)}" classname="vae-claims.not-run" time="0">\n      <skipped message="${xml(n.why)}"/>\n    </testcase>`,
  );
  return (
    `\n  <testsuite name="vae-claims.not-run" tests="${cases.length}" failures="0" errors="0" skipped="${cases.length}" time="0" timestamp="${xml(report.startedAt.replace(/Z$/, ''))}">\n` +
    cases.join('\n') +
    `\n  </testsuite>`
  );
}

export function renderJunit(report: VerifyReport): string {
  const families = [...new Set(report.claims.map((r) => r.family))];
  const suites = families.map((family) => {
    const claims = report.claims.filter((r) => r.family === family);
    const cases = claims.flatMap((r) => [claimCase(r), ...r.falsifiers.map((f) => falsifierCase(r, f))]);
    const time = claims.reduce((s, r) => s + (Number.isFinite(r.durationMs) ? r.durationMs : 0), 0);
    return (
      `  <testsuite name="vae-claims.${xml(family)}" tests="${cases.length}" failures="${cases.filter((c) => c.failure).length}" ` +
      `errors="${cases.filter((c) => c.error).length}" skipped="0" time="${secs(time)}" timestamp="${xml(report.startedAt.replace(/Z$/, ''))}">\n` +
      `    <properties>\n` +
      [
        ['tier', report.tier],
        ['seed', report.seed],
        ['backend', report.backend],
        ['tfjs', report.backendInfo.tfjsVersion],
        ['commit', report.environment.gitCommit ?? 'unknown'],
      ]
        .map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>`)
        .join('\n') +
      `\n    </properties>\n` +
      cases.map(renderCase).join('\n') +
      `\n  </testsuite>`
    );
  });
  const all = report.claims.flatMap((r) => [claimCase(r), ...r.falsifiers.map((f) => falsifierCase(r, f))]);
  const skipped = incompleteness(report)?.notRun.length ?? 0;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="vae-claims" tests="${all.length + skipped}" failures="${all.filter((c) => c.failure).length}" errors="${all.filter((c) => c.error).length}" skipped="${skipped}" time="${secs(report.durationMs)}">\n` +
    suites.join('\n') +
    skippedCases(report) +
    `\n</testsuites>\n`
  );
}
