/**
 * Deep-VAE benchmark: replica-steps per second of the engine's soft-clipped
 * two-layer Gaussian VAE on the digits at adam-rate-deep-vae's full-tier sizes
 * (bench/lib/deep-vae-workload.ts: d_x = 196, hidden 64, d_z = 8, B = 10,
 * K = 1, Adam, γ_k = 0.03 k^{-1/2}) at R = 1, 64, 1024 replicas, trained by
 *   - the engine on one core: ReplicaTrainer, all R replicas as one
 *     TensorFlow.js program with autodiff (the path a user's own model takes);
 *   - the engine on both cores: the batch split over 2 worker threads, each
 *     with its own wasm backend (replicas never interact, so a split batch
 *     computes the same trajectories);
 *   - the engine's closed-form kernel on one core (KernelTrainer, what
 *     createTrainer picks for this model): its JavaScript loop and its
 *     WebAssembly SIMD port (src/models/deep-vae/kernel-wasm.ts, the same
 *     bits), at R ≤ 64 (a kernel steps one replica at a time, so its rate
 *     does not depend on R); in both, the Adam update runs as its WebAssembly
 *     SIMD port where that loads (src/engine/kernel-optimizer-wasm.ts; forced
 *     to JavaScript by VAE_CLAIMS_OPTIMIZER_KERNEL=js);
 *   - PyTorch, when `python3 -c "import torch"` works (Debian python3-torch):
 *     the same network batched with torch.baddbmm on every core
 *     (bench/pytorch_deep_vae.py).
 * Prints the rates and the ratios engine / PyTorch measured in this one run
 * (issue 13's target: engine on both cores ≥ PyTorch at R = 64).
 *
 * Usage: npx tsx bench/deep-vae.bench.ts [--backend wasm|cpu|tensorflow] [--quick]
 * (--quick: R = 1 and 64 only, shorter timings). Never gates CI on times.
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { useBackend } from '../src/engine/backend.ts';
import { parseBenchArgs } from './lib/args.ts';
import { DEEP_SIZES, deepData, deepKernelTrainer, deepTrainer } from './lib/deep-vae-workload.ts';
import { deepVaeKernelImplementation } from '../src/models/deep-vae/kernel-wasm.ts';

const WORKERS = 2;
const TARGET = { R: 64, ratio: 1 };

interface Timing {
  rate: number;
  steps: number;
  seconds: number;
}

/** Warm-up steps, then doubling step counts until one timed run lasts `seconds` (at least 2 steps). */
async function timeSteps(run: (steps: number) => Promise<void> | void, R: number, seconds: number): Promise<Timing> {
  await run(2);
  let steps = 2;
  for (;;) {
    const t0 = performance.now();
    await run(steps);
    const dt = (performance.now() - t0) / 1000;
    if (dt >= seconds) return { rate: (R * steps) / dt, steps, seconds: dt };
    steps = Math.ceil(steps * Math.min(8, Math.max(2, (1.2 * seconds) / Math.max(dt, 1e-3))));
  }
}

async function timeOneCore(R: number, seconds: number): Promise<Timing> {
  const trainer = deepTrainer(0, R);
  try {
    return await timeSteps((steps) => {
      for (let i = 0; i < steps; i++) trainer.advance();
    }, R, seconds);
  } finally {
    trainer.dispose();
  }
}

async function timeKernel(R: number, seconds: number, implementation: 'auto' | 'js'): Promise<Timing> {
  const trainer = deepKernelTrainer(0, R, implementation);
  return timeSteps((steps) => {
    for (let i = 0; i < steps; i++) trainer.advance();
  }, R, seconds);
}

/** Kernels are timed at these R only (their rate per replica-step does not depend on R). */
const KERNEL_MAX_R = 64;

