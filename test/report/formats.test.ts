/**
 * The text formats rendered from one report: junit.xml (a case per claim and
 * per falsifier; a falsifier's case passes when caught), report.md (compact,
 * fits a PR comment) and the README table.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import type { VerifyReport } from '../../src/contract/result.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { MARKDOWN_LIMIT, renderMarkdown } from '../../src/report/markdown.ts';
import { README_END, README_START, ReadmeMarkerError, renderReadmeTable, replaceClaimsTable } from '../../src/report/readme.ts';
import { readFileSync } from 'node:fs';
import { fixtureReport, FAKE_CLAIMS } from './fixtures.ts';

let report: VerifyReport;
beforeAll(async () => {
  report = await fixtureReport();
});

function testcases(xml: string) {
  return [...xml.matchAll(/<testcase name="([^"]*)" classname="([^"]*)" time="([^"]*)">([\s\S]*?)<\/testcase>/g)].map((m) => ({
    name: m[1],
    classname: m[2],
    failure: /<failure/.test(m[4]),
    error: /<error/.test(m[4]),
  }));
}

describe('junit.xml', () => {
  it('has one test case per claim and per falsifier, with outcomes matching the verdicts', () => {
    const xml = renderJunit(report);
    const cases = testcases(xml);
    const expected = report.claims.length + report.claims.reduce((n, c) => n + c.falsifiers.length, 0);
    expect(cases).toHaveLength(expected);
    const byName = new Map(cases.map((c) => [c.name, c]));
    expect(byName.get('fake-rate')).toMatchObject({ failure: false, error: false, classname: 'vae-claims.convergence' });
    // The falsifier was caught (the check failed under the mutation): its case passes.
    expect(byName.get('fake-rate / falsifier constant-step')).toMatchObject({ failure: false, error: false });
    expect(byName.get('fake-inconclusive')).toMatchObject({ failure: true });
    expect(byName.get('fake-inconclusive / falsifier no-op')).toMatchObject({ failure: true });
    expect(byName.get('fake-crash')).toMatchObject({ error: true });
    expect(byName.get('fake-crash / falsifier bigger')).toMatchObject({ error: true });
    const total = /<testsuites[^>]* tests="(\d+)" failures="(\d+)" errors="(\d+)"/.exec(xml)!;
    expect(total.slice(1).map(Number)).toEqual([expected, 2, 2]);
  });

  it('keeps statements plain text: TeX written between dollars stays, the dollars go', () => {
    const xml = renderJunit(report);
    expect(xml).toContain('the entropy sum S = \\frac{1}{N}\\sum_n H[q_n]');
    expect(xml).not.toContain('$S =');
    expect(xml).toContain('with step γ_k = C·k^{-1/2}');
  });

  it('escapes markup in messages', () => {
    const xml = renderJunit(report);
    expect(xml).toContain('synthetic failure &lt;with markup &amp; &quot;quotes&quot;&gt;');
    expect(xml).not.toContain('<with markup');
  });
});

describe('report.md', () => {
  it('summarises every claim in one table row and folds the details', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(/❌ \*\*3\/5 claims pass, 3\/5 falsifiers caught\*\*, 1 errors/);
    for (const c of report.claims) expect(md).toContain(`| \`${c.id}\` |`);
    expect(md).toMatch(/\| `fake-inconclusive` \|.*\| 0\/1 \(not caught: `no-op` pass\) \|/);
    expect(md).toContain('<details>');
    expect(md).toMatch(/falsifier `fixed-sigma`.*Gap predicted 32 vs measured/);
    expect(md.length).toBeLessThan(MARKDOWN_LIMIT);
  });

  it('says in its header when the run compiled WebAssembly kernels from edited sources (and not otherwise)', () => {
    expect(renderMarkdown(report)).not.toMatch(/edited sources/);
    const edited: VerifyReport = { ...report, environment: { ...report.environment, editedKernels: ['linear-vae', 'optimizer'] } };
    expect(renderMarkdown(edited)).toContain('**WebAssembly kernels compiled from edited sources: linear-vae, optimizer**');
  });

  it('drops the details rather than exceed a PR comment', () => {
    const big: VerifyReport = { ...report, claims: Array.from({ length: 400 }, (_, i) => ({ ...report.claims[0], id: `fake-rate-${i}` })) };
    const md = renderMarkdown(big);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toContain('Per-claim details are omitted');
    expect(md).toContain('| `fake-rate-399` |');
  });
});

describe('README claims table', () => {
  it('lists every claim of the report and marks registry claims the report lacks as not run', () => {
    const partial: VerifyReport = { ...report, claims: report.claims.slice(0, 2) };
    const table = renderReadmeTable(partial, FAKE_CLAIMS);
    expect(table).toContain('| id | family | source | verdict | key measurement | falsifiers caught | false alarms (calibrated) | tier, date |');
    expect(table).toMatch(/\| `fake-rate` \| convergence \| SGL25 .* \| ✅ pass \| slope -0\.\d+ \[.*\] \(95%\) \| 1\/1 \| not calibrated \| quick, \d{4}-\d{2}-\d{2} \|/);
    expect(table).toMatch(/\| `fake-crash` \| ntk \| .* \| not run \|/);
  });

  it('shows a calibrated claim\'s false alarms with the Wilson upper bound', () => {
    const falseAlarm = { successes: 1, trials: 50, rate: 0.02, lower: 0.0035, upper: 0.105, level: 0.95 };
    const calibrated: VerifyReport = {
      ...report,
      claims: [{ ...report.claims[0], calibration: { tier: 'quick', runs: 50, pass: { ...falseAlarm, successes: 49, rate: 0.98 }, falseAlarm, falsifiers: [], meetsTarget: false, createdAt: report.startedAt } }],
    };
    expect(renderReadmeTable(calibrated)).toMatch(/\| 1\/1 \| 1\/50 \(≤ 10\.5%\) \| quick/);
  });

  it('replaces only the marked region, and refuses a README without exactly one pair of markers', () => {
    const readme = `# x\n\nintro\n\n## Claims\n\n${README_START}\nold table\n${README_END}\n\n## After\n\ntext\n`;
    const out = replaceClaimsTable(readme, 'NEW');
    expect(out).toBe(`# x\n\nintro\n\n## Claims\n\n${README_START}\nNEW\n${README_END}\n\n## After\n\ntext\n`);
    expect(replaceClaimsTable(out, 'NEW')).toBe(out);
    expect(() => replaceClaimsTable('# no markers', 'x')).toThrow(ReadmeMarkerError);
    expect(() => replaceClaimsTable(`${README_START}${README_END}${README_START}${README_END}`, 'x')).toThrow(ReadmeMarkerError);
  });

  it('the repository README carries the markers in its Claims section', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const claims = readme.indexOf('## Claims');
    expect(claims).toBeGreaterThan(0);
    expect(readme.indexOf(README_START)).toBeGreaterThan(claims);
    expect(() => replaceClaimsTable(readme, 'x')).not.toThrow();
  });
});
