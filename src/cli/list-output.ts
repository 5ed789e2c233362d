/**
 * `list`: ids, families, sources, falsifiers, the rows a claim that takes
 * data needs (`verify --data FILE`), and what each tier costs — the sizes
 * that drive run time (seeds, steps, widths, …) and, when a previous report
 * of that tier is at hand, how long the claim took there.
 */
import type { Claim, Tier } from '../contract/claim.ts';
import type { VerifyReport } from '../contract/result.ts';
import { seconds } from '../report/format.ts';
import type { CalibrationRecord } from '../report/calibration-record.ts';
import type { TimingRecord } from '../report/timing-record.ts';
import { estimateTier, humanSeconds } from '../verify/estimate.ts';

/** Config keys that scale a claim's cost, found at any depth ≤ 3 of a tier's config. */
const COST_KEYS = /^(seeds|steps|iterations|maxEmIterations|epochs|widths?|Ks?|batchSizes|betas|values|N|n|D|restarts|trials)$/;

export function configCost(config: unknown): string {
  const parts: string[] = [];
  const visit = (node: unknown, path: string, depth: number) => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || depth > 3) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const name = path ? `${path}.${key}` : key;
      if (COST_KEYS.test(key)) {
        if (typeof value === 'number') parts.push(`${name} ${value}`);
        else if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'number')) {
          const nums = value as number[];
          parts.push(`${name} ${nums.length > 2 ? `${Math.min(...nums)}..${Math.max(...nums)} (${nums.length})` : nums.join(', ')}`);
        }
      } else visit(value, name, depth + 1);
    }
  };
  visit(config, '', 1);
  return parts.join(', ');
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export interface ListOptions {
  tiers: readonly Tier[];
  timings: VerifyReport | null;
  json: boolean;
  /** Calibration record whose timings give each tier's estimated time where the timing record has none (src/verify/estimate.ts). */
  calibration?: CalibrationRecord | null;
  /** Timing record (reports/calibration/timings.json): a tier's measured run, preferred for its estimate. */
  timingRecord?: TimingRecord | null;
}

function lastRun(claim: Claim, tier: Tier, timings: VerifyReport | null): { durationMs: number; startedAt: string } | null {
  if (!timings || timings.tier !== tier) return null;
  const r = timings.claims.find((c) => c.id === claim.id);
  return r && typeof r.durationMs === 'number' ? { durationMs: r.durationMs, startedAt: timings.startedAt } : null;
}

export function renderClaimList(claims: readonly Claim[], opts: ListOptions): string {
  if (opts.json) {
    return JSON.stringify(
      claims.map((c) => ({
        id: c.id,
        family: c.family,
        title: c.title,
        source: { key: c.source.key, arxiv: c.source.arxiv },
        falsifiers: c.falsifiers.map((f) => f.id),
        // verify --data FILE: what the rows must be, and the columns per tier (null: any number).
        data: c.takesData
          ? { rows: c.takesData.describe, columns: Object.fromEntries(opts.tiers.map((t) => [t, c.takesData!.dimension(c.tiers[t])])) }
          : null,
        tiers: Object.fromEntries(
          opts.tiers.map((t) => [t, { config: c.tiers[t], cost: configCost(c.tiers[t]), estimatedSeconds: estimateTier(c, t, opts.calibration ?? null, opts.timingRecord ?? null).seconds, lastRun: lastRun(c, t, opts.timings) }]),
        ),
      })),
      null,
      2,
    );
  }
  if (claims.length === 0) return 'no claims selected';
  const lines: string[] = [];
  for (const c of claims) {
    lines.push(`${c.id}  [${c.family}]  ${c.source.key} arXiv:${c.source.arxiv}`);
    lines.push(`    ${c.title}`);
    lines.push(`    falsifiers: ${c.falsifiers.map((f) => f.id).join(', ') || '—'}`);
    lines.push(`    --data: ${c.takesData ? c.takesData.describe : 'no (runs on its own data)'}`);
    for (const t of opts.tiers) {
      const cost = configCost(c.tiers[t]);
      const run = lastRun(c, t, opts.timings);
      const est = estimateTier(c, t, opts.calibration ?? null, opts.timingRecord ?? null).seconds;
      lines.push(
        `    ${t}: ${cost || truncate(JSON.stringify(c.tiers[t]), 100)} · ${1 + c.falsifiers.length} configuration(s)` +
          (est !== null ? ` · est. ${humanSeconds(est)}` : '') +
          (run ? ` · last run ${seconds(run.durationMs)} (${run.startedAt.slice(0, 10)})` : ''),
      );
    }
  }
  return lines.join('\n');
}
