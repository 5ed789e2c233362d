/**
 * `npm run mutants`: the mutation suite. Each mutant (mutants/*.ts) is one
 * realistic bug applied to a fresh copy of the repository; the claims that
 * must see it run at the quick tier and the table says what they said.
 * A mutant is CAUGHT when `verify` exits 1 and at least one of its claims
 * reads `fail` or `error` (a falsifier alone flipping does not count: the
 * claim's own verdict must say something is wrong). A mutant marked
 * `harmless` must stay green; the table says why it cannot matter.
 *
 *   npm run mutants                          every mutant, 2 at a time
 *   npm run mutants -- --only 'schedule-*'   a glob (or comma-separated list) of mutant ids
 *   npm run mutants -- --list                the mutants and their claims, nothing run
 *   npm run mutants -- --jobs 1 --control    one at a time, plus the clean tree as a control
 *   npm run mutants -- --ref HEAD             mutate a commit (git archive) instead of the working tree
 *
 * Results: reports/mutants/mutants.md and mutants.json (the latest run).
 * Not part of `npm test`: a full run takes tens of minutes on 2 cores.
 */
import { execSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { MUTANTS } from './index.ts';
import type { Mutant } from './types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What a copy needs to run the CLI (node_modules is linked, not copied). */
const COPIED = ['src', 'bin', 'package.json', 'tsconfig.json', 'reports/calibration'];

interface Options {
  only: string[];
  jobs: number;
  list: boolean;
  control: boolean;
  tier: 'quick' | 'full';
  timeoutSeconds: number;
  out: string;
  keep: boolean;
  /** A git revision to copy instead of the working tree. */
  ref?: string;
}

interface ClaimOutcome {
  id: string;
  verdict: string;
  falsifiers: { id: string; verdict: string }[];
  error?: string;
}

interface MutantOutcome {
  id: string;
  kind: string;
  description: string;
  claims: string[];
  harmless?: string;
  exitCode: number | null;
  applied: boolean;
  outcomes: ClaimOutcome[];
  caught: boolean;
  /** harmless mutants: green as predicted; others: caught. */
  asExpected: boolean;
  seconds: number;
  problem?: string;
}

function usage(): never {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^\/\*\*?|^ \* ?/gm, ''));
  process.exit(0);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [], jobs: 2, list: false, control: false, tier: 'quick', timeoutSeconds: 1200, out: path.join(ROOT, 'reports/mutants'), keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only.push(...value().split(',').filter(Boolean));
    else if (a === '--jobs') o.jobs = positive(a, value());
    else if (a === '--list') o.list = true;
    else if (a === '--control') o.control = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--ref') o.ref = value();
    else if (a === '--tier') {
      const t = value();
      if (t !== 'quick' && t !== 'full') fail(`--tier ${t}; allowed quick or full`);
      o.tier = t;
    } else if (a === '--timeout') o.timeoutSeconds = positive(a, value());
    else if (a === '--out') o.out = path.resolve(value());
    else if (a === '-h' || a === '--help') usage();
    else fail(`unknown argument ${a}; see --help`);
  }
  return o;
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) fail(`${name} ${raw}; allowed an integer ≥ 1`);
  return n;
}

function fail(message: string): never {
  console.error(`mutants: ${message}`);
  process.exit(2);
}

function select(opts: Options): Mutant[] {
  if (opts.only.length === 0) return [...MUTANTS];
  const match = picomatch(opts.only);
  const picked = MUTANTS.filter((m) => match(m.id));
  if (picked.length === 0) fail(`no mutant matches ${opts.only.join(', ')}; see --list`);
  return picked;
}

/** Checks every mutant's text occurs exactly once in the current tree (a stale mutant is a defect of the suite). */
function validate(mutants: readonly Mutant[], ref?: string): void {
  const ids = new Set<string>();
  for (const m of mutants) {
    if (ids.has(m.id)) fail(`mutant id ${m.id} appears twice`);
    ids.add(m.id);
    const file = path.join(ROOT, m.file);
    let text: string;
    try {
      text = ref ? execSync(`git show ${JSON.stringify(`${ref}:${m.file}`)}`, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) : readFileSync(file, 'utf8');
    } catch {
      fail(`mutant ${m.id}: ${m.file} does not exist${ref ? ` at ${ref}` : ''}`);
    }
    const count = text.split(m.find).length - 1;
    if (count !== 1) fail(`mutant ${m.id}: its text occurs ${count} times in ${m.file}; it must occur exactly once`);
    if (m.claims.length === 0 && !m.harmless) fail(`mutant ${m.id}: names no claim and is not marked harmless`);
  }
}

