/**
 * Wilson score interval for a binomial proportion: k successes in n trials.
 * Used for calibrated pass and detection rates, where k/n is often 1 and the
 * Wald interval collapses to a point.
 */
import type { Proportion } from '../contract/result.ts';

export type { Proportion };

/** Two-sided standard-normal quantiles for the levels we report. */
const Z: Record<string, number> = { '0.9': 1.6448536269514722, '0.95': 1.959963984540054, '0.99': 2.5758293035489004 };

export function wilsonInterval(successes: number, trials: number, level = 0.95): Proportion {
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`trials = ${trials}; allowed an integer ≥ 1`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`successes = ${successes}; allowed an integer in [0, ${trials}]`);
  }
  const z = Z[String(level)];
  if (z === undefined) throw new RangeError(`level = ${level}; allowed ${Object.keys(Z).join(', ')}`);
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return {
    successes,
    trials,
    rate: p,
    lower: Math.max(0, centre - half),
    upper: Math.min(1, centre + half),
    level,
  };
}
