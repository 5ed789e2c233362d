/**
 * Runs claims: for each, the claim's configuration at the chosen tier and
 * every falsifier's mutation of it, through the claim's check. One claim
 * crashing becomes verdict "error" in its own entry; the others still run.
 */
import os from 'node:os';
import type { Claim, ClaimContext, CheckResult, Metric, Tier } from '../contract/claim.ts';
import type { BackendInfo } from '../engine/backend.ts';
import { predictedVsMeasured, type ClaimResult, type FalsifierResult, type ShardInfo, type VerifyReport } from '../contract/result.ts';

export { predictedVsMeasured };
import { applyOverrides, type Override } from '../config/overrides.ts';
import { validateConfig } from '../config/hyperparameters.ts';
import { dataProblemError, readDataFile, requireDimension, type DataSet } from '../data/data-file.ts';
import { gitCommit, gitDirty, machine, packageVersions, toolVersion } from './provenance.ts';
import { editedKernelSources } from '../engine/wasm-kernel.ts';
import { statisticsSelfCheck } from '../stats/self-check.ts';
import type { Verdict } from '../stats/verdict.ts';

export type ProgressEvent =
  | { kind: 'claim-start'; id: string; index: number; total: number }
  | { kind: 'claim-progress'; id: string; fraction: number; message?: string }
  | { kind: 'claim-end'; id: string; result: ClaimResult };

export interface RunOptions {
  claims: readonly Claim[];
  tier: Tier;
  seed: number;
  backend: BackendInfo;
  command?: string[];
  onEvent?: (e: ProgressEvent) => void;
  /** Recorded in the report when this run is one shard of a larger selection. */
  shard?: ShardInfo;
  /** Claims in the whole run, for progress counters (default: claims.length). */
  total?: number;
  /** `--set path=value` changes to the claims' configurations (src/config/overrides.ts). */
  overrides?: readonly Override[];
  /** `--data FILE`: the user's data set for the claims that take data. */
  dataFile?: string;
}

/**
 * The configuration a claim runs with: its tier's, with the overrides that
 * apply to it and, with a data file, sized to the file's rows and columns;
 * validated (a data size the model cannot take is out of the schema's
 * range), and the data's values checked against what the model takes.
 * Throws InvalidConfigError / DataFileError naming the claim, setting, row
 * or column.
 */
export function resolveClaimConfig(
  claim: Claim,
  opts: Pick<RunOptions, 'tier' | 'overrides'>,
  data?: DataSet,
): { config: unknown; notes: string[] } {
  const { config: overridden, applied } = applyOverrides(claim.tiers[opts.tier], opts.overrides ?? []);
  const notes = applied.length > 0 ? [`settings changed from the ${opts.tier} tier: ${applied.map((o) => o.text).join(', ')}`] : [];
  const takes = data ? claim.takesData : undefined;
  if (!data || !takes) {
    validateConfig(claim.id, overridden, 'configuration', claim.schema);
    return { config: overridden, notes };
  }
  // The user's data: its dimension (when the claim fixes one), the configuration sized to it and
  // validated (a size the model cannot take is out of the schema's range), then its values.
  const dim = takes.dimension(overridden);
  if (dim !== null) requireDimension(data, dim, `${claim.id} (${takes.describe})`);
  const config = takes.withRows(overridden, data.n, data.dim);
  notes.push(`data: ${data.file} (${data.n} rows × ${data.dim} columns) in place of the claim's own data`);
  validateConfig(claim.id, config, `configuration on ${data.file} (${data.n} rows × ${data.dim} columns)`, claim.schema);
  const problem = takes.checkValues?.(data, config) ?? null;
  if (problem) throw dataProblemError(data, problem, `${claim.id} takes ${takes.describe}`);
  return { config, notes };
}


/** The parts of a claim's result that do not depend on running it. */
function claimHeader(claim: Claim, opts: Pick<RunOptions, 'tier' | 'seed'>, config: unknown = claim.tiers[opts.tier]) {
  return {
    id: claim.id,
    title: claim.title,
    family: claim.family,
    source: claim.source,
    statement: claim.statement,
    ...(claim.formula !== undefined ? { formula: claim.formula } : {}),
    assumptions: claim.assumptions.map((a) => ({ ...a, met: null })),
    tier: opts.tier,
    seeds: { master: opts.seed, count: claim.seedCount ? claim.seedCount(config) : null },
    config,
  };
}

/**
 * The result of a claim that could not produce a verdict (it threw, diverged,
 * timed out or its worker died): verdict "error", every falsifier "error".
 * `setup`: the configuration it ran with and its notes (e.g. sized to the
 * user's data), when it got that far; else the tier's.
 */