async function timeWorkers(R: number, seconds: number): Promise<Timing> {
  const share = Math.ceil(R / WORKERS);
  const workers = Array.from({ length: WORKERS }, (_, w) =>
    new Worker(fileURLToPath(new URL('./lib/deep-vae-share.worker.mjs', import.meta.url)), { workerData: { from: w * share, to: Math.min(R, (w + 1) * share) } }),
  );
  const next = (wk: Worker) =>
    new Promise<void>((resolve, reject) => {
      wk.once('message', () => resolve());
      wk.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next)); // 'ready': backend loaded, trainer built
    return await timeSteps((steps) => Promise.all(workers.map((wk) => { const p = next(wk); wk.postMessage({ steps }); return p; })).then(() => undefined), R, seconds);
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

const PYTHONS = ['python3', '/usr/bin/python3'];

function timePyTorch(seconds: number, counts: readonly number[]): { rows: TorchRow[]; python: string } | { skipped: string } {
  const python = PYTHONS.find((py) => spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0);
  if (!python) return { skipped: `none of ${PYTHONS.join(', ')} can import torch and numpy (Debian: apt-get install python3-torch)` };
  const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-bench-'));
  try {
    const data = deepData();
    const file = path.join(dir, 'digits.f32');
    writeFileSync(file, Buffer.from(data.x.buffer, data.x.byteOffset, data.x.byteLength));
    const script = fileURLToPath(new URL('./pytorch_deep_vae.py', import.meta.url));
    const out = spawnSync(python, [script, String(seconds), file, String(data.dx), String(DEEP_SIZES.hidden), String(DEEP_SIZES.dz), ...counts.map(String)], { encoding: 'utf8', timeout: 1_200_000 });
    if (out.status !== 0) throw new Error(`PyTorch benchmark failed: ${out.stderr}`);
    return { python, rows: out.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchRow) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number | undefined) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), 'bench/deep-vae.bench.ts');
  const backend = await useBackend(args.backend ?? 'wasm');
  const counts = args.quick ? [1, 64] : [1, 64, 1024];
  const seconds = args.quick ? 1 : 4;
  const data = deepData();
  console.log(`deep-VAE benchmark: backend ${backend.name}, d_x = ${data.dx}, hidden ${DEEP_SIZES.hidden}, d_z = ${DEEP_SIZES.dz}, B = ${DEEP_SIZES.batchSize}, N = ${data.n}, Adam; replica-steps/s`);
  const wasm = deepVaeKernelImplementation();
  console.log(`closed-form kernel: JavaScript loop, and ${wasm === 'wasm-simd' ? 'its WebAssembly SIMD port' : 'no WebAssembly SIMD port (it cannot load here: the wasm column repeats the JavaScript loop)'}`);
  const rows: { R: number; one: Timing; two?: Timing; js?: Timing; wasm?: Timing }[] = [];
  for (const R of counts) {
    const one = await timeOneCore(R, seconds);
    const two = R >= WORKERS ? await timeWorkers(R, seconds) : undefined;
    const js = R <= KERNEL_MAX_R ? await timeKernel(R, seconds, 'js') : undefined;
    const wasmRate = R <= KERNEL_MAX_R ? await timeKernel(R, seconds, 'auto') : undefined;
    rows.push({ R, one, two, js, wasm: wasmRate });
    console.log(`  R = ${R}: engine (autodiff) 1 core ${fmt(one.rate)}${two ? `, 2 cores ${fmt(two.rate)}` : ''}${js && wasmRate ? `; kernel 1 core: JavaScript ${fmt(js.rate)}, ${wasm} ${fmt(wasmRate.rate)}` : ''}`);
  }
  const torch = timePyTorch(seconds, counts);
  if ('skipped' in torch) console.log(`PyTorch skipped: ${torch.skipped}`);
  else console.log(`PyTorch ${torch.rows[0]?.torch} (${torch.python}) on ${torch.rows[0]?.threads} thread(s)`);
  const best = (r: (typeof rows)[number]) => Math.max(r.one.rate, r.two?.rate ?? 0, r.js?.rate ?? 0, r.wasm?.rate ?? 0);
  console.log(`\n| R | engine autodiff, 1 core | engine autodiff, 2 cores | kernel JavaScript, 1 core | kernel ${wasm}, 1 core | PyTorch | engine (best) / PyTorch |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const t = 'rows' in torch ? torch.rows.find((x) => x.R === r.R)?.rate : undefined;
    console.log(`| ${r.R} | ${fmt(r.one.rate)} | ${fmt(r.two?.rate)} | ${fmt(r.js?.rate)} | ${fmt(r.wasm?.rate)} | ${fmt(t)} | ${t ? (best(r) / t).toFixed(2) : '—'} |`);
  }
  if ('rows' in torch) {
    const t = torch.rows.find((x) => x.R === TARGET.R)?.rate;
    const r = rows.find((x) => x.R === TARGET.R);
    if (t && r) console.log(`\ntarget (issue 13): engine ≥ ${TARGET.ratio}x PyTorch at R = ${TARGET.R}: ${(best(r) / t).toFixed(2)}x`);
  }
}

await main();
