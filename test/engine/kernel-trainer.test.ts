/**
 * The analytic kernel path (KernelTrainer + LinearVaeModel.objectiveAndGradient)
 * against the TensorFlow.js autodiff path it replaces:
 *   - on identical draws (same seeds, so the same rows and noise), the kernel's
 *     objective and gradient equal autodiff's, replica by replica, for a batch
 *     mixing B, K and β (so autodiff runs padded);
 *   - trained side by side for 60 steps (SGD and Adam), the two trainers'
 *     parameters agree to float32 rounding growth;
 *   - a replica trained in a kernel batch is bitwise identical to it alone;
 *   - divergence names the replica and the step.
 * Tolerances: autodiff runs in float32 (unit roundoff 6e-8) over sums of
 * ≤ 16·3·6 terms of size O(1), so 1e-5 relative to the gradient's scale leaves
 * a margin of > 10x over the accumulated rounding, yet a wrong term (e.g. a
 * missing factor ½ or a dropped β) moves a component by ≥ 10%.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS, type OptimizerConfig } from '../../src/engine/optimizer.ts';
import { KernelTrainer, type ReplicaKernel } from '../../src/engine/kernel-trainer.ts';
import { createTrainer } from '../../src/engine/create-trainer.ts';
import { DivergenceError, ReplicaTrainer, type BatchedModel, type Trainer } from '../../src/engine/trainer.ts';
import type { LinearVaeStepInputs } from '../../src/models/linear-vae/engine-model.ts';
import type { LinearVaeParams } from '../../src/models/linear-vae/params.ts';
import { LinearIwaeModel } from '../../src/models/linear-vae/iwae-engine-model.ts';
import { LearnedVarianceLinearVae } from '../../src/models/linear-vae/learned-variance-engine.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { LINEAR_VAE_PARAM_NAMES, batchParams, makeProblem, randomParams, replica } from './linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const problem = makeProblem({ n: 64, dx: 6, dz: 2, noiseStd: 0.5, sigmaX: 0.5, seed: 11 });

function mixed(C: readonly number[]): ReplicaSetting[] {
  const s = (i: number) => deriveSeed('kernel-trainer', i);
  return [
    replica({ label: 'r0', seed: s(0), schedule: { C: C[0], alpha: 0.5 }, batchSize: 8, samples: 1, beta: 1 }),
    replica({ label: 'r1', seed: s(1), schedule: { C: C[1], alpha: 0 }, batchSize: 3, samples: 3, beta: 4 }),
    replica({ label: 'r2', seed: s(2), schedule: { C: C[2], alpha: 0.5 }, batchSize: 16, samples: 2, beta: 0.25 }),
    replica({ label: 'r3', seed: s(3), schedule: { C: C[3], alpha: 0 }, batchSize: 1, samples: 1, beta: 0 }),
  ];
}

/**
 * The kernel's objective and gradient against TensorFlow.js autodiff of the
 * model's objective, on the same draws (each side gets fresh streams of the
 * same seeds), replica by replica.
 */
function expectKernelMatchesAutodiff(model: BatchedModel<LinearVaeStepInputs> & ReplicaKernel, replicas: ReplicaSetting[], params: LinearVaeParams[]): void {
  const before = tf.memory().numTensors;
  const inputs = model.drawStep(replicas, replicas.map((r) => replicaStreams(r.seed)));
  const tensors = batchParams(params, problem.dims);
  const { value, grads } = tf.tidy(() => {
    const vars = LINEAR_VAE_PARAM_NAMES.map((n) => tf.variable(tensors[n], true));
    const byName = () => Object.fromEntries(LINEAR_VAE_PARAM_NAMES.map((n, i) => [n, vars[i]]));
    const out = tf.variableGrads(() => model.objective(byName(), inputs, replicas).sum() as tf.Scalar, vars);
    const perReplica = Float32Array.from(model.objective(byName(), inputs, replicas).dataSync());
    const g = LINEAR_VAE_PARAM_NAMES.map((_, i) => out.grads[vars[i].name].dataSync() as Float32Array);
    vars.forEach((v) => v.dispose());
    return { value: perReplica, grads: g };
  });
  model.disposeInputs(inputs);
  tf.dispose(Object.values(tensors));
  expect(tf.memory().numTensors).toBe(before);
  replicas.forEach((rep, r) => {
    const grad = Object.fromEntries(LINEAR_VAE_PARAM_NAMES.map((n) => [n, new Float64Array(params[r][n].length)]));
    const view = Object.fromEntries(LINEAR_VAE_PARAM_NAMES.map((n) => [n, Float32Array.from(params[r][n])]));
    const objective = model.objectiveAndGradient(view, rep, replicaStreams(rep.seed), grad, r);
    expect(Math.abs(objective - value[r])).toBeLessThan(1e-5 * Math.max(1, Math.abs(objective)));
    let scale = 0;
    for (const n of LINEAR_VAE_PARAM_NAMES) for (const g of grad[n]) scale = Math.max(scale, Math.abs(g));
    LINEAR_VAE_PARAM_NAMES.forEach((n, i) => {
      const size = grad[n].length;
      const auto = grads[i].subarray(r * size, (r + 1) * size);
      for (let j = 0; j < size; j++) expect(Math.abs(grad[n][j] - auto[j]), `${rep.label} ∂${n}[${j}]`).toBeLessThan(1e-5 * scale);
    });
  });
}

