/**
 * Replica-batching benchmark: replica-steps per second of the linear VAE
 * (d_x = 10, d_z = 3, B = 32, K = 1, N = 2000 synthetic points, SGD with
 * γ_k = 0.05 k^{-1/2}) at R = 1, 64, 1024 replicas, trained by
 *   - the engine: the kernel trainer (analytic gradient, one fused step per replica),
 *     whose linear VAE step runs on the WebAssembly SIMD kernel
 *     (src/models/linear-vae/kernel-wasm.ts), and the same trainer on the JavaScript
 *     kernel it ports (bitwise the same results; the column "JS kernel");
 *   - the engine's TensorFlow.js path: ReplicaTrainer, all R replicas as one
 *     tensor program with autodiff (what models without a kernel use);
 *   - the naive baseline: one run at a time, tf.train.sgd + autodiff
 *     (bench/lib/naive-linear-vae.ts), timed on min(R, 4) runs round robin —
 *     a run's per-step cost does not depend on how many other runs exist;
 *   - the engine on both cores: the R = 64 and R = 1024 batches split over 2 worker threads
 *     (each kernel), against PyTorch on both cores (issue 13's target: ≥ 10x at both);
 *   - PyTorch, when `python3 -c "import torch"` works (Debian python3-torch):
 *     the same workload batched with torch.bmm on every core (bench/pytorch_linear_vae.py),
 *     timed in rounds with the engine on both cores (TORCH_ROUNDS: the target line reads the
 *     median of the rounds' ratios).
 * Ratios are measured in this one run; batched, TF.js and naive chunks
 * alternate so load changes hit all sides alike.
 *
 * Usage: npx tsx bench/replica-batching.bench.ts [--backend wasm|cpu|tensorflow] [--quick]
 *
 * Benchmarks never gate CI: targets are printed, but timing never makes this
 * script exit non-zero (errors still do).
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { tf, useBackend } from '../src/engine/backend.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import type { ReplicaSetting } from '../src/engine/replica.ts';
import { ReplicaTrainer } from '../src/engine/trainer.ts';
import { KernelTrainer } from '../src/engine/kernel-trainer.ts';
import { LinearVaeModel, type LinearVaeStepInputs } from '../src/models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../src/models/linear-vae/data.ts';
import { NaiveLinearVaeRun } from './lib/naive-linear-vae.ts';
import { parseBenchArgs } from './lib/args.ts';

const REPLICA_COUNTS = [1, 64, 1024] as const;
/** Targets (issue 7): ≥ 5x the naive baseline at R = 64; ≥ 200k replica-steps/s at R = 1024. */
const NAIVE_RATIO_TARGET = { R: 64, ratio: 5 };
const RATE_TARGET = { R: 1024, rate: 200_000 };
/** Target (issue 13): the engine ≥ 10x PyTorch (both on both cores) at R = 64 and 1024. */
const TORCH_RATIO_TARGET = { R: [64, 1024], ratio: 10 };
/**
 * Rounds of the issue-13 comparison: PyTorch (its own process) and the engine on both cores,
 * one after the other, this many times (the first round is the table's). This machine's speed
 * swings by a third within seconds (a process measured at 290k replica-steps/s, the next at
 * 175k, the code unchanged), and PyTorch runs in another process at another moment than the
 * engine, so one round's ratio can be caught in a slow phase on one side; the target line reads
 * the median of the rounds' ratios, and prints each.
 */
const TORCH_ROUNDS = 3;
/** Replica counts also timed split over both cores (R = 1 does not split). */
const TWO_CORE_COUNTS = [64, 1024] as const;
/** At most this many naive runs are timed one at a time. */
const NAIVE_SUBSET = 4;
const WORKERS = 2;
const DIMS = { dx: 10, dz: 3 };
const N = 2000;
const BATCH_SIZE = 32;
const SAMPLES = 1;
const SCHEDULE = { C: 0.05, alpha: 0.5 };
const NOISE_STD = 1;
const SIGMA_X = 1;
const MASTER = 'bench/replica-batching';

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

