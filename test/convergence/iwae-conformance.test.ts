/**
 * The pieces iwae-rate and iwae-bias rest on: the fixed-variance IWAE model
 * (kernel against autodiff against the float64 reference), the falsifier model
 * that pools log-weights by their mean, the engine-conformance checks (they
 * pass on the engine and see a broken one), the ELBO optimum of the
 * fixed-variance family, and the fixed-spectrum data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import type { ReplicaParams } from '../../src/engine/trainer.ts';
import { LinearIwaeModel } from '../../src/models/linear-vae/iwae-engine-model.ts';
import { MeanLogWeightModel } from '../../src/models/linear-vae/iwae-elbo-objective.ts';
import { fixedVarianceElboOptimum } from '../../src/models/linear-vae/iwae-elbo-optimum.ts';
import { fixedSpectrumLinearGaussianData } from '../../src/models/linear-vae/iwae-data.ts';
import { iwaeDraw } from '../../src/models/linear-vae/iwae-oracle.ts';
import { dataMoments, logMarginal } from '../../src/models/linear-vae/oracle.ts';
import { zeroParams } from '../../src/models/linear-vae/params.ts';
import {
  autodiffAgainstReference,
  engineGradientUnbiased,
  flattenTrained,
  kernelAgainstReference,
  referenceAnchoredAtK1,
  referenceGradientPair,
  toReference,
  type IwaeEngineSetup,
} from '../../src/claims/convergence/shared/iwae-conformance.ts';
import { iwaeRateCheckpoints } from '../../src/claims/convergence/iwae-rate.check.ts';
import { unbiasedSquaredNorm } from '../../src/stats/unbiased-squared-norm.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const dims = { dx: 6, dz: 2 };
const data = fixedSpectrumLinearGaussianData({ n: 60, ...dims, noiseStd: 0.5, singularValues: [2, 1.5], seed: 5 });
const x32 = Float32Array.from(data.x);
const sigmaX = 1;
const s0 = 0;

function setting(B: number, K: number, seed: number): ReplicaSetting {
  return { label: `B=${B},K=${K}`, seed, schedule: { C: 0.05, alpha: 0.5 }, batchSize: B, samples: K, beta: 1 };
}

function setupOf(model: LinearIwaeModel): IwaeEngineSetup {
  return { model, dims, sigmaX };
}

/** Moderate float32 parameters for a model (s only where the model learns it). */
function params(model: LinearIwaeModel, label: number): ReplicaParams {
  const rng = RandomStream.at('iwae-conformance-test', label);
  return Object.fromEntries(
    Object.entries(model.paramShapes).map(([nm, sh]) => {
      const v = new Float32Array(sh.reduce((a, b) => a * b, 1));
      for (let i = 0; i < v.length; i++) v[i] = Math.fround((nm === 's' ? 0.3 : 0.4) * rng.normal());
      return [nm, v];
    }),
  );
}

/** A broken engine: the kernel's weights tempered (ω ∝ w^0.9), TF.js left alone. */
class TemperedKernel extends LinearIwaeModel {
  protected override poolKernel(logW: Float64Array, K: number, omega: Float64Array): number {
    const tempered = logW.map((v) => 0.9 * v);
    return super.poolKernel(tempered, K, omega) / 0.9;
  }
}

describe('the fixed-variance IWAE model', () => {
  const model = new LinearIwaeModel({ dims, data: x32, sigmaX, encoderLogVariance: s0 });

  it('has no s parameter, and its kernel and TF.js objective match the float64 reference on identical draws', () => {
    expect(Object.keys(model.paramShapes).sort()).toEqual(['V', 'W', 'b', 'c']);
    for (const [B, K] of [[5, 1], [8, 4], [3, 16]]) {
      const p = params(model, B * K);
      const kernel = kernelAgainstReference(setupOf(model), p, setting(B, K, 11));
      const autodiff = autodiffAgainstReference(setupOf(model), p, setting(B, K, 11));
      expect(kernel.ok, JSON.stringify(kernel)).toBe(true);
      expect(kernel.gradientError).toBeLessThan(1e-12);
      expect(autodiff.ok, JSON.stringify(autodiff)).toBe(true);
    }
  });

  it('reads s₀ where the learned model reads s: same step as the learned model at s = s₀', () => {
    const learned = new LinearIwaeModel({ dims, data: x32, sigmaX });
    const p = params(model, 3);
    const withS = { ...p, s: new Float32Array(dims.dz).fill(s0) };
    const g1: Record<string, Float64Array> = { W: new Float64Array(12), b: new Float64Array(6), V: new Float64Array(12), c: new Float64Array(2) };
    const g2: Record<string, Float64Array> = { ...Object.fromEntries(Object.entries(g1).map(([k, v]) => [k, v.slice()])), s: new Float64Array(2) };
    const v1 = model.objectiveAndGradient(p, setting(7, 3, 21), replicaStreams(21), g1);
    const v2 = learned.objectiveAndGradient(withS, setting(7, 3, 21), replicaStreams(21), g2);
    expect(v1).toBe(v2);
    for (const nm of ['W', 'b', 'V', 'c']) expect(Array.from(g1[nm])).toEqual(Array.from(g2[nm]));
  });
});