describe('linear VAE analytic gradient', () => {
  it('equals TensorFlow.js autodiff on the same draws, replica by replica', () => {
    const replicas = mixed([1, 1, 1, 1]);
    expectKernelMatchesAutodiff(problem.model, replicas, replicas.map((_, r) => randomParams(problem.dims, 'kernel', r)));
  });
});

describe('linear IWAE analytic gradient', () => {
  it('equals TensorFlow.js autodiff on the same draws (mixed B and K, padded), and trains alike', () => {
    const model = new LinearIwaeModel({ dims: problem.dims, data: problem.x32, sigmaX: problem.sigmaX });
    const replicas = mixed([2e-3, 1e-3, 3e-3, 1e-3]).map((r) => ({ ...r, beta: 1 }));
    expectKernelMatchesAutodiff(model, replicas, replicas.map((_, r) => randomParams(problem.dims, 'iwae-kernel', r)));
    const kernel = trainParams(new KernelTrainer(model, replicas, ADAM_DEFAULTS), 60);
    const auto = trainParams(new ReplicaTrainer(model, replicas, ADAM_DEFAULTS), 60);
    for (const n of LINEAR_VAE_PARAM_NAMES) for (let i = 0; i < kernel[n].length; i++) expect(Math.abs(kernel[n][i] - auto[n][i]), `${n}[${i}]`).toBeLessThan(1e-4);
  });
});

function trainParams(trainer: Trainer, steps: number): Record<string, Float32Array> {
  try {
    for (let k = 0; k < steps; k++) trainer.advance();
    return trainer.readParams().values;
  } finally {
    trainer.dispose();
  }
}

describe('KernelTrainer', () => {
  const cases: [string, OptimizerConfig, number[]][] = [
    ['SGD', { kind: 'sgd' }, [5e-3, 2e-3, 1e-2, 1e-3]],
    ['Adam', ADAM_DEFAULTS, [1e-2, 3e-3, 2e-2, 5e-3]],
  ];
  for (const [name, optimizer, C] of cases) {
    it(`follows the autodiff trainer's trajectory (${name}, 60 steps, mixed B, K, β, C, α)`, () => {
      const replicas = mixed(C);
      const kernel = trainParams(new KernelTrainer(problem.model, replicas, optimizer), 60);
      const auto = trainParams(new ReplicaTrainer(problem.model, replicas, optimizer), 60);
      for (const n of LINEAR_VAE_PARAM_NAMES) {
        for (let i = 0; i < kernel[n].length; i++) {
          // Float32 rounding differences grow mildly over 60 contracting steps; 1e-4 absolute on O(1) parameters.
          expect(Math.abs(kernel[n][i] - auto[n][i]), `${n}[${i}]`).toBeLessThan(1e-4);
        }
      }
    });

    it(`trains a replica in a batch bitwise as it trains alone (${name})`, () => {
      const replicas = mixed(C);
      const batched = trainParams(new KernelTrainer(problem.model, replicas, optimizer), 40);
      replicas.forEach((rep, r) => {
        const alone = trainParams(new KernelTrainer(problem.model, [rep], optimizer), 40);
        for (const n of LINEAR_VAE_PARAM_NAMES) {
          const size = alone[n].length;
          expect(Array.from(batched[n].subarray(r * size, (r + 1) * size))).toEqual(Array.from(alone[n]));
        }
      });
    });
  }

  it('hands onMeasure views with viewParams (the values a copy would hold at that step; then the trainer moves them)', () => {
    const replicas = mixed([5e-3, 2e-3, 1e-2, 1e-3]);
    const copies: string[] = [];
    const views: string[] = [];
    let kept: Float32Array | null = null;
    const snapshot = (values: Record<string, Float32Array>) => LINEAR_VAE_PARAM_NAMES.map((n) => Array.from(values[n]).join(',')).join('|');
    new KernelTrainer(problem.model, replicas, { kind: 'sgd' }).train({ steps: 12, measureAt: (k) => k % 5 === 0, onMeasure: (_k, p) => copies.push(snapshot(p.values)) });
    const trainer = new KernelTrainer(problem.model, replicas, { kind: 'sgd' });
    trainer.train({
      steps: 12,
      measureAt: (k) => k % 5 === 0,
      viewParams: true,
      onMeasure: (k, p) => {
        views.push(snapshot(p.values));
        if (k === 5) kept = p.values.W;
      },
    });
    expect(views).toEqual(copies);
    // A view kept past its call shows the trainer's current values, not step 5's: callers copy what they keep.
    expect(Array.from(kept!)).toEqual(Array.from(trainer.readParams().values.W));
    expect(snapshot(trainer.readParams().values)).not.toBe(copies[1]);
  });

  it('is what createTrainer picks for the linear VAE, unless autodiff is asked for', () => {
    const replicas = mixed([1e-3, 1e-3, 1e-3, 1e-3]);
    const a = createTrainer(problem.model, replicas, { kind: 'sgd' });
    const b = createTrainer(problem.model, replicas, { kind: 'sgd' }, 'autodiff');
    expect(a).toBeInstanceOf(KernelTrainer);
    expect(b).toBeInstanceOf(ReplicaTrainer);
    a.dispose();
    b.dispose();
  });

  it('names the replica and the step when training diverges', () => {
    const good = replica({ label: 'good', seed: 3, schedule: { C: 1e-3, alpha: 0.5 } });
    const bad = replica({ label: 'exploding', seed: 4, schedule: { C: 1e6, alpha: 0 } });
    const trainer = new KernelTrainer(problem.model, [good, bad], { kind: 'sgd' });
    let error: unknown;
    try {
      for (let k = 0; k < 200; k++) trainer.advance();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).replica).toBe('exploding');
    expect((error as DivergenceError).step).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/diverged at step \d+ in replica "exploding"/);
  });

  it('rejects invalid settings and optimiser constants before training, with the allowed range', () => {
    expect(() => new KernelTrainer(problem.model, [replica({ seed: 1, batchSize: 65 })], { kind: 'sgd' })).toThrow(/allowed an integer 1 ≤ B ≤ N = 64/);
    expect(() => new KernelTrainer(problem.model, [replica({ seed: 1 })], { ...ADAM_DEFAULTS, beta1: 1 })).toThrow(/allowed 0 ≤ β1 < 1/);
  });
});

