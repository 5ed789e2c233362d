/**
 * Report files are written atomically (temporary file, then rename), so an
 * interrupted run never leaves a half-written report and never destroys the
 * previous one.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { VerifyReport } from '../verify/result.ts';
import { renderMarkdown } from './markdown.ts';

export interface WrittenReport {
  files: string[];
}

export async function writeReports(report: VerifyReport, outDir: string): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  const files: [string, string][] = [
    ['report.json', JSON.stringify(report, null, 2) + '\n'],
    ['report.md', renderMarkdown(report)],
  ];
  const written: string[] = [];
  for (const [name, content] of files) {
    const file = path.join(outDir, name);
    await writeFileAtomic(file, content, { encoding: 'utf8' });
    written.push(file);
  }
  return { files: written };
}