describe('MeanLogWeightModel (the objective-is-elbo falsifier)', () => {
  const model = new MeanLogWeightModel({ dims, data: x32, sigmaX, encoderLogVariance: s0 });

  it('returns the mean of the K log-weights, and its kernel equals its TF.js objective', () => {
    const p = params(model, 9);
    const st = setting(6, 4, 31);
    const grad = Object.fromEntries(Object.entries(model.paramShapes).map(([nm, sh]) => [nm, new Float64Array(sh.reduce((a, b) => a * b, 1))]));
    const value = model.objectiveAndGradient(p, st, replicaStreams(31), grad);
    // The same draws as K = 1 "points": the reference's bound at K = 1 is the mean log-weight.
    const twin = replicaStreams(31);
    const xs = new Float64Array(6 * 4 * dims.dx);
    const eps = new Float64Array(6 * 4 * dims.dz);
    for (let i = 0; i < 6; i++) {
      const row = twin.data.int(60);
      for (let k = 0; k < 4; k++) xs.set(x32.subarray(row * dims.dx, (row + 1) * dims.dx), (i * 4 + k) * dims.dx);
      for (let t = 0; t < 4 * dims.dz; t++) eps[i * 4 * dims.dz + t] = twin.noise.normal();
    }
    const ref = iwaeDraw(toReference(model, dims, p), { dims, sigmaX, x: xs, n: 24, K: 1, eps });
    expect(value).toBeCloseTo(ref.value, 10);
    for (const nm of ['W', 'b', 'V', 'c'] as const) for (let i = 0; i < grad[nm].length; i++) expect(grad[nm][i]).toBeCloseTo(ref.grad[nm][i], 10);
  });

  it('is told apart from the IWAE model by the conformance checks', () => {
    const p = params(model, 10);
    const st = setting(8, 4, 41);
    // Its own reference is the IWAE bound: the identical-draws comparison must flag it.
    expect(kernelAgainstReference(setupOf(model), p, st).ok).toBe(false);
    expect(autodiffAgainstReference(setupOf(model), p, st).ok).toBe(false);
    expect(engineGradientUnbiased(setupOf(model), p, { batchSize: 60, samples: 4, draws: 60, seed: 3, falseAlarm: 1e-4 }).ok).toBe(false);
  });
});

