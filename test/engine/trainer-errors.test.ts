/**
 * The engine refuses what it cannot train and says why: invalid replica
 * settings name the replica and the allowed range; a diverging run names the
 * step and the replica; an unknown backend lists the allowed names. And, as a
 * property over random valid settings, a few steps train with finite
 * objectives and without leaking tensors.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { BackendError, BACKEND_NAMES, parseBackendName, tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed } from '../../src/engine/rng.ts';
import { InvalidSettingError, type ReplicaSetting } from '../../src/engine/replica.ts';
import { DivergenceError, ReplicaTrainer } from '../../src/engine/trainer.ts';
import { ADAM_DEFAULTS, type OptimizerConfig } from '../../src/engine/optimizer.ts';
import type { LinearVaeStepInputs } from '../../src/models/linear-vae/engine-model.ts';
import { makeProblem, replica } from './linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const N = 10;
const problem = makeProblem({ n: N, dx: 4, dz: 2, noiseStd: 0.5, sigmaX: 0.5, seed: 9 });
const good = replica({ label: 'good one', seed: deriveSeed('trainer-errors', 'good') });

function construct(replicas: ReplicaSetting[], optimizer: OptimizerConfig = { kind: 'sgd' }): void {
  new ReplicaTrainer<LinearVaeStepInputs>(problem.model, replicas, optimizer).dispose();
}

describe('invalid replica settings throw InvalidSettingError naming the replica and the allowed range', () => {
  const cases: { what: string; bad: Partial<ReplicaSetting>; allowed: string }[] = [
    { what: 'C = 0', bad: { schedule: { C: 0, alpha: 0.5 } }, allowed: 'C > 0' },
    { what: 'C < 0', bad: { schedule: { C: -1e-3, alpha: 0.5 } }, allowed: 'C > 0' },
    { what: 'C = NaN', bad: { schedule: { C: NaN, alpha: 0.5 } }, allowed: 'C > 0' },
    { what: 'C = ∞', bad: { schedule: { C: Infinity, alpha: 0.5 } }, allowed: 'C > 0' },
    { what: 'α < 0', bad: { schedule: { C: 1e-3, alpha: -0.5 } }, allowed: '0 ≤ α ≤ 1' },
    { what: 'α > 1', bad: { schedule: { C: 1e-3, alpha: 1.5 } }, allowed: '0 ≤ α ≤ 1' },
    { what: 'B > N', bad: { batchSize: N + 1 }, allowed: `1 ≤ B ≤ N = ${N}` },
    { what: 'B = 0', bad: { batchSize: 0 }, allowed: `1 ≤ B ≤ N = ${N}` },
    { what: 'B not an integer', bad: { batchSize: 2.5 }, allowed: `1 ≤ B ≤ N = ${N}` },
    { what: 'K = 0', bad: { samples: 0 }, allowed: 'K ≥ 1' },
    { what: 'K not an integer', bad: { samples: 1.5 }, allowed: 'K ≥ 1' },
    { what: 'β < 0', bad: { beta: -0.1 }, allowed: 'β ≥ 0' },
    { what: 'β = NaN', bad: { beta: NaN }, allowed: 'β ≥ 0' },
    { what: 'seed 0', bad: { seed: 0 }, allowed: 'non-zero integer' },
    { what: 'seed not an integer', bad: { seed: 1.5 }, allowed: 'non-zero integer' },
  ];
  for (const { what, bad, allowed } of cases) {
    it(what, () => {
      const label = `bad replica (${what})`;
      const before = tf.memory().numTensors;
      // The bad replica sits second in the batch: the message must name it, not the first.
      let err: unknown;
      try {
        construct([good, { ...good, ...bad, label }]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidSettingError);
      const message = (err as Error).message;
      expect(message).toContain(`"${label}"`);
      expect(message).toContain('allowed');
      expect(message).toContain(allowed);
      // Validation happens before any tensor is allocated.
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('an empty replica batch is a RangeError', () => {
    expect(() => construct([])).toThrow(RangeError);
  });

  it('train() rejects a negative or fractional step count', () => {
    const trainer = new ReplicaTrainer<LinearVaeStepInputs>(problem.model, [good], { kind: 'sgd' });
    try {
      expect(() => trainer.train({ steps: -1 })).toThrow(/allowed an integer ≥ 0/);
      expect(() => trainer.train({ steps: 1.5 })).toThrow(/allowed an integer ≥ 0/);
    } finally {
      trainer.dispose();
    }
  });

  it('invalid Adam constants are rejected', () => {
    expect(() => construct([good], { ...ADAM_DEFAULTS, beta1: 1 })).toThrow(/β1/);
    expect(() => construct([good], { ...ADAM_DEFAULTS, beta2: 1 })).toThrow(/β2/);
    expect(() => construct([good], { ...ADAM_DEFAULTS, epsilon: 0 })).toThrow(/ε/);
  });

  // The optimiser validates its constants before any tensor is allocated.
  it('a rejected optimizer config leaks no tensors', () => {
    const before = tf.memory().numTensors;
    expect(() => construct([good], { ...ADAM_DEFAULTS, beta1: 1 })).toThrow(/β1/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('divergence', () => {
  it('a huge step constant throws DivergenceError naming the step and the diverging replica', () => {
    const diverging = replica({ label: 'huge C = 1e6', seed: deriveSeed('trainer-errors', 'diverge'), schedule: { C: 1e6, alpha: 0 }, batchSize: 4 });
    const trainer = new ReplicaTrainer<LinearVaeStepInputs>(problem.model, [good, diverging], { kind: 'sgd' });
    let err: unknown;
    try {
      trainer.train({ steps: 100 });
    } catch (e) {
      err = e;
    } finally {
      trainer.dispose();
    }
    expect(err).toBeInstanceOf(DivergenceError);
    const d = err as DivergenceError;
    expect(d.replica).toBe(diverging.label);
    expect(d.step).toBeGreaterThanOrEqual(1);
    expect(d.step).toBeLessThan(100);
    expect(d.message).toContain(`step ${d.step}`);
    expect(d.message).toContain(`"${diverging.label}"`);
  }, 30_000);
});

describe('backend names', () => {
  it("parseBackendName('bogus') throws BackendError listing the allowed names", () => {
    let err: unknown;
    try {
      parseBackendName('bogus');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as Error).message;
    expect(message).toContain('bogus');
    for (const name of BACKEND_NAMES) expect(message).toContain(name);
  });

  it('every allowed name parses to itself', () => {
    for (const name of BACKEND_NAMES) expect(parseBackendName(name)).toBe(name);
  });
});

describe('property: random valid small settings train a few steps, finite and leak-free', () => {
  it('holds for 15 random replica batches', () => {
    const settingArb = fc.record({
      batchSize: fc.integer({ min: 1, max: 8 }),
      samples: fc.integer({ min: 1, max: 3 }),
      beta: fc.double({ min: 0, max: 4, noNaN: true }),
      // log-uniform C in [1e-4, 1e-2]
      logC: fc.double({ min: Math.log(1e-4), max: Math.log(1e-2), noNaN: true }),
      alpha: fc.constantFrom(0, 0.5),
      seedLabel: fc.integer({ min: 1, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(settingArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<OptimizerConfig>({ kind: 'sgd' }, ADAM_DEFAULTS),
        (settings, optimizer) => {
          const replicas = settings.map((s, i) =>
            replica({
              label: `random ${i}`,
              seed: deriveSeed('trainer-errors-property', s.seedLabel, i),
              schedule: { C: Math.exp(s.logC), alpha: s.alpha },
              batchSize: s.batchSize,
              samples: s.samples,
              beta: s.beta,
            }),
          );
          const before = tf.memory().numTensors;
          const trainer = new ReplicaTrainer<LinearVaeStepInputs>(problem.model, replicas, optimizer);
          try {
            for (let k = 0; k < 3; k++) {
              const objective = trainer.advance();
              expect(objective.length).toBe(replicas.length);
              for (const v of objective) expect(Number.isFinite(v)).toBe(true);
            }
            const params = trainer.readParams();
            for (const v of Object.values(params.values)) for (const x of v) expect(Number.isFinite(x)).toBe(true);
          } finally {
            trainer.dispose();
          }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 15, seed: 20240917 },
    );
  }, 30_000);
});
