/**
 * vae-claims command line.
 *   verify  [--claim PATTERN...] [--tier quick|full] [--seed N] [--backend NAME] [--shard i/n] [--out DIR] [--quiet] [--json]
 *   list    [--claim PATTERN...] [--shard i/n] [--tier quick|full] [--report FILE] [--json]
 *   compare BEFORE.json AFTER.json [--json]
 *   merge   SHARD.json... [--out DIR] [--allow-partial] [--quiet] [--json]
 * PATTERN: a claim id, a glob over ids ("sgd-*") or a family (convergence, entropy, ntk).
 * Exit codes: 0 every claim passed and every falsifier was caught (compare: no regression);
 *             1 otherwise (a claim failed, was inconclusive or errored, or a falsifier was not caught;
 *               compare: a regression was found);
 *             2 usage or input error (the message says what is allowed);
 *             3 internal error (bin.ts: stack trace to a log file);
 *             130 interrupted (a partial report is written).
 */
import { existsSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TIERS, type Claim, type Tier } from '../contract/claim.ts';
import { BACKEND_NAMES, BACKEND_ENV_VAR, BackendError, useBackend as realUseBackend, type BackendInfo } from '../engine/backend.ts';
import os from 'node:os';
import { assembleReport, resolveClaimConfig, runClaims } from '../verify/run-claims.ts';
import { runClaimsInPool } from '../verify/worker-pool.ts';
import { registryModuleFromEnv, loadRegistry, withUserClaims, claimModules, ClaimFileError, REGISTRY_ENV_VAR } from '../verify/registry.ts';
import { ALL_FAMILIES, SelectionError, parseShard, selectClaims, shardClaims, type Shard } from '../verify/select.ts';
import { MergeError, mergeReports } from '../verify/merge.ts';
import { compareReports } from '../verify/compare.ts';
import type { VerifyReport } from '../contract/result.ts';
import { writeReports } from '../report/write.ts';
import { OutputDirError, prepareOutputDirectory } from '../report/out-dir.ts';
import { estimateClaim, estimateWall, humanSeconds } from '../verify/estimate.ts';
import { ReportFileError, readReport } from '../report/schema.ts';
import { createProgressReporter } from './progress.ts';
import { renderComparison } from './compare-output.ts';
import { renderClaimList } from './list-output.ts';
import { calibrate, CALIBRATION_TARGET } from '../calibrate/calibrate.ts';
import { mergeCalibration, readCalibration } from '../report/calibration-record.ts';
import { readTimings } from '../report/timing-record.ts';
import { checkOverrides, InvalidConfigError, OverrideError, parseOverride, type Override } from '../config/overrides.ts';
import { DataFileError, readDataFile } from '../data/data-file.ts';
import writeFileAtomic from 'write-file-atomic';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const EXIT = { ok: 0, claimsFailed: 1, usage: 2, internal: 3, interrupted: 130 } as const;

/**
 * `verify --help`: what each of our claims that take data needs of the rows
 * (a summary of each claim's takesData.describe, which `list` shows in full;
 * a test keeps it in step with the registry).
 */
const DATA_HELP =
  `\nData (--data FILE: CSV or JSON, one point per row; the claim takes N, and where any D goes D, from the file):\n` +
  `  sgd-rate-linear-vae, adam-rate-linear-vae, beta-vae-rate,\n` +
  `  batch-size-effect, samples-effect    points in R^10\n` +
  `  iwae-rate, iwae-rate-adam            points in R^D, D ≥ d_z (3); N ≥ 16; largest principal variance > 1.65\n` +
  `  iwae-bias                            points in R^D, D ≥ d_z (2 quick, 3 full); bias at the rows' ML decoder\n` +
  `  entropy-gmm                          points in R^D, any D; every column varies; N ≥ K\n` +
  `  entropy-ppca, entropy-linear-vae     points in R^D, D ≥ H + 1 (H = 3 quick, 4 full); covariance of rank > H\n` +
  `  entropy-bernoulli-mixture            binary rows (0/1), any number of columns; N ≥ K\n` +
  `  entropy-sbn                          binary rows (0/1), any number of columns, each taking both values\n` +
  `  entropy-poisson-mixture              counts (integers ≥ 0), any number of columns, none 0 in every row; N ≥ K\n` +
  `  adam-rate-deep-vae                   real rows, any D, values in [−50, 50] (of order 1, like digits); N ≥ 10 (batch size)\n` +
  `  entropy-gaussian-vae                 real rows, any D (values of order 1, like digits); N ≥ 100 (batch size)\n` +
  `\`list\` states each claim's requirement in full. A bad value, a dimension or size the model cannot take exits 2\n` +
  `naming the file, row and column and what is allowed, before any training.\n`;