function copyTree(ref?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-claims-mutant-'));
  if (ref) execSync(`git archive ${JSON.stringify(ref)} ${COPIED.join(' ')} | tar -x -C ${JSON.stringify(dir)}`, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  else {
    // Dot-files are editors' temporaries (they may vanish mid-copy): never part of the tree under test.
    const filter = (src: string) => !path.basename(src).startsWith('.');
    for (const p of COPIED) if (existsSync(path.join(ROOT, p))) cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true, filter });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * Every mutant (and the control) runs the closed-form kernels', the kernel optimiser's and the
 * deep VAE reference's JavaScript code: a WebAssembly port (src/models/<family>/kernel-wasm.ts,
 * src/models/linear-vae/learned-variance-wasm.ts, src/engine/kernel-optimizer-wasm.ts,
 * src/models/deep-vae/reference-wasm.ts, bitwise the same results) would otherwise bypass a
 * mutant of the JavaScript code it ports. A mutant of a port's own JavaScript side
 * (`ports: true`, e.g. of src/engine/kernel-optimizer-wasm.ts) runs with the ports on instead.
 */
const JS_KERNELS = { VAE_CLAIMS_LINEAR_VAE_KERNEL: 'js', VAE_CLAIMS_LEARNED_VARIANCE_KERNEL: 'js', VAE_CLAIMS_DEEP_VAE_KERNEL: 'js', VAE_CLAIMS_OPTIMIZER_KERNEL: 'js', VAE_CLAIMS_DEEP_REFERENCE: 'js', VAE_CLAIMS_GAUSSIAN_EVAL_KERNEL: 'js', VAE_CLAIMS_TFJS_ADAM_KERNEL: 'js', VAE_CLAIMS_COUNTER_NORMALS_KERNEL: 'js', VAE_CLAIMS_STOCHASTIC_LOSS_KERNEL: 'js', VAE_CLAIMS_WIDE_RELU_LOSS_KERNEL: 'js', VAE_CLAIMS_GD_STEP_KERNEL: 'js', VAE_CLAIMS_LINEAR_ORACLE: 'js', VAE_CLAIMS_IWAE_ORACLE: 'js', VAE_CLAIMS_ROW_SUMS: 'js' };

