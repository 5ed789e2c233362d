/**
 * Cost before work: how long a claim will take, estimated before anything
 * trains, so `verify` can print the estimate, show an ETA, and refuse a run
 * (`--set seeds=100000`) that would take hours unless told otherwise.
 *
 * Basis: the claim's measured duration at the tier the configuration comes
 * from, in the timing record (reports/calibration/timings.json: one named run
 * on this repository's machine class, src/report/timing-record.ts) or the
 * calibration record (reports/calibration/calibration.json: the mean of M runs),
 * else its calibrated mean at the quick tier; scaled by the ratio of the
 * configuration's work units to that tier's. The full tier's own record
 * matters where the tiers differ in sizes that work units leave out: the deep
 * VAE claims run the same seeds × steps at both tiers on a network 15x larger
 * and 5x more data (quick-scaled: 19 s; measured: 12 min). Work units multiply the sizes that scale a
 * claim's cost linearly: seeds, steps (or iterations, epochs), Monte Carlo
 * draws, and the lengths of the arm lists (widths, Ks, betas, values, arms).
 * Widths and data sizes enter a claim's cost nonlinearly and are left out, so
 * the estimate is rough (±50% is typical; the README says so). A claim with no
 * timing on record has no estimate and is never refused.
 */
import type { Claim, Tier } from '../contract/claim.ts';
import { configHash, type CalibrationRecord } from '../report/calibration-record.ts';
import type { TimingRecord } from '../report/timing-record.ts';

const SCALARS = new Set(['seeds', 'steps', 'iterations', 'epochs', 'draws']);
const LISTS = new Set(['widths', 'Ks', 'betas', 'values', 'arms']);

/** Product of the linear cost drivers found at any depth ≤ 3 (the same key counted once: the first, breadth first). */
export function workUnits(config: unknown): number {
  const seen = new Map<string, number>();
  let level: unknown[] = [config];
  for (let depth = 0; depth < 3 && level.length; depth++) {
    const next: unknown[] = [];
    for (const node of level) {
      if (!node || typeof node !== 'object' || Array.isArray(node)) continue;
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        if (SCALARS.has(key) && typeof value === 'number' && value > 0 && !seen.has(key)) seen.set(key, value);
        else if (LISTS.has(key) && Array.isArray(value) && value.length > 0 && !seen.has(key)) seen.set(key, value.length);
        else if (value && typeof value === 'object') next.push(value);
      }
    }
    level = next;
  }
  let units = 1;
  for (const v of seen.values()) units *= v;
  return units;
}

export interface ClaimEstimate {
  id: string;
  /** Estimated seconds, or null when the claim has no timing on record. */
  seconds: number | null;
}

/**
 * `config` derives from `tier`'s configuration (with overrides). The base time, first found:
 * the timing record's run at that tier (unless the tier's configuration changed since), the
 * calibration's mean at that tier, the calibration's mean at the quick tier; scaled by the
 * work-unit ratio of `config` to the base's tier configuration.
 */
export function estimateClaim(claim: Claim, config: unknown, record: CalibrationRecord | null, tier: Tier = 'quick', timings: TimingRecord | null = null): ClaimEstimate {
  const run = timings?.entries.find((e) => e.id === claim.id && e.tier === tier && e.durationMs > 0 && e.configHash === configHash(claim.tiers[tier]));
  const calibrated = (t: string) => record?.claims.find((c) => c.id === claim.id && c.tier === t && c.meanDurationMs > 0);
  const base = run ? { ms: run.durationMs, tier } : [calibrated(tier), calibrated('quick')].map((e) => e && { ms: e.meanDurationMs, tier: e.tier as Tier }).find((e) => e);
  if (!base) return { id: claim.id, seconds: null };
  return { id: claim.id, seconds: (base.ms / 1000) * (workUnits(config) / workUnits(claim.tiers[base.tier])) };
}

export function estimateTier(claim: Claim, tier: Tier, record: CalibrationRecord | null, timings: TimingRecord | null = null): ClaimEstimate {
  return estimateClaim(claim, claim.tiers[tier], record, tier, timings);
}

/**
 * Wall time of claims spread over `workers` processes, longest first (as the
 * pool hands them out, worker-pool.ts dispatchOrder): the busiest worker's load.
 */
export function estimateWall(estimates: readonly ClaimEstimate[], workers: number): number {
  const loads = new Array<number>(Math.max(1, workers)).fill(0);
  const known = estimates.map((e) => e.seconds ?? 0).sort((a, b) => b - a);
  for (const s of known) {
    const i = loads.indexOf(Math.min(...loads));
    loads[i] += s;
  }
  return Math.max(...loads);
}

/** "42 s", "3.5 min", "2.1 h". */
export function humanSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
