/**
 * The committed calibration record, reports/calibration/calibration.json:
 * one entry per claim from `vae-claims calibrate` (M master seeds at the
 * quick tier). Calibrations of different claims accumulate in the one file
 * (a new run replaces only its own claims' entries), and every report and
 * the README table carry each claim's calibrated false-alarm rate from it.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import type { CalibrationSummary, Proportion } from '../contract/result.ts';

export type { CalibrationSummary };

export interface CalibrationEntry {
  id: string;
  runs: number;
  seeds: number[];
  pass: Proportion;
  falsifiers: { id: string; caught: Proportion }[];
  /** Verdict counts over the runs (pass/fail/inconclusive/error). */
  verdicts: Record<string, number>;
  /** The claim's false-alarm rate: 1 − pass rate (a correct claim reported as not passing). */
  falseAlarm: Proportion;
  meanDurationMs: number;
  meetsTarget: boolean;
  /** Hash of the tier configuration calibrated (configHash): a later change of the claim's sizes makes the entry stale. */
  configHash?: string;
  /** The runs that did not pass or missed a falsifier: where to look first. */
  misses?: { seed: number; verdict: string; error?: string; falsifiersMissed: string[] }[];
}

/** FNV-1a over the configuration's JSON: identifies what was calibrated. */
export function configHash(config: unknown): string {
  const text = JSON.stringify(config);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export const CALIBRATION_FILE = fileURLToPath(new URL('../../reports/calibration/calibration.json', import.meta.url));

export interface CalibratedEntry extends CalibrationEntry {
  tier: string;
  baseSeed: number;
  backend: string;
  createdAt: string;
}

export interface CalibrationRecord {
  target: number;
  claims: CalibratedEntry[];
}


export function readCalibration(file = CALIBRATION_FILE): CalibrationRecord | null {
  if (!existsSync(file)) return null;
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as CalibrationRecord;
    return Array.isArray(doc.claims) ? doc : null;
  } catch {
    return null;
  }
}

/**
 * A claim's calibration in brief. With `current` (the claim's configuration at
 * the calibrated tier), an entry calibrated on other sizes is marked stale.
 */
export function calibrationSummary(record: CalibrationRecord | null, id: string, tier = 'quick', current?: unknown): CalibrationSummary | undefined {
  const e = record?.claims.find((c) => c.id === id && c.tier === tier);
  if (!e) return undefined;
  const stale = current !== undefined && e.configHash !== undefined && e.configHash !== configHash(current);
  return {
    tier: e.tier,
    runs: e.runs,
    pass: e.pass,
    falseAlarm: e.falseAlarm,
    falsifiers: e.falsifiers,
    meetsTarget: e.meetsTarget,
    createdAt: e.createdAt,
    ...(stale ? { stale } : {}),
  };
}

/** Replaces the entries of the claims in `entries` (same tier), keeps the rest; written atomically. */
export async function mergeCalibration(file: string, target: number, entries: readonly CalibratedEntry[]): Promise<CalibrationRecord> {
  const previous = readCalibration(file);
  const replaced = new Set(entries.map((e) => `${e.id}\u0000${e.tier}`));
  const claims = [...(previous?.claims ?? []).filter((c) => !replaced.has(`${c.id}\u0000${c.tier}`)), ...entries];
  const record: CalibrationRecord = { target, claims };
  mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
  return record;
}

/**
 * Every claim result of the report with its calibration in brief, read from
 * the record here, in the report layer (the runner never reads it). Compared
 * with the run's configuration when it ran at the calibrated tier (its own
 * tier's entry when the record has one, e.g. a full-tier calibration; else the
 * quick tier's), so changed sizes or --set overrides show the calibration as stale.
 */
export function withCalibration<T extends { claims: { id: string; tier: string; config: unknown; calibration?: CalibrationSummary }[] }>(report: T, record = readCalibration()): T {
  const claims = report.claims.map((r) => {
    const own = record?.claims.some((e) => e.id === r.id && e.tier === r.tier) ?? false;
    const c = r.calibration ?? (own ? calibrationSummary(record, r.id, r.tier, r.config) : calibrationSummary(record, r.id, 'quick', r.tier === 'quick' ? r.config : undefined));
    return c ? { ...r, calibration: c } : r;
  });
  return { ...report, claims };
}

/** "0/50 (≤ 7.1%)": false alarms over runs, with the Wilson upper bound. */
export function formatFalseAlarm(s: CalibrationSummary | undefined): string {
  if (!s) return 'not calibrated';
  return `${s.falseAlarm.successes}/${s.runs} (≤ ${(100 * s.falseAlarm.upper).toFixed(1)}%)${s.stale ? ', stale: sizes changed since' : ''}`;
}
