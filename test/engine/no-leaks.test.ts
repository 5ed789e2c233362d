/**
 * The trainer must not leak tensors: long runs (10⁴–10⁵ steps) would otherwise
 * exhaust memory. The live-tensor count is the same before constructing a
 * trainer and after training + dispose, and constant from step to step while
 * training (Adam allocates its moment estimates lazily at step 1, so the
 * per-step comparison starts after step 2).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed } from '../../src/engine/rng.ts';
import { DivergenceError, ReplicaTrainer } from '../../src/engine/trainer.ts';
import { ADAM_DEFAULTS, type OptimizerConfig } from '../../src/engine/optimizer.ts';
import type { LinearVaeStepInputs } from '../../src/models/linear-vae/engine-model.ts';
import { makeProblem, replica } from './linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const problem = makeProblem({ n: 32, dx: 5, dz: 2, noiseStd: 0.5, sigmaX: 0.5, seed: 3 });
const replicas = [
  replica({ label: 'a', seed: deriveSeed('no-leaks', 0), schedule: { C: 2e-3, alpha: 0.5 }, batchSize: 4, samples: 2, beta: 1 }),
  replica({ label: 'b', seed: deriveSeed('no-leaks', 1), schedule: { C: 1e-3, alpha: 0 }, batchSize: 7, samples: 1, beta: 3 }),
];

const configs: [string, OptimizerConfig][] = [
  ['sgd', { kind: 'sgd' }],
  ['adam', ADAM_DEFAULTS],
];

describe('no tensor leaks', () => {
  for (const [kind, optimizer] of configs) {
    it(`${kind}: live tensors constant across steps and back to baseline after dispose`, () => {
      const before = tf.memory().numTensors;
      const trainer = new ReplicaTrainer<LinearVaeStepInputs>(problem.model, replicas, optimizer);
      try {
        trainer.advance();
        trainer.advance();
        const afterStep2 = tf.memory().numTensors;
        // train() with measurement hooks: readParams downloads, must not allocate.
        trainer.train({ steps: 18, onMeasure: () => {}, onProgress: () => {}, progressEvery: 5 });
        expect(trainer.step).toBe(20);
        const afterStep20 = tf.memory().numTensors;
        expect(afterStep20).toBe(afterStep2);
        // 5 parameter variables (+ 10 Adam moments), nothing per step.
        expect(afterStep2 - before).toBe(kind === 'adam' ? 15 : 5);
      } finally {
        trainer.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    }, 30_000);
  }

  it('a run that diverges releases everything too', () => {
    const before = tf.memory().numTensors;
    const trainer = new ReplicaTrainer<LinearVaeStepInputs>(
      problem.model,
      [replica({ label: 'huge C', seed: deriveSeed('no-leaks', 'diverge'), schedule: { C: 1e6, alpha: 0 }, batchSize: 4 })],
      { kind: 'sgd' },
    );
    try {
      expect(() => trainer.train({ steps: 50 })).toThrow(DivergenceError);
    } finally {
      trainer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);
});
