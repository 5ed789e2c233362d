/**
 * The deep VAE's closed-form kernel (src/models/deep-vae/kernel.ts) against
 * TensorFlow.js autodiff of the engine's objective (engine-model.ts):
 *   - on identical draws (fresh streams of the same seeds, so the same rows
 *     and noise), objective and gradient agree replica by replica, in a
 *     batch mixing B, K, β, soft-clip and ReLU replicas and a falsifier's
 *     gradient bias (so autodiff runs padded and masked);
 *   - trained side by side (SGD and Adam, 40 steps), the kernel trainer and
 *     the autodiff trainer stay together to float32 rounding growth;
 *   - a replica trained in a kernel batch is bitwise identical to it alone;
 *   - createTrainer picks the kernel for the engine's deep VAE;
 *   - the kernel's own soft-clip is the paper's formula.
 * Tolerances: autodiff runs in float32 (unit roundoff 6e-8) through sums of
 * ≤ dx·H = 30 products and the soft-clip's exp/log; 1e-4 of each block's
 * largest |gradient| (floored at 1) is ≥ 10x that rounding, while a dropped
 * term or a wrong constant (½ in ∂lv, β, c²) moves whole blocks by ≥ 10%.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS, type OptimizerConfig } from '../../src/engine/optimizer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { createTrainer } from '../../src/engine/create-trainer.ts';
import { ReplicaTrainer, type Trainer } from '../../src/engine/trainer.ts';
import { DeepVaeModel, PACKED_PARAM } from '../../src/models/deep-vae/engine-model.ts';
import { clipAndSlope, clipAndSlopeGeneral, kernelSoftClip } from '../../src/models/deep-vae/kernel.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE } from '../../src/models/deep-vae/soft-clip.ts';
import { deepOffsets } from '../../src/models/deep-vae/reference.ts';
import { DEEP_VAE_PARAM_NAMES, deepParamCount, type Activation, type DeepVaeDims } from '../../src/models/deep-vae/params.ts';
import { replica } from '../engine/linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const dims: DeepVaeDims = { dx: 6, hidden: 5, dz: 2 };
const N = 11;
const decoderStd = 0.4;
const P = deepParamCount(dims);
const data = (() => {
  const rng = RandomStream.at('deep-vae-kernel-test-data');
  return Float32Array.from({ length: N * dims.dx }, () => rng.uniform());
})();

interface Case {
  B: number;
  K: number;
  beta: number;
  activation: Activation;
  bias: boolean;
}
const CASES: Case[] = [
  { B: 4, K: 2, beta: 1, activation: 'soft-clip', bias: false },
  { B: 7, K: 1, beta: 0.5, activation: 'relu', bias: false },
  { B: 1, K: 3, beta: 2, activation: 'soft-clip', bias: true },
  { B: 3, K: 1, beta: 0, activation: 'soft-clip', bias: false },
];

function settings(C: readonly number[], alpha = 0.5): ReplicaSetting[] {
  return CASES.map((c, r) => replica({ label: `r${r}`, seed: deriveSeed('deep-vae-kernel', r), schedule: { C: C[r], alpha }, batchSize: c.B, samples: c.K, beta: c.beta }));
}

function model(replicas: readonly ReplicaSetting[]): DeepVaeModel {
  const at = (r: ReplicaSetting) => CASES[replicas.findIndex((x) => x.label === r.label)];
  const biasRng = RandomStream.at('deep-vae-kernel-bias');
  const bias = Float32Array.from({ length: P }, () => 0.3 * biasRng.normal());
  return new DeepVaeModel({
    dims,
    data,
    decoderStd,
    activationOf: (r) => at(r).activation,
    gradientBiasOf: (r) => (at(r).bias ? bias : null),
    init: { weightScale: 1.5, outputBiasAtDataMean: true },
  });
}

/** Moderate parameters; pre-activations land on both sides of the soft-clip corners. */
function theta(r: number): Float32Array {
  const rng = RandomStream.at('deep-vae-kernel-theta', r);
  return Float32Array.from({ length: P }, () => 0.7 * rng.normal());
}

function trainParams(trainer: Trainer, steps: number): Float32Array {
  try {
    for (let k = 0; k < steps; k++) trainer.advance();
    return trainer.readParams().values[PACKED_PARAM];
  } finally {
    trainer.dispose();
  }
}

