/**
 * Shared pieces of the family-N checks [WH24]: the test bed (inputs on the
 * unit sphere, smooth targets, network hyperparameters), replica seeds, and
 * the width statistics — least-squares slopes of log(seed-averaged error)
 * against log m with an expanded percentile bootstrap over seeds (seeds are averaged
 * BEFORE the log, as CLAIMS.md requires), and bootstrap intervals of means.
 */
import { deriveSeed } from '../../../engine/rng.ts';
import { leastSquaresLine } from '../../../stats/least-squares.ts';
import { bootstrapOverSeeds } from '../../../stats/bootstrap.ts';
import type { Interval } from '../../../stats/rate.ts';
import type { Verdict } from '../../../stats/verdict.ts';
import type { Metric } from '../../../contract/claim.ts';
import { tf } from '../../../engine/backend.ts';
import { sphereInputs, type SphereData } from '../../../models/ntk/data.ts';
import type { z } from 'zod';
import type { ntkTestBedSchema } from './schema.ts';

/** Network and data sizes shared by a family-N check (its schema: src/claims/ntk/shared/schema.ts). */
export type NtkTestBed = z.infer<typeof ntkTestBedSchema>;

export function validateTestBed(bed: NtkTestBed): void {
  if (!Number.isInteger(bed.d) || bed.d < 8) throw new RangeError(`input dimension d = ${bed.d}; allowed an integer ≥ 8 (CLAIMS.md: d = 2 gives condition numbers up to 1e6)`);
  if (!Number.isInteger(bed.n) || bed.n < 4) throw new RangeError(`training points n = ${bed.n}; allowed an integer ≥ 4`);
  if (!(bed.sigmaW > 0)) throw new RangeError(`σ_W = ${bed.sigmaW}; allowed > 0`);
  if (!(bed.sigmaB >= 0)) throw new RangeError(`σ_b = ${bed.sigmaB}; allowed ≥ 0`);
}

export function validateWidths(widths: readonly number[], minCount = 3): void {
  if (widths.length < minCount) throw new RangeError(`a width slope needs at least ${minCount} widths, got ${widths.length}`);
  for (let i = 0; i < widths.length; i++) {
    const m = widths[i];
    if (!Number.isInteger(m) || m < 2 || m % 2 !== 0) throw new RangeError(`width ${m}; allowed an even integer ≥ 2`);
    if (i > 0 && !(m > widths[i - 1])) throw new RangeError(`widths must increase, got ${widths.join(', ')}`);
  }
}

export function validateSeeds(seeds: number): void {
  if (!Number.isInteger(seeds) || seeds < 2) throw new RangeError(`seeds = ${seeds}; allowed an integer ≥ 2 (a bootstrap over seeds needs 2)`);
}

/** A check's inputs on the sphere: `stream` names the data set (e.g. the claim id), `block` separates train and test points. */
export function familyInputs(masterSeed: number, stream: string, d: number, n: number, block = 'train'): SphereData {
  return sphereInputs(n, d, deriveSeed(masterSeed, 'ntk', stream, 'data'), block);
}

/** Seed of replica (seed index s, width m): shared by a claim and its falsifiers (common random numbers). */
export function replicaSeed(masterSeed: number, claimId: string, s: number, width: number): number {
  return deriveSeed(masterSeed, claimId, 'seed', s, 'width', width);
}

export function inputTensor(data: SphereData): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(data.x), [data.n, data.d]);
}

function slopeOfMeans(perSeed: readonly (readonly number[])[], logWidths: number[], pick: ArrayLike<number>): number {
  const logMeans = logWidths.map((_, w) => {
    let s = 0;
    for (let j = 0; j < pick.length; j++) s += perSeed[pick[j]][w];
    return Math.log(s / pick.length);
  });
  return leastSquaresLine(logWidths, logMeans).slope;
}

export interface BootstrapOptions {
  bootstrapSeed: number;
  resamples?: number;
  level?: number;
}

/**
 * Slope of log(mean over seeds of e[s][w]) against log m_w with a bootstrap
 * over seeds (the same resampled seeds at every width): the library's expanded
 * percentile interval (src/stats/bootstrap.ts), whose coverage is tested on
 * known answers (test/stats/coverage.test.ts). A plain percentile interval
 * under-covers at these seed counts (≈ 87–91% at S = 5–8 for a nominal 95%),
 * which would turn sampling noise into verdicts. 2000 resamples put the Monte
 * Carlo error of a 2.5% quantile at ≈ 0.35 percentage points of coverage.
 */
export function widthSlope(perSeed: readonly (readonly number[])[], widths: readonly number[], opts: BootstrapOptions): Interval {
  const S = perSeed.length;
  if (S < 2) throw new RangeError(`a bootstrap over seeds needs at least 2 seeds, got ${S}`);
  for (const row of perSeed) {
    if (row.length !== widths.length) throw new RangeError(`each seed needs ${widths.length} values (one per width), got ${row.length}`);
    for (const v of row) if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`width-slope values must be finite and > 0, got ${v}`);
  }
  const logWidths = widths.map(Math.log);
  return bootstrapOverSeeds(S, (pick) => [slopeOfMeans(perSeed, logWidths, pick)], opts)[0];
}

/** Bootstrap interval (expanded percentile, as widthSlope) of a statistic of per-seed values (default: the mean). */
export function bootstrapInterval(
  values: readonly number[],
  opts: BootstrapOptions & { statistic?: (picked: readonly number[]) => number },
): Interval {
  const stat = opts.statistic ?? ((v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length);
  const S = values.length;
  if (S < 2) throw new RangeError(`a bootstrap needs at least 2 values, got ${S}`);
  const picked = new Array<number>(S);
  return bootstrapOverSeeds(
    S,
    (pick) => {
      for (let i = 0; i < S; i++) picked[i] = values[pick[i]];
      return [stat(picked)];
    },
    opts,
  )[0];
}

/** Two-sided criterion lo ≤ θ ≤ hi: pass when the interval is inside, fail when it misses the band entirely. */
export function withinBand(x: Interval, lo: number, hi: number): Verdict {
  if (x.lower >= lo && x.upper <= hi) return 'pass';
  if (x.upper < lo || x.lower > hi) return 'fail';
  return 'inconclusive';
}

export function intervalMetric(x: Interval, criterion?: string): Metric {
  return { value: x.estimate, lower: x.lower, upper: x.upper, level: x.level, ...(criterion ? { criterion } : {}) };
}

/** Column means of a seeds × widths table. */
export function seedMeans(perSeed: readonly (readonly number[])[]): number[] {
  const W = perSeed[0].length;
  return Array.from({ length: W }, (_, w) => perSeed.reduce((s, row) => s + row[w], 0) / perSeed.length);
}

/** Common wording for every family-N claim file and report. */
export const PAPER_CONSTANTS_NOTE =
  "The paper's own constants (widths, step sizes, probability bounds) could not be read; this check tests the scale-free form of the claim (rates in m, equivalences up to vanishing error).";
