/**
 * Report files are written atomically and only after every format rendered:
 * a failing renderer leaves the previous reports untouched, no temporary
 * files are left behind, and the previous report.json is kept.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VerifyReport } from '../../src/contract/result.ts';
import { REPORT_FILES, writeReports } from '../../src/report/write.ts';
import { fixtureReport, PASSING_FAKE_CLAIMS } from './fixtures.ts';

let report: VerifyReport;
beforeAll(async () => {
  report = await fixtureReport();
});

describe('writeReports', () => {
  it('writes every format, records how long each took, and keeps the previous report.json', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'vae-claims-write-'));
    const first = await writeReports(report, out);
    expect(first.timings.map((t) => t.format)).toEqual(['html', 'md', 'junit', 'json']);
    for (const t of first.timings) {
      expect(t.bytes).toBeGreaterThan(0);
      expect(t.renderMs).toBeGreaterThanOrEqual(0);
      expect(t.writeMs).toBeGreaterThanOrEqual(0);
    }
    expect(first.previous).toBeUndefined();
    const firstJson = readFileSync(path.join(out, 'report.json'), 'utf8');

    const second = await writeReports({ ...report, startedAt: '2030-01-01T00:00:00.000Z' }, out);
    expect(second.previous).toBe(path.join(out, 'report.previous.json'));
    expect(readFileSync(second.previous!, 'utf8')).toBe(firstJson);
    expect(readdirSync(out).sort()).toEqual([...Object.values(REPORT_FILES), 'report.previous.json'].sort());
  });

  it('leaves the previous reports intact when a format fails to render', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'vae-claims-write-'));
    const good = await fixtureReport(PASSING_FAKE_CLAIMS);
    await writeReports(good, out);
    const before = Object.fromEntries(Object.values(REPORT_FILES).map((f) => [f, readFileSync(path.join(out, f), 'utf8')]));
    // A report the HTML renderer cannot handle (a claim without falsifiers array) makes rendering throw.
    const broken = { ...good, startedAt: '2030-01-01T00:00:00.000Z', claims: [{ ...good.claims[0], falsifiers: undefined }] } as unknown as VerifyReport;
    await expect(writeReports(broken, out)).rejects.toThrow();
    for (const [f, content] of Object.entries(before)) expect(readFileSync(path.join(out, f), 'utf8')).toBe(content);
    expect(readdirSync(out).sort()).toEqual(Object.values(REPORT_FILES).sort());
  });
});
