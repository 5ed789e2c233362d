/**
 * Calibration: how reliable is a claim's verdict? Run the claim (quick tier by
 * default) under M different master seeds and count how often the claim
 * passed and how often each falsifier was caught, with Wilson intervals.
 * A correct claim should pass, and its falsifiers be caught, ≥ 99% of the time.
 */
import type { Claim, Tier } from '../contract/claim.ts';
import type { BackendInfo } from '../engine/backend.ts';
import { deriveSeed } from '../engine/rng.ts';
import { runClaim } from '../verify/run-claims.ts';
import { wilsonInterval } from '../stats/wilson.ts';
import { configHash, type CalibrationEntry } from '../report/calibration-record.ts';

export { configHash, type CalibrationEntry };

export const CALIBRATION_TARGET = 0.99;


export interface CalibrationOptions {
  claims: readonly Claim[];
  runs: number;
  backend: BackendInfo;
  tier?: Tier;
  /** Calibration seeds are derived from this, so a calibration is reproducible. */
  baseSeed?: number;
  onRun?: (info: { id: string; run: number; runs: number; seed: number }) => void;
}


export function calibrationSeeds(baseSeed: number, runs: number): number[] {
  return Array.from({ length: runs }, (_, m) => deriveSeed('calibrate', baseSeed, m));
}

export async function calibrate(opts: CalibrationOptions): Promise<CalibrationEntry[]> {
  const { claims, runs, backend, tier = 'quick', baseSeed = 1 } = opts;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs = ${runs}; allowed an integer ≥ 1`);
  const seeds = calibrationSeeds(baseSeed, runs);
  const entries: CalibrationEntry[] = [];
  for (const claim of claims) {
    let passed = 0;
    let totalMs = 0;
    const caught = new Map(claim.falsifiers.map((f) => [f.id, 0]));
    const verdicts: Record<string, number> = {};
    const misses: NonNullable<CalibrationEntry['misses']> = [];
    for (const [run, seed] of seeds.entries()) {
      opts.onRun?.({ id: claim.id, run, runs, seed });
      const r = await runClaim(claim, { claims: [claim], tier, seed, backend });
      totalMs += r.durationMs;
      verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
      if (r.verdict === 'pass') passed++;
      for (const f of r.falsifiers) if (f.caught) caught.set(f.id, (caught.get(f.id) ?? 0) + 1);
      const missed = r.falsifiers.filter((f) => !f.caught).map((f) => f.id);
      if (r.verdict !== 'pass' || missed.length > 0) misses.push({ seed, verdict: r.verdict, ...(r.error ? { error: r.error } : {}), falsifiersMissed: missed });
    }
    const pass = wilsonInterval(passed, runs);
    const falsifiers = claim.falsifiers.map((f) => ({ id: f.id, caught: wilsonInterval(caught.get(f.id) ?? 0, runs) }));
    entries.push({
      id: claim.id,
      runs,
      seeds,
      pass,
      falsifiers,
      verdicts,
      falseAlarm: wilsonInterval(runs - passed, runs),
      meanDurationMs: totalMs / runs,
      meetsTarget: pass.rate >= CALIBRATION_TARGET && falsifiers.every((f) => f.caught.rate >= CALIBRATION_TARGET),
      misses,
      configHash: configHash(claim.tiers[tier]),
    });
  }
  return entries;
}
