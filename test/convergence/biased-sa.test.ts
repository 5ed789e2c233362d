/**
 * The pieces biased-sa-rate rests on: the engine's samples schedule K_k
 * (kernel trainer; refused by the autodiff trainer; a replica without a
 * schedule unchanged), the fixed-encoder IWAE model (only W, b train; kernel
 * and TF.js against the float64 reference; warm start), the exact ∇_θ log p
 * at the ML decoder (a known zero), and the O(1/K) bias the claim's premise
 * measures.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { KernelTrainer, type ReplicaKernel } from '../../src/engine/kernel-trainer.ts';
import { ReplicaTrainer, type ReplicaParams } from '../../src/engine/trainer.ts';
import { InvalidSettingError, replicaStreams, samplesAt, validateReplica, type ReplicaSetting, type ReplicaStreams } from '../../src/engine/replica.ts';
import { LinearIwaeModel } from '../../src/models/linear-vae/iwae-engine-model.ts';
import { fixedSpectrumLinearGaussianData } from '../../src/models/linear-vae/iwae-data.ts';
import { fixedVarianceMlDecoder } from '../../src/models/linear-vae/ml-decoder.ts';
import { optimalEncoder } from '../../src/models/linear-vae/oracle.ts';
import { logMarginalGradient } from '../../src/models/linear-vae/iwae-oracle.ts';
import { autodiffAgainstReference, kernelAgainstReference, toReference } from '../../src/claims/convergence/shared/iwae-conformance.ts';
import { unbiasedSquaredNorm } from '../../src/stats/unbiased-squared-norm.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const dims = { dx: 6, dz: 2 };
const n = 32;
const sigmaX = 1;
const data = fixedSpectrumLinearGaussianData({ n, ...dims, noiseStd: 0.5, singularValues: [2.5, 2], seed: 9 });
const x = Float64Array.from(Float32Array.from(data.x));
const ml = fixedVarianceMlDecoder(x, n, dims, sigmaX);
const enc = optimalEncoder(ml.W, ml.b, dims, sigmaX);

function fixedModel(meanShift = 0.5, initScale = 0.1): LinearIwaeModel {
  return new LinearIwaeModel({ dims, data: x, sigmaX, encoderLogVariance: 0.5, fixedEncoderMean: { V: enc.V, c: enc.c.map((v) => v + meanShift) }, initialDecoder: ml, initScale });
}

function setting(seed: number, extra: Partial<ReplicaSetting> = {}): ReplicaSetting {
  return { label: `seed ${seed}`, seed, schedule: { C: 0.05, alpha: 0.5 }, batchSize: 4, samples: 3, beta: 1, ...extra };
}

/** Records the K each step is trained with, and steps nothing. */
class Recorder implements ReplicaKernel {
  readonly name = 'recorder';
  readonly dataSize = 1;
  readonly paramShapes = { w: [1] };
  readonly seen: number[][] = [];
  initialParams(): ReplicaParams {
    return { w: new Float32Array(1) };
  }
  objectiveAndGradient(_p: ReplicaParams, r: ReplicaSetting, _s: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    (this.seen[index] ??= []).push(r.samples);
    grad.w[0] = 0;
    return 0;
  }
}

describe('the samples schedule K_k = min(Kmax, ⌈K0·k^a⌉)', () => {
  it('is what the kernel trainer hands the model at every step; a replica without a schedule keeps its K', () => {
    const rec = new Recorder();
    const replicas = [
      { ...setting(1, { batchSize: 1 }), samplesSchedule: { K0: 2, a: 0.5, Kmax: 10 } },
      { ...setting(2, { batchSize: 1, samples: 5 }) },
      { ...setting(3, { batchSize: 1 }), samplesSchedule: { K0: 8, a: 0.125, Kmax: 512 } },
    ];
    const trainer = new KernelTrainer(rec, replicas, { kind: 'sgd' });
    trainer.train({ steps: 40 });
    // Known answers: ⌈2√k⌉ = 2, 3, 4, 4, 5, … capped at 10 from k = 25 on (2·√25 = 10).
    expect(rec.seen[0].slice(0, 5)).toEqual([2, 3, 4, 4, 5]);
    expect(rec.seen[0][23]).toBe(10);
    expect(rec.seen[0].slice(24).every((K) => K === 10)).toBe(true);
    expect(rec.seen[1].every((K) => K === 5)).toBe(true);
    // ⌈8·k^{1/8}⌉: k = 1 → 8, k = 2 → ⌈8.72⌉ = 9, k = 40 → ⌈8·1.585⌉ = 13.
    expect([rec.seen[2][0], rec.seen[2][1], rec.seen[2][39]]).toEqual([8, 9, 13]);
    for (let k = 1; k <= 40; k++) expect(rec.seen[0][k - 1]).toBe(samplesAt(replicas[0], k));
  });

  it('is refused by the autodiff trainer and validated (allowed ranges named)', () => {
    const model = fixedModel();
    const r = { ...setting(1), samplesSchedule: { K0: 2, a: 0.5, Kmax: 10 } };
    expect(() => new ReplicaTrainer(model, [r], { kind: 'sgd' })).toThrow(/kernel trainer/);
    expect(() => validateReplica({ ...r, samplesSchedule: { K0: 2, a: 1.5, Kmax: 10 } }, n)).toThrow(InvalidSettingError);
    expect(() => validateReplica({ ...r, samplesSchedule: { K0: 0, a: 0.5, Kmax: 10 } }, n)).toThrow(/K0 > 0/);
    expect(() => validateReplica({ ...r, samplesSchedule: { K0: 2, a: 0.5, Kmax: 2.5 } }, n)).toThrow(/Kmax ≥ 1/);
  });

  it('with a = 0 trains bitwise as the fixed-K replica, and a scheduled batch-mate leaves a replica unchanged', () => {
    const model = fixedModel();
    const fixed = setting(5, { samples: 4 });
    const scheduled = { ...setting(5, { samples: 4 }), samplesSchedule: { K0: 4, a: 0, Kmax: 64 } };
    const growing = { ...setting(6), samplesSchedule: { K0: 1, a: 0.5, Kmax: 64 } };
    const run = (rs: ReplicaSetting[]) => {
      const t = new KernelTrainer(model, rs, { kind: 'sgd' });
      t.train({ steps: 60 });
      return t.readParams();
    };
    const alone = run([fixed]).replica(0);
    const batch = run([scheduled, growing]);
    expect(Array.from(batch.replica(0).W)).toEqual(Array.from(alone.W));
    expect(Array.from(batch.replica(0).b)).toEqual(Array.from(alone.b));
    expect(Array.from(batch.replica(1).W)).not.toEqual(Array.from(alone.W));
  });
});

