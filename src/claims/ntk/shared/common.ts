/**
 * Shared pieces of the family-N checks [WH24]: the test bed (inputs on the
 * unit sphere — measured, see familyInputs — smooth targets, network
 * hyperparameters), replica seeds and metric helpers. The family's pure
 * statistics live in src/stats, where the statistics self-check sees them:
 * the width slope (log of the seed-averaged error against log m, seeds
 * averaged BEFORE the log as CLAIMS.md requires) in src/stats/width-slope.ts,
 * bootstrap intervals of per-seed statistics in src/stats/bootstrap.ts
 * (bootstrapInterval), the two-sided band criterion in src/stats/verdict.ts
 * (withinBand).
 */
import { deriveSeed } from '../../../engine/rng.ts';
import type { Interval } from '../../../stats/rate.ts';
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

/**
 * Largest |‖x_i‖ − 1| over the rows of `x` (n × d, row-major; norms summed in
 * float64, whatever the storage).
 */
export function sphereDeviation(x: ArrayLike<number>, n: number, d: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let j = 0; j < d; j++) norm2 += x[i * d + j] * x[i * d + j];
    const dev = Math.abs(Math.sqrt(norm2) - 1);
    // NaN rows count as off the sphere.
    if (!(dev <= worst)) worst = Number.isNaN(dev) ? Infinity : dev;
  }
  return worst;
}

/**
 * Every NTK claim's inputs must lie on the unit sphere (the analytic kernels,
 * the d ≥ 8 conditioning argument and the targets' scale all assume it): the
 * float64 rows a normalisation produces are unit to rounding, max |‖x_i‖ − 1|
 * of order d·2^-53 (measured ≤ 4.4e-16 over the claims' own inputs at d = 32,
 * ≤ 2.3e-15 over 200 draws of 64 rows at d = 1024), so 1e-12 leaves a margin
 * of ≥ 400 and no false alarm (deterministic given the inputs). A row
 * normalised by the wrong length (e.g. √d, its expected norm: |‖x‖ − 1| ≈
 * 0.1–0.4 at d = 32) is off by orders of magnitude more.
 */
export const SPHERE_TOLERANCE = 1e-12;
/**
 * The float32 copy the engine trains on: each entry rounds by ≤ 2^-24 of
 * itself, so a unit row's norm moves by ≤ 6e-8 (measured ≤ 4.1e-8 at d = 8–1024);
 * 1e-6 leaves a margin of ≥ 16.
 */
const SPHERE_TOLERANCE_FLOAT32 = 1e-6;

/**
 * The harness's self-check of the `inputs-on-sphere` assumption: throws (the
 * claim reads `error`: the harness contradicts its own test bed) when some row
 * of the inputs is not unit to `tolerance`; returns the measured max |‖x_i‖ − 1|.
 */
export function requireOnSphere(x: ArrayLike<number>, n: number, d: number, what: string, tolerance = SPHERE_TOLERANCE): number {
  const dev = sphereDeviation(x, n, d);
  if (!(dev <= tolerance)) {
    throw new Error(
      `harness self-check: the NTK inputs (${what}, ${n} × ${d}) are not on the unit sphere: max |‖x_i‖ − 1| = ${dev.toExponential(3)} > ${tolerance} ` +
        '(every NTK claim assumes inputs on S^{d−1}: the analytic kernels and the test bed are built on it)',
    );
  }
  return dev;
}

/**
 * A check's inputs on the sphere: `stream` names the data set (e.g. the claim
 * id), `block` separates train and test points. Measured, not assumed: the
 * rows must be unit to SPHERE_TOLERANCE (requireOnSphere), else the claim is
 * an `error`.
 */
export function familyInputs(masterSeed: number, stream: string, d: number, n: number, block = 'train'): SphereData {
  const data = sphereInputs(n, d, deriveSeed(masterSeed, 'ntk', stream, 'data'), block);
  requireOnSphere(data.x, data.n, data.d, `${stream}, ${block} points`);
  return data;
}

/** Seed of replica (seed index s, width m): shared by a claim and its falsifiers (common random numbers). */
export function replicaSeed(masterSeed: number, claimId: string, s: number, width: number): number {
  return deriveSeed(masterSeed, claimId, 'seed', s, 'width', width);
}

/** The inputs as the engine's float32 tensor; its rows are measured on the sphere too (to float32 rounding, SPHERE_TOLERANCE_FLOAT32). */
export function inputTensor(data: SphereData): tf.Tensor2D {
  const values = Float32Array.from(data.x);
  requireOnSphere(values, data.n, data.d, 'the float32 tensor the engine uses', SPHERE_TOLERANCE_FLOAT32);
  return tf.tensor2d(values, [data.n, data.d]);
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

/**
 * Indices of the configurations that share a noise scheme (draws and their
 * count), in order: the stochastic-network claims train each such group as
 * one replica batch per width (its replicas differ only in settings the
 * batch takes per replica).
 */
export function configsByNoise(configs: readonly { noise: string; samples: number }[]): number[][] {
  const groups = new Map<string, number[]>();
  configs.forEach((c, ci) => {
    const key = `${c.noise}/${c.samples}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(ci);
  });
  return [...groups.values()];
}
