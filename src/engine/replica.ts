/**
 * A replica is one independent training run inside a replica batch: its own
 * seed and its own hyperparameters. Everything random about it (initialisation,
 * data order, reparameterisation noise) comes from streams derived from its
 * seed alone, so its trajectory does not depend on its batch-mates.
 */
import { CounterNormalStream } from './counter-normals.ts';
import { RandomStream } from './rng.ts';
import type { StepSchedule } from './schedule.ts';

export interface ReplicaSetting {
  /** Human-readable name used in reports and error messages, e.g. "seed 3, B=32". */
  label: string;
  /** The replica's own seed (derive it from the master seed with deriveSeed). */
  seed: number;
  schedule: StepSchedule;
  /** Mini-batch size B (data points per step). */
  batchSize: number;
  /** Reparameterised samples K per data point (without `samplesSchedule`: at every step). */
  samples: number;
  /**
   * A number of samples that grows with the step (kernel trainer only):
   * K_k = min(Kmax, ⌈K0·k^a⌉) at step k = 1, 2, … (biased-sa-rate: the IWAE
   * gradient's O(1/K) bias then decays like k^{-a}). Absent: K_k = samples.
   */
  samplesSchedule?: SamplesSchedule;
  /** Weight of the KL term (β-VAE); 1 is the plain ELBO. */
  beta: number;
}

export interface SamplesSchedule {
  K0: number;
  a: number;
  /** Cap on K_k (the cost of a step grows with K_k). */
  Kmax: number;
}

/** The samples K of a replica's step k (1-based): `samples`, or its schedule's min(Kmax, ⌈K0·k^a⌉). */
export function samplesAt(r: ReplicaSetting, k: number): number {
  const q = r.samplesSchedule;
  if (!q) return r.samples;
  return Math.min(q.Kmax, Math.ceil(q.K0 * Math.pow(k, q.a)));
}

export interface ReplicaStreams {
  init: RandomStream;
  data: RandomStream;
  /**
   * A CounterNormalStream (counter-normals.ts) from replicaStreams: its normals are counter-based,
   * filled many per call in SIMD lanes with the same bits wherever drawn. Typed as the base class so
   * that tests may hand a model any stream.
   */
  noise: RandomStream;
}

export function replicaStreams(seed: number): ReplicaStreams {
  return {
    init: RandomStream.at(seed, 'init'),
    data: RandomStream.at(seed, 'data-order'),
    noise: CounterNormalStream.at(seed, 'reparameterisation-noise'),
  };
}

/** "C = 0.05, α = 0.5, B = 32, K = 1, β = 1": a replica's hyperparameters for messages. */
export function describeSetting(r: ReplicaSetting): string {
  const q = r.samplesSchedule;
  const K = q ? `K_k = min(${q.Kmax}, ⌈${q.K0}·k^${q.a}⌉)` : `K = ${r.samples}`;
  return `C = ${r.schedule.C}, α = ${r.schedule.alpha}, B = ${r.batchSize}, ${K}, β = ${r.beta}`;
}

export class InvalidSettingError extends Error {
  override name = 'InvalidSettingError';
}

/** Rejects settings the engine cannot train, with the allowed range in the message. */
export function validateReplica(r: ReplicaSetting, dataSize: number): void {
  const bad = (what: string, allowed: string) => {
    throw new InvalidSettingError(`replica "${r.label}": ${what}; allowed ${allowed}`);
  };
  if (!Number.isInteger(r.seed) || r.seed === 0) bad(`seed = ${r.seed}`, 'a non-zero integer (0 means "unseeded" to TensorFlow.js)');
  if (!(r.schedule.C > 0) || !Number.isFinite(r.schedule.C)) bad(`step constant C = ${r.schedule.C}`, 'C > 0');
  if (!(r.schedule.alpha >= 0) || r.schedule.alpha > 1) bad(`step exponent α = ${r.schedule.alpha}`, '0 ≤ α ≤ 1');
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1 || r.batchSize > dataSize) {
    bad(`batch size B = ${r.batchSize}`, `an integer 1 ≤ B ≤ N = ${dataSize}`);
  }
  if (!Number.isInteger(r.samples) || r.samples < 1) bad(`samples K = ${r.samples}`, 'an integer K ≥ 1');
  if (!(r.beta >= 0) || !Number.isFinite(r.beta)) bad(`β = ${r.beta}`, 'β ≥ 0');
  const q = r.samplesSchedule;
  if (q) {
    if (!(q.K0 > 0) || !Number.isFinite(q.K0)) bad(`samples schedule K0 = ${q.K0}`, 'a finite K0 > 0');
    if (!(q.a >= 0) || !(q.a <= 1)) bad(`samples schedule exponent a = ${q.a}`, '0 ≤ a ≤ 1');
    if (!Number.isInteger(q.Kmax) || q.Kmax < 1) bad(`samples schedule cap Kmax = ${q.Kmax}`, 'an integer Kmax ≥ 1');
  }
}
