/**
 * Replica-batching benchmark: replica-steps per second of the linear VAE
 * (d_x = 10, d_z = 3, B = 32, K = 1, N = 2000 synthetic points, SGD with
 * γ_k = 0.05 k^{-1/2}) trained
 *   - batched: one ReplicaTrainer holding all R replicas (distinct seeds), and
 *   - one at a time: R single-replica trainers stepped in turn (round robin).
 * For large R the one-at-a-time side times a representative subset of
 * trainers: a solo trainer's per-step cost does not depend on how many other
 * trainers exist, so replica-steps/s of the subset is that of all R.
 *
 * Usage: npx tsx bench/replica-batching.bench.ts [--backend wasm|cpu|tensorflow] [--quick]
 *
 * Benchmarks never gate CI: the ratio at R = 1024 is printed against its
 * target, but timing never makes this script exit non-zero (errors still do).
 */
import { performance } from 'node:perf_hooks';
import { tf, useBackend } from '../src/engine/backend.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import type { ReplicaSetting } from '../src/engine/replica.ts';
import { ReplicaTrainer } from '../src/engine/trainer.ts';
import { LinearVaeModel, type LinearVaeStepInputs } from '../src/models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../src/models/linear-vae/data.ts';

const REPLICA_COUNTS = [1, 64, 1024] as const;
const TARGET_R = 1024;
const TARGET_RATIO = 30;
/** At most this many solo trainers are timed one at a time. */
const SOLO_SUBSET = 64;
const DIMS = { dx: 10, dz: 3 };
const N = 2000;
const BATCH_SIZE = 32;
const SAMPLES = 1;
const SCHEDULE = { C: 0.05, alpha: 0.5 };
const NOISE_STD = 1;
const SIGMA_X = 1;
const MASTER = 'bench/replica-batching';

interface Args {
  backend: string | undefined;
  quick: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { backend: undefined, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--backend') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error('--backend needs a value (wasm, cpu or tensorflow)');
      args.backend = v;
    } else if (a.startsWith('--backend=')) args.backend = a.slice('--backend='.length);
    else if (a === '--help' || a === '-h') {
      console.log('usage: npx tsx bench/replica-batching.bench.ts [--backend wasm|cpu|tensorflow] [--quick]');
      process.exit(0);
    } else throw new Error(`unknown argument "${a}"; allowed: --backend NAME, --quick`);
  }
  return args;
}

interface Timing {
  /** Replica-steps per second. */
  rate: number;
  /** Replica-steps timed. */
  replicaSteps: number;
  seconds: number;
}

/** Chunks per measurement: batched and one-at-a-time chunks alternate, so load changes hit both sides alike. */
const CHUNKS = 4;

interface Workload {
  /** One unit of work: a batched step, or one round over the solo trainers. */
  unit: () => void;
  /** Replica-steps one unit performs. */
  replicaStepsPerUnit: number;
}

/** Warm up, then estimate seconds per unit from a run of at least `minSeconds`. */
function calibrate(w: Workload, warmupUnits: number, minSeconds: number): number {
  for (let i = 0; i < warmupUnits; i++) w.unit();
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) w.unit();
    const dt = (performance.now() - t0) / 1000;
    if (dt >= minSeconds) return dt / n;
    n *= dt > 0 ? Math.min(8, Math.max(2, Math.ceil(minSeconds / dt))) : 8;
  }
}

/**
 * Time each workload for about `targetSeconds`, in CHUNKS alternating chunks
 * whose unit counts come from calibration (fixed before timing starts).
 */
function timeInterleaved(ws: readonly Workload[], targetSeconds: number, warmupUnits: number): Timing[] {
  const perChunk = ws.map((w) => {
    const secondsPerUnit = calibrate(w, warmupUnits, targetSeconds / 6);
    return Math.max(1, Math.round(targetSeconds / CHUNKS / secondsPerUnit));
  });
  const seconds = ws.map(() => 0);
  for (let c = 0; c < CHUNKS; c++) {
    ws.forEach((w, i) => {
      const t0 = performance.now();
      for (let u = 0; u < perChunk[i]; u++) w.unit();
      seconds[i] += (performance.now() - t0) / 1000;
    });
  }
  return ws.map((w, i) => {
    const replicaSteps = CHUNKS * perChunk[i] * w.replicaStepsPerUnit;
    return { rate: replicaSteps / seconds[i], replicaSteps, seconds: seconds[i] };
  });
}

function replicaSetting(r: number): ReplicaSetting {
  return {
    label: `seed ${r}, B=${BATCH_SIZE}`,
    seed: deriveSeed(MASTER, 'replica', r),
    schedule: SCHEDULE,
    batchSize: BATCH_SIZE,
    samples: SAMPLES,
    beta: 1,
  };
}

