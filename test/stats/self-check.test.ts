/**
 * The statistics self-check: green on the clean tree, cheap, memoised, and it
 * reports what it checked. (That it turns red under realistic bugs is what
 * mutants/stats.ts demonstrates: each mutant there makes it fail.)
 */
import { describe, expect, it } from 'vitest';
import { statisticsSelfCheck } from '../../src/stats/self-check.ts';

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
