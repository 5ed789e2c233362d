/**
 * Empirical-NTK benchmark (family N, the cost centre of its claims): time to
 * build the tangent-kernel Gram matrix Θ = J Jᵀ for n = 64 inputs on S^31 and
 * width m = 4096, printed next to the time of one forward pass of the same
 * replica batch, as a ratio. Three ways of building Θ:
 *   - batched: WideReluBatch.tangentKernels — closed per-example structure of
 *     the one-hidden-layer net, R replicas, rank-2 matMuls (the claims' path);
 *   - stochastic: StochasticLatentBatch.tangentKernels (K = 16 noise draws),
 *     three group kernels, R replicas;
 *   - autodiff: plain per-example tf.grad (n backward passes, J stacked,
 *     J Jᵀ) for ONE replica — the reference the batched path is tested against.
 * Reported: seconds per build, Gram/forward ratios and the per-replica
 * speed-up of the batched path over per-example autodiff.
 *
 * Usage: npx tsx bench/ntk-gram.bench.ts [--backend wasm|cpu|tensorflow] [--quick]
 * Benchmarks never gate CI: timings are printed, never asserted.
 */
import { performance } from 'node:perf_hooks';
import { tf, useBackend } from '../src/engine/backend.ts';
import { deriveSeed } from '../src/engine/rng.ts';
import { sphereInputs } from '../src/models/ntk/data.ts';
import { GROUPS, referenceOutput, WideReluBatch, type Group } from '../src/models/ntk/wide-relu.ts';
import { StochasticLatentBatch } from '../src/models/ntk/stochastic-latent.ts';
import { autodiffTangentKernel } from '../src/models/ntk/empirical-ntk.ts';
import { parseBenchArgs } from './lib/args.ts';

const N_POINTS = 64;
const D = 32;
const WIDTH = 4096;
const ARCH = { d: D, width: WIDTH, sigmaW: Math.SQRT2, sigmaB: 0.1 };
const MASTER = 'bench/ntk-gram';


/** Median seconds of `reps` runs after one warm-up run; `fn` must dispose what it creates. */
function time(fn: () => void, reps: number): number {
  fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push((performance.now() - t0) / 1000);
  }
  out.sort((a, b) => a - b);
  return out[Math.floor(out.length / 2)];
}

function fmt(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), 'bench/ntk-gram.bench.ts');
  const backend = await useBackend(args.backend ?? 'wasm');
  const R = args.quick ? 2 : 8;
  const reps = args.quick ? 2 : 5;
  console.log(`empirical-NTK benchmark${args.quick ? ' (--quick)' : ''}`);
  console.log(`backend: ${backend.name} (tfjs ${backend.tfjsVersion}, ${backend.precision}); n = ${N_POINTS} inputs on S^${D - 1}, m = ${WIDTH}, R = ${R} replicas; median of ${reps} runs\n`);
  const before = tf.memory().numTensors;
  const data = sphereInputs(N_POINTS, D, deriveSeed(MASTER, 'data'));
  const X = tf.tensor2d(Float32Array.from(data.x), [N_POINTS, D]);
  const replicas = Array.from({ length: R }, (_, r) => ({ label: `${r}`, seed: deriveSeed(MASTER, 'replica', r), parameterisation: 'ntk' as const, antisymmetric: false }));
  const batch = new WideReluBatch(ARCH, replicas);
  const snn = new StochasticLatentBatch({ ...ARCH, samples: 16 }, replicas.map((r) => ({ ...r, noise: 'stratified' as const })));
  try {
    const forward = time(() => batch.forward(X).dispose(), reps);
    const gram = time(() => {
      const k = batch.tangentKernels(X);
      k.total.dataSync();
      tf.dispose([k.total, ...Object.values(k.groups)]);
    }, reps);
    const snnForward = time(() => snn.forward(X).dispose(), reps);
    const snnGram = time(() => {
      const k = snn.tangentKernels(X);
      k.total.dataSync();
      tf.dispose([k.total, k.readout, k.mean, k.variance]);
    }, reps);
    // Per-example autodiff for one replica (θ of replica 0, plain tf network).
    const theta = batch.replicaTheta(0);
    const th: Record<Group, tf.Tensor> = tf.tidy(() => ({
      W: tf.tensor2d(Float32Array.from(theta.W), [WIDTH, D]).expandDims(0),
      b: tf.tensor1d(Float32Array.from(theta.b)).expandDims(0),
      a: tf.tensor1d(Float32Array.from(theta.a)).expandDims(0),
      b0: tf.tensor1d(Float32Array.from(theta.b0)).expandDims(0),
    }));
    const autodiff = time(() => {
      const k = autodiffTangentKernel({
        params: th,
        n: N_POINTS,
        exampleOutput: (p, i) => {
          const sq = Object.fromEntries(GROUPS.map((g) => [g, p[g].squeeze([0])])) as Record<Group, tf.Tensor>;
          return referenceOutput(ARCH, 'ntk', sq, X.slice([i, 0], [1, D]));
        },
      });
      k.total.dataSync();
      k.total.dispose();
    }, args.quick ? 1 : 3);
    tf.dispose(Object.values(th));
    const rows = [
      ['forward pass (R replicas)', fmt(forward), '1'],
      ['Θ batched closed structure (R replicas)', fmt(gram), (gram / forward).toFixed(1)],
      ['stochastic net forward (R replicas, K = 16)', fmt(snnForward), '—'],
      ['stochastic net, 3 group kernels (R replicas)', fmt(snnGram), `${(snnGram / snnForward).toFixed(1)} (vs its forward)`],
      ['Θ per-example tf.grad (1 replica)', fmt(autodiff), ((autodiff * R) / forward).toFixed(1) + ' (per R replicas)'],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    console.log(`${'what'.padEnd(w0)}  ${'time'.padStart(10)}  ratio to forward`);
    for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(10)}  ${r[2]}`);
    console.log(`\nbatched Gram vs per-example autodiff, per replica: ${(autodiff / (gram / R)).toFixed(0)}× faster`);
  } finally {
    batch.dispose();
    snn.dispose();
    X.dispose();
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`benchmark leaked ${leaked} tensors`);
}

main().catch((err) => {
  // Bad arguments or an unavailable backend: a clear message, not a stack trace.
  console.error(`ntk-gram benchmark: ${(err as Error).message}`);
  process.exit(1);
});
