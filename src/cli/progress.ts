/**
 * Progress for long runs.
 *  - Terminal (stderr is a TTY): one line per claim with a progress bar
 *    (cli-progress) that ends as the claim's verdict, headline measurement,
 *    falsifiers caught and time; then the files written with their timings.
 *  - Not a terminal (CI logs, pipes): plain lines, one when each claim starts and
 *    one when it ends (verdict, headline measurement, time), one every
 *    `heartbeatMs` (30 s) for a claim still running with its percentage and ETA,
 *    and the summary at the end: a CI log shows where a run is.
 *  - --quiet: nothing at all.
 *  - --json: JSON lines on stdout, one object per event
 *    (begin, claim-start, claim-progress, claim-end, written, end).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../verify/run-claims.ts';
import type { VerifyReport } from '../contract/result.ts';
import type { WrittenReport } from '../report/write.ts';
import { caughtCount, formatMetric, keyMetric, seconds } from '../report/format.ts';

export interface RunInfo {
  backend: string;
  tier: string;
  seed: number;
  claims: string[];
  shard?: { index: number; count: number };
  /** Estimated seconds per claim (src/verify/estimate.ts), for the ETA; null where unknown. */
  estimates?: Record<string, number | null>;
  workers?: number;
}

export interface ProgressReporter {
  begin(info: RunInfo): void;
  event(e: ProgressEvent): void;
  end(report: VerifyReport, written: WrittenReport): void;
}

