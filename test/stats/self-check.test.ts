/**
 * The statistics self-check: green on the clean tree, cheap, memoised, and it
 * reports what it checked. (That it turns red under realistic bugs is what
 * mutants/stats.ts demonstrates: each mutant there makes it fail.)
 */
import { describe, expect, it } from 'vitest';
import { seedStatisticsSelfCheck, statisticsSelfCheck, twoSampleMeanTestSelfCheck } from '../../src/stats/self-check.ts';
import { bootstrapInterval, bootstrapOverSeeds } from '../../src/stats/bootstrap.ts';
import { leastSquaresLine } from '../../src/stats/least-squares.ts';
import { studentTQuantile } from '../../src/stats/student-t.ts';
import { normalQuantile } from '../../src/stats/normal.ts';
import { twoSampleMeanTest, type TwoSampleTestResult } from '../../src/stats/two-sample-mean-test.ts';
import { widthSlope } from '../../src/stats/width-slope.ts';
import type { DrawMoments } from '../../src/stats/mean-test.ts';
import type { Interval, Verdict } from '../../src/contract/claim.ts';

describe('statisticsSelfCheck', () => {
  it('passes on the clean tree, within 0.5 s of CPU, and is memoised', () => {
    const cpu = process.cpuUsage();
    const result = statisticsSelfCheck();
    const usedMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(usedMs).toBeLessThan(500);
    expect(statisticsSelfCheck()).toBe(result);
  });

  it('covers every procedure the claims use', () => {
    const text = statisticsSelfCheck().checks.join('\n');
    for (const name of [
      'leastSquaresLine',
      'runningAverage',
      'seedAverage',
      'sparseRunningAverage',
      'logSpacedSteps',
      'checkpointGrid',
      'verdict helpers',
      'fitRate slope: lower bound at the exact bootstrap',
      'fitRate slope: upper bound, one odd seed',
      'fitRateFromRunningAverages slope: lower bound at the exact bootstrap',
      'fitRateFromRunningAverages slope: upper bound, one odd seed',
      'pairedBootstrap log ratio: lower bound at the exact bootstrap',
      'pairedBootstrap log ratio: upper bound, one odd seed',
      'pairing kept',
      'smallSampleFactor',
      'wilsonInterval',
      'meanTest',
      'widthSlope: slope of log(seed-mean e)',
      'widthSlope: lower bound at the exact bootstrap',
      'widthSlope: upper bound, one odd seed',
      'bootstrapInterval of a seed mean: lower bound at the exact bootstrap',
      'withinBand',
      'twoSampleMeanTest: Welch z',
      'twoSampleMeanTest: Welch–Satterthwaite ν',
      'unbiasedSquaredNorm',
    ]) {
      expect(text, name).toContain(name);
    }
  });

  it('every bracketed bootstrap endpoint sits well inside its bracket (margin ≥ 25% of the half-width)', () => {
    const margins = statisticsSelfCheck()
      .checks.filter((line) => line.includes('bootstrap'))
      .map((line) => /margin (-?\d+)% of the half-width/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    // Measured: 53–100%.
    expect(margins.length).toBeGreaterThanOrEqual(8);
    for (const m of margins) expect(m).toBeGreaterThanOrEqual(25);
  });
});

/** widthSlope with the seeds' logs averaged (E[log]) instead of the log of their mean: the probe's bug. */
function widthSlopeOfMeanLogs(perSeed: readonly (readonly number[])[], widths: readonly number[], opts: { bootstrapSeed: number; resamples?: number }): Interval {
  const logW = widths.map(Math.log);
  return bootstrapOverSeeds(
    perSeed.length,
    (pick) => [leastSquaresLine(logW, logW.map((_, w) => Array.from(pick).reduce((a, i) => a + Math.log(perSeed[i][w]), 0) / pick.length)).slope],
    opts,
  )[0];
}

/** An interval narrowed about its estimate by the small-sample factor at S = 6 (≈ a plain percentile interval). */
function narrowed(x: Interval): Interval {
  const f = 1.437;
  return { ...x, lower: x.estimate - (x.estimate - x.lower) / f, upper: x.estimate + (x.upper - x.estimate) / f };
}

/**
 * Welch's test written out again with optional bugs: side a's per-draw variance where the variance of its mean belongs
 * (the probe's bug), or ν = M_a − 1 instead of the Welch–Satterthwaite ν.
 */
function welch(bug: 'none' | 'per-draw-variance' | 'nu-of-side-a') {
  return (a: DrawMoments, b: DrawMoments, falseAlarm = 1e-4, resolution?: ArrayLike<number>): TwoSampleTestResult => {
    const level = 1 - falseAlarm / (2 * a.p);
    let best: TwoSampleTestResult | null = null;
    for (let i = 0; i < a.p; i++) {
      const ma = a.sum[i] / a.count;
      const mb = b.sum[i] / b.count;
      const va = Math.max(0, (a.sumSq[i] - a.count * ma * ma) / (a.count - 1));
      const vb = Math.max(0, (b.sumSq[i] - b.count * mb * mb) / (b.count - 1));
      const qa = bug === 'per-draw-variance' ? va : va / a.count;
      const qb = vb / b.count;
      const se = Math.sqrt(qa + qb);
      const diff = ma - mb;
      const excess = Math.sign(diff) * Math.max(0, Math.abs(diff) - (resolution?.[i] ?? 0));
      const z = se > 0 ? excess / se : excess === 0 ? 0 : Infinity;
      const nu = bug === 'nu-of-side-a' ? a.count - 1 : qa + qb > 0 ? (qa + qb) ** 2 / ((qa * qa) / (a.count - 1) + (qb * qb) / (b.count - 1)) : Infinity;
      const floor = normalQuantile(level);
      const threshold = Math.abs(z) > floor && Number.isFinite(nu) ? studentTQuantile(level, nu) : floor;
      const r = { coordinates: a.p, drawsA: a.count, drawsB: b.count, worst: i, z, threshold, degreesOfFreedom: nu, difference: diff, standardError: se, falseAlarm, ok: Math.abs(z) <= threshold };
      if (!best || Math.abs(z) / threshold > Math.abs(best.z) / best.threshold) best = r;
    }
    return { ...best!, ok: Math.abs(best!.z) <= best!.threshold };
  };
}

describe('the self-check sections added for the probe mutants fire on broken procedures and are quiet on the library\'s', () => {
  it('the NTK seed statistics: quiet on widthSlope, bootstrapInterval and withinBand as they are', () => {
    const r = seedStatisticsSelfCheck();
    expect(r.failures).toEqual([]);
    expect(r.checks.length).toBeGreaterThanOrEqual(14);
  });

  it('widthSlope: fires when the seeds are averaged after the log (E[log], not log E), naming the E[log] value', () => {
    const r = seedStatisticsSelfCheck({ widthSlope: widthSlopeOfMeanLogs });
    expect(r.ok).toBe(false);
    expect(r.failures.join('\n')).toMatch(/widthSlope: slope of log\(seed-mean e\) vs log m \(the E\[log\] slope would be -0\.600000\): expected -0\.226\d*, measured -0\.6/);
  });

  it('widthSlope: fires on an unexpanded (too narrow) interval', () => {
    const r = seedStatisticsSelfCheck({ widthSlope: (t, w, o) => narrowed(widthSlope(t, w, o)) });
    expect(r.failures.join('\n')).toMatch(/widthSlope: (lower|upper) bound/);
  });

  it('bootstrapInterval: fires on a mean with a wrong divisor and on an unexpanded interval', () => {
    const wrongMean = seedStatisticsSelfCheck({ bootstrapInterval: (v, o) => bootstrapInterval(v, { ...o, statistic: (x) => x.reduce((a, b) => a + b, 0) / (x.length - 1) }) });
    expect(wrongMean.failures.join('\n')).toMatch(/bootstrapInterval: point estimate = the mean of the seeds: expected/);
    const narrow = seedStatisticsSelfCheck({ bootstrapInterval: (v, o) => narrowed(bootstrapInterval(v, o)) });
    expect(narrow.failures.join('\n')).toMatch(/bootstrapInterval of a seed mean: (lower|upper) bound/);
  });

  it("withinBand: fires when the band's edges are exclusive or lo and hi are swapped", () => {
    const exclusive = (x: Interval, lo: number, hi: number): Verdict => (x.lower > lo && x.upper < hi ? 'pass' : x.upper < lo || x.lower > hi ? 'fail' : 'inconclusive');
    expect(seedStatisticsSelfCheck({ withinBand: exclusive }).failures.join('\n')).toMatch(/withinBand \[0\.8, 1\.2\]: truth table: expected/);
    const swapped = (x: Interval, lo: number, hi: number): Verdict => (x.lower >= lo && x.upper <= hi ? 'pass' : x.upper < hi || x.lower > lo ? 'fail' : 'inconclusive');
    expect(seedStatisticsSelfCheck({ withinBand: swapped }).ok).toBe(false);
  });

  it('twoSampleMeanTest: quiet on the library\'s test and on a faithful rewrite of it', () => {
    expect(twoSampleMeanTestSelfCheck().failures).toEqual([]);
    expect(twoSampleMeanTestSelfCheck(twoSampleMeanTest).ok).toBe(true);
    // The rewrite below differs only by its bug switch: without a bug it passes the same checks.
    expect(twoSampleMeanTestSelfCheck(welch('none')).failures).toEqual([]);
  });

  it('twoSampleMeanTest: fires on the per-draw variance of side a (the probe\'s bug) and on ν = M_a − 1', () => {
    const perDraw = twoSampleMeanTestSelfCheck(welch('per-draw-variance'));
    expect(perDraw.ok).toBe(false);
    expect(perDraw.failures.join('\n')).toMatch(/twoSampleMeanTest: Welch z = .*: expected -4\.4, measured -0\.76/);
    const nu = twoSampleMeanTestSelfCheck(welch('nu-of-side-a'));
    expect(nu.failures.join('\n')).toMatch(/twoSampleMeanTest: Welch–Satterthwaite ν \(M_a = 40, M_b = 100\): expected 57\.09\d*, measured 39/);
  });
});