describe('the fixed-encoder IWAE model', () => {
  const model = fixedModel();

  it('trains W and b only, starts at W* + initScale·N(0, 1) and b*, and keeps V, c at the given map', () => {
    expect(Object.keys(model.paramShapes).sort()).toEqual(['W', 'b']);
    const p = model.initialParams(setting(3), replicaStreams(3));
    expect(Array.from(p.b)).toEqual(Array.from(Float32Array.from(ml.b)));
    const dev = Array.from(p.W, (v, i) => v - ml.W[i]);
    const sd = Math.sqrt(dev.reduce((u, v) => u + v * v, 0) / dev.length);
    expect(sd).toBeGreaterThan(0.03);
    expect(sd).toBeLessThan(0.3);
    const ref = toReference(model, dims, p);
    expect(Array.from(ref.V)).toEqual(Array.from(Float32Array.from(enc.V)));
    expect(ref.c[0]).toBeCloseTo(enc.c[0] + 0.5, 6);
    expect(() => new LinearIwaeModel({ dims, data: x, sigmaX, fixedEncoderMean: { V: enc.V, c: enc.c } })).toThrow(/encoderLogVariance/);
  });

  it('kernel and TF.js objective match the float64 reference on identical draws', () => {
    for (const [B, K] of [[4, 1], [8, 5], [3, 17]]) {
      const p = model.initialParams(setting(B * K), replicaStreams(B * K));
      const st = setting(11, { batchSize: B, samples: K });
      const kernel = kernelAgainstReference({ model, dims, sigmaX }, p, st);
      const autodiff = autodiffAgainstReference({ model, dims, sigmaX }, p, st);
      expect(kernel.ok, JSON.stringify(kernel)).toBe(true);
      expect(kernel.gradientError).toBeLessThan(1e-12);
      expect(autodiff.ok, JSON.stringify(autodiff)).toBe(true);
    }
  });
});

describe('what the claim measures', () => {
  it('the exact ∇_θ log p vanishes at the closed-form ML decoder (a known zero) and not away from it', () => {
    const at = logMarginalGradient(ml.W, ml.b, dims, sigmaX, x, n);
    const norm = (g: { W: Float64Array; b: Float64Array }) => [...g.W, ...g.b].reduce((u, v) => u + v * v, 0);
    expect(norm(at)).toBeLessThan(1e-20);
    const off = logMarginalGradient(ml.W.map((v) => v * 1.1), ml.b, dims, sigmaX, x, n);
    expect(norm(off)).toBeGreaterThan(1e-3);
  });

  it("the engine's θ-gradient bias at θ* shrinks at least like 1/K, and is 0 for no K when q is not the posterior", () => {
    const m = fixedModel();
    const params: ReplicaParams = { W: Float32Array.from(ml.W), b: Float32Array.from(ml.b) };
    const bias = [4, 16].map((K) => {
      const st = setting(40 + K, { batchSize: n, samples: K });
      const streams = replicaStreams(st.seed);
      const grad = { W: new Float64Array(12), b: new Float64Array(6) };
      const draws = Array.from({ length: 1500 }, () => {
        m.objectiveAndGradient(params, st, streams, grad);
        return Float64Array.from([...grad.W, ...grad.b]);
      });
      return Math.sqrt(unbiasedSquaredNorm(draws).estimate);
    });
    expect(bias[1]).toBeGreaterThan(0.01);
    // bias(16)/bias(4) ≤ 1/4 (up to Monte Carlo error): O(1/K) or faster.
    expect(bias[1] / bias[0]).toBeLessThan(0.3);
  });
});
