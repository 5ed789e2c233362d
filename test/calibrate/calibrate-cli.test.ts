/** `vae-claims calibrate` end to end on fake claims: counts, JSON output, exit code. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../report/cli-harness.ts';

describe('vae-claims calibrate', () => {
  it('reports pass and detection rates with intervals, writes JSON, exits 0 only when every claim meets the target', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'vae-cal-')), 'calibration.json');
    const r = await runCli(['calibrate', '--claim', 'fake-rate', '--runs', '3', '--out', out, '--quiet']);
    expect(r.stdout).toMatch(/fake-rate: pass 3\/3 \(100\.0%, 95% \[43\.9%, 100\.0%\]\)/);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.claims[0]).toMatchObject({ id: 'fake-rate', runs: 3, meetsTarget: true });
    expect(json.claims[0].seeds).toHaveLength(3);
    expect(r.code).toBe(0);
  });

  it('exits 1 when a claim misses the target', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'vae-cal-')), 'calibration.json');
    const r = await runCli(['calibrate', '--claim', 'fake-inconclusive', '--runs', '2', '--out', out, '--quiet']);
    expect(r.stdout).toMatch(/BELOW TARGET/);
    expect(r.code).toBe(1);
  });
});