function fmtRate(x: number | undefined): string {
  if (x === undefined) return '—';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(1)}x`);

/** The kernel engine on `WORKERS` worker threads, each training its share of the R replicas. */
async function timeKernelOnWorkers(data: Float32Array, R: number, seconds: number, kernelImplementation: 'auto' | 'js'): Promise<Timing> {
  const replicas = Array.from({ length: R }, (_, r) => replicaSetting(r));
  const share = Math.ceil(R / WORKERS);
  const workers = Array.from({ length: WORKERS }, (_, w) =>
    new Worker(fileURLToPath(new URL('./lib/kernel-share.worker.mjs', import.meta.url)), {
      workerData: { data, dims: DIMS, sigmaX: SIGMA_X, replicas: replicas.slice(w * share, (w + 1) * share), kernelImplementation },
    }),
  );
  const run = (steps: number) =>
    Promise.all(
      workers.map(
        (wk) =>
          new Promise<void>((resolve, reject) => {
            wk.once('message', () => resolve());
            wk.once('error', reject);
            wk.postMessage({ steps });
          }),
      ),
    );
  try {
    await run(3); // warm-up (JIT)
    let steps = 2;
    for (;;) {
      const t0 = performance.now();
      await run(steps);
      const dt = (performance.now() - t0) / 1000;
      if (dt >= seconds) return { rate: (R * steps) / dt, replicaSteps: R * steps, seconds: dt };
      steps = Math.ceil(steps * Math.min(8, Math.max(2, (1.2 * seconds) / Math.max(dt, 1e-3))));
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

interface TorchRow {
  R: number;
  rate: number;
  threads: number;
  torch: string;
}

/** Interpreters tried in turn: the one on PATH, then Debian's (where python3-torch installs). */
const PYTHONS = ['python3', '/usr/bin/python3'];

/** PyTorch's rates, or why it was skipped. */
function timePyTorch(seconds: number): { rows: TorchRow[]; python: string } | { skipped: string } {
  const python = PYTHONS.find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
  if (!python) return { skipped: `none of ${PYTHONS.join(', ')} can import torch (Debian: apt-get install python3-torch)` };
  const script = fileURLToPath(new URL('./pytorch_linear_vae.py', import.meta.url));
  const out = spawnSync(python, [script, String(seconds), ...REPLICA_COUNTS.map(String)], { encoding: 'utf8', timeout: 600_000 });
  if (out.status !== 0) return { skipped: `the PyTorch script failed: ${(out.stderr || String(out.error)).trim().split('\n').pop()}` };
  return { python, rows: out.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchRow) };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), 'bench/replica-batching.bench.ts');
  const backend = await useBackend(args.backend ?? 'wasm');
  // Per-measurement target: ~3 s (full) keeps each within 2–4 s; --quick ~0.5 s.
  const targetSeconds = args.quick ? 0.5 : 3;
  const warmupSteps = args.quick ? 3 : 5;

  const generated = generateLinearGaussianData({ n: N, ...DIMS, noiseStd: NOISE_STD, seed: deriveSeed(MASTER, 'data') });
  const data = Float32Array.from(generated.x);
  const model = new LinearVaeModel({ dims: DIMS, data, sigmaX: SIGMA_X });
  const modelJs = new LinearVaeModel({ dims: DIMS, data, sigmaX: SIGMA_X, kernelImplementation: 'js' });
  const optimizer = { kind: 'sgd' } as const;
  const dataTensor = tf.tensor2d(data, [N, DIMS.dx]);
  const naiveRun = (r: number) =>
    new NaiveLinearVaeRun({ data: dataTensor, dz: DIMS.dz, batchSize: BATCH_SIZE, sigmaX: SIGMA_X, C: SCHEDULE.C, seed: deriveSeed(MASTER, 'naive', r) });

  console.log(`replica-batching benchmark${args.quick ? ' (--quick)' : ''}`);
  console.log(
    `backend: ${backend.name} (tfjs ${backend.tfjsVersion}, ${backend.precision}); linear VAE d_x=${DIMS.dx}, d_z=${DIMS.dz}, ` +
      `B=${BATCH_SIZE}, K=${SAMPLES}, N=${N}; SGD γ_k = ${SCHEDULE.C}·k^-${SCHEDULE.alpha}`,
  );
  console.log(`each measurement ~${targetSeconds} s (${CHUNKS} alternating chunks) after ${warmupSteps} warm-up steps\n`);

  // Global warm-up (JIT, wasm kernels, allocator) so the first measurement is not penalised.
  {
    const warmEnd = performance.now() + (args.quick ? 400 : 1500);
    const warmReplicas = Array.from({ length: 65 }, (_, r) => replicaSetting(-1 - r));
    const autodiff = new ReplicaTrainer<LinearVaeStepInputs>(model, warmReplicas, optimizer);
    const kernel = new KernelTrainer(model, warmReplicas, optimizer);
    const kernelJs = new KernelTrainer(modelJs, warmReplicas, optimizer);
    const naive = naiveRun(-1);
    try {
      while (performance.now() < warmEnd) {
        autodiff.advance();
        kernel.advance();
        kernelJs.advance();
        naive.step();
      }
    } finally {
      autodiff.dispose();
      naive.dispose();
    }
  }

  interface Row {
    R: number;
    kernel: Timing;
    kernelJs: Timing;
    autodiff: Timing;
    naive: Timing;
    naiveRuns: number;
  }
  const rows: Row[] = [];
  const tensorsBefore = tf.memory().numTensors;

  for (const R of REPLICA_COUNTS) {
    const replicas = Array.from({ length: R }, (_, r) => replicaSetting(r));
    const M = Math.min(R, NAIVE_SUBSET);
    const kernel = new KernelTrainer(model, replicas, optimizer);
    const kernelJs = new KernelTrainer(modelJs, replicas, optimizer);
    const autodiff = new ReplicaTrainer<LinearVaeStepInputs>(model, replicas, optimizer);
    const naive = Array.from({ length: M }, (_, r) => naiveRun(r));
    try {
      const [k, kj, a, n] = timeInterleaved(
        [
          { unit: () => void kernel.advance(), replicaStepsPerUnit: R },
          { unit: () => void kernelJs.advance(), replicaStepsPerUnit: R },
          { unit: () => void autodiff.advance(), replicaStepsPerUnit: R },
          { unit: () => naive.forEach((run) => run.step()), replicaStepsPerUnit: M },
        ],
        targetSeconds,
        warmupSteps,
      );
      rows.push({ R, kernel: k, kernelJs: kj, autodiff: a, naive: n, naiveRuns: M });
    } finally {
      autodiff.dispose();
      naive.forEach((run) => run.dispose());
    }
    const row = rows[rows.length - 1];
    console.log(
      `  R=${R}: engine ${fmtRate(row.kernel.rate)} (JS kernel ${fmtRate(row.kernelJs.rate)}), TF.js batched ${fmtRate(row.autodiff.rate)}, ` +
        `naive ${fmtRate(row.naive.rate)} replica-steps/s (naive timed on ${M} run${M === 1 ? '' : 's'})`,
    );
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  dataTensor.dispose();
  if (leaked !== 0) console.log(`\nwarning: ${leaked} tensor(s) not disposed during the benchmark (engine leak?)`);

  // Both cores at every R that splits (PyTorch runs on both cores too: issue 13 compares like with like).
  const twoCoreRows: { R: number; kernel: Timing; kernelJs: Timing }[] = [];
  for (const R of TWO_CORE_COUNTS) {
    const kernel = await timeKernelOnWorkers(data, R, targetSeconds, 'auto');
    const kernelJs = await timeKernelOnWorkers(data, R, targetSeconds, 'js');
    twoCoreRows.push({ R, kernel, kernelJs });
    console.log(`  R=${R} on ${WORKERS} worker threads: engine ${fmtRate(kernel.rate)} (JS kernel ${fmtRate(kernelJs.rate)}) replica-steps/s`);
  }
  const twoCore = twoCoreRows.find((r) => r.R === RATE_TARGET.R)!.kernel;

  const torch = timePyTorch(targetSeconds);
  const torchRate = (R: number) => ('rows' in torch ? torch.rows.find((t) => t.R === R)?.rate : undefined);

  const header = ['R', 'engine', 'JS kernel', 'engine/JS kernel', 'TF.js batched', 'naive', 'engine/naive', 'TF.js batched/naive', 'PyTorch', 'engine/PyTorch', 'JS kernel/PyTorch'];
  const body = rows.map((row) => [
    String(row.R),
    fmtRate(row.kernel.rate),
    fmtRate(row.kernelJs.rate),
    ratio(row.kernel.rate, row.kernelJs.rate),
    fmtRate(row.autodiff.rate),
    fmtRate(row.naive.rate),
    ratio(row.kernel.rate, row.naive.rate),
    ratio(row.autodiff.rate, row.naive.rate),
    fmtRate(torchRate(row.R)),
    ratio(row.kernel.rate, torchRate(row.R)),
    ratio(row.kernelJs.rate, torchRate(row.R)),
  ]);
  for (const row of twoCoreRows) {
    body.push([
      `${row.R} (${WORKERS} cores)`,
      fmtRate(row.kernel.rate),
      fmtRate(row.kernelJs.rate),
      ratio(row.kernel.rate, row.kernelJs.rate),
      '—',
      '—',
      '—',
      '—',
      fmtRate(torchRate(row.R)),
      ratio(row.kernel.rate, torchRate(row.R)),
      ratio(row.kernelJs.rate, torchRate(row.R)),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(`\nreplica-steps/s, backend ${backend.name} (engine = analytic kernel trainer on the WebAssembly SIMD kernel; JS kernel = the same trainer on the JavaScript kernel, same bits; TF.js batched = autodiff ReplicaTrainer; naive = one run at a time, tf.train.sgd)`);
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const b of body) console.log(line(b));
  if ('skipped' in torch) console.log(`PyTorch: skipped: ${torch.skipped}`);
  else console.log(`PyTorch ${torch.rows[0]?.torch} (${torch.python}) on ${torch.rows[0]?.threads} thread(s)`);

  const at64 = rows.find((r) => r.R === NAIVE_RATIO_TARGET.R);
  if (at64) {
    const x = at64.kernel.rate / at64.naive.rate;
    console.log(`\nR=${NAIVE_RATIO_TARGET.R}: engine / naive = ${x.toFixed(1)}x; target ≥ ${NAIVE_RATIO_TARGET.ratio}x: ${x >= NAIVE_RATIO_TARGET.ratio ? 'meets' : 'MISSES'}`);
  }
  if ('rows' in torch) {
    // Round 1 is the table's; the others time PyTorch and the engine on both cores again, in turn.
    const ratios = new Map<number, number[]>(TORCH_RATIO_TARGET.R.map((R) => [R, []]));
    const rounds = args.quick ? 1 : TORCH_ROUNDS;
    for (let round = 0; round < rounds; round++) {
      const t = round === 0 ? torch : timePyTorch(targetSeconds);
      if (!('rows' in t)) break;
      for (const R of TORCH_RATIO_TARGET.R) {
        const torchAt = t.rows.find((row) => row.R === R)?.rate;
        const best =
          round === 0
            ? Math.max(rows.find((r) => r.R === R)?.kernel.rate ?? 0, twoCoreRows.find((r) => r.R === R)?.kernel.rate ?? 0)
            : (await timeKernelOnWorkers(data, R, targetSeconds, 'auto')).rate;
        if (torchAt === undefined || best === 0) continue;
        ratios.get(R)!.push(best / torchAt);
        if (round > 0) console.log(`  round ${round + 1}, R=${R}: engine ${fmtRate(best)} (${WORKERS} cores), PyTorch ${fmtRate(torchAt)} replica-steps/s`);
      }
    }
    for (const R of TORCH_RATIO_TARGET.R) {
      const xs = ratios.get(R)!;
      if (xs.length === 0) continue;
      const x = [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
      console.log(
        `R=${R}: engine (round 1: best of 1 and ${WORKERS} cores; then ${WORKERS} cores) / PyTorch (${WORKERS} cores), by round ${xs.map((v) => `${v.toFixed(1)}x`).join(', ')}; ` +
          `median ${x.toFixed(1)}x; target (issue 13) ≥ ${TORCH_RATIO_TARGET.ratio}x: ${x >= TORCH_RATIO_TARGET.ratio ? 'meets' : 'MISSES'}`,
      );
    }
  }
  const atTarget = rows.find((r) => r.R === RATE_TARGET.R);
  if (atTarget) {
    const best = Math.max(atTarget.kernel.rate, twoCore.rate);
    console.log(
      `R=${RATE_TARGET.R}: ${fmtRate(atTarget.kernel.rate)} (1 core), ${fmtRate(twoCore.rate)} (${WORKERS} cores) replica-steps/s; ` +
        `target ≥ ${fmtRate(RATE_TARGET.rate)}: ${best >= RATE_TARGET.rate ? 'meets' : 'MISSES'} (informational only; timing never fails this script)`,
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