describe('deep VAE kernel (closed-form gradient)', () => {
  it('equals TensorFlow.js autodiff on the same draws, replica by replica (mixed B, K, β, activations, a gradient bias)', () => {
    const replicas = settings([1, 1, 1, 1]);
    const m = model(replicas);
    const R = replicas.length;
    const before = tf.memory().numTensors;
    const inputs = m.drawStep(replicas, replicas.map((r) => replicaStreams(r.seed)));
    const packed = new Float32Array(R * P);
    for (let r = 0; r < R; r++) packed.set(theta(r), r * P);
    const t = tf.tensor2d(packed, [R, P]);
    const value = tf.tidy(() => m.objective({ [PACKED_PARAM]: t }, inputs).dataSync() as Float32Array);
    const auto = tf.tidy(() => tf.grads((x: tf.Tensor) => m.objective({ [PACKED_PARAM]: x }, inputs).sum() as tf.Scalar)([t])[0].dataSync() as Float32Array);
    t.dispose();
    m.disposeInputs(inputs);
    expect(tf.memory().numTensors).toBe(before);
    const offsets = deepOffsets(dims);
    replicas.forEach((rep, r) => {
      const grad = new Float64Array(P);
      const objective = m.objectiveAndGradient({ [PACKED_PARAM]: theta(r) }, rep, replicaStreams(rep.seed), { [PACKED_PARAM]: grad });
      expect(Math.abs(objective - value[r]) / Math.max(1, Math.abs(objective)), `${rep.label} objective`).toBeLessThan(1e-5);
      DEEP_VAE_PARAM_NAMES.forEach((name, b) => {
        const end = b + 1 < DEEP_VAE_PARAM_NAMES.length ? offsets[DEEP_VAE_PARAM_NAMES[b + 1]] : P;
        let scale = 1;
        for (let i = offsets[name]; i < end; i++) scale = Math.max(scale, Math.abs(grad[i]));
        for (let i = offsets[name]; i < end; i++) expect(Math.abs(grad[i] - auto[r * P + i]) / scale, `${rep.label} ∂${name}[${i - offsets[name]}]`).toBeLessThan(1e-4);
      });
    });
  });

  const optimizers: [string, OptimizerConfig, number[]][] = [
    ['SGD', { kind: 'sgd' }, [2e-3, 1e-3, 3e-3, 2e-3]],
    ['Adam', ADAM_DEFAULTS, [1e-2, 3e-3, 2e-2, 5e-3]],
  ];
  for (const [name, optimizer, C] of optimizers) {
    it(`trains as the autodiff trainer does (${name}, 40 steps), and a replica in a batch bitwise as alone`, () => {
      const replicas = settings(C);
      const m = model(replicas);
      const kernel = trainParams(new KernelTrainer(m, replicas, optimizer), 40);
      const auto = trainParams(new ReplicaTrainer(m, replicas, optimizer), 40);
      // Float32 rounding differences grow mildly over 40 steps on O(1) parameters.
      for (let i = 0; i < kernel.length; i++) expect(Math.abs(kernel[i] - auto[i]), `θ[${i}]`).toBeLessThan(2e-4 * Math.max(1, Math.abs(auto[i])));
      replicas.forEach((rep, r) => {
        const alone = trainParams(new KernelTrainer(m, [rep], optimizer), 40);
        expect(Array.from(kernel.subarray(r * P, (r + 1) * P))).toEqual(Array.from(alone));
      });
    });
  }

  it('is what createTrainer picks for the engine\'s deep VAE, unless autodiff is asked for', () => {
    const replicas = settings([1e-3, 1e-3, 1e-3, 1e-3]);
    const m = model(replicas);
    const a = createTrainer(m, replicas, { kind: 'sgd' });
    const b = createTrainer(m, replicas, { kind: 'sgd' }, 'autodiff');
    expect(a).toBeInstanceOf(KernelTrainer);
    expect(b).toBeInstanceOf(ReplicaTrainer);
    a.dispose();
    b.dispose();
  });

  it('its soft-clip shortcuts for one saturated corner give the general formula\'s bits (value and slope); inside the range, its value to rounding', () => {
    const fast = [new Float64Array(1), new Float64Array(1)];
    const general = [new Float64Array(1), new Float64Array(1)];
    const check = (t: number) => {
      for (const r of [HIDDEN_RANGE, MEAN_RANGE, LOG_VARIANCE_RANGE]) {
        clipAndSlope(t, r.lo, r.hi, fast[0], fast[1], 0);
        clipAndSlopeGeneral(t, r.lo, r.hi, general[0], general[1], 0);
        if (5 * (t - r.lo) > 40 && 5 * (t - r.hi) < -40) {
          // Both corners saturated: t − e^{b}/s instead of lo + (s(t − lo) − e^{b})/s, equal to rounding.
          // (the general form rounds s(t − lo) and adds lo back: error ≲ 2 ulp of |t| + |lo|)
          expect(Math.abs(fast[0][0] - general[0][0])).toBeLessThanOrEqual(4 * Number.EPSILON * (1 + Math.abs(t) + Math.abs(r.lo)));
          expect(Object.is(fast[1][0], general[1][0]), `slope at t = ${t}, [${r.lo}, ${r.hi}]`).toBe(true);
        } else {
          expect(Object.is(fast[0][0], general[0][0]) && Object.is(fast[1][0], general[1][0]), `t = ${t}, [${r.lo}, ${r.hi}]`).toBe(true);
        }
      }
    };
    // Every branch boundary (s(t − lo), s(t − hi) = ±40) and far tails, then random points.
    for (const c of [-60, -50, -28, -20, -12, 0, 8, 12, 20, 28, 42, 50, 58]) for (let d = -0.05; d <= 0.05; d += 0.001) check(c + d);
    fc.assert(fc.property(fc.double({ min: -300, max: 300, noNaN: true }), (t) => check(t)), { numRuns: 20000 });
  });

  it('its soft-clip is the paper formula (s = 5) on every range, far into both tails', () => {
    const paper = (x: number, lo: number, hi: number) => {
      const lpe = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
      return (lpe(5 * (x - lo)) - lpe(5 * (x - hi))) / 5 + lo;
    };
    fc.assert(
      fc.property(fc.double({ min: -500, max: 500, noNaN: true }), (x) => {
        for (const r of [HIDDEN_RANGE, MEAN_RANGE, LOG_VARIANCE_RANGE]) expect(Math.abs(kernelSoftClip(x, r) - paper(x, r.lo, r.hi))).toBeLessThan(1e-12 * Math.max(1, Math.abs(x)));
      }),
    );
  });
});