export interface ProgressOptions {
  quiet: boolean;
  json: boolean;
  /** Defaults to process.stderr.isTTY. */
  tty?: boolean;
  /** Where human-readable progress goes (default stderr); JSON lines go to `jsonStream` (default stdout). */
  stream?: NodeJS.WritableStream;
  jsonStream?: NodeJS.WritableStream;
  /** Not a terminal: a line for a running claim at most this often (default 30 s). */
  heartbeatMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

function summaryLine(report: VerifyReport, written: WrittenReport): string {
  return (
    `${report.ok ? 'OK' : 'NOT OK'}: ${report.summary.passed}/${report.summary.claims} claims pass, ` +
    `${report.summary.caught}/${report.summary.falsifiers} falsifiers caught` +
    (report.summary.errors ? `, ${report.summary.errors} errors` : '') +
    `; wrote ${written.files.join(', ')}\n`
  );
}

function claimLine(e: Extract<ProgressEvent, { kind: 'claim-end' }>): string {
  const r = e.result;
  const key = keyMetric(r.metrics);
  return `${r.verdict}${key ? ` · ${key[0]} ${formatMetric(key[1])}` : ''} · falsifiers caught ${caughtCount(r)} · ${seconds(r.durationMs)}`;
}

function jsonReporter(stream: NodeJS.WritableStream): ProgressReporter {
  const line = (o: object) => stream.write(JSON.stringify(o) + '\n');
  let lastFraction = new Map<string, number>();
  return {
    begin: (info) => {
      lastFraction = new Map();
      line({ event: 'begin', ...info });
    },
    event: (e) => {
      if (e.kind === 'claim-start') line({ event: e.kind, id: e.id, index: e.index, total: e.total });
      else if (e.kind === 'claim-progress') {
        // At most one line per percent: a training loop reports far more often than a log wants.
        const pct = Math.floor(Math.min(1, Math.max(0, e.fraction)) * 100);
        if (lastFraction.get(e.id) === pct) return;
        lastFraction.set(e.id, pct);
        line({ event: e.kind, id: e.id, fraction: e.fraction, ...(e.message ? { message: e.message } : {}) });
      } else {
        const r = e.result;
        line({
          event: e.kind,
          id: e.id,
          verdict: r.verdict,
          metrics: r.metrics,
          falsifiers: r.falsifiers.map((f) => ({ id: f.id, verdict: f.verdict, caught: f.caught })),
          durationMs: r.durationMs,
          ...(r.error ? { error: r.error } : {}),
        });
      }
    },
    end: (report, written) => {
      line({ event: 'written', files: written.timings, ...(written.previous ? { previous: written.previous } : {}) });
      line({ event: 'end', ok: report.ok, summary: report.summary, files: written.files });
    },
  };
}

function terminalReporter(stream: NodeJS.WritableStream): ProgressReporter {
  // Claims run in parallel workers: one bar per claim, several live at once.
  let multi: cliProgress.MultiBar | null = null;
  const bars = new Map<string, cliProgress.SingleBar>();
  const errors: string[] = [];
  let idWidth = 20;
  let counterWidth = 5;
  const out = (s: string) => stream.write(s);
  return {
    begin: (info) => {
      idWidth = Math.max(10, ...info.claims.map((id) => id.length));
      counterWidth = 2 * String(info.claims.length).length + 1;
      out(
        `vae-claims: ${info.claims.length} claim(s), tier ${info.tier}, seed ${info.seed}, backend ${info.backend}` +
          (info.shard ? `, shard ${info.shard.index}/${info.shard.count}` : '') +
          '\n',
      );
      multi = new cliProgress.MultiBar(
        {
          stream,
          format: `{counter} {id} [{bar}] {percentage}% | {status}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
    },
    event: (e) => {
      if (e.kind === 'claim-start') {
        bars.get(e.id)?.stop();
        const bar = multi?.create(100, 0, { counter: `${e.index + 1}/${e.total}`.padStart(counterWidth), id: e.id.padEnd(idWidth), status: 'running' });
        if (bar) bars.set(e.id, bar);
      } else if (e.kind === 'claim-progress') {
        bars.get(e.id)?.update(Math.round(Math.min(1, Math.max(0, e.fraction)) * 100), { status: e.message ?? 'running' });
      } else {
        const bar = bars.get(e.id);
        bar?.update(100, { status: claimLine(e) });
        bar?.stop();
        if (e.result.error) errors.push(`    ${e.id} error: ${e.result.error}\n`);
      }
    },
    end: (report, written) => {
      multi?.stop();
      multi = null;
      bars.clear();
      for (const line of errors.splice(0)) out(line);
      if (report.partial) out(`partial report: interrupted; not run: ${report.partial.notRun.join(', ') || '—'}\n`);
      out(summaryLine(report, written));
      for (const t of written.timings) {
        out(`  ${t.format.padEnd(5)} ${t.file} (${(t.bytes / 1024).toFixed(1)} KiB; render ${t.renderMs.toFixed(0)} ms, write ${t.writeMs.toFixed(0)} ms)\n`);
      }
    },
  };
}

/** "1m05s" / "42s". */
function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function plainReporter(stream: NodeJS.WritableStream, heartbeatMs: number, now: () => number): ProgressReporter {
  const out = (s: string) => stream.write(s + '\n');
  const started = new Map<string, { at: number; counter: string; fraction: number; lastLine: number }>();
  let t0 = now();
  let remaining = new Map<string, number>();
  let workers = 1;
  /** The estimated time left: unfinished claims' estimates (a running claim's pro rata) over the workers. */
  const left = (): string => {
    if (remaining.size === 0) return '';
    let total = 0;
    for (const [id, s] of remaining) total += s * (1 - (started.get(id)?.fraction ?? 0));
    return `, about ${duration((1000 * total) / workers)} left in the run`;
  };
  return {
    begin: (info) => {
      t0 = now();
      workers = Math.max(1, info.workers ?? 1);
      remaining = new Map(Object.entries(info.estimates ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'));
      out(
        `vae-claims: ${info.claims.length} claim(s), tier ${info.tier}, seed ${info.seed}, backend ${info.backend}` +
          (info.shard ? `, shard ${info.shard.index}/${info.shard.count}` : ''),
      );
    },
    event: (e) => {
      const t = now();
      if (e.kind === 'claim-start') {
        const counter = `[${e.index + 1}/${e.total}]`;
        started.set(e.id, { at: t, counter, fraction: 0, lastLine: t });
        out(`${counter} ${e.id}: started (run time ${duration(t - t0)})`);
      } else if (e.kind === 'claim-progress') {
        const s = started.get(e.id);
        if (!s) return;
        s.fraction = Math.min(1, Math.max(0, e.fraction));
        if (t - s.lastLine < heartbeatMs) return;
        s.lastLine = t;
        const elapsed = t - s.at;
        const eta = s.fraction > 0.02 ? `, about ${duration((elapsed / s.fraction) * (1 - s.fraction))} left` : '';
        out(`${s.counter} ${e.id}: ${Math.round(100 * s.fraction)}% after ${duration(elapsed)}${eta}${e.message ? ` (${e.message})` : ''}`);
      } else {
        const s = started.get(e.id);
        started.delete(e.id);
        remaining.delete(e.id);
        out(`${s?.counter ?? ''} ${e.id}: ${claimLine(e)} (run time ${duration(t - t0)}${left()})`.trim());
        if (e.result.error) out(`    ${e.id} error: ${e.result.error}`);
      }
    },
    end: (report, written) => {
      const missing = report.partial ? `partial report: interrupted; not run: ${report.partial.notRun.join(', ') || '—'}\n` : '';
      stream.write(missing + summaryLine(report, written));
    },
  };
}

export function createProgressReporter(opts: ProgressOptions): ProgressReporter {
  if (opts.json) return jsonReporter(opts.jsonStream ?? process.stdout);
  if (opts.quiet) return { begin() {}, event() {}, end() {} };
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  if (tty) return terminalReporter(stream);
  return plainReporter(stream, opts.heartbeatMs ?? 30_000, opts.now ?? (() => performance.now()));
}
