/**
 * The committed timing record, reports/calibration/timings.json: how long each
 * claim took at a tier in one named run on this repository's machine class
 * (2 cores), read from a `verify` report. The cost estimate (src/verify/estimate.ts)
 * prefers it to the quick tier's calibrated time scaled by seeds × steps × arms,
 * which misses the sizes work units leave out (widths, data sizes, parameter
 * counts): scaled from the quick tier, the full tier's estimates were off by 0.1x
 * to 100x (2026-12-01: the deep VAE claims 19 s for ~12 min, entropy-sbn 0.4 s
 * for 35 s), which also misordered the workers' longest-first dispatch.
 * Recorded with `npm run timings -- path/to/report.json` (only claims that ran
 * their tier's own configuration, no --set or --data); an entry whose claim's
 * configuration has changed since (configHash) is not used.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import type { VerifyReport } from '../contract/result.ts';
import { configHash } from './calibration-record.ts';

export interface TimingEntry {
  id: string;
  tier: string;
  /** Wall time of the claim with its falsifiers, on one worker process. */
  durationMs: number;
  /** configHash of the configuration that ran (the tier's, unchanged). */
  configHash: string;
  /** The report's startedAt and commit. */
  measuredAt: string;
  commit: string | null;
}

export interface TimingRecord {
  entries: TimingEntry[];
}

export const TIMING_FILE = fileURLToPath(new URL('../../reports/calibration/timings.json', import.meta.url));

export function readTimings(file = TIMING_FILE): TimingRecord | null {
  if (!existsSync(file)) return null;
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as TimingRecord;
    return Array.isArray(doc.entries) ? doc : null;
  } catch {
    return null;
  }
}

/**
 * The entries a report gives: every claim that finished (any verdict but `error`, whose
 * time says nothing about a full run) with the configuration `tierConfig(id)` gives for
 * the report's tier (a run with --set or --data measured something else: skipped).
 */
export function timingsFromReport(report: Pick<VerifyReport, 'tier' | 'startedAt' | 'claims'> & { environment?: { gitCommit: string | null } }, tierConfig: (id: string) => unknown): TimingEntry[] {
  const commit = report.environment?.gitCommit ?? null;
  return report.claims
    .filter((c) => c.verdict !== 'error' && c.durationMs > 0 && tierConfig(c.id) !== undefined && configHash(c.config) === configHash(tierConfig(c.id)))
    .map((c) => ({ id: c.id, tier: report.tier, durationMs: Math.round(c.durationMs), configHash: configHash(c.config), measuredAt: report.startedAt, commit }));
}

/** Replaces the entries of the same claim and tier, keeps the rest; written atomically. */
export async function mergeTimings(file: string, entries: readonly TimingEntry[]): Promise<TimingRecord> {
  const key = (e: TimingEntry) => `${e.id}\u0000${e.tier}`;
  const replaced = new Set(entries.map(key));
  const record: TimingRecord = { entries: [...(readTimings(file)?.entries ?? []).filter((e) => !replaced.has(key(e))), ...entries] };
  mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
  return record;
}
