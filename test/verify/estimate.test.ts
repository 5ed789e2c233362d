/**
 * Cost before work (src/verify/estimate.ts): the work units of a
 * configuration, a claim's estimate from its calibrated quick-tier time, the
 * wall time over workers, and `verify` refusing a run estimated above
 * --max-minutes before anything trains.
 */
import { describe, expect, it } from 'vitest';
import { estimateClaim, estimateWall, humanSeconds, workUnits } from '../../src/verify/estimate.ts';
import type { Claim } from '../../src/contract/claim.ts';
import { configHash, type CalibrationRecord } from '../../src/report/calibration-record.ts';
import { timingsFromReport } from '../../src/report/timing-record.ts';
import { main } from '../../src/cli/main.ts';
import { captureStream } from '../report/cli-harness.ts';

describe('workUnits', () => {
  it('multiplies seeds, steps and arm counts, at any depth, each key once', () => {
    expect(workUnits({ seeds: 8, steps: 20000, data: { n: 2000 } })).toBe(160000);
    expect(workUnits({ run: { seeds: 8, steps: 5000 }, betas: [0.25, 1, 4] })).toBe(120000);
    expect(workUnits({ widths: [64, 256, 1024], training: { seeds: 10, steps: 300 } })).toBe(9000);
    expect(workUnits({})).toBe(1);
  });
});

describe('estimates', () => {
  const claim = { id: 'c', tiers: { quick: { seeds: 8, steps: 1000 }, full: { seeds: 16, steps: 4000 } } } as unknown as Claim;
  const record = { target: 0.99, claims: [{ id: 'c', tier: 'quick', meanDurationMs: 2000 }] } as unknown as CalibrationRecord;
  it('scales the calibrated quick-tier time by the work-unit ratio', () => {
    expect(estimateClaim(claim, claim.tiers.full, record).seconds).toBeCloseTo(16, 10);
    expect(estimateClaim(claim, { seeds: 100000, steps: 1000 }, record).seconds).toBeCloseTo(25000, 6);
  });
  it("uses the tier's own timing when on record (sizes that work units leave out), else the quick tier's", () => {
    const both = { target: 0.99, claims: [...record.claims, { id: 'c', tier: 'full', meanDurationMs: 600000 }] } as unknown as CalibrationRecord;
    expect(estimateClaim(claim, claim.tiers.full, both, 'full').seconds).toBeCloseTo(600, 10);
    expect(estimateClaim(claim, { seeds: 32, steps: 4000 }, both, 'full').seconds).toBeCloseTo(1200, 10);
    expect(estimateClaim(claim, claim.tiers.quick, both, 'quick').seconds).toBeCloseTo(2, 10);
    expect(estimateClaim(claim, claim.tiers.full, record, 'full').seconds).toBeCloseTo(16, 10);
  });
  it('has no estimate for a claim with no timing on record', () => {
    expect(estimateClaim(claim, claim.tiers.full, null).seconds).toBeNull();
  });
  it('spreads claims over workers, longest first', () => {
    const e = [10, 8, 3, 3].map((s, i) => ({ id: String(i), seconds: s }));
    expect(estimateWall(e, 1)).toBe(24);
    expect(estimateWall(e, 2)).toBe(13);
    expect(estimateWall([{ id: 'x', seconds: 50 }, { id: 'y', seconds: 1 }], 4)).toBe(50);
  });
  it('reads as a person would say it', () => {
    expect([humanSeconds(42), humanSeconds(600), humanSeconds(7200)]).toEqual(['42 s', '10.0 min', '2.0 h']);
  });
});

describe('verify refuses a run estimated above --max-minutes, before any training', () => {
  it('--set seeds=100000 exits 2 naming the estimate and how to allow it', async () => {
    const stderr = captureStream();
    const code = await main(['node', 'vae-claims', 'verify', '--tier', 'quick', '--quiet', '--claim', 'sgd-rate-linear-vae', '--set', 'seeds=100000', '--out', '/tmp/vae-claims-estimate-test'], {
      stdout: captureStream(),
      stderr,
      useBackend: async () => {
        throw new Error('a refused run must not reach backend initialisation');
      },
    });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/this run is estimated at [\d.]+ h on 1 worker\(s\) \(longest: sgd-rate-linear-vae, .*\), over --max-minutes 60; pass --max-minutes \d+ to run it anyway/);
  });
});

describe('timing record', () => {
  const claim = { id: 'c', tiers: { quick: { seeds: 8, steps: 1000 }, full: { seeds: 16, steps: 4000, width: 512 } } } as unknown as Claim;
  const record = { target: 0.99, claims: [{ id: 'c', tier: 'quick', meanDurationMs: 2000 }] } as unknown as CalibrationRecord;
  const entry = (config: unknown, durationMs = 720000) => ({ id: 'c', tier: 'full', durationMs, configHash: configHash(config), measuredAt: '2026-12-01T00:00:00Z', commit: null });
  it("a recorded run at the tier comes first, scaled by work units from the tier's own configuration", () => {
    const timings = { entries: [entry(claim.tiers.full)] };
    expect(estimateClaim(claim, claim.tiers.full, record, 'full', timings).seconds).toBeCloseTo(720, 10);
    expect(estimateClaim(claim, { ...(claim.tiers.full as object), seeds: 32 }, record, 'full', timings).seconds).toBeCloseTo(1440, 10);
    // Not used at another tier, nor once the tier's configuration has changed (quick-scaled again: 2 s × 8).
    expect(estimateClaim(claim, claim.tiers.quick, record, 'quick', timings).seconds).toBeCloseTo(2, 10);
    expect(estimateClaim(claim, claim.tiers.full, record, 'full', { entries: [entry({ seeds: 16, steps: 4000, width: 256 })] }).seconds).toBeCloseTo(16, 10);
  });
  it('is read from a report: finished claims that ran their tier configuration only', () => {
    const full = claim.tiers.full;
    const report = {
      tier: 'full' as const,
      startedAt: '2026-12-01T06:00:00Z',
      environment: { gitCommit: 'abc' },
      claims: [
        { id: 'c', verdict: 'pass', durationMs: 1234.4, config: full },
        { id: 'd', verdict: 'error', durationMs: 10, config: full },
        { id: 'e', verdict: 'fail', durationMs: 99, config: { seeds: 1 } },
        { id: 'f', verdict: 'inconclusive', durationMs: 50, config: full },
      ],
    } as unknown as Parameters<typeof timingsFromReport>[0];
    const tierConfig = (id: string) => (id === 'g' ? undefined : full);
    expect(timingsFromReport(report, tierConfig)).toEqual([
      { id: 'c', tier: 'full', durationMs: 1234, configHash: configHash(full), measuredAt: '2026-12-01T06:00:00Z', commit: 'abc' },
      { id: 'f', tier: 'full', durationMs: 50, configHash: configHash(full), measuredAt: '2026-12-01T06:00:00Z', commit: 'abc' },
    ]);
  });
});