function fmtRate(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await useBackend(args.backend ?? 'wasm');
  // Per-measurement target: ~3 s (full) keeps each within 2–4 s; --quick ~0.5 s.
  const targetSeconds = args.quick ? 0.5 : 3;
  const warmupSteps = args.quick ? 3 : 5;

  const data = generateLinearGaussianData({ n: N, ...DIMS, noiseStd: NOISE_STD, seed: deriveSeed(MASTER, 'data') });
  const model = new LinearVaeModel({ dims: DIMS, data: data.x, sigmaX: SIGMA_X });
  const optimizer = { kind: 'sgd' } as const;

  console.log(`replica-batching benchmark${args.quick ? ' (--quick)' : ''}`);
  console.log(
    `backend: ${backend.name} (tfjs ${backend.tfjsVersion}, ${backend.precision}); linear VAE d_x=${DIMS.dx}, d_z=${DIMS.dz}, ` +
      `B=${BATCH_SIZE}, K=${SAMPLES}, N=${N}; SGD γ_k = ${SCHEDULE.C}·k^-${SCHEDULE.alpha}`,
  );
  console.log(`each measurement ~${targetSeconds} s (${CHUNKS} chunks, alternating batched / one at a time) after ${warmupSteps} warm-up steps per trainer\n`);

  // Global warm-up (JIT, wasm kernels, allocator) so the first measurement is not penalised.
  {
    const warmEnd = performance.now() + (args.quick ? 400 : 1500);
    const warmReplicas = Array.from({ length: 65 }, (_, r) => replicaSetting(-1 - r));
    const warm = [
      new ReplicaTrainer<LinearVaeStepInputs>(model, warmReplicas.slice(0, 1), optimizer),
      new ReplicaTrainer<LinearVaeStepInputs>(model, warmReplicas.slice(1), optimizer),
    ];
    try {
      while (performance.now() < warmEnd) for (const t of warm) t.advance();
    } finally {
      for (const t of warm) t.dispose();
    }
  }

  interface Row {
    R: number;
    batched: Timing;
    solo: Timing;
    soloTrainers: number;
  }
  const rows: Row[] = [];
  const tensorsBefore = tf.memory().numTensors;

  for (const R of REPLICA_COUNTS) {
    // Batched: one trainer, R replicas. One at a time: M ≤ SOLO_SUBSET
    // single-replica trainers (the first M of the same replicas), round robin.
    // All trainers are created before and disposed after the timed region.
    const replicas = Array.from({ length: R }, (_, r) => replicaSetting(r));
    const M = Math.min(R, SOLO_SUBSET);
    const trainers: ReplicaTrainer<LinearVaeStepInputs>[] = [];
    let batched: Timing;
    let solo: Timing;
    try {
      const batchedTrainer = new ReplicaTrainer<LinearVaeStepInputs>(model, replicas, optimizer);
      trainers.push(batchedTrainer);
      const soloTrainers = replicas.slice(0, M).map((rep) => new ReplicaTrainer<LinearVaeStepInputs>(model, [rep], optimizer));
      trainers.push(...soloTrainers);
      [batched, solo] = timeInterleaved(
        [
          { unit: () => void batchedTrainer.advance(), replicaStepsPerUnit: R },
          {
            unit: () => {
              for (const t of soloTrainers) t.advance();
            },
            replicaStepsPerUnit: M,
          },
        ],
        targetSeconds,
        warmupSteps,
      );
    } finally {
      for (const t of trainers) t.dispose();
    }

    rows.push({ R, batched, solo, soloTrainers: M });
    console.log(
      `  R=${R}: batched ${fmtRate(batched.rate)} replica-steps/s (${batched.replicaSteps / R} steps, ${batched.seconds.toFixed(2)} s); ` +
        `one at a time ${fmtRate(solo.rate)} replica-steps/s (${M} trainer${M === 1 ? '' : 's'}, ` +
        `${solo.replicaSteps / M} rounds, ${solo.seconds.toFixed(2)} s)`,
    );
  }

  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked !== 0) console.log(`\nwarning: ${leaked} tensor(s) not disposed during the benchmark (engine leak?)`);

  const header = ['R', 'batched replica-steps/s', 'one-at-a-time replica-steps/s', 'ratio', 'note'];
  const body = rows.map((row) => [
    String(row.R),
    fmtRate(row.batched.rate),
    fmtRate(row.solo.rate),
    `${(row.batched.rate / row.solo.rate).toFixed(1)}x`,
    row.soloTrainers < row.R ? `one-at-a-time timed on ${row.soloTrainers} of ${row.R} trainers` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(`\nbackend: ${backend.name}`);
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i === 0 || i === 4 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const b of body) console.log(line(b));

  const target = rows.find((r) => r.R === TARGET_R);
  if (target) {
    const ratio = target.batched.rate / target.solo.rate;
    const verdict = ratio >= TARGET_RATIO ? 'meets' : 'MISSES';
    console.log(
      `\nR=${TARGET_R}: batched / one-at-a-time = ${ratio.toFixed(1)}x; target ≥ ${TARGET_RATIO}x: ${verdict} ` +
        `(informational only; timing never fails this script)`,
    );
  }
}

try {
  await main();
} catch (err) {
  // Bad arguments or an unavailable backend: a clear message, not a stack trace.
  console.error(`replica-batching benchmark: ${(err as Error).message}`);
  process.exitCode = 1;
}
