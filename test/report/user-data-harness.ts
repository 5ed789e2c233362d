/**
 * End-to-end `verify --data FILE` runs through the CLI in-process with the
 * real registry (shared by the user-data tests of every family): writing a
 * data file, running the CLI (a rejected input must not reach backend
 * initialisation; an end-to-end run uses the real backend), and running one
 * claim on a file with its report validated and the exit code matched to the
 * verdict.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { CLAIMS } from '../../src/claims/index.ts';
import type { Claim } from '../../src/contract/claim.ts';
import type { ClaimResult, VerifyReport } from '../../src/contract/result.ts';
import { validateReport } from '../../src/report/schema.ts';
import { captureStream } from './cli-harness.ts';

/** Writes rows (and an optional header line) as a CSV file in `dir`; returns its path. */
export function writeRows(dir: string, name: string, rows: readonly (readonly number[])[], header?: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, `${header ? `${header}\n` : ''}${rows.map((r) => r.join(',')).join('\n')}\n`);
  return p;
}

/** The CLI in-process on the real registry (or `claims`); without `runs` the backend must never be reached. */
export async function realCli(args: string[], deps: { claims?: readonly Claim[]; runs?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await main(['node', 'vae-claims', ...args], {
    claims: deps.claims ?? CLAIMS,
    stdout,
    stderr,
    tty: false,
    // A rejected input must not get as far as backend initialisation; the end-to-end runs use the real one.
    ...(deps.runs
      ? {}
      : {
          useBackend: async () => {
            throw new Error('a rejected input must not reach backend initialisation');
          },
        }),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** `verify --claim id --tier quick --data FILE` into a fresh folder under `dir`: the one claim's result, its report valid and the exit code the verdict's. */
export async function runOnData(dir: string, id: string, data: string, sets: string[] = []): Promise<ClaimResult> {
  const out = mkdtempSync(path.join(dir, `out-${id}-`));
  const r = await realCli(['verify', '--claim', id, '--tier', 'quick', '--quiet', '--out', out, '--data', data, ...sets.flatMap((s) => ['--set', s])], { runs: true });
  expect(r.stderr).toBe('');
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as VerifyReport;
  expect(validateReport(report)).toEqual({ valid: true });
  expect(report.claims).toHaveLength(1);
  const claim = report.claims[0];
  expect(r.code, `${id}: ${claim.verdict} ${claim.error ?? ''}`).toBe(claim.verdict === 'pass' && claim.falsifiers.every((f) => f.caught) ? 0 : 1);
  return claim;
}
