/**
 * The deep-VAE benchmark workload, shared by the main thread and its worker
 * threads: the engine's soft-clipped two-layer Gaussian VAE
 * (src/models/deep-vae/engine-model.ts, the model of adam-rate-deep-vae) on
 * the digits at the claim's full-tier sizes (50 images per digit pooled 2×2:
 * d_x = 196, hidden 64, d_z = 8, B = 10, K = 1, c = 0.3), bias-corrected Adam
 * with γ_k = 0.03 k^{-1/2}, trained by ReplicaTrainer (TensorFlow.js with a
 * leading replica dimension and autodiff).
 */
import { deriveSeed } from '../../src/engine/rng.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import { ReplicaTrainer } from '../../src/engine/trainer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { DeepVaeModel } from '../../src/models/deep-vae/engine-model.ts';
import { loadDigits } from '../../src/data/mnist.ts';

export const DEEP_SIZES = { perDigit: 50, pool: 2, hidden: 64, dz: 8, batchSize: 10, samples: 1, decoderStd: 0.3 } as const;
export const DEEP_SCHEDULE = { C: 0.03, alpha: 0.5 };
const MASTER = 'bench/deep-vae';

export function deepReplica(r: number): ReplicaSetting {
  return { label: `bench replica ${r}`, seed: deriveSeed(1, MASTER, 'replica', r), schedule: DEEP_SCHEDULE, batchSize: DEEP_SIZES.batchSize, samples: DEEP_SIZES.samples, beta: 1 };
}

/** The digits as the claim's full tier loads them (also written to a file for the PyTorch side). */
export function deepData(): { x: Float32Array; n: number; dx: number } {
  const d = loadDigits({ perDigit: DEEP_SIZES.perDigit, pool: DEEP_SIZES.pool });
  return { x: d.x, n: d.n, dx: d.dim };
}

const ADAM = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

function deepModel(kernelImplementation: 'auto' | 'js' = 'auto'): DeepVaeModel {
  const data = deepData();
  return new DeepVaeModel({
    dims: { dx: data.dx, hidden: DEEP_SIZES.hidden, dz: DEEP_SIZES.dz },
    data: data.x,
    decoderStd: DEEP_SIZES.decoderStd,
    init: { weightScale: 1, outputWeightScale: 0.1, outputBiasAtDataMean: true },
    kernelImplementation,
  });
}

const replicasIn = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => deepReplica(from + i));

/** A ReplicaTrainer (TensorFlow.js autodiff) on replicas [from, to) of the benchmark's batch. */
export function deepTrainer(from: number, to: number): ReplicaTrainer<unknown> {
  return new ReplicaTrainer(deepModel() as never, replicasIn(from, to), ADAM);
}

/**
 * A KernelTrainer (the closed-form kernel, src/models/deep-vae/kernel.ts) on
 * replicas [from, to): its JavaScript loop ('js') or its WebAssembly SIMD
 * port ('auto', where it loads). The two give the same bits.
 */
export function deepKernelTrainer(from: number, to: number, implementation: 'auto' | 'js'): KernelTrainer {
  return new KernelTrainer(deepModel(implementation), replicasIn(from, to), ADAM);
}
