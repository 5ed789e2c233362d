/**
 * The command line end to end, as a user runs it (a child process through
 * tsx) against the real claim registry: exit codes, the report contract and
 * every report format, claim selection, usage errors. In-process runs against
 * fake claims (progress, shards, compare) are in test/cli-progress.test.ts
 * and test/report/.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateReport } from '../src/report/schema.ts';
import { main } from '../src/cli/main.ts';
import { captureStream } from './report/cli-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'vae-claims.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vae-claims CLI', () => {
  it('verify --claim sgd-rate-linear-vae --tier quick exits 0 and writes every report format', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'vae-claims-'));
    const r = cli('verify', '--claim', 'sgd-rate-linear-vae', '--tier', 'quick', '--out', out, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ backend: 'wasm', seed: 1, tier: 'quick', ok: true });
    expect(typeof report.startedAt).toBe('string');
    expect(report.durationMs).toBeGreaterThan(0);
    const [claim] = report.claims;
    expect(claim).toMatchObject({ id: 'sgd-rate-linear-vae', verdict: 'pass' });
    expect(claim.metrics.slope.upper).toBeLessThanOrEqual(-0.35);
    expect(claim.metrics.slope.lower).toBeLessThan(claim.metrics.slope.value);
    expect(claim.falsifiers).toEqual(['constant-step', 'slow-schedule', 'biased-gradient'].map((id) => expect.objectContaining({ id, verdict: 'fail' })));
    expect(validateReport(report)).toEqual({ valid: true });
    expect(claim.seeds).toEqual({ master: 1, count: 8 });
    expect(report.environment.packages['@tensorflow/tfjs']).toBe(report.backendInfo.tfjsVersion);
    expect(report.command).toEqual(['verify', '--claim', 'sgd-rate-linear-vae', '--tier', 'quick', '--out', out, '--quiet']);
    for (const f of ['report.md', 'report.html', 'junit.xml']) expect(existsSync(path.join(out, f)), f).toBe(true);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-claim-id="sgd-rate-linear-vae"');
    expect(html).toMatch(/<figure class="plot" data-series="G"><svg/);
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toMatch(/<testsuites name="vae-claims" tests="4" failures="0" errors="0"/);
  });

  it('list names every claim with its family, source and tier costs', () => {
    const r = cli('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sgd-rate-linear-vae {2}\[convergence\] {2}SGL25 arXiv:2410\.16750$/m);
    expect(r.stdout).toContain('adam-rate-linear-vae');
    expect(r.stdout).toMatch(/^ {4}quick: .*seeds 8, steps 20000 · 4 configuration\(s\)/m);
  });

  it('list --claim takes globs and family names', () => {
    const glob = cli('list', '--claim', '*-rate-linear-vae', '--json');
    expect(glob.code).toBe(0);
    expect(JSON.parse(glob.stdout).map((c: { id: string }) => c.id)).toEqual(['sgd-rate-linear-vae', 'adam-rate-linear-vae']);
    const family = cli('list', '--claim', 'convergence', '--json');
    const claims = JSON.parse(family.stdout) as { id: string; family: string }[];
    expect(claims.length).toBeGreaterThanOrEqual(2);
    expect(new Set(claims.map((c) => c.family))).toEqual(new Set(['convergence']));
  });

  it('a usage error exits 2 through the bin with a clear message', () => {
    const r = cli('verify', '--claim', 'no-such-claim');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--claim "no-such-claim" matches no claim; allowed: a claim id \(.*sgd-rate-linear-vae/);
  });

  // The rest in-process (same main(), same registry): a child process costs ~10 s of start-up each here.
  it.each([
    [['verify', '--shard', '3/2'], /--shard "3\/2" is not valid; allowed: i\/n/],
    [['compare', 'missing-a.json', 'missing-b.json'], /cannot read report "missing-a.json"/],
    [['merge', 'missing.json'], /cannot read report "missing.json"/],
    [['verify', '--tier', 'huge'], /Allowed choices are quick, full/],
    [['verify', '--seed', '0'], /integer ≥ 1/],
    [['verify', '--backend', 'gpu'], /Allowed choices are wasm, cpu, tensorflow/],
    [['frobnicate'], /unknown command/],
  ])('usage error %j exits 2 with a clear message', async (args, message) => {
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await main(['node', 'vae-claims', ...args], { stdout, stderr });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(message);
  });

  it('--help explains and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes/);
  });
});
