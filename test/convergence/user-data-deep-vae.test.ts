/**
 * `verify --data FILE` for adam-rate-deep-vae: the user's rows in place of
 * the digits, any width (TakesData.dimension is null; withRows puts
 * { source: 'file', N, D } in the configuration). End to end through the CLI
 * (in-process, the real registry and backend): a small file of rows in
 * [0, 1] trains the engine's soft-clipped network on them — its input and
 * output layers sized to the rows — with every measurement (‖∇L‖² over every
 * row, the conformance's same-objective and unbiasedness tests) on those rows,
 * and yields a verdict that is not `error`; values the bounded decoder mean
 * cannot reach, and too few rows for the batch, exit 2 before any training
 * with one line naming the problem; `list` states the rows the claim needs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VerifyReport } from '../../src/contract/result.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { validateReport } from '../../src/report/schema.ts';
import { realCli, writeRows } from '../report/user-data-harness.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-user-data-deep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, rows: readonly (readonly number[])[]) => writeRows(dir, name, rows);

/** N rows of 12 values in [0, 1]: two latent factors through smooth bumps, plus a little noise. */
function bumps(N: number): number[][] {
  const r = RandomStream.at(20261130, 'user-data-deep-vae-test');
  return Array.from({ length: N }, () => {
    const a = r.uniform();
    const b = r.uniform();
    return Array.from({ length: 12 }, (_, j) => 0.5 + 0.4 * Math.sin(6 * a + j / 2) * Math.cos(3 * b - j / 3) + 0.05 * (r.uniform() - 0.5));
  });
}

const cli = (args: string[], runs = false) => realCli(args, { runs });

describe('adam-rate-deep-vae on the user\'s rows', () => {
  it('trains and measures the engine\'s network on them: a verdict, not error, with the falsifiers judged', { timeout: 300_000 }, async () => {
    const data = file('bumps.csv', bumps(60));
    const out = mkdtempSync(path.join(dir, 'out-'));
    // Shorter than the tier: the claim's measurements and conformance run in full, the verdict may be inconclusive.
    const sets = ['steps=1500', 'seeds=4', 'conformance.engineDraws=300'];
    const r = await cli(['verify', '--claim', 'adam-rate-deep-vae', '--tier', 'quick', '--quiet', '--out', out, '--data', data, ...sets.flatMap((s) => ['--set', s])], true);
    expect(r.stderr).toBe('');
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as VerifyReport;
    expect(validateReport(report)).toEqual({ valid: true });
    const claim = report.claims[0];
    expect(claim.verdict, claim.error).not.toBe('error');
    expect(claim.notes.join(' ')).toMatch(/The user's rows \(.*bumps\.csv\): 60 rows of 12 values; network 12-16-2/);
    // The conformance ran on these rows: the engine's objective against the float64 reference, its gradient unbiased.
    expect(claim.metrics.sameObjectiveError.value).toBeLessThan(2e-3);
    expect(claim.metrics.unbiasedMaxZRatio.value).toBeLessThan(1);
    expect(claim.falsifiers.map((f) => f.id)).toEqual(['constant-step', 'biased-gradient']);
    for (const f of claim.falsifiers) expect(f.verdict).not.toBe('error');
  });

  it('values outside the decoder mean\'s [−50, 50], or fewer rows than the batch, exit 2 before training with one line', async () => {
    const far = bumps(30);
    far[7][3] = 80;
    const r = await cli(['verify', '--claim', 'adam-rate-deep-vae', '--data', file('far.csv', far)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/far\.csv, row 8: column 4 is 80, outside \[−50, 50\]/);
    const few = await cli(['verify', '--claim', 'adam-rate-deep-vae', '--data', file('few.csv', bumps(6))]);
    expect(few.code).toBe(2);
    expect(few.stderr.trim().split('\n')).toHaveLength(1);
    expect(few.stderr).toMatch(/batch size B.*N = 6/);
  });

  it('list states the rows the claim needs', async () => {
    const r = await cli(['list']);
    expect(r.stdout).toMatch(/adam-rate-deep-vae[\s\S]*real rows, any number of columns D, values in \[−50, 50\]/);
  });
});
