/**
 * Progress output of `verify`, in-process against fake claims (no training):
 * a bar line per claim on a terminal, plain start/end lines (and a heartbeat
 * with an ETA for a long claim) when not a terminal, nothing with --quiet,
 * JSON lines with --json.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../src/cli/main.ts';
import { createProgressReporter } from '../src/cli/progress.ts';
import { FAKE_BACKEND, FAKE_CLAIMS, PASSING_FAKE_CLAIMS } from './report/fixtures.ts';
import { captureStream, runCli } from './report/cli-harness.ts';

const out = () => path.join(mkdtempSync(path.join(tmpdir(), 'vae-claims-progress-')), 'out');

describe('verify progress', () => {
  it('--json prints one JSON object per event on stdout', async () => {
    const r = await runCli(['verify', '--tier', 'quick', '--out', out(), '--json'], PASSING_FAKE_CLAIMS);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ event: 'begin', tier: 'quick', seed: 1, backend: 'cpu', claims: ['fake-rate', 'fake-kernel-width', 'fake-entropy-gap'] });
    const ends = events.filter((e) => e.event === 'claim-end');
    expect(ends.map((e) => [e.id, e.verdict])).toEqual([
      ['fake-rate', 'pass'],
      ['fake-kernel-width', 'pass'],
      ['fake-entropy-gap', 'pass'],
    ]);
    expect(events.some((e) => e.event === 'claim-progress' && e.id === 'fake-rate')).toBe(true);
    const written = events.find((e) => e.event === 'written');
    expect(written.files.map((f: { format: string }) => f.format)).toEqual(['html', 'md', 'junit', 'json']);
    expect(events.at(-1)).toMatchObject({ event: 'end', ok: true, summary: { claims: 3, passed: 3, falsifiers: 3, caught: 3 } });
  });

  it('on a terminal: one progress-bar line per claim ending in its verdict, then the files with timings', async () => {
    const stdout = captureStream();
    // A terminal as cli-progress sees one: isTTY and a width.
    const stderr = Object.assign(captureStream(), { isTTY: true, columns: 200 });
    const code = await main(['node', 'vae-claims', 'verify', '--tier', 'quick', '--out', out()], {
      claims: FAKE_CLAIMS,
      useBackend: async () => FAKE_BACKEND,
      stdout,
      stderr,
      tty: true,
    });
    expect(code).toBe(1);
    // eslint-disable-next-line no-control-regex
    const text = stderr.text().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toMatch(/^vae-claims: 5 claim\(s\), tier quick, seed 1, backend cpu$/m);
    expect(text).toMatch(/1\/5 fake-rate +\[█+\] 100% \| pass · slope -0\.\d+ \[.*\] \(95%\) · falsifiers caught 1\/1 · \d+\.\d s/);
    expect(text).toMatch(/4\/5 fake-inconclusive +\[█+\] 100% \| inconclusive · slope .* · falsifiers caught 0\/1/);
    expect(text).toMatch(/5\/5 fake-crash +\[.*\] 100% \| error · falsifiers caught 0\/1[\s\S]*error: fake-crash \(tier quick\): synthetic failure/);
    expect(text).toMatch(/^NOT OK: 3\/5 claims pass, 3\/5 falsifiers caught, 1 errors; wrote /m);
    expect(text).toMatch(/html +\S+report\.html \(\d+\.\d KiB; render \d+ ms, write \d+ ms\)/);
    expect(stdout.text()).toBe('');
  });

  it('not on a terminal: a line per claim start and end, then the summary; --quiet: nothing', async () => {
    const plain = await runCli(['verify', '--tier', 'quick', '--out', out()], PASSING_FAKE_CLAIMS);
    const lines = plain.stderr.trim().split('\n');
    expect(lines[0]).toBe('vae-claims: 3 claim(s), tier quick, seed 1, backend cpu');
    expect(lines[1]).toMatch(/^\[1\/3\] fake-rate: started \(run time \d+s\)$/);
    expect(lines[2]).toMatch(/^\[1\/3\] fake-rate: pass · slope -0\.\d+ .* · falsifiers caught 1\/1 · \d+\.\d s \(run time \d+s\)$/);
    expect(lines.filter((l) => / started /.test(l))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/^OK: 3\/3 claims pass, 3\/3 falsifiers caught; wrote .*report\.json$/);
    const quiet = await runCli(['verify', '--tier', 'quick', '--out', out(), '--quiet'], PASSING_FAKE_CLAIMS);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('not on a terminal: a running claim gets a heartbeat line with its percentage and an ETA', () => {
    let t = 0;
    const stream = captureStream();
    const p = createProgressReporter({ quiet: false, json: false, tty: false, stream, heartbeatMs: 30_000, now: () => t });
    p.begin({ backend: 'wasm', tier: 'full', seed: 1, claims: ['slow-claim'] });
    p.event({ kind: 'claim-start', id: 'slow-claim', index: 0, total: 1 });
    t = 10_000;
    p.event({ kind: 'claim-progress', id: 'slow-claim', fraction: 0.1 });
    t = 40_000;
    p.event({ kind: 'claim-progress', id: 'slow-claim', fraction: 0.25 });
    expect(stream.text().trim().split('\n')).toEqual([
      'vae-claims: 1 claim(s), tier full, seed 1, backend wasm',
      '[1/1] slow-claim: started (run time 0s)',
      '[1/1] slow-claim: 25% after 40s, about 2m00s left',
    ]);
  });
});