const DEFAULT_OUT = 'reports/latest';

/** What the CLI runs against; tests inject fake claims and a fake backend. */
export interface CliDeps {
  /** The claim registry (default: src/claims/index.ts, loaded on first use). */
  claims?: readonly Claim[];
  useBackend?: (name?: string) => Promise<BackendInfo>;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Whether stderr is a terminal (default: its isTTY). */
  tty?: boolean;
}

function parseSeed(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('allowed: an integer ≥ 1 (0 means "unseeded" to TensorFlow.js).');
  }
  return n;
}

function parseShardOption(raw: string): Shard {
  try {
    return parseShard(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function collect(raw: string, previous: string[]): string[] {
  return [...previous, ...raw.split(',').filter(Boolean)];
}

/** The registry a command works on: ours (or injected, or $VAE_CLAIMS_REGISTRY's) plus the user's `--claims` modules. */
async function registry(deps: CliDeps, userModules: readonly string[] = []): Promise<readonly Claim[]> {
  if (deps.claims) return userModules.length ? withUserClaims(deps.claims, userModules) : deps.claims;
  return loadRegistry(registryModuleFromEnv(), userModules);
}

function parsePositiveInteger(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('allowed: an integer ≥ 1.');
  return n;
}

function parseSeconds(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('allowed: a number of seconds > 0.');
  return n;
}

function parseMinutes(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('allowed: a number of minutes > 0.');
  return n;
}

/** `commandLine`: the arguments after `vae-claims`, recorded in reports. */
export function buildProgram(setExit: (code: number) => void, deps: CliDeps = {}, commandLine: string[] = process.argv.slice(2)): Command {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const print = (s: string) => stdout.write(s.endsWith('\n') ? s : s + '\n');
  const claimOption = () =>
    new Option('--claim <pattern...>', `claim ids, globs over ids ("sgd-*") or families (${ALL_FAMILIES.join(', ')}); space- or comma-separated, or repeat the option; default: all`)
      .argParser(collect)
      .default([]);
  const claimsOption = () =>
    new Option(
      '--claims <path...>',
      'your own claim files: a module (.js, .mjs, .ts) that default-exports a defineClaim(...) claim or exports CLAIMS, or a directory of them; added to ours, run and reported like ours (ids must be new); repeatable',
    )
      .argParser(collect)
      .default([]);
  const shardOption = () => new Option('--shard <i/n>', 'run only shard i of n (round robin over the selected claims; merge the shard reports with `merge`)').argParser(parseShardOption);

  const program = new Command('vae-claims')
    .description(
      'Executable, falsifiable checks of VAE theory (convergence rates [SGL25], NTK and kernel ridge regression [WH24], ' +
        'ELBO = sum of entropies [LW22, D23]) run against a TensorFlow.js training engine. Every claim is checked, and so is ' +
        'each of its falsifiers: a mutated setting under which the same check must fail.',
    )
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .showHelpAfterError()
    .addHelpText(
      'after',
      `\nExit codes: 0 all claims pass and all falsifiers are caught (compare: no regression); 1 a claim did not pass or a\n` +
        `falsifier was not caught (compare: a regression); 2 usage or input error (one line says what is allowed); 3 internal\n` +
        `error (a bug of vae-claims; the stack trace goes to a log file named on stderr); 130 interrupted (a partial report\n` +
        `with the finished claims is written, and says so in every format).\n` +
        `Claims: src/claims/ by default, or a module exporting CLAIMS named by $${REGISTRY_ENV_VAR}; add your own with\n` +
        `--claims DIR (every .js/.mjs/.ts module in it default-exports a defineClaim(...) claim; see examples/claims/).\n` +
        `Backend: --backend or $${BACKEND_ENV_VAR} (${BACKEND_NAMES.join(', ')}; default wasm).\n` +
        `Your data: verify --data FILE runs the claims that take data on your rows (which claims and what rows each needs:\n` +
        `vae-claims verify --help, and list).\n\n` +
        `Examples:\n` +
        `  vae-claims list\n` +
        `  vae-claims verify --tier quick\n` +
        `  vae-claims verify --claim convergence --claim 'ntk-*' --tier quick --out out-dir\n` +
        `  vae-claims verify --claim entropy-bernoulli-mixture --tier quick --data my-binary-rows.csv\n` +
        `  vae-claims verify --shard 2/4 --out shard-2            # on each of 4 machines\n` +
        `  vae-claims merge shard-*/report.json --out reports/latest\n` +
        `  vae-claims compare main/report.json reports/latest/report.json`,
    );

  program
    .command('verify')
    .description('run claims and their falsifiers; write report.json, report.html, report.md and junit.xml')
    .addHelpText('after', DATA_HELP)
    .addOption(claimOption())
    .addOption(claimsOption())
    .addOption(new Option('--tier <tier>', 'problem sizes: quick (CI, minutes) or full (the published report)').choices(TIERS).default('full'))
    .option('--seed <n>', 'master seed; every replica stream derives from it', parseSeed, 1)
    .addOption(new Option('--backend <name>', `TensorFlow.js backend (default: $${BACKEND_ENV_VAR} or wasm)`).choices([...BACKEND_NAMES]))
    .addOption(shardOption())
    .option('--out <dir>', 'output directory for the reports', DEFAULT_OUT)
    .option('--quiet', 'no progress output')
    .option('--json', 'progress as JSON lines on stdout')
    .option('--workers <n>', 'claims run in parallel worker processes (default: one per core); results do not depend on it', parsePositiveInteger)
    .option('--claim-timeout <seconds>', 'stop a claim that runs longer than this and report it as error', parseSeconds)
    .option(
      '--set <path=value>',
      'change a setting of the selected claims before they run, e.g. schedule.C=0.1, batchSize=64, samples=4, beta=2, optimizer.beta1=0.95, widths=[64,256]; repeatable; out-of-range values exit 2 with the allowed range',
      (raw: string, previous: string[]) => [...previous, raw],
      [],
    )
    .option('--data <file>', 'run the claims that take data on this CSV or JSON file (one point per row) instead of their own data (which claims and what rows: below, and `list`); problems exit 2 naming the file, row and column')
    .option(
      '--max-minutes <m>',
      'refuse (exit 2) a run estimated to take longer than this (estimate: each claim\'s recorded or calibrated time at this tier, else its calibrated quick-tier time, scaled by its seeds × steps × arms; printed before the run)',
      parseMinutes,
      DEFAULT_MAX_MINUTES,
    )
    .action(
      async (opts: {
        claim: string[];
        tier: Tier;
        seed: number;
        backend?: string;
        shard?: Shard;
        out: string;
        quiet?: boolean;
        json?: boolean;
        workers?: number;
        claimTimeout?: number;
        set: string[];
        data?: string;
        maxMinutes: number;
        claims: string[];
      }) => {
        const userModules = claimModules(opts.claims);
        const all = await registry(deps, userModules);
        const selection = selectClaims(all, opts.claim);
        const claims = opts.shard ? shardClaims(selection, opts.shard) : selection;
        const overrides = opts.set.map(parseOverride);
        preflight(claims, opts.tier, overrides, opts.data, all);
        prepareOutputDirectory(opts.out);
        const workers = opts.workers ?? Math.max(1, Math.min(os.cpus().length, claims.length));
        const estimate = costBeforeWork(claims, opts.tier, overrides, opts.data, workers, opts.maxMinutes);
        if (!opts.quiet && !opts.json && estimate) stderr.write(`vae-claims: ${estimate.line}\n`);
        const backend = await (deps.useBackend ?? realUseBackend)(opts.backend);
        const progress = createProgressReporter({ quiet: !!opts.quiet, json: !!opts.json, tty: deps.tty, stream: stderr, jsonStream: stdout });
        progress.begin({
          backend: backend.name,
          tier: opts.tier,
          seed: opts.seed,
          claims: claims.map((c) => c.id),
          shard: opts.shard,
          workers,
          ...(estimate ? { estimates: estimate.perClaim } : {}),
        });
        const runOptions = {
          claims,
          tier: opts.tier,
          seed: opts.seed,
          backend,
          command: commandLine,
          onEvent: progress.event,
          overrides,
          ...(opts.data !== undefined ? { dataFile: opts.data } : {}),
          ...(opts.shard ? { shard: { ...opts.shard, selection: selection.map((c) => c.id) } } : {}),
        };
        let report: VerifyReport;
        if (deps.claims && !registryModuleFromEnv()) {
          // Injected claims (tests) exist only in this process: run them here.
          report = await runClaims(runOptions);
        } else {
          // Worker processes: both cores, a per-claim time limit, and an interrupt that loses nothing finished.
          const startedAt = new Date();
          const t0 = performance.now();
          const controller = new AbortController();
          const onInterrupt = () => {
            stderr.write('\nvae-claims: interrupted; stopping workers and writing a partial report\n');
            controller.abort();
          };
          process.once('SIGINT', onInterrupt);
          process.once('SIGTERM', onInterrupt);
          try {
            const outcome = await runClaimsInPool({
              ...runOptions,
              workers,
              claimTimeoutMs: opts.claimTimeout !== undefined ? opts.claimTimeout * 1000 : undefined,
              signal: controller.signal,
              registryModule: registryModuleFromEnv(),
              userModules,
              ...(estimate ? { estimatedSeconds: estimate.perClaim } : {}),
            });
            report = assembleReport(outcome.results, runOptions, startedAt, performance.now() - t0, outcome.notRun);
          } finally {
            process.off('SIGINT', onInterrupt);
            process.off('SIGTERM', onInterrupt);
          }
        }
        const written = await writeReports(report, opts.out);
        progress.end(report, written);
        setExit(report.partial ? EXIT.interrupted : report.ok ? EXIT.ok : EXIT.claimsFailed);
      },
    );

  program
    .command('calibrate')
    .description(
      `run claims under M master seeds and report how often each passes and each falsifier is caught (Wilson 95% intervals; target ≥ ${CALIBRATION_TARGET * 100}%)`,
    )
    .addOption(claimOption())
    .addOption(claimsOption())
    .addOption(new Option('--tier <tier>', 'problem sizes').choices(TIERS).default('quick'))
    .option('--runs <m>', 'number of master seeds (≥ 50 for a calibration worth citing)', parsePositiveInteger, 50)
    .option('--seed <n>', 'base seed the calibration seeds derive from', parseSeed, 1)
    .addOption(new Option('--backend <name>', `TensorFlow.js backend (default: $${BACKEND_ENV_VAR} or wasm)`).choices([...BACKEND_NAMES]))
    .option('--out <file>', 'calibration record to merge into (entries of other claims are kept); reports and the README table read reports/calibration/calibration.json', 'reports/calibration/calibration.json')
    .option('--quiet', 'no progress output')
    .action(async (opts: { claim: string[]; claims: string[]; tier: Tier; runs: number; seed: number; backend?: string; out: string; quiet?: boolean }) => {
      const claims = selectClaims(await registry(deps, claimModules(opts.claims)), opts.claim);
      const backend = await (deps.useBackend ?? realUseBackend)(opts.backend);
      const entries = await calibrate({
        claims,
        runs: opts.runs,
        backend,
        tier: opts.tier,
        baseSeed: opts.seed,
        onRun: opts.quiet ? undefined : ({ id, run, runs }) => stderr.write(`calibrate ${id}: run ${run + 1}/${runs}\n`),
      });
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      for (const e of entries) {
        print(
          `${e.id}: pass ${e.pass.successes}/${e.runs} (${pct(e.pass.rate)}, 95% [${pct(e.pass.lower)}, ${pct(e.pass.upper)}])` +
            e.falsifiers.map((f) => `; ${f.id} caught ${f.caught.successes}/${e.runs} [${pct(f.caught.lower)}, ${pct(f.caught.upper)}]`).join('') +
            `; ${(e.meanDurationMs / 1000).toFixed(1)} s/run${e.meetsTarget ? '' : '  BELOW TARGET'}`,
        );
      }
      const createdAt = new Date().toISOString();
      await mergeCalibration(
        opts.out,
        CALIBRATION_TARGET,
        entries.map((e) => ({ ...e, tier: opts.tier, baseSeed: opts.seed, backend: backend.name, createdAt })),
      );
      print(`calibration of ${entries.length} claim(s) merged into ${opts.out}`);
      setExit(entries.every((e) => e.meetsTarget) ? EXIT.ok : EXIT.claimsFailed);
    });

  program
    .command('list')
    .description('list the claims: id, family, source, falsifiers and tier costs')
    .addOption(claimOption())
    .addOption(claimsOption())
    .addOption(shardOption())
    .addOption(new Option('--tier <tier>', 'show only this tier').choices(TIERS))
    .option('--report <file>', 'report.json whose timings show as tier costs', `${DEFAULT_OUT}/report.json`)
    .option('--json', 'machine-readable output')
    .action(async (opts: { claim: string[]; claims: string[]; shard?: Shard; tier?: Tier; report: string; json?: boolean }) => {
      const selection = selectClaims(await registry(deps, claimModules(opts.claims)), opts.claim);
      const claims = opts.shard ? shardClaims(selection, opts.shard) : selection;
      let timings: VerifyReport | null = null;
      if (existsSync(opts.report)) {
        try {
          timings = readReport(opts.report);
        } catch {
          // Timings are a convenience: an unreadable report only means none are shown.
          timings = null;
        }
      }
      print(renderClaimList(claims, { tiers: opts.tier ? [opts.tier] : TIERS, timings, json: !!opts.json, calibration: readCalibration(), timingRecord: readTimings() }));
    });

  program
    .command('compare')
    .description('compare two reports: changed verdicts, falsifiers no longer caught, measurements that moved beyond their intervals')
    .argument('<before>', 'the reference report.json (e.g. from the main branch)')
    .argument('<after>', 'the report.json to check for regressions')
    .option('--json', 'machine-readable output')
    .option('--allow-missing', 'do not count claims missing from <after>, or an interrupted / sharded <after>, as regressions')
    .action((beforeFile: string, afterFile: string, opts: { json?: boolean; allowMissing?: boolean }) => {
      const comparison = compareReports(readReport(beforeFile), readReport(afterFile), { allowMissing: !!opts.allowMissing });
      print(opts.json ? JSON.stringify(comparison, null, 2) : renderComparison(comparison, beforeFile, afterFile));
      setExit(comparison.regressions > 0 ? EXIT.claimsFailed : EXIT.ok);
    });

  program
    .command('merge')
    .description('combine shard reports (verify --shard i/n) into one report and write every format')
    .argument('<reports...>', "each shard's report.json")
    .option('--out <dir>', 'output directory for the merged reports', DEFAULT_OUT)
    .option('--allow-partial', 'merge even when shards or claims are missing (the merged report is then not ok)')
    .option('--quiet', 'no output')
    .option('--json', 'output as JSON lines on stdout')
    .action(async (files: string[], opts: { out: string; allowPartial?: boolean; quiet?: boolean; json?: boolean }) => {
      const merged = mergeReports(files.map(readReport), { allowPartial: !!opts.allowPartial, command: commandLine });
      const written = await writeReports(merged, opts.out);
      createProgressReporter({ quiet: !!opts.quiet, json: !!opts.json, tty: deps.tty, stream: stderr, jsonStream: stdout }).end(merged, written);
      setExit(merged.ok ? EXIT.ok : EXIT.claimsFailed);
    });

  return program;
}

/** The full tier of every claim takes about half an hour on 2 cores; twice that is the default ceiling. */
const DEFAULT_MAX_MINUTES = 60;

export class EstimateError extends Error {
  override name = 'EstimateError';
}

/**
 * The run's estimated wall time (src/verify/estimate.ts) as one line, or null
 * when no selected claim has a timing on record; throws EstimateError when the
 * estimate exceeds --max-minutes.
 */
function costBeforeWork(
  claims: readonly Claim[],
  tier: Tier,
  overrides: readonly Override[],
  dataFile: string | undefined,
  workers: number,
  maxMinutes: number,
): { line: string; perClaim: Record<string, number | null> } | null {
  const record = readCalibration();
  const timingRecord = readTimings();
  const data = dataFile !== undefined ? readDataFile(dataFile) : undefined;
  const estimates = claims.map((c) => estimateClaim(c, resolveClaimConfig(c, { tier, overrides }, c.takesData ? data : undefined).config, record, tier, timingRecord));
  const known = estimates.filter((e) => e.seconds !== null);
  if (known.length === 0) return null;
  const wall = estimateWall(estimates, workers);
  const longest = known.reduce((a, b) => ((b.seconds ?? 0) > (a.seconds ?? 0) ? b : a));
  if (wall > maxMinutes * 60) {
    throw new EstimateError(
      `this run is estimated at ${humanSeconds(wall)} on ${workers} worker(s) (longest: ${longest.id}, ${humanSeconds(longest.seconds!)}), over --max-minutes ${maxMinutes}; ` +
        `pass --max-minutes ${Math.ceil((wall * 1.5) / 60)} to run it anyway, or reduce the sizes`,
    );
  }
  const unknown = estimates.length - known.length;
  return {
    line: `estimated ${humanSeconds(wall)} on ${workers} worker(s) for ${claims.length} claim(s) (from recorded and calibrated timings, ±50%${unknown ? `; ${unknown} claim(s) with no timing on record` : ''})`,
    perClaim: Object.fromEntries(estimates.map((e) => [e.id, e.seconds])),
  };
}

/**
 * Everything about the user's input is checked before any claim trains:
 * overrides apply somewhere and keep every configuration in range, and the
 * data file parses and fits the claims that take data.
 */
function preflight(claims: readonly Claim[], tier: Tier, overrides: readonly Override[], dataFile: string | undefined, all: readonly Claim[]): void {
  checkOverrides(
    claims.map((c) => ({ id: c.id, config: c.tiers[tier], schema: c.schema })),
    overrides,
  );
  if (dataFile === undefined) return;
  const takers = claims.filter((c) => c.takesData);
  if (takers.length === 0) {
    const able = all.filter((c) => c.takesData).map((c) => c.id);
    throw new OverrideError(`--data ${dataFile}: none of the selected claims takes data; claims that do: ${able.join(', ') || 'none'}`);
  }
  const data = readDataFile(dataFile);
  for (const c of takers) resolveClaimConfig(c, { tier, overrides }, data);
}

export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  let code: number = EXIT.ok;
  const stderr = deps.stderr ?? process.stderr;
  const program = buildProgram((c) => (code = c), deps, argv.slice(2));
  program.exitOverride();
  for (const sub of program.commands) sub.exitOverride();
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (
      err instanceof BackendError ||
      err instanceof SelectionError ||
      err instanceof MergeError ||
      err instanceof ReportFileError ||
      err instanceof OverrideError ||
      err instanceof InvalidConfigError ||
      err instanceof DataFileError ||
      err instanceof OutputDirError ||
      err instanceof EstimateError ||
      err instanceof ClaimFileError
    ) {
      stderr.write(`vae-claims: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