describe('learned-variance linear VAE analytic gradient', () => {
  it('equals TensorFlow.js autodiff of the closed-form expected ELBO, with σ² learned and fixed', () => {
    const D = 6;
    const H = 2;
    const data = problem.x32;
    const N = data.length / D;
    const model = new LearnedVarianceLinearVae({ D, H, data, fixedLogVariance: [null, Math.log(0.3)] });
    const rng = RandomStream.at('learned-variance-kernel');
    const replicas = [replica({ label: 'learned', seed: 1, batchSize: N }), replica({ label: 'fixed', seed: 2, batchSize: N })];
    const shapes = model.paramShapes;
    const params = replicas.map(() =>
      Object.fromEntries(Object.entries(shapes).map(([n, shape]) => [n, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.5 * rng.normal())])),
    );
    const before = tf.memory().numTensors;
    const { value, grads } = tf.tidy(() => {
      const names = Object.keys(shapes);
      const vars = names.map((n) => {
        const size = params[0][n].length;
        const flat = new Float32Array(2 * size);
        params.forEach((p, r) => flat.set(p[n], r * size));
        return tf.variable(tf.tensor(flat, [2, ...shapes[n]]), true);
      });
      const byName = () => Object.fromEntries(names.map((n, i) => [n, vars[i]]));
      const out = tf.variableGrads(() => model.objective(byName()).sum() as tf.Scalar, vars);
      const perReplica = Float32Array.from(model.objective(byName()).dataSync());
      const g = Object.fromEntries(names.map((n, i) => [n, out.grads[vars[i].name].dataSync() as Float32Array]));
      vars.forEach((v) => v.dispose());
      return { value: perReplica, grads: g };
    });
    expect(tf.memory().numTensors).toBe(before);
    replicas.forEach((rep, r) => {
      const grad = Object.fromEntries(Object.keys(shapes).map((n) => [n, new Float64Array(params[r][n].length)]));
      const objective = model.objectiveAndGradient(params[r], rep, replicaStreams(rep.seed), grad, r);
      expect(Math.abs(objective - value[r])).toBeLessThan(1e-5 * Math.max(1, Math.abs(objective)));
      let scale = 0;
      for (const n of Object.keys(shapes)) for (const g of grad[n]) scale = Math.max(scale, Math.abs(g));
      for (const n of Object.keys(shapes)) {
        const size = grad[n].length;
        const auto = grads[n].subarray(r * size, (r + 1) * size);
        for (let j = 0; j < size; j++) expect(Math.abs(grad[n][j] - auto[j]), `${rep.label} ∂${n}[${j}]`).toBeLessThan(2e-5 * scale);
      }
    });
    model.dispose();
  });
});
