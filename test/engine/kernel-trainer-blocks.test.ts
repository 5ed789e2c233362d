/**
 * KernelTrainer.advanceBy(n) takes each replica's n steps in a row (kernel-trainer.ts) and
 * trainLoop hands it the steps up to the next measurement or progress report (trainer.ts).
 * Replicas never interact, so this must leave every replica exactly where n calls of advance
 * leave it: the same parameters, Adam moments and streams (the steps after it agree too), the
 * same measurements, and on divergence the same DivergenceError (the earliest step's, at that
 * step the first replica's). A custom optimiser's step function may keep state of its own, so
 * under one the trainer keeps stepping every replica in turn.
 */
import { describe, expect, it } from 'vitest';
import { KernelTrainer, type ReplicaKernel } from '../../src/engine/kernel-trainer.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import { DivergenceError, type BatchedParams } from '../../src/engine/trainer.ts';
import type { OptimizerConfig } from '../../src/engine/optimizer.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../../src/models/linear-vae/data.ts';

const dims = { dx: 4, dz: 3 };
const data = generateLinearGaussianData({ n: 50, ...dims, noiseStd: 0.5, seed: 11 }).x;
const model = () => new LinearVaeModel({ dims, data, sigmaX: 1 });
const replicas: ReplicaSetting[] = [
  { label: 'a', seed: 1, schedule: { C: 0.05, alpha: 0.5 }, batchSize: 5, samples: 1, beta: 1 },
  { label: 'b', seed: 2, schedule: { C: 0.1, alpha: 0.25 }, batchSize: 3, samples: 2, beta: 0.5 },
  { label: 'c', seed: 3, schedule: { C: 0.02, alpha: 0.5 }, batchSize: 4, samples: 1, beta: 1, samplesSchedule: { K0: 1, a: 0.5, Kmax: 4 } },
];
const OPTIMIZERS: [string, OptimizerConfig][] = [
  ['sgd', { kind: 'sgd' }],
  ['adam', { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }],
];

function bits(p: BatchedParams): string {
  return Object.entries(p.values)
    .map(([name, v]) => `${name}:${Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)).join(',')}`)
    .join('|');
}

describe.each(OPTIMIZERS)('advanceBy with %s: the same replicas as advance, step by step', (_name, optimizer) => {
  it('leaves parameters, moments and streams where advance does, over blocks of several lengths', () => {
    const stepwise = new KernelTrainer(model(), replicas, optimizer);
    const blocked = new KernelTrainer(model(), replicas, optimizer);
    for (const n of [1, 2, 5, 3, 8]) {
      for (let i = 0; i < n; i++) stepwise.advance();
      blocked.advanceBy(n);
      expect(blocked.step).toBe(stepwise.step);
      expect(bits(blocked.readParams())).toBe(bits(stepwise.readParams()));
    }
    // The steps after agree too: the streams and Adam's moments were left alike.
    const a = stepwise.advance();
    const b = blocked.advance();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(bits(blocked.readParams())).toBe(bits(stepwise.readParams()));
  });

  it('train() measures the same parameters at the same steps as a loop of advance', () => {
    const wanted = new Set([0, 1, 4, 5, 17, 30]);
    const seen: string[] = [];
    const blocked = new KernelTrainer(model(), replicas, optimizer);
    const progress: number[] = [];
    blocked.train({ steps: 30, measureAt: (k) => wanted.has(k), onMeasure: (k, p) => seen.push(`${k}:${bits(p)}`), onProgress: (k) => progress.push(k), progressEvery: 7 });
    const expected: string[] = [];
    const stepwise = new KernelTrainer(model(), replicas, optimizer);
    expected.push(`0:${bits(stepwise.readParams())}`);
    for (let k = 1; k <= 30; k++) {
      stepwise.advance();
      if (wanted.has(k)) expected.push(`${k}:${bits(stepwise.readParams())}`);
    }
    expect(seen).toEqual(expected);
    expect(progress).toEqual([7, 14, 21, 28]);
    expect(blocked.step).toBe(30);
  });
});

const probeReplica: ReplicaSetting = { label: 'probe', seed: 8, schedule: { C: 1, alpha: 0 }, batchSize: 1, samples: 1, beta: 1 };

/** A kernel whose replica r's objective turns NaN at its step failAt[r] (0: never); it counts each replica's calls. */
function failing(failAt: number[]): ReplicaKernel & { calls: number[] } {
  const calls = failAt.map(() => 0);
  return {
    calls,
    name: 'divergence-probe',
    dataSize: 1,
    paramShapes: { w: [2] },
    initialParams: () => ({ w: new Float32Array(2) }),
    objectiveAndGradient: (_p, _r, _s, grad, index) => {
      const k = ++calls[index];
      grad.w.fill(0.25);
      return k === failAt[index] ? NaN : 1;
    },
  };
}

function thrown(f: () => void): DivergenceError {
  try {
    f();
  } catch (e) {
    if (e instanceof DivergenceError) return e;
    throw e;
  }
  throw new Error('no DivergenceError');
}

describe('advanceBy on divergence: advance’s error', () => {
  const settings = (R: number) => Array.from({ length: R }, (_, r) => ({ ...probeReplica, label: `replica ${r}`, seed: 10 + r }));
  it.each([
    ['a later replica first', [0, 0, 3, 0], 2, 3],
    ['an earlier step wins over an earlier replica', [5, 0, 3, 0], 2, 3],
    ['at the same step the first replica', [0, 4, 0, 4], 1, 4],
    ['the block’s first step', [0, 0, 0, 1], 3, 1],
    ['the block’s last step', [6, 0, 0, 0], 0, 6],
  ])('%s', (_what, failAt, replica, step) => {
    const stepwise = thrown(() => {
      const t = new KernelTrainer(failing(failAt), settings(failAt.length), { kind: 'sgd' });
      for (let i = 0; i < 6; i++) t.advance();
    });
    const probe = failing(failAt);
    const blocked = new KernelTrainer(probe, settings(failAt.length), { kind: 'sgd' });
    const error = thrown(() => blocked.advanceBy(6));
    expect(error.message).toBe(stepwise.message);
    expect([error.replica, error.step]).toEqual([`replica ${replica}`, step]);
    expect(blocked.step).toBe(step);
    // A replica after the one that failed stops before its step.
    probe.calls.forEach((c, r) => {
      if (r > replica) expect(c).toBeLessThan(step);
    });
  });
});

describe('advanceBy under a custom optimiser: every replica steps in turn', () => {
  it('calls the kernel replica after replica at each step', () => {
    const order: string[] = [];
    let step = 0;
    const kernel: ReplicaKernel = {
      name: 'order-probe',
      dataSize: 1,
      paramShapes: { w: [1] },
      initialParams: () => ({ w: new Float32Array(1) }),
      objectiveAndGradient: (_p, _r, _s, grad, index) => {
        if (index === 0) step++;
        order.push(`${step}:${index}`);
        grad.w[0] = 1;
        return 0;
      },
    };
    const custom: OptimizerConfig = { kind: 'custom', name: 'plain', stateSize: 0, step: (theta, g, _s, _o, gamma) => theta + gamma * g };
    new KernelTrainer(kernel, [probeReplica, { ...probeReplica, label: 'second', seed: 9 }], custom).advanceBy(3);
    expect(order).toEqual(['1:0', '1:1', '2:0', '2:1', '3:0', '3:1']);
  });
});