export function errorResult(
  claim: Claim,
  opts: Pick<RunOptions, 'tier' | 'seed'>,
  reason: string,
  durationMs: number,
  setup?: { config: unknown; notes: string[] },
): ClaimResult {
  return {
    ...claimHeader(claim, opts, setup ? setup.config : claim.tiers[opts.tier]),
    verdict: 'error',
    metrics: {},
    series: {},
    notes: setup ? [...setup.notes] : [],
    falsifiers: claim.falsifiers.map((f) => ({
      id: f.id,
      description: f.description,
      expected: f.expected,
      verdict: 'error',
      caught: false,
      metrics: {},
    })),
    durationMs,
    error: `${claim.id} (tier ${opts.tier}): ${reason}`,
  };
}

export async function runClaim(claim: Claim, opts: RunOptions, index = 0): Promise<ClaimResult> {
  const started = performance.now();
  const emit = opts.onEvent ?? (() => {});
  emit({ kind: 'claim-start', id: claim.id, index, total: opts.total ?? opts.claims.length });
  let result: ClaimResult;
  let setup: { config: unknown; notes: string[] } | undefined;
  try {
    const data = opts.dataFile !== undefined && claim.takesData ? readDataFile(opts.dataFile) : undefined;
    setup = resolveClaimConfig(claim, opts, data);
    const { config, notes: setupNotes } = setup;
    const ctx: ClaimContext = {
      tier: opts.tier,
      masterSeed: opts.seed,
      backend: opts.backend,
      progress: (fraction, message) => emit({ kind: 'claim-progress', id: claim.id, fraction, message }),
      ...(data ? { data } : {}),
    };
    const base = claimHeader(claim, opts, config);
    // The statistics every verdict rests on, checked on known answers first (memoised per process).
    const selfCheck = statisticsSelfCheck();
    if (!selfCheck.ok) throw new Error(`the harness's statistics failed their known-answer self-check, so no verdict can be trusted: ${selfCheck.failures.join('; ')}`);
    const runChecks = async (c: unknown): Promise<CheckResult[]> => {
      const configs = [c, ...claim.falsifiers.map((f) => f.mutate(c))];
      const out = await claim.check(configs, ctx);
      if (out.length !== configs.length) throw new Error(`check returned ${out.length} results for ${configs.length} configurations`);
      return out;
    };
    let checks = await runChecks(config);
    // Grow once when the first run had no power: the claim's own verdict undecided, or a
    // falsifier let through. The grown run (e.g. twice the seeds, the first run's seeds among
    // them) replaces the first; its verdict is the claim's. A claim opts in with `grow`.
    const growthNotes: string[] = [];
    let ranConfig = config;
    const grown = claim.grow && undecided(checks) ? claim.grow(config) : null;
    if (grown && 'declined' in grown) {
      growthNotes.push(`Not grown, although the first run had no power (${describeUndecided(claim, checks)}): ${grown.declined}.`);
    } else if (grown) {
      validateConfig(claim.id, grown.config, 'grown configuration', claim.schema);
      const before = describeUndecided(claim, checks);
      checks = await runChecks(grown.config);
      ranConfig = grown.config;
      growthNotes.push(`Grown once (${grown.what}) because the first run had no power: ${before}. The verdicts are the grown run's.`);
    }
    const [own, ...mutated] = checks;
    const header = ranConfig === config ? base : claimHeader(claim, opts, ranConfig);
    const falsifiers: FalsifierResult[] = claim.falsifiers.map((f, i) => ({
      id: f.id,
      description: f.description,
      expected: f.expected,
      verdict: mutated[i].verdict,
      caught: mutated[i].verdict === 'fail',
      metrics: mutated[i].metrics,
      series: mutated[i].series,
      notes: mutated[i].notes,
      predictedVsMeasured: predictedVsMeasured(mutated[i].metrics),
    }));
    const met = new Map((own.assumptions ?? []).map((a) => [a.id, a]));
    const power = powerVerdict(own.verdict, falsifiers, claim.falsifiers);
    result = {
      ...header,
      assumptions: claim.assumptions.map((a) => ({
        ...a,
        met: met.get(a.id)?.met ?? null,
        detail: met.get(a.id)?.detail,
      })),
      verdict: power.verdict,
      metrics: own.metrics,
      series: own.series ?? {},
      notes: [...setupNotes, ...growthNotes, ...power.notes, ...(own.notes ?? [])],
      falsifiers,
      predictedVsMeasured: predictedVsMeasured(own.metrics),
      durationMs: performance.now() - started,
      // The claim's own configuration diverging is no evidence about the claim: "error", naming step and setting.
      ...(own.diverged ? { verdict: 'error' as const, error: `${claim.id} (tier ${opts.tier}): ${own.diverged.message}` } : {}),
      // The run contradicting itself (an engine-conformance or decomposition check failed): "error" with its message.
      ...(own.error !== undefined ? { verdict: 'error' as const, error: `${claim.id} (tier ${opts.tier}): ${own.error}` } : {}),
    };
  } catch (err) {
    result = errorResult(claim, opts, `${(err as Error).message ?? String(err)}`, performance.now() - started, setup);
  }
  emit({ kind: 'claim-end', id: claim.id, result });
  return result;
}

