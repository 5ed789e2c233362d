/**
 * A tf.train.Optimizer as the claims' optimiser (OptimizerConfig kind
 * 'tfjs'): the TF.js trainer sets its learning rate to γ_k = C·k^{-α} before
 * each step and hands it the negated gradient, one instance per group of
 * replicas that share a schedule. Checked here on the linear VAE, against the
 * engine's own optimisers on identical draws:
 *   - tf.train.sgd through the adapter is the engine's SGD (same float32
 *     arithmetic: θ + γ g either way);
 *   - tf.train.adam(·, 0.9, 0.999, 1e-8) is the engine's bias-corrected Adam up
 *     to float32 rounding (TF.js accumulates β^k in float32 variables);
 *   - a batch of replicas with different schedules (several groups, rows
 *     gathered back into the batch) gives each replica the trajectory it has
 *     alone (replicas never interact);
 *   - a model with a closed-form kernel switches to the TF.js trainer;
 *   - the optimiser probe passes for it and sees a trainer that ignores γ_k.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed } from '../../src/engine/rng.ts';
import { ReplicaTrainer, type ReplicaParams } from '../../src/engine/trainer.ts';
import { createTrainer } from '../../src/engine/create-trainer.ts';
import { ADAM_DEFAULTS, type OptimizerConfig, type TfjsOptimizer } from '../../src/engine/optimizer.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import type { LinearVaeStepInputs } from '../../src/models/linear-vae/engine-model.ts';
import { probeOptimizer } from '../../src/claims/shared/optimizer-probe.ts';
import { LINEAR_VAE_PARAM_NAMES, makeProblem, replica } from './linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const STEPS = 50;
const problem = makeProblem({ n: 64, dx: 6, dz: 2, noiseStd: 0.5, sigmaX: 0.5, seed: 11 });

const tfSgd: TfjsOptimizer = { kind: 'tfjs', name: 'tf.train.sgd', create: (lr) => tf.train.sgd(lr) };
const tfAdam: TfjsOptimizer = { kind: 'tfjs', name: 'tf.train.adam', create: (lr) => tf.train.adam(lr, 0.9, 0.999, 1e-8) };

function replicas(C: number, schedules: { C: number; alpha: number }[] = [{ C, alpha: 0.5 }, { C, alpha: 0.5 }, { C, alpha: 0.5 }]): ReplicaSetting[] {
  return schedules.map((schedule, i) => replica({ label: `r${i}`, seed: deriveSeed('tfjs-optimizer-test', i), schedule, batchSize: 8, samples: 1, beta: 1 }));
}

function train(rs: readonly ReplicaSetting[], optimizer: OptimizerConfig): ReplicaParams[] {
  const trainer = new ReplicaTrainer<LinearVaeStepInputs>(problem.model, rs, optimizer);
  try {
    for (let k = 0; k < STEPS; k++) trainer.advance();
    const batched = trainer.readParams();
    return rs.map((_, r) => Object.fromEntries(LINEAR_VAE_PARAM_NAMES.map((n) => [n, batched.replica(r)[n].slice()])));
  } finally {
    trainer.dispose();
  }
}

function maxRelativeDifference(a: ReplicaParams[], b: ReplicaParams[]): number {
  let worst = 0;
  a.forEach((p, r) => {
    for (const name of LINEAR_VAE_PARAM_NAMES) p[name].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[r][name][i]) / (1 + Math.abs(b[r][name][i])))));
  });
  return worst;
}

describe('a tf.train.Optimizer under the claims', () => {
  it('tf.train.sgd with γ_k as learning rate is the engine\'s SGD', () => {
    const rs = replicas(2e-3);
    const ours = train(rs, { kind: 'sgd' });
    const theirs = train(rs, tfSgd);
    // Both are θ + γ_k g in float32; a wrong sign, a missed γ_k or a stale learning rate moves θ by ≥ 1e-3 here.
    expect(maxRelativeDifference(theirs, ours)).toBeLessThan(1e-6);
    expect(maxRelativeDifference(ours, train(rs, { kind: 'sgd' }))).toBe(0);
  });

  it('tf.train.adam(lr, 0.9, 0.999, 1e-8) is the engine\'s bias-corrected Adam up to float32 rounding', () => {
    const rs = replicas(1e-2);
    const ours = train(rs, ADAM_DEFAULTS);
    const theirs = train(rs, tfAdam);
    // Adam moves every coordinate by ≈ γ_k = 1e-2/√k per step: a wrong learning rate or sign differs by ~1e-2.
    expect(maxRelativeDifference(theirs, ours)).toBeLessThan(1e-4);
  });

  it('replicas with different schedules (one instance per schedule, rows gathered back) each follow their own run', () => {
    const schedules = [{ C: 1e-2, alpha: 0.5 }, { C: 5e-3, alpha: 0 }, { C: 1e-2, alpha: 0.5 }, { C: 2e-2, alpha: 0.25 }];
    const rs = replicas(0, schedules);
    const batched = train(rs, tfAdam);
    const alone = rs.map((r) => train([r], tfAdam)[0]);
    expect(maxRelativeDifference(batched, alone)).toBeLessThan(1e-6);
    // and they are not one run: the schedules differ.
    expect(maxRelativeDifference([batched[0]], [batched[1]])).toBeGreaterThan(1e-3);
  });

  it('a model with a closed-form kernel trains on the TF.js trainer for it', () => {
    const rs = replicas(2e-3);
    const trainer = createTrainer(problem.model, rs, tfSgd);
    try {
      expect(trainer).toBeInstanceOf(ReplicaTrainer);
    } finally {
      trainer.dispose();
    }
  });

  it('the optimiser probe passes for tf.train.rmsprop and sees a trainer that ignores γ_k', () => {
    const rmsprop: TfjsOptimizer = { kind: 'tfjs', name: 'tf.train.rmsprop', create: (lr) => tf.train.rmsprop(lr, 0.9, 0, 1e-8) };
    const ok = probeOptimizer(rmsprop, { C: 0.05, alpha: 0.5 }, 'autodiff', 40);
    expect(ok.ok, ok.detail).toBe(true);
    expect(ok.detail).toMatch(/TF\.js optimiser "tf\.train\.rmsprop"/);
    // The engine is handed an optimiser whose learning rate cannot be changed (a frozen copy of its first γ).
    const frozen: TfjsOptimizer = {
      ...rmsprop,
      create: (lr) => {
        const o = tf.train.rmsprop(lr, 0.9, 0, 1e-8);
        Object.defineProperty(o, 'learningRate', { get: () => lr, set: () => {} });
        return o;
      },
    };
    expect(probeOptimizer(rmsprop, { C: 0.05, alpha: 0.5 }, 'autodiff', 40, { optimizer: frozen }).ok).toBe(false);
  });

  it('leaks no tensors over a run', () => {
    const rs = replicas(0, [{ C: 1e-2, alpha: 0.5 }, { C: 5e-3, alpha: 0 }]);
    train(rs, tfAdam);
    const before = tf.memory().numTensors;
    train(rs, tfAdam);
    expect(tf.memory().numTensors).toBe(before);
  });
});
