/**
 * The report contract: what `verify` writes to report.json and every other
 * report format is rendered from.
 *   { claims: [ { id, verdict, metrics, falsifiers: [ { id, verdict } ] } ],
 *     backend, seed, tier, startedAt, durationMs, ... }
 */
import type { AssumptionCheck, Family, Metric, Series, Source, Tier } from '../../theory/claim.ts';
import type { Verdict } from '../stats/verdict.ts';
import type { BackendInfo } from '../engine/backend.ts';

export interface FalsifierResult {
  id: string;
  description: string;
  expected: string;
  verdict: Verdict;
  /** True when the check failed under the mutation, as it must. */
  caught: boolean;
  metrics: Record<string, Metric>;
  series?: Record<string, Series>;
  notes?: string[];
}

export interface ClaimResult {
  id: string;
  title: string;
  family: Family;
  source: Source;
  statement: string;
  assumptions: { id: string; statement: string; met: boolean | null; detail?: string }[];
  tier: Tier;
  config: unknown;
  verdict: Verdict;
  metrics: Record<string, Metric>;
  series: Record<string, Series>;
  notes: string[];
  falsifiers: FalsifierResult[];
  durationMs: number;
  error?: string;
}

export interface VerifyReport {
  schemaVersion: 1;
  tool: { name: 'vae-claims'; version: string };
  claims: ClaimResult[];
  backend: string;
  backendInfo: BackendInfo;
  seed: number;
  tier: Tier;
  startedAt: string;
  durationMs: number;
  command: string[];
  environment: { node: string; platform: string; cores: number; gitCommit: string | null };
  summary: { claims: number; passed: number; falsifiers: number; caught: number; errors: number };
  /** True when every claim passed and every falsifier was caught. */
  ok: boolean;
}

export type { AssumptionCheck };
