/**
 * Faults through the real command line (child process, fixture claims via
 * $VAE_CLAIMS_REGISTRY): an interrupt writes a partial report and exits 130;
 * a claim over --claim-timeout becomes "error", the run completes and exits 1.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'vae-claims.js');
const REGISTRY = path.join(ROOT, 'test', 'fixtures', 'pool-claims.ts');

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, VAE_CLAIMS_REGISTRY: REGISTRY, VAE_CLAIMS_BACKEND: 'cpu' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, stdoutSoFar: () => stdout };
}

describe('verify under faults', () => {
  it('SIGINT writes a partial report with the finished claims and exits 130', { timeout: 180_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'vae-claims-int-'));
    const run = start(['verify', '--claim', 'echo-a,busy-long,echo-c', '--tier', 'quick', '--workers', '1', '--json', '--out', out]);
    // Interrupt once the busy claim has started (echo-a has finished by then: one worker, registry order).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (run.stdoutSoFar().includes('"event":"claim-start","id":"busy-long"')) {
          clearInterval(poll);
          resolve();
        }
      }, 100);
    });
    run.child.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(stderr).toMatch(/interrupted/);
    expect(code).toBe(130);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.claims.map((c: { id: string }) => c.id)).toEqual(['echo-a']);
    expect(report.partial).toEqual({ reason: 'interrupted', notRun: ['busy-long', 'echo-c'] });
    expect(report.ok).toBe(false);
  });

  it('--claim-timeout turns an overlong claim into "error" and still completes the run', { timeout: 180_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'vae-claims-timeout-'));
    const { code } = await start(['verify', '--claim', 'busy-long,echo-a', '--tier', 'quick', '--claim-timeout', '4', '--quiet', '--out', out]).done;
    expect(code).toBe(1);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    const verdicts = Object.fromEntries(report.claims.map((c: { id: string; verdict: string }) => [c.id, c.verdict]));
    expect(verdicts).toEqual({ 'busy-long': 'error', 'echo-a': 'pass' });
    expect(report.claims.find((c: { id: string }) => c.id === 'busy-long').error).toMatch(/time limit of 4\.0 s/);
    expect(report.partial).toBeUndefined();
  });

  it('rejects a bad --claim-timeout and --workers with the allowed range', { timeout: 60_000 }, async () => {
    const a = await start(['verify', '--claim-timeout', '0']).done;
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/seconds > 0/);
    const b = await start(['verify', '--workers', '0']).done;
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/integer ≥ 1/);
  });
});

describe('an internal error', () => {
  it('exits 3 with one line naming a log file that holds the stack trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-internal-'));
    const bad = path.join(dir, 'broken-registry.mjs');
    writeFileSync(bad, 'throw new Error("registry exploded at import");\n');
    const child = spawn(process.execPath, [BIN, 'list'], { cwd: ROOT, env: { ...process.env, VAE_CLAIMS_REGISTRY: bad }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(3);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vae-claims: internal error: registry exploded at import \(a bug of vae-claims, not a claim result; stack trace in (.+\.log)\)$/);
    const log = /stack trace in (.+\.log)\)$/.exec(lines[0])![1];
    expect(readFileSync(log, 'utf8')).toMatch(/Error: registry exploded at import\n\s+at /);
  });
});

describe('first output', () => {
  it('verify says something at once (before TensorFlow.js, the claims and the backend load)', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'vae-claims-first-')), 'out');
    const t0 = performance.now();
    const { child, done } = start(['verify', '--tier', 'quick', '--out', out, '--claim', 'echo-a']);
    const firstLineMs = await new Promise<number>((resolve) => child.stderr.once('data', () => resolve(performance.now() - t0)));
    const r = await done;
    expect(r.stderr.split('\n')[0]).toBe('vae-claims: loading the claims and the backend…');
    // 1 s on a quiet machine (measured 0.4 s); 3 s leaves room for a loaded CI machine.
    expect(firstLineMs).toBeLessThan(3000);
  });
});