describe('engine conformance checks', () => {
  const model = new LinearIwaeModel({ dims, data: x32, sigmaX, encoderLogVariance: s0 });

  it('pass on the engine: unbiased kernel gradient, reference anchored to the closed form at K = 1', () => {
    const p = params(model, 12);
    const unbiased = engineGradientUnbiased(setupOf(model), p, { batchSize: 30, samples: 4, draws: 60, seed: 4, falseAlarm: 1e-4 });
    expect(unbiased.ok, JSON.stringify(unbiased)).toBe(true);
    const anchor = referenceAnchoredAtK1(setupOf(model), p, 40, 5, 1e-4);
    expect(anchor.ok, JSON.stringify(anchor)).toBe(true);
  });

  it('see a kernel with mis-normalised weights on identical draws, and a learned-variance model too', () => {
    const broken = new TemperedKernel({ dims, data: x32, sigmaX });
    const p = params(broken, 13);
    const d = kernelAgainstReference(setupOf(broken), p, setting(8, 8, 51));
    expect(d.ok).toBe(false);
    expect(d.gradientError).toBeGreaterThan(1e-3);
    // TF.js of the same model is untouched: it still agrees.
    expect(autodiffAgainstReference(setupOf(broken), p, setting(8, 8, 51)).ok).toBe(true);
    const learned = new LinearIwaeModel({ dims, data: x32, sigmaX });
    expect(kernelAgainstReference(setupOf(learned), params(learned, 14), setting(8, 8, 51)).ok).toBe(true);
  });

  it('antithetic pairs estimate the same ‖∇L_K‖² with less variance than single draws', () => {
    const p = toReference(model, dims, params(model, 15));
    const rng = RandomStream.at('antithetic');
    const n = 60;
    const K = 4;
    const eps = new Float64Array(n * K * dims.dz);
    const minus = new Float64Array(eps.length);
    const scratch = zeroParams(dims);
    const size = flattenTrained(scratch, model).length;
    const pairs: Float64Array[] = [];
    const singles: Float64Array[] = [];
    for (let j = 0; j < 200; j++) {
      rng.fillNormal(eps);
      singles.push(flattenTrained(iwaeDraw(p, { dims, sigmaX, x: data.x, n, K, eps }).grad, model));
      pairs.push(referenceGradientPair(setupOf(model), p, Float64Array.from(x32), n, K, eps, minus, scratch, new Float64Array(size)));
    }
    const a = unbiasedSquaredNorm(pairs);
    const b = unbiasedSquaredNorm(singles);
    // Same target within their errors (4 SE), and the pair's per-draw variance is < half a single draw's.
    expect(Math.abs(a.estimate - b.estimate)).toBeLessThan(4 * Math.hypot(a.standardError, b.standardError));
    expect(a.floor).toBeLessThan(0.5 * b.floor);
  });
});

describe('the ELBO optimum of the fixed-variance family', () => {
  it('converges, leaves a positive gap to log p(x), and is not a stationary point of L_K', () => {
    const model = new LinearIwaeModel({ dims, data: x32, sigmaX, encoderLogVariance: s0 });
    const x = Float64Array.from(x32);
    const start = toReference(model, dims, model.initialParams(setting(1, 1, 61), replicaStreams(61)));
    const opt = fixedVarianceElboOptimum(dataMoments(x, 60, dims.dx), sigmaX, s0, start);
    expect(opt.gradientNormSq).toBeLessThan(1e-20);
    expect(Array.from(opt.params.s)).toEqual([s0, s0]);
    const gap = logMarginal(opt.params.W, opt.params.b, dims, sigmaX, x, 60) - opt.elbo;
    expect(gap).toBeGreaterThan(0.05);
    const rng = RandomStream.at('separation-test');
    const eps = new Float64Array(60 * 4 * dims.dz);
    const minus = new Float64Array(eps.length);
    const scratch = zeroParams(dims);
    const draws = Array.from({ length: 20 }, () => {
      rng.fillNormal(eps);
      return referenceGradientPair(setupOf(model), opt.params, x, 60, 4, eps, minus, scratch, new Float64Array(flattenTrained(scratch, model).length));
    });
    const sep = unbiasedSquaredNorm(draws);
    expect(sep.estimate).toBeGreaterThan(10 * sep.standardError);
  });
});

describe('fixed-spectrum data and the iwae-rate grid', () => {
  it('W* has orthonormal columns scaled by the singular values; the same seed gives the same data', () => {
    const { W } = data;
    const sv = [2, 1.5];
    for (let j = 0; j < 2; j++) {
      for (let l = 0; l < 2; l++) {
        let dot = 0;
        for (let i = 0; i < dims.dx; i++) dot += W[i * 2 + j] * W[i * 2 + l];
        expect(dot).toBeCloseTo(j === l ? sv[j] ** 2 : 0, 12);
      }
    }
    const again = fixedSpectrumLinearGaussianData({ n: 60, ...dims, noiseStd: 0.5, singularValues: sv, seed: 5 });
    expect(Array.from(again.x)).toEqual(Array.from(data.x));
    expect(() => fixedSpectrumLinearGaussianData({ n: 5, dx: 2, dz: 3, noiseStd: 0.5, singularValues: [1, 1, 1], seed: 1 })).toThrow(/orthonormal/);
  });

  it('measures at 0, at the end, and densely over the last decade', () => {
    const grid = iwaeRateCheckpoints({ steps: 5000, checkpointsPerDecade: 5, lastDecadeCheckpoints: 8 });
    expect(grid[0]).toBe(0);
    expect(grid[grid.length - 1]).toBe(5000);
    expect(grid.filter((k) => k >= 500).length).toBeGreaterThanOrEqual(9);
    expect([...grid].sort((a, b) => a - b)).toEqual(grid);
  });
});
