/**
 * Writes every report format from the one VerifyReport.
 *
 * Nothing touches the disk until every format has rendered, so a renderer
 * that throws leaves the previous reports exactly as they were. Each file is
 * then written atomically (write-file-atomic: a temporary file in the same
 * directory, fsync, rename), so an interrupted run never leaves a
 * half-written file and the previous file survives until the new one is
 * complete. report.json is written last: when it is new, all the others are
 * too. The previous report.json is kept as report.previous.json, so
 * `vae-claims compare report.previous.json report.json` shows what the last
 * run changed.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { VerifyReport } from '../contract/result.ts';
import { renderHtml } from './html.ts';
import { withCalibration } from './calibration-record.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

export const REPORT_FORMATS = ['html', 'md', 'junit', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, string> = {
  html: 'report.html',
  md: 'report.md',
  junit: 'junit.xml',
  json: 'report.json',
};

export interface WrittenFile {
  format: ReportFormat;
  file: string;
  bytes: number;
  /** Time to render the format from the report object. */
  renderMs: number;
  /** Time to write it atomically. */
  writeMs: number;
}

export interface WrittenReport {
  files: string[];
  timings: WrittenFile[];
  /** Where the previous report.json was kept, when there was one. */
  previous?: string;
}

async function render(format: ReportFormat, report: VerifyReport): Promise<string> {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'junit':
      return renderJunit(report);
  }
}

export async function writeReports(plain: VerifyReport, outDir: string, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<WrittenReport> {
  // Calibration is read here, in the report layer: every format carries each claim's calibrated false alarms.
  const report = withCalibration(plain);
  const rendered: { format: ReportFormat; content: string; renderMs: number }[] = [];
  // json last: see the module comment.
  const ordered = REPORT_FORMATS.filter((f) => formats.includes(f));
  for (const format of ordered) {
    const t0 = performance.now();
    const content = await render(format, report);
    rendered.push({ format, content, renderMs: performance.now() - t0 });
  }

  mkdirSync(outDir, { recursive: true });
  const result: WrittenReport = { files: [], timings: [] };
  const jsonFile = path.join(outDir, REPORT_FILES.json);
  if (ordered.includes('json') && existsSync(jsonFile)) {
    const previous = path.join(outDir, 'report.previous.json');
    await writeFileAtomic(previous, readFileSync(jsonFile));
    result.previous = previous;
  }
  for (const { format, content, renderMs } of rendered) {
    const file = path.join(outDir, REPORT_FILES[format]);
    const t0 = performance.now();
    await writeFileAtomic(file, content, { encoding: 'utf8' });
    result.files.push(file);
    result.timings.push({ format, file, bytes: Buffer.byteLength(content), renderMs, writeMs: performance.now() - t0 });
  }
  return result;
}
