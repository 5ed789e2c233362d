/**
 * Progress for long runs on stderr: a live line per claim on a TTY, plain
 * start/end lines otherwise, nothing with --quiet, JSON lines on stdout with --json.
 */
import type { ProgressEvent } from '../verify/run-claims.ts';
import type { VerifyReport } from '../verify/result.ts';
import { formatMetric } from '../report/markdown.ts';

export interface ProgressReporter {
  begin(info: { backend: string; tier: string; seed: number; claims: string[] }): void;
  event(e: ProgressEvent): void;
  end(report: VerifyReport, files: string[]): void;
}

export function createProgressReporter(opts: { quiet: boolean; json: boolean }): ProgressReporter {
  if (opts.json) {
    const line = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
    return {
      begin: (info) => line({ event: 'begin', ...info }),
      event: (e) =>
        line(
          e.kind === 'claim-end'
            ? { event: e.kind, id: e.id, verdict: e.result.verdict, falsifiers: e.result.falsifiers.map((f) => ({ id: f.id, verdict: f.verdict })), durationMs: e.result.durationMs, error: e.result.error }
            : { event: e.kind, ...e, kind: undefined },
        ),
      end: (report, files) => line({ event: 'end', ok: report.ok, summary: report.summary, files }),
    };
  }
  if (opts.quiet) return { begin() {}, event() {}, end() {} };
  const tty = process.stderr.isTTY;
  const out = (s: string) => process.stderr.write(s);
  let lastDraw = 0;
  return {
    begin: (info) => out(`vae-claims: ${info.claims.length} claim(s), tier ${info.tier}, seed ${info.seed}, backend ${info.backend}\n`),
    event: (e) => {
      if (e.kind === 'claim-start') {
        out(`[${e.index + 1}/${e.total}] ${e.id} ...${tty ? '' : '\n'}`);
      } else if (e.kind === 'claim-progress' && tty) {
        const now = Date.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round(Math.min(1, Math.max(0, e.fraction)) * width);
        out(`\r\x1b[2K  ${e.id} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(e.fraction * 100).toFixed(0)}%`);
      } else if (e.kind === 'claim-end') {
        const r = e.result;
        const key = Object.entries(r.metrics).find(([, m]) => m.criterion);
        const caught = r.falsifiers.filter((f) => f.caught).length;
        out(
          `${tty ? '\r\x1b[2K' : ''}  ${r.id}: ${r.verdict}` +
            (key ? ` (${key[0]} ${formatMetric(key[1])})` : '') +
            `, falsifiers caught ${caught}/${r.falsifiers.length}, ${(r.durationMs / 1000).toFixed(1)} s` +
            (r.error ? `\n    error: ${r.error}` : '') +
            '\n',
        );
      }
    },
    end: (report, files) =>
      out(
        `${report.ok ? 'OK' : 'NOT OK'}: ${report.summary.passed}/${report.summary.claims} claims pass, ` +
          `${report.summary.caught}/${report.summary.falsifiers} falsifiers caught; wrote ${files.join(', ')}\n`,
      ),
  };
}
