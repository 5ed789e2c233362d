/**
 * report.html is a page: load it in headless Chromium (Debian's `chromium`,
 * driven by playwright-core; no browser download) built from a fixture report
 * with claims of every family (convergence, ntk, entropy) and several series
 * kinds, and check it renders and reads at a glance: no console errors, no
 * request beyond the file itself, every claim section with its SVG plots,
 * statements and formulas typeset as MathML, the summary table; nothing
 * overflows its card at desktop or at narrow width, no plot text leaves its
 * plot or is cut (layout-check.ts). A full-page screenshot is saved as an
 * artifact (reports/artifacts/, printed below). junit.xml is parsed by the
 * browser's XML parser on the way.
 *
 * Without /usr/bin/chromium (or $CHROMIUM_PATH) the test is skipped with a
 * message — except in CI ($CI set), where a missing browser fails it.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { VerifyReport } from '../../src/contract/result.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { fixtureReport } from './fixtures.ts';
import { measureLayout, type LayoutProblems } from './layout-check.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = Boolean(process.env.CI);
const ARTIFACTS = fileURLToPath(new URL('../../reports/artifacts', import.meta.url));

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(`[html-browser] SKIPPED: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); in CI this test fails instead.`);
}

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('report.html in headless Chromium', () => {
  let report: VerifyReport;
  let html: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      throw new Error(`CI is set and there is no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    }
    report = JSON.parse(JSON.stringify(await fixtureReport()));
    html = await renderHtml(report);
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'fixture-report.html');
    writeFileSync(file, html);
    userDataDir = mkdtempSync(path.join(tmpdir(), 'vae-claims-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('loads with no console errors and no request beyond the file itself', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(path.join(ARTIFACTS, 'fixture-report.html')).href]);
  });

  it('shows the summary table with a verdict badge per claim', async () => {
    const rows = page.locator('table.summary tbody tr');
    await expect(rows.count()).resolves.toBe(report.claims.length);
    const badges = await page.locator('table.summary .badge').allTextContents();
    expect(badges.map((b) => b.toLowerCase())).toEqual(report.claims.map((c) => c.verdict));
    await expect(page.locator('p.overall').textContent()).resolves.toMatch(/NOT OK: 3\/5 claims pass/);
  });

  it('covers every family, and every claim with evidence has a plot', async () => {
    expect(new Set(report.claims.map((c) => c.family))).toEqual(new Set(['convergence', 'ntk', 'entropy']));
    for (const claim of report.claims) {
      const section = page.locator(`section.claim[data-claim-id="${claim.id}"]`);
      // A claim whose check crashed has no evidence to plot: it shows its error instead.
      if (claim.verdict === 'error') await expect(section.locator('pre.error').count()).resolves.toBe(1);
      else await expect(section.locator('figure.plot svg').count(), claim.id).resolves.toBeGreaterThan(0);
    }
  });

  it('renders every claim section with an SVG plot per series', async () => {
    for (const claim of report.claims) {
      const section = page.locator(`section.claim[data-claim-id="${claim.id}"]`);
      await expect(section.isVisible()).resolves.toBe(true);
      const keys = Object.keys(claim.series);
      const svgs = section.locator('figure.plot svg');
      await expect(svgs.count()).resolves.toBe(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const box = await svgs.nth(i).boundingBox();
        expect(box, `${claim.id} plot ${keys[i]}`).not.toBeNull();
        expect(box!.width).toBeGreaterThan(300);
        expect(box!.height).toBeGreaterThan(200);
        // Drawn marks: line paths for the measured columns at least.
        await expect(svgs.nth(i).locator('g.mark-line path').count()).resolves.toBeGreaterThan(0);
      }
      await expect(section.locator('.plot-error').count()).resolves.toBe(0);
      await expect(section.locator('aside.falsifiers .falsifier').count()).resolves.toBe(claim.falsifiers.length);
    }
  });

  it('draws the interval band and the falsifier overlay on the rate plot', async () => {
    const plot = page.locator('section.claim[data-claim-id="fake-rate"] figure.plot svg');
    await expect(plot.locator('g.mark-area path').count()).resolves.toBeGreaterThan(0);
    // "constant-step: G_n" with a real subscript.
    const overlay = plot.locator('text', { hasText: 'constant-step: G' });
    await expect(overlay.count()).resolves.toBe(1);
    await expect(overlay.locator('tspan.sub').textContent()).resolves.toBe('n');
  });

  it('titles plots by what they show and keeps axis titles and legend entries whole', async () => {
    const texts = (sel: string) => page.locator(`${sel} figure.plot svg text`).allTextContents();
    const rate = (await texts('section.claim[data-claim-id="fake-rate"]')).join(' ');
    // The title says what is plotted (not the series key "G"); the y title is the full label, over two lines.
    expect(rate).toContain('Gn = meank≤n ‖∇L(θk)‖² (seed average) against iteration n');
    expect(rate).toMatch(/Gn = meank≤n ‖∇L\(θk\)‖²\s*\(seed average\)/);
    const entropy = await texts('section.claim[data-claim-id="fake-entropy-gap"]');
    expect(entropy).toContain('½ EM posterior + ½ uniform q, covariance full (a long legend entry that must not be cut)');
    expect(entropy.join(' ')).toContain('Engine arm: the gap |F − S − B|');
    // The falsifier shares the engine arm's training: its identical curve is not drawn a second time.
    const engine = page.locator('section.claim[data-claim-id="fake-entropy-gap"] figure.plot[data-series="engineGap"]');
    await expect(engine.locator('svg text', { hasText: 'fixed-sigma:' }).count()).resolves.toBe(0);
    await expect(engine.locator('figcaption').textContent()).resolves.toContain('fixed-sigma are the same curve');
  });

  it('typesets statements, titles and assumptions as MathML', async () => {
    for (const id of ['fake-rate', 'fake-kernel-width', 'fake-entropy-gap']) {
      await expect(page.locator(`section.claim[data-claim-id="${id}"] .statement p math`).count(), id).resolves.toBeGreaterThan(0);
    }
    const rate = page.locator('section.claim[data-claim-id="fake-rate"]');
    // γ_k, k^{-1/2} and Σ_{k≤n}: scripts, not raw TeX-like text.
    await expect(rate.locator('.statement p').textContent()).resolves.not.toMatch(/[_^]\{/);
    await expect(rate.locator('.statement p msub').count()).resolves.toBeGreaterThanOrEqual(3);
    await expect(rate.locator('.statement p msup').count()).resolves.toBeGreaterThanOrEqual(1);
    await expect(rate.locator('h2 msub').count()).resolves.toBe(1);
    await expect(rate.locator('ul.assumptions math').count()).resolves.toBeGreaterThan(0);
    // $…$ is TeX: the entropy sum's fraction and sums.
    await expect(page.locator('section.claim[data-claim-id="fake-entropy-gap"] .statement p mfrac').count()).resolves.toBe(1);
    const box = await rate.locator('.statement p math').first().boundingBox();
    expect(box!.height).toBeGreaterThan(10);
  });

  const layoutAt = async (width: number): Promise<LayoutProblems> => {
    await page.setViewportSize({ width, height: 900 });
    // Bundlers may wrap named functions in __name(): give the page one.
    await page.evaluate('globalThis.__name ??= (f) => f');
    const problems = await page.evaluate(measureLayout);
    console.log(
      `[html-browser] layout at ${width} px: ${problems.overflow.length} overflowing, ${problems.scrolling.length} scrolling, ` +
        `${problems.svgTextOutside.length} plot texts outside their plot, ${problems.truncated.length} cut labels`,
    );
    return problems;
  };

  it('nothing overflows its card, no plot text leaves its plot or is cut (desktop width)', async () => {
    const problems = await layoutAt(1280);
    expect(problems).toEqual({ overflow: [], scrolling: [], svgTextOutside: [], truncated: [] });
  });

  it('nothing overflows its card at a narrow width either (wide tables scroll inside their card)', async () => {
    try {
      const problems = await layoutAt(760);
      expect({ ...problems, scrolling: [] }).toEqual({ overflow: [], scrolling: [], svgTextOutside: [], truncated: [] });
      // What scrolls is a table's wrapper, a formula or a <pre>, never a card.
      for (const s of problems.scrolling) expect(s.element).toMatch(/^(div\.table-wrap|div\.formula|pre)/);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('renders formulas from mathjs and from TeX as MathML with real height', async () => {
    for (const id of ['fake-rate', 'fake-kernel-width', 'fake-entropy-gap']) {
      const math = page.locator(`section.claim[data-claim-id="${id}"] .formula math`);
      const box = await math.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.height).toBeGreaterThan(15);
    }
    await expect(page.locator('section.claim[data-claim-id="fake-kernel-width"] .formula mfrac').count()).resolves.toBeGreaterThan(0);
  });

  it('shows the error of a crashed claim, escaped', async () => {
    await expect(page.locator('section.claim[data-claim-id="fake-crash"] pre.error').textContent()).resolves.toContain('synthetic failure <with markup & "quotes">');
  });

  it('junit.xml is well-formed XML with a test case per claim and per falsifier', async () => {
    const cases = await page.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      return doc.getElementsByTagName('parsererror').length ? -1 : doc.getElementsByTagName('testcase').length;
    }, renderJunit(report));
    expect(cases).toBe(report.claims.length + report.claims.reduce((n, c) => n + c.falsifiers.length, 0));
  });

  it('saves a full-page screenshot as an artifact', async () => {
    const file = path.join(ARTIFACTS, 'report-screenshot.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    console.log(`[html-browser] screenshot: ${file}`);
  });
});
