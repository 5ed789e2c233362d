/**
 * The command line end to end, as a user runs it (a child process through
 * tsx): exit codes, the report contract and usage errors.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'vae-claims.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vae-claims CLI', () => {
  it('verify --claim sgd-rate-linear-vae --tier quick exits 0 and writes the report contract', () => {
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
    expect(claim.falsifiers).toEqual([expect.objectContaining({ id: 'constant-step', verdict: 'fail' })]);
    expect(existsSync(path.join(out, 'report.md'))).toBe(true);
  });

  it('list names every claim', () => {
    const r = cli('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sgd-rate-linear-vae');
    expect(r.stdout).toContain('adam-rate-linear-vae');
  });

  it.each([
    [['verify', '--claim', 'no-such-claim'], /unknown claim id "no-such-claim"/],
    [['verify', '--tier', 'huge'], /Allowed choices are quick, full/],
    [['verify', '--seed', '0'], /integer ≥ 1/],
    [['verify', '--backend', 'gpu'], /Allowed choices are wasm, cpu, tensorflow/],
    [['frobnicate'], /unknown command/],
  ])('usage error %j exits 2 with a clear message', (args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--help explains and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes/);
  });
});