/**
 * A check knows when it has no power: if a falsifier was not caught, the same
 * check could not tell the claim from its negation at these sizes on this
 * data, so the claim's own `pass` carries no evidence and becomes
 * `inconclusive`, with the falsifiers let through and what to change.
 * `fail` and `error` stand (they are evidence, or its absence, either way).
 */
export function powerVerdict(
  own: Verdict,
  falsifiers: readonly Pick<FalsifierResult, 'id' | 'verdict' | 'caught'>[],
  declared: readonly { id: string; remedy?: string }[],
): { verdict: Verdict; notes: string[] } {
  const missed = falsifiers.filter((f) => !f.caught);
  if (own !== 'pass' || missed.length === 0) return { verdict: own, notes: [] };
  const notes = missed.map((f) => {
    const remedy = declared.find((d) => d.id === f.id)?.remedy ?? 'more steps or seeds (--set steps=…, --set seeds=…), or data on which the effect is larger';
    return `No power at these sizes on this data: the falsifier "${f.id}" was not caught (its verdict: ${f.verdict}), so the check cannot tell the claim from it and the claim's own pass carries no evidence; verdict inconclusive. To gain power: ${remedy}.`;
  });
  return { verdict: 'inconclusive', notes };
}

/** The claim's own verdict is inconclusive (not an error), or some falsifier was not caught. */
function undecided(checks: readonly CheckResult[]): boolean {
  const [own, ...mutated] = checks;
  if (own.error !== undefined || own.diverged) return false;
  return own.verdict === 'inconclusive' || (own.verdict === 'pass' && mutated.some((m) => m.verdict !== 'fail'));
}

function describeUndecided(claim: Claim, checks: readonly CheckResult[]): string {
  const [own, ...mutated] = checks;
  const missed = claim.falsifiers.flatMap((f, i) => (mutated[i].verdict !== 'fail' ? [`${f.id} (${mutated[i].verdict})`] : []));
  return [own.verdict === 'inconclusive' ? 'the claim itself was inconclusive' : '', missed.length ? `falsifier(s) not caught: ${missed.join(', ')}` : ''].filter(Boolean).join('; ');
}

export async function runClaims(opts: RunOptions): Promise<VerifyReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const results: ClaimResult[] = [];
  for (const [i, claim] of opts.claims.entries()) results.push(await runClaim(claim, opts, i));
  return assembleReport(results, opts, startedAt, performance.now() - t0);
}

/** Counts and the overall ok flag of a set of claim results. */
export function summarise(results: readonly ClaimResult[]): Pick<VerifyReport, 'summary' | 'ok'> {
  const falsifiers = results.flatMap((r) => r.falsifiers);
  const summary = {
    claims: results.length,
    passed: results.filter((r) => r.verdict === 'pass').length,
    falsifiers: falsifiers.length,
    caught: falsifiers.filter((f) => f.caught).length,
    errors: results.filter((r) => r.verdict === 'error').length,
  };
  return { summary, ok: summary.passed === summary.claims && summary.caught === summary.falsifiers };
}

export function assembleReport(
  results: ClaimResult[],
  opts: RunOptions,
  startedAt: Date,
  durationMs: number,
  notRun: readonly string[] = [],
): VerifyReport {
  const host = machine();
  const edited = editedKernelSources();
  const { summary, ok } = summarise(results);
  return {
    schemaVersion: 1,
    tool: { name: 'vae-claims', version: toolVersion() },
    claims: results,
    backend: opts.backend.name,
    backendInfo: opts.backend,
    seed: opts.seed,
    tier: opts.tier,
    startedAt: startedAt.toISOString(),
    durationMs,
    command: opts.command ?? process.argv.slice(2),
    environment: {
      node: process.version,
      platform: `${os.platform()}-${os.arch()}`,
      cores: host.cores,
      gitCommit: gitCommit(),
      gitDirty: gitDirty(),
      ...(edited.length > 0 ? { editedKernels: edited } : {}),
      machine: host,
      packages: packageVersions(),
    },
    summary,
    ok: ok && notRun.length === 0,
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(notRun.length ? { partial: { reason: 'interrupted' as const, notRun: [...notRun] } } : {}),
  };
}
