/**
 * Claim selection (ids, globs, families) and scaling out: `verify --shard i/n`
 * on every shard, then `merge`, gives the same report as one run — same
 * claims in the same order, same verdicts and measurements — using fake
 * claims injected into the CLI (no training).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VerifyReport } from '../../src/contract/result.ts';
import { parseShard, selectClaims, shardClaims, SelectionError } from '../../src/verify/select.ts';
import { MergeError, mergeReports } from '../../src/verify/merge.ts';
import { validateReport } from '../../src/report/schema.ts';
import { FAKE_CLAIMS } from './fixtures.ts';
import { runCli } from './cli-harness.ts';

const ids = (claims: readonly { id: string }[]) => claims.map((c) => c.id);
const read = (file: string): VerifyReport => JSON.parse(readFileSync(file, 'utf8'));
/** What must not depend on sharding: everything but timings and provenance. */
const outcome = (r: VerifyReport) =>
  r.claims.map((c) => ({ id: c.id, verdict: c.verdict, metrics: c.metrics, series: c.series, falsifiers: c.falsifiers, assumptions: c.assumptions, error: c.error }));

describe('claim selection', () => {
  it('accepts ids, globs and family names, keeping registry order', () => {
    expect(ids(selectClaims(FAKE_CLAIMS, []))).toEqual(ids(FAKE_CLAIMS));
    expect(ids(selectClaims(FAKE_CLAIMS, ['fake-crash', 'fake-rate']))).toEqual(['fake-rate', 'fake-crash']);
    expect(ids(selectClaims(FAKE_CLAIMS, ['fake-*-gap']))).toEqual(['fake-entropy-gap']);
    expect(ids(selectClaims(FAKE_CLAIMS, ['ntk']))).toEqual(['fake-kernel-width', 'fake-crash']);
    expect(ids(selectClaims(FAKE_CLAIMS, ['convergence', 'fake-{entropy,kernel}-*']))).toEqual(['fake-rate', 'fake-kernel-width', 'fake-entropy-gap', 'fake-inconclusive']);
  });

  it('names what is allowed when a pattern matches nothing', () => {
    expect(() => selectClaims(FAKE_CLAIMS, ['nope-*'])).toThrow(SelectionError);
    expect(() => selectClaims(FAKE_CLAIMS, ['nope-*'])).toThrow(/matches no claim; allowed: a claim id \(fake-rate, .*\), a glob .*, or a family \(convergence, ntk, entropy\)/);
  });

  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '1/2/3', '-1/2']) expect(() => parseShard(bad), bad).toThrow(/allowed: i\/n with integers 1 ≤ i ≤ n/);
  });

  it('shards partition any selection: every claim in exactly one shard, sizes within one of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }), (size, count) => {
        const selection = Array.from({ length: size }, (_, i) => `c${i}`);
        const shards = Array.from({ length: count }, (_, i) => shardClaims(selection, { index: i + 1, count }));
        expect(shards.flat().sort()).toEqual([...selection].sort());
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('verify --shard + merge', () => {
  it('gives the same report as one unsharded run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-shards-'));
    const whole = await runCli(['verify', '--tier', 'quick', '--seed', '3', '--out', path.join(dir, 'whole'), '--quiet']);
    // Fake claims include an inconclusive claim and a crash: the run is not ok.
    expect(whole.code).toBe(1);
    const shardFiles: string[] = [];
    // Shards in reverse order: merge must restore the selection's order.
    for (const i of [3, 1, 2]) {
      const out = path.join(dir, `shard-${i}`);
      const r = await runCli(['verify', '--tier', 'quick', '--seed', '3', '--shard', `${i}/3`, '--out', out, '--quiet']);
      expect(r.stderr).toBe('');
      const report = read(path.join(out, 'report.json'));
      expect(report.shard).toEqual({ index: i, count: 3, selection: ids(FAKE_CLAIMS) });
      expect(validateReport(report)).toEqual({ valid: true });
      shardFiles.push(path.join(out, 'report.json'));
    }
    const merged = await runCli(['merge', ...shardFiles, '--out', path.join(dir, 'merged'), '--quiet']);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(whole.code);
    const a = read(path.join(dir, 'whole', 'report.json'));
    const b = read(path.join(dir, 'merged', 'report.json'));
    expect(validateReport(b)).toEqual({ valid: true });
    expect(ids(b.claims)).toEqual(ids(a.claims));
    expect(outcome(b)).toEqual(outcome(a));
    expect({ summary: b.summary, ok: b.ok, seed: b.seed, tier: b.tier, backend: b.backend }).toEqual({ summary: a.summary, ok: a.ok, seed: a.seed, tier: a.tier, backend: a.backend });
    expect(b.merged!.shards.map((s) => s.index)).toEqual([3, 1, 2]);
    expect(b.shard).toBeUndefined();
    for (const f of ['report.html', 'report.md', 'junit.xml']) expect(existsSync(path.join(dir, 'merged', f))).toBe(true);

    // What merge refuses (exit 2, with the reason).
    const missing = await runCli(['merge', shardFiles[0], shardFiles[1], '--out', path.join(dir, 'bad')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing shard\(s\) 2\/3/);
    const twice = await runCli(['merge', shardFiles[0], shardFiles[0], '--out', path.join(dir, 'bad')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/shard 3\/3 given twice/);
    const partial = await runCli(['merge', shardFiles[0], shardFiles[1], '--allow-partial', '--out', path.join(dir, 'partial'), '--quiet']);
    expect(partial.code).toBe(1);
    const p = read(path.join(dir, 'partial', 'report.json'));
    expect(p.ok).toBe(false);
    expect(p.merged!.missing).toEqual(ids(shardClaims(FAKE_CLAIMS, { index: 2, count: 3 })));
  });

  it('refuses reports of different runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-shards-'));
    await runCli(['verify', '--tier', 'quick', '--seed', '3', '--shard', '1/2', '--out', path.join(dir, 's1'), '--quiet']);
    await runCli(['verify', '--tier', 'quick', '--seed', '4', '--shard', '2/2', '--out', path.join(dir, 's2'), '--quiet']);
    const reports = ['s1', 's2'].map((s) => read(path.join(dir, s, 'report.json')));
    expect(() => mergeReports(reports)).toThrow(MergeError);
    expect(() => mergeReports(reports)).toThrow(/report 2 has seed 4 but report 1 has seed 3/);
  });
});
