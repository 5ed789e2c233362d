/**
 * What a report does not cover, said the same way in every format: claims an
 * interrupted run never reached, claims of the selection a shard left to the
 * other shards, claims a merge found in no shard. A report that hides an
 * incomplete run reads like a clean one (junit tests=2, failures=0).
 */
import type { VerifyReport } from '../contract/result.ts';

export interface Incompleteness {
  /** One sentence for headlines, e.g. "Partial run: interrupted; 3 claims not run: a, b, c." */
  headline: string;
  /** Claim ids not in the report, each with why. */
  notRun: { id: string; why: string }[];
}

export function incompleteness(report: VerifyReport): Incompleteness | null {
  const present = new Set(report.claims.map((c) => c.id));
  const notRun: { id: string; why: string }[] = [];
  const add = (ids: readonly string[], why: string) => {
    for (const id of ids) if (!present.has(id) && !notRun.some((n) => n.id === id)) notRun.push({ id, why });
  };
  const parts: string[] = [];
  if (report.partial) {
    add(report.partial.notRun, 'not run: the run was interrupted');
    parts.push(`interrupted; ${report.partial.notRun.length} claim(s) not run`);
  }
  if (report.shard) {
    const others = report.shard.selection.filter((id) => !present.has(id));
    add(others, `left to the other shards (this is shard ${report.shard.index}/${report.shard.count})`);
    parts.push(`shard ${report.shard.index}/${report.shard.count}: ${present.size} of ${report.shard.selection.length} selected claims`);
  }
  if (report.merged?.missing?.length) {
    add(report.merged.missing, 'missing: no shard report held it');
    parts.push(`merged with ${report.merged.missing.length} claim(s) missing`);
  }
  if (parts.length === 0) return null;
  const list = notRun.length ? `: ${notRun.map((n) => n.id).join(', ')}` : '';
  return { headline: `Partial report (${parts.join('; ')})${notRun.length ? `, not in this report${list}` : ''}.`, notRun };
}