/** `ports`: leave the WebAssembly ports on (a mutant with `ports: true`). */
function run(cwd: string, args: string[], timeoutSeconds: number, ports = false): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(ports ? {} : JS_KERNELS), FORCE_COLOR: '0' };
  if (ports) for (const name of Object.keys(JS_KERNELS)) delete env[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/vae-claims.js', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function runOne(m: Mutant | null, opts: Options): Promise<MutantOutcome> {
  const started = performance.now();
  const dir = copyTree(opts.ref);
  const id = m?.id ?? 'control (clean tree)';
  const claims = m ? m.claims : [...new Set(MUTANTS.flatMap((x) => x.claims))];
  const base: Omit<MutantOutcome, 'exitCode' | 'outcomes' | 'caught' | 'asExpected' | 'seconds'> = {
    id,
    kind: m?.kind ?? 'control',
    description: m?.description ?? 'no change: every claim must pass',
    claims,
    ...(m?.harmless ? { harmless: m.harmless } : {}),
    applied: true,
  };
  try {
    if (m) {
      const file = path.join(dir, m.file);
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace(m.find, () => m.replace));
    }
    const out = path.join(dir, 'out');
    const args = ['verify', '--tier', opts.tier, '--workers', '1', '--quiet', '--out', out, ...claims.flatMap((c) => ['--claim', c])];
    const { code, output } = await run(dir, args, opts.timeoutSeconds, m?.ports === true);
    const reportFile = path.join(out, 'report.json');
    const outcomes: ClaimOutcome[] = [];
    if (existsSync(reportFile)) {
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { claims: { id: string; verdict: string; error?: string; falsifiers: { id: string; verdict: string }[] }[] };
      for (const c of report.claims) outcomes.push({ id: c.id, verdict: c.verdict, falsifiers: c.falsifiers.map((f) => ({ id: f.id, verdict: f.verdict })), ...(c.error ? { error: c.error } : {}) });
    }
    const red = outcomes.some((o) => o.verdict === 'fail' || o.verdict === 'error');
    const caught = code === 1 && red;
    const green = code === 0 && outcomes.length === claims.length && outcomes.every((o) => o.verdict === 'pass');
    const problem = outcomes.length === 0 ? `no report (exit ${code}): ${output.trim().split('\n').slice(-3).join(' | ')}` : undefined;
    return {
      ...base,
      exitCode: code,
      outcomes,
      caught,
      asExpected: m === null || m.harmless ? green : caught,
      seconds: (performance.now() - started) / 1000,
      ...(problem ? { problem } : {}),
    };
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function verdictText(o: ClaimOutcome): string {
  const fals = o.falsifiers.map((f) => `${f.id}: ${f.verdict}`).join(', ');
  return `${o.id}: **${o.verdict}**${fals ? ` (${fals})` : ''}`;
}

function table(results: readonly MutantOutcome[]): string {
  const rows = results.map((r) => {
    const status = r.kind === 'control' ? (r.asExpected ? 'control: all green' : 'control NOT green') : r.harmless ? (r.asExpected ? 'harmless (green, as argued)' : 'harmless? NOT green') : r.caught ? 'caught' : 'MISSED';
    const verdicts = r.outcomes.map(verdictText).join('<br>') || (r.problem ?? '');
    const why = r.harmless ? `${r.description} — harmless: ${r.harmless}` : r.description;
    return `| \`${r.id}\` | ${r.kind} | ${why} | ${verdicts} | exit ${r.exitCode} | ${status} | ${r.seconds.toFixed(0)} s |`;
  });
  return ['| mutant | kind | bug | claims: verdicts (falsifiers) | exit | caught | time |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const mutants = select(opts);
  validate(mutants, opts.ref);
  if (opts.list) {
    // Each mutant's text must occur exactly once in the working tree: a refactor that moves code
    // would otherwise drop a mutant silently (it would be reported "not applied" only when run).
    let stale = 0;
    for (const m of mutants) {
      const file = path.join(ROOT, m.file);
      const hits = existsSync(file) ? readFileSync(file, 'utf8').split(m.find).length - 1 : 0;
      if (hits !== 1) stale++;
      const where = hits === 1 ? '' : `\n    NOT APPLICABLE: its text occurs ${hits} times in ${m.file}`;
      console.log(`${m.id}  [${m.kind}]  ${m.file}\n    ${m.description}\n    claims: ${m.claims.join(', ') || '—'}${m.harmless ? `\n    harmless: ${m.harmless}` : ''}${where}`);
    }
    console.log(`${mutants.length} mutant(s)${stale ? `, ${stale} NOT APPLICABLE to the working tree` : ', each applicable to the working tree'}`);
    if (stale) process.exitCode = 1;
    return;
  }
  const queue: (Mutant | null)[] = [...(opts.control ? [null] : []), ...mutants];
  const results: MutantOutcome[] = new Array(queue.length);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < queue.length) {
      const i = next++;
      const m = queue[i];
      console.log(`[${i + 1}/${queue.length}] ${m?.id ?? 'control'} → ${(m?.claims ?? ['all']).join(', ')}`);
      results[i] = await runOne(m, opts);
      const r = results[i];
      console.log(`    ${r.kind === 'control' ? (r.asExpected ? 'green (control)' : 'CONTROL NOT GREEN') : r.harmless ? (r.asExpected ? 'green (harmless)' : 'NOT GREEN') : r.caught ? 'caught' : 'MISSED'} in ${r.seconds.toFixed(0)} s: ${r.outcomes.map((o) => `${o.id}=${o.verdict}`).join(', ') || r.problem}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, queue.length) }, worker));
  const md = [
    `# Mutation suite (${opts.tier} tier)`,
    '',
    `${new Date().toISOString()}; ${results.filter((r) => r.asExpected).length}/${results.length} as expected; ${((performance.now() - t0) / 1000).toFixed(0)} s wall with ${opts.jobs} job(s).`,
    'Caught: `verify` exited 1 and at least one named claim read `fail` or `error`.',
    '',
    table(results),
    '',
  ].join('\n');
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(path.join(opts.out, 'mutants.md'), md);
  writeFileSync(path.join(opts.out, 'mutants.json'), JSON.stringify(results, null, 2));
  console.log(`\n${md}`);
  process.exitCode = results.every((r) => r.asExpected) ? 0 : 1;
}

await main();
