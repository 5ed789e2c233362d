/**
 * Combines shard reports (verify --shard i/n on several machines) into the
 * report one unsharded run would have written: the same claims in the same
 * order, recomputed summary and ok flag. Refuses to merge reports that do
 * not belong together (different seed, tier, backend or selection), shards
 * given twice, or an incomplete set, because a merged report that silently
 * lacks claims would read as "all claims pass".
 */
import type { ClaimResult, VerifyReport } from '../contract/result.ts';
import { summarise } from './run-claims.ts';

export class MergeError extends Error {
  override name = 'MergeError';
}

export interface MergeOptions {
  /** Accept a set of shards that does not cover the whole selection (the result lists what is missing in `merged.missing` and is not ok). */
  allowPartial?: boolean;
  /** The command line recorded in the merged report. */
  command?: string[];
}

export function mergeReports(reports: readonly VerifyReport[], opts: MergeOptions = {}): VerifyReport {
  if (reports.length === 0) throw new MergeError('merge needs at least one report');
  const [first] = reports;
  for (const [i, r] of reports.entries()) {
    for (const key of ['seed', 'tier', 'backend'] as const) {
      if (r[key] !== first[key]) {
        throw new MergeError(`report ${i + 1} has ${key} ${JSON.stringify(r[key])} but report 1 has ${key} ${JSON.stringify(first[key])}; shards of one run share ${key}`);
      }
    }
  }
  const sharded = reports.filter((r) => r.shard);
  if (sharded.length && sharded.length !== reports.length) {
    throw new MergeError('mix of shard reports and unsharded reports; merge the shards of one run (verify --shard i/n)');
  }

  let order: string[];
  if (sharded.length) {
    const count = first.shard!.count;
    const selection = first.shard!.selection;
    const seen = new Set<number>();
    for (const r of reports) {
      const s = r.shard!;
      if (s.count !== count || s.selection.join('\n') !== selection.join('\n')) {
        throw new MergeError(`shard ${s.index}/${s.count} comes from a different run (its shard count or claim selection differs from shard ${first.shard!.index}/${count})`);
      }
      if (seen.has(s.index)) throw new MergeError(`shard ${s.index}/${count} given twice`);
      seen.add(s.index);
    }
    const absent = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
    if (absent.length && !opts.allowPartial) {
      throw new MergeError(`missing shard(s) ${absent.map((i) => `${i}/${count}`).join(', ')}; pass every shard's report.json (or --allow-partial)`);
    }
    order = selection;
  } else {
    order = reports.flatMap((r) => r.claims.map((c) => c.id));
  }

  const byId = new Map<string, ClaimResult>();
  for (const r of reports) {
    for (const c of r.claims) {
      if (byId.has(c.id)) throw new MergeError(`claim "${c.id}" appears in more than one report`);
      byId.set(c.id, c);
    }
  }
  const claims = order.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
  const missing = order.filter((id) => !byId.has(id));
  if (missing.length && !opts.allowPartial) {
    throw new MergeError(`claims missing from the shard reports: ${missing.join(', ')}`);
  }

  const commits = new Set(reports.map((r) => r.environment.gitCommit));
  if (commits.size > 1) {
    throw new MergeError(`shards ran different commits (${[...commits].map((c) => c?.slice(0, 10) ?? 'unknown').join(', ')}); run every shard on one commit`);
  }
  const dirty = reports.map((r) => r.environment.gitDirty);
  const edited = [...new Set(reports.flatMap((r) => r.environment.editedKernels ?? []))].sort();
  const starts = reports.map((r) => Date.parse(r.startedAt));
  const { summary, ok } = summarise(claims);
  const merged: VerifyReport = {
    ...first,
    claims,
    startedAt: new Date(Math.min(...starts)).toISOString(),
    // Shards run in parallel: the run took as long as its slowest shard.
    durationMs: Math.max(...reports.map((r) => r.durationMs)),
    command: opts.command ?? first.command,
    environment: {
      ...first.environment,
      gitDirty: dirty.includes(true) ? true : dirty.every((d) => d === false) ? false : null,
      ...(edited.length > 0 ? { editedKernels: edited } : {}),
    },
    summary,
    // A partial merge never reads as a clean run.
    ok: ok && missing.length === 0,
    merged: {
      shards: reports.map((r) => ({
        index: r.shard?.index ?? 1,
        count: r.shard?.count ?? 1,
        startedAt: r.startedAt,
        durationMs: r.durationMs,
        gitCommit: r.environment.gitCommit,
        ...(r.environment.machine ? { machine: r.environment.machine } : {}),
        claims: r.claims.map((c) => c.id),
      })),
      ...(missing.length ? { missing } : {}),
    },
  };
  delete merged.shard;
  return merged;
}
