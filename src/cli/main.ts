/**
 * vae-claims command line.
 *   verify [--claim ID...] [--tier quick|full] [--seed N] [--backend NAME] [--out DIR] [--quiet] [--json]
 *   list
 * Exit codes: 0 every claim passed and every falsifier was caught;
 *             1 otherwise (a claim failed, was inconclusive or errored, or a falsifier was not caught);
 *             2 usage or input error (the message says what is allowed).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CLAIMS, claimById } from '../../theory/index.ts';
import { TIERS, type Tier } from '../../theory/claim.ts';
import { BACKEND_NAMES, BACKEND_ENV_VAR, BackendError, useBackend } from '../engine/backend.ts';
import { runClaims } from '../verify/run-claims.ts';
import { writeReports } from '../report/write.ts';
import { createProgressReporter } from './progress.ts';

export const EXIT = { ok: 0, claimsFailed: 1, usage: 2 } as const;

class UsageError extends Error {
  override name = 'UsageError';
}

function parseSeed(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('allowed: an integer ≥ 1 (0 means "unseeded" to TensorFlow.js).');
  }
  return n;
}

function collectClaims(raw: string, previous: string[]): string[] {
  return [...previous, ...raw.split(',').filter(Boolean)];
}

function selectClaims(ids: string[]) {
  if (ids.length === 0) return CLAIMS;
  return ids.map((id) => {
    const claim = claimById(id);
    if (!claim) throw new UsageError(`unknown claim id "${id}"; known: ${CLAIMS.map((c) => c.id).join(', ')}`);
    return claim;
  });
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('vae-claims')
    .description(
      'Executable, falsifiable checks of VAE theory (convergence rates [SGL25], NTK and kernel ridge regression [WH24], ' +
        'ELBO = sum of entropies [LW22, D23]) run against a TensorFlow.js training engine. Every claim is checked, and so is ' +
        'each of its falsifiers: a mutated setting under which the same check must fail.',
    )
    .showHelpAfterError()
    .addHelpText(
      'after',
      `\nExit codes: 0 all claims pass and all falsifiers are caught; 1 otherwise; 2 usage or input error.\n` +
        `Backend: --backend or $${BACKEND_ENV_VAR} (${BACKEND_NAMES.join(', ')}; default wasm).\n\n` +
        `Examples:\n  vae-claims list\n  vae-claims verify --tier quick\n  vae-claims verify --claim sgd-rate-linear-vae --tier quick --out out-dir`,
    );

  program
    .command('verify')
    .description('run claims and their falsifiers; write report.json and report.md')
    .option('--claim <id>', 'claim id to run (repeat or comma-separate; default: all)', collectClaims, [])
    .addOption(new Option('--tier <tier>', 'problem sizes: quick (CI, minutes) or full (the published report)').choices(TIERS).default('full'))
    .option('--seed <n>', 'master seed; every replica stream derives from it', parseSeed, 1)
    .addOption(new Option('--backend <name>', `TensorFlow.js backend (default: $${BACKEND_ENV_VAR} or wasm)`).choices([...BACKEND_NAMES]))
    .option('--out <dir>', 'output directory for report.json and report.md', 'reports/latest')
    .option('--quiet', 'no progress output')
    .option('--json', 'progress as JSON lines on stdout')
    .action(async (opts: { claim: string[]; tier: Tier; seed: number; backend?: string; out: string; quiet?: boolean; json?: boolean }) => {
      const claims = selectClaims(opts.claim);
      const backend = await useBackend(opts.backend);
      const progress = createProgressReporter({ quiet: !!opts.quiet, json: !!opts.json });
      progress.begin({ backend: backend.name, tier: opts.tier, seed: opts.seed, claims: claims.map((c) => c.id) });
      const report = await runClaims({
        claims,
        tier: opts.tier,
        seed: opts.seed,
        backend,
        command: ['verify', ...process.argv.slice(3)],
        onEvent: progress.event,
      });
      const written = await writeReports(report, opts.out);
      progress.end(report, written.files);
      setExit(report.ok ? EXIT.ok : EXIT.claimsFailed);
    });

  program
    .command('list')
    .description('list the claims: id, family, source, falsifiers and tier sizes')
    .action(() => {
      for (const c of CLAIMS) {
        console.log(`${c.id}  [${c.family}]  ${c.source.key} arXiv:${c.source.arxiv}`);
        console.log(`    ${c.title}`);
        console.log(`    falsifiers: ${c.falsifiers.map((f) => f.id).join(', ') || '—'}`);
        for (const t of TIERS) console.log(`    ${t}: ${JSON.stringify(c.tiers[t])}`);
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
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
    if (err instanceof UsageError || err instanceof BackendError) {
      console.error(`vae-claims: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
}
