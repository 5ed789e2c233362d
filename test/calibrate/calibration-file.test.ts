/** The calibration record: runs of different claims accumulate; a rerun replaces only its own claims. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calibrationSummary, formatFalseAlarm, mergeCalibration, readCalibration, withCalibration, type CalibratedEntry } from '../../src/report/calibration-record.ts';
import { wilsonInterval } from '../../src/stats/wilson.ts';
import { configHash } from '../../src/calibrate/calibrate.ts';

function entry(id: string, passed: number, runs = 50): CalibratedEntry {
  return {
    id,
    runs,
    seeds: [],
    pass: wilsonInterval(passed, runs),
    falsifiers: [{ id: 'f', caught: wilsonInterval(runs, runs) }],
    verdicts: { pass: passed, fail: runs - passed },
    falseAlarm: wilsonInterval(runs - passed, runs),
    meanDurationMs: 1,
    meetsTarget: passed === runs,
    tier: 'quick',
    baseSeed: 1,
    backend: 'wasm',
    createdAt: '2026-11-22T00:00:00.000Z',
  };
}

describe('calibration record', () => {
  it('merges by claim: other claims kept, the same claim replaced', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'vae-cal-')), 'calibration.json');
    await mergeCalibration(file, 0.99, [entry('a', 50), entry('b', 45)]);
    await mergeCalibration(file, 0.99, [entry('b', 49), entry('c', 50)]);
    const record = readCalibration(file)!;
    expect(record.claims.map((c) => [c.id, c.pass.successes])).toEqual([
      ['a', 50],
      ['b', 49],
      ['c', 50],
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8')).target).toBe(0.99);
    expect(formatFalseAlarm(calibrationSummary(record, 'b'))).toBe(`1/50 (≤ ${(100 * wilsonInterval(1, 50).upper).toFixed(1)}%)`);
    expect(calibrationSummary(record, 'zzz')).toBeUndefined();
    // An entry knows what it calibrated: other sizes make it stale.
    await mergeCalibration(file, 0.99, [{ ...entry('d', 50), configHash: configHash({ seeds: 8 }) }]);
    const d = readCalibration(file)!;
    expect(calibrationSummary(d, 'd', 'quick', { seeds: 8 })?.stale).toBeUndefined();
    expect(calibrationSummary(d, 'd', 'quick', { seeds: 16 })?.stale).toBe(true);
    expect(formatFalseAlarm(calibrationSummary(d, 'd', 'quick', { seeds: 16 }))).toMatch(/0\/50 .*stale/);
    expect(formatFalseAlarm(undefined)).toBe('not calibrated');
  });
  it("a report shows its own tier's calibration when the record has one, else the quick tier's (stale at other sizes)", () => {
    const record = { target: 0.99, claims: [{ ...entry('e', 50), configHash: configHash({ seeds: 8 }) }, { ...entry('e', 3, 3), tier: 'full', configHash: configHash({ seeds: 16 }) }] };
    type Row = { id: string; tier: string; config: unknown; calibration?: ReturnType<typeof calibrationSummary> };
    const report = (tier: string, config: unknown) => ({ claims: [{ id: 'e', tier, config } as Row] });
    const at = (tier: string, config: unknown) => withCalibration(report(tier, config), record).claims[0].calibration;
    expect(at('full', { seeds: 16 })).toMatchObject({ tier: 'full', runs: 3 });
    expect(at('full', { seeds: 16 })?.stale).toBeUndefined();
    expect(at('quick', { seeds: 8 })).toMatchObject({ tier: 'quick', runs: 50 });
    const onlyQuick = { target: 0.99, claims: [record.claims[0]] };
    expect(withCalibration(report('full', { seeds: 16 }), onlyQuick).claims[0].calibration).toMatchObject({ tier: 'quick', runs: 50 });
  });
});
