/**
 * report.html is a page: load it in headless Chromium (Debian's `chromium`,
 * driven by playwright-core; no browser download) built from a fixture report
 * covering several series kinds, and check it renders: no console errors, no
 * request beyond the file itself, every claim section with its SVG plots and
 * formulas, the summary table. A full-page screenshot is saved as an artifact
 * (reports/artifacts/, printed below). junit.xml is parsed by the browser's
 * XML parser on the way.
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
    await expect(plot.textContent()).resolves.toContain('constant-step: G_n');
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
