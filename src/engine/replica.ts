/**
 * A replica is one independent training run inside a replica batch: its own
 * seed and its own hyperparameters. Everything random about it (initialisation,
 * data order, reparameterisation noise) comes from streams derived from its
 * seed alone, so its trajectory does not depend on its batch-mates.
 */
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
  /** Reparameterised samples K per data point. */
  samples: number;
  /** Weight of the KL term (β-VAE); 1 is the plain ELBO. */
  beta: number;
}

export interface ReplicaStreams {
  init: RandomStream;
  data: RandomStream;
  noise: RandomStream;
}

export function replicaStreams(seed: number): ReplicaStreams {
  return {
    init: RandomStream.at(seed, 'init'),
    data: RandomStream.at(seed, 'data-order'),
    noise: RandomStream.at(seed, 'reparameterisation-noise'),
  };
}

/** "C = 0.05, α = 0.5, B = 32, K = 1, β = 1": a replica's hyperparameters for messages. */
export function describeSetting(r: ReplicaSetting): string {
  return `C = ${r.schedule.C}, α = ${r.schedule.alpha}, B = ${r.batchSize}, K = ${r.samples}, β = ${r.beta}`;
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
}
