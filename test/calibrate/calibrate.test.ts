/** Calibration counts verdicts over seeds correctly (fake claims: no training). */
import { describe, expect, it } from 'vitest';
import { calibrate, calibrationSeeds } from '../../src/calibrate/calibrate.ts';
import { defineClaim, type CheckResult } from '../../src/contract/claim.ts';
import { SGL25 } from '../../src/claims/sources.ts';

const backend = { name: 'fake', tfjsVersion: '0', precision: 'float32' as const };

/** Passes on even seeds only; its falsifier is caught on seeds divisible by 3. */
const flaky = defineClaim<{ mutated: boolean }>({
  id: 'fake-flaky',
  title: 'fake',
  family: 'convergence',
  source: SGL25,
  statement: 'fake',
  assumptions: [],
  tiers: { quick: { mutated: false }, full: { mutated: false } },
  falsifiers: [{ id: 'mutation', description: 'fake', expected: 'fail', mutate: () => ({ mutated: true }) }],
  async check(configs, ctx): Promise<CheckResult[]> {
    return configs.map((c) => ({
      verdict: c.mutated ? (ctx.masterSeed % 3 === 0 ? 'fail' : 'inconclusive') : ctx.masterSeed % 2 === 0 ? 'pass' : 'fail',
      metrics: {},
    }));
  },
});

describe('calibrate', () => {
  it('counts passes and catches per seed, with Wilson intervals', async () => {
    const runs = 40;
    const seeds = calibrationSeeds(7, runs);
    const [entry] = await calibrate({ claims: [flaky], runs, backend, baseSeed: 7 });
    const evens = seeds.filter((s) => s % 2 === 0).length;
    const threes = seeds.filter((s) => s % 3 === 0).length;
    // A pass whose falsifier was let through has no power and reads inconclusive (runClaim's power rule).
    const sixes = seeds.filter((s) => s % 6 === 0).length;
    expect(entry.seeds).toEqual(seeds);
    expect(entry.pass.successes).toBe(sixes);
    expect(entry.falseAlarm.successes).toBe(runs - sixes);
    expect(entry.falsifiers[0].caught.successes).toBe(threes);
    expect(entry.verdicts).toEqual({ pass: sixes, inconclusive: evens - sixes, fail: runs - evens });
    expect(entry.meetsTarget).toBe(false);
    expect(entry.pass.lower).toBeLessThanOrEqual(entry.pass.rate);
    // Every seed that failed or let the falsifier through is listed, and no other.
    const expectedMisses = seeds.filter((s) => s % 2 !== 0 || s % 3 !== 0);
    expect(entry.misses!.map((m) => m.seed)).toEqual(expectedMisses);
    for (const m of entry.misses!) expect(m.verdict).toBe(m.seed % 2 !== 0 ? 'fail' : m.seed % 3 === 0 ? 'pass' : 'inconclusive');
  });

  it('derives distinct, reproducible, non-zero seeds', () => {
    const a = calibrationSeeds(1, 100);
    expect(new Set(a).size).toBe(100);
    expect(a).toEqual(calibrationSeeds(1, 100));
    expect(a).not.toContain(0);
  });
});
