/**
 * The linear-VAE claims' newer engine checks fire on a deliberately broken
 * input and stay quiet on a correct one: the step size up to the claim's last
 * step, the spread of the stochastic gradient against a float64 reference
 * (noise shared across the batch), a σ_x ≠ 1 probe (σ_x for σ_x²), the
 * squared-norm cross-check, mixed-batch padding, seed independence, and the
 * falsifier's own conformance. Deterministic (named seeds).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { probeStepSchedule } from '../../src/claims/shared/optimizer-probe.ts';
import { probeMixedBatch } from '../../src/claims/shared/mixed-batch-probe.ts';
import { engineGradientDraws } from '../../src/claims/shared/gradient-probe.ts';
import { linearVaeConformance, probeInjectedBias } from '../../src/claims/convergence/shared/linear-vae-conformance.ts';
import { referenceGradientDraws } from '../../src/claims/convergence/shared/linear-vae-reference-gradient.ts';
import { seedIndependence, type SeedRunView } from '../../src/claims/shared/seed-independence.ts';
import { withFalsifierConformance, type LinearVaeRateConfig, type SeedRun } from '../../src/claims/convergence/shared/linear-vae-rate.ts';
import { linearVaeRateTiers } from '../../src/claims/convergence/shared/linear-vae-rate-tiers.ts';
import { BiasedGradientLinearVae } from '../../src/claims/convergence/shared/falsifier-models.ts';
import { LinearVaeModel, type LinearVaeModelOptions, type LinearVaeStepInputs } from '../../src/models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../../src/models/linear-vae/data.ts';
import { dataMoments, elboGradient, squaredNorm } from '../../src/models/linear-vae/oracle.ts';
import { toFloat64Params, zeroParams } from '../../src/models/linear-vae/params.ts';
import { replicaStreams, type ReplicaSetting, type ReplicaStreams } from '../../src/engine/replica.ts';
import type { ReplicaParams } from '../../src/engine/trainer.ts';
import { stepSize, type StepSchedule } from '../../src/engine/schedule.ts';
import { chiSquareTails } from '../../src/stats/chi-square.ts';
import { DrawMoments, meanTest } from '../../src/stats/mean-test.ts';
import { scaleTest } from '../../src/stats/scale-test.ts';
import { RandomStream } from '../../src/engine/rng.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const dims = { dx: 10, dz: 3 };
const N = 500;
const data = generateLinearGaussianData({ n: N, dx: 10, dz: 3, noiseStd: 0.5, seed: 11 }).x;
const moments = dataMoments(data, N, 10);
const probeSetting = { label: 'p', seed: 3, schedule: { C: 1, alpha: 0 }, batchSize: 8, samples: 1, beta: 1 };
/** A point away from the initialisation (b, c, s non-zero), as after some training. */
const point: ReplicaParams = (() => {
  const p = new LinearVaeModel({ dims, data, sigmaX: 1, initScale: 0.4 }).initialParams(probeSetting, replicaStreams(3));
  const r = RandomStream.at('test-point');
  return { ...p, b: Float32Array.from(p.b, () => 0.3 * r.normal()), c: Float32Array.from(p.c, () => 0.3 * r.normal()), s: Float32Array.from(p.s, () => -0.5 + 0.3 * r.normal()) };
})();

/** The kernel with ε drawn for the batch's first point only and reused for the others (unbiased, wrong variance). */
class NoiseSharedAcrossBatch extends LinearVaeModel {
  override objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    const first: number[] = [];
    let count = 0;
    const dz = params.c.length;
    const normal = () => {
      const i = count++ % (replica.samples * dz);
      if (first.length <= i) first.push(streams.noise.normal());
      return first[i];
    };
    // Both ways the kernel draws: one at a time (the JavaScript kernel), or a run at once (its WebAssembly port).
    const fillNormal = (out: Float64Array, offset: number, n: number) => {
      for (let i = 0; i < n; i++) out[offset + i] = normal();
    };
    const noise = { normal, fillNormal } as unknown as RandomStream;
    return super.objectiveAndGradient(params, replica, { ...streams, noise }, grad);
  }
}

/** The kernel with 1/σ_x where 1/σ_x² belongs: the gradient of a model with σ = √σ_x (identical at σ_x = 1). */
const sigmaForVariance = (opts: LinearVaeModelOptions) => new LinearVaeModel({ ...opts, sigmaX: Math.sqrt(opts.sigmaX) });

/** drawStep weighting all Kmax sample slots 1/(B·Kmax), padding included (the mixed-batch padding bug). */
class PaddingWeighted extends LinearVaeModel {
  override drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): LinearVaeStepInputs {
    const batch = super.drawStep(replicas, streams);
    const [R, Bmax, Kmax] = batch.sampleWeight.shape;
    const w = new Float32Array(R * Bmax * Kmax);
    replicas.forEach((r, i) => {
      for (let b = 0; b < r.batchSize; b++) for (let k = 0; k < Kmax; k++) w[(i * Bmax + b) * Kmax + k] = 1 / (r.batchSize * Kmax);
    });
    batch.sampleWeight.dispose();
    return { ...batch, sampleWeight: tf.tensor3d(w, [R, Bmax, Kmax]) };
  }
}

function flatExact(p: ReplicaParams, sigmaX: number, beta: number): Float64Array {
  const g = elboGradient(toFloat64Params(p, zeroParams(dims)), moments, sigmaX, beta, zeroParams(dims));
  return Float64Array.from([...g.W, ...g.b, ...g.V, ...g.c, ...g.s]);
}

describe('step size up to the claim\'s last step', () => {
  const schedule: StepSchedule = { C: 0.1, alpha: 0.5 };
  it('quiet on the engine\'s schedule', () => {
    const r = probeStepSchedule(schedule, 20000);
    expect(r.ok, r.detail).toBe(true);
  });
  it('fires on a decay capped at k = 5000 (invisible to a 2000-step probe)', () => {
    const capped = (s: StepSchedule, k: number) => s.C * Math.pow(Math.min(k, 5000), -s.alpha);
    expect(probeStepSchedule(schedule, 2000, capped).ok).toBe(true);
    const r = probeStepSchedule(schedule, 20000, capped);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/at k = \d{4,5}/);
  });
  it('fires on a floor on γ_k', () => {
    expect(probeStepSchedule(schedule, 20000, (s, k) => Math.max(stepSize(s, k), 1e-3)).ok).toBe(false);
  });
});

describe('spread of the stochastic gradient against a float64 reference of the estimator', () => {
  const setting = { batchSize: 8, samples: 1, beta: 1 };
  const reference = referenceGradientDraws({ dims, data: Float32Array.from(data), sigmaX: 1, setting, point, draws: 2000, seedLabel: ['test-reference'] });

  it('the reference is the estimator: its mean is the exact gradient', () => {
    const m = new DrawMoments(reference[0].length);
    for (const d of reference) m.add(d);
    const t = meanTest(m, flatExact(point, 1, 1));
    expect(t.ok, `max |z| ${t.maxAbsZ}`).toBe(true);
  });

  for (const path of ['analytic', 'autodiff'] as const) {
    it(`quiet on the engine (${path} path)`, () => {
      const draws: Float64Array[] = [];
      engineGradientDraws(new LinearVaeModel({ dims, data, sigmaX: 1 }), point, { setting, draws: 2000, path, seedLabel: ['test-spread', path], onDraw: (d) => draws.push(d) });
      const t = scaleTest(draws, reference, 1e-6);
      expect(t.ok, `max |z| ${t.maxAbsZ}`).toBe(true);
    });
  }

  it('fires on reparameterisation noise shared across the batch (its mean is still right)', () => {
    const draws: Float64Array[] = [];
    const m = engineGradientDraws(new NoiseSharedAcrossBatch({ dims, data, sigmaX: 1 }), point, { setting, draws: 2000, path: 'analytic', seedLabel: ['test-shared'], onDraw: (d) => draws.push(d) });
    expect(meanTest(m, flatExact(point, 1, 1)).ok).toBe(true);
    const t = scaleTest(draws, reference, 1e-6);
    expect(t.ok).toBe(false);
    expect(t.worstVarianceRatio).toBeGreaterThan(1.5);
  });
});

describe('scaleTest', () => {
  const heavy = (r: RandomStream) => r.normal() * r.normal() * Math.exp(r.normal());
  it('the rank statistic matches a brute-force Mann–Whitney count, ties included', () => {
    const r = RandomStream.at('brute-force');
    // Small integers: many ties among the squared deviations.
    const a = Array.from({ length: 40 }, () => [Math.floor(r.uniform() * 7)]);
    const b = Array.from({ length: 35 }, () => [Math.floor(r.uniform() * 9)]);
    const pooled = [...a, ...b].reduce((s, [x]) => s + x, 0) / 75;
    const ya = a.map(([x]) => (x - pooled) ** 2);
    const yb = b.map(([x]) => (x - pooled) ** 2);
    let u = 0;
    for (const x of ya) for (const y of yb) u += x > y ? 1 : x === y ? 0.5 : 0;
    const counts = new Map<number, number>();
    for (const v of [...ya, ...yb]) counts.set(v, (counts.get(v) ?? 0) + 1);
    const ties = [...counts.values()].reduce((s, t) => s + t ** 3 - t, 0);
    const z = (u - (40 * 35) / 2) / Math.sqrt(((40 * 35) / 12) * (76 - ties / (75 * 74)));
    expect(scaleTest(a, b, 0.01).maxAbsZ).toBeCloseTo(Math.abs(z), 12);
  });
  it('quiet on two samples of one heavy-tailed distribution; fires on twice the variance', () => {
    const r = RandomStream.at('scale-test');
    const draw = (scale: number) => Array.from({ length: 2000 }, () => [heavy(r) * scale, r.normal(), heavy(r)]);
    expect(scaleTest(draw(1), draw(1), 1e-6).ok).toBe(true);
    const t = scaleTest(draw(Math.SQRT2), draw(1), 1e-6);
    expect(t.ok).toBe(false);
    expect(t.worst).toBe(0);
  });
});

describe('the linear-VAE engine conformance', () => {
  const setting = { batchSize: 8, samples: 1, beta: 1 };
  const initial = new LinearVaeModel({ dims, data, sigmaX: 1 }).initialParams(probeSetting, replicaStreams(5));
  const norm = (p: ReplicaParams) => squaredNorm(elboGradient(toFloat64Params(p, zeroParams(dims)), moments, 1, 1));
  const input = {
    claimId: 'test',
    optimizer: { kind: 'sgd' as const },
    schedule: { C: 0.1, alpha: 0.5 },
    sigmaX: 1,
    dims,
    data,
    steps: 3000,
    arms: [{ setting, initial, final: point, measured: { initial: norm(initial), final: norm(point) } }],
  };

  it('passes on the engine, with every check named in its assumptions', () => {
    const r = linearVaeConformance(input);
    expect(r.ok, r.error).toBe(true);
    const detail = r.assumptions.map((a) => a.detail).join(' ');
    expect(detail).toMatch(/3000 steps/);
    expect(detail).toMatch(/float64 reference of the estimator/);
    expect(detail).toMatch(/σ_x = 0\.7/);
    expect(detail).toMatch(/sum of squares over all 76 coordinates/);
    expect(detail).toMatch(/mixing B, K and β/);
    expect(detail).toMatch(/WebAssembly SIMD port equals its JavaScript kernel bit for bit \(objective and all 76 gradient coordinates\) on 6 steps' draws/);
  });

  it('fires when the WebAssembly kernel differs from the JavaScript kernel by one rounding (invisible to every statistical probe)', () => {
    class PortOneUlpOff extends LinearVaeModel {
      override objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
        const value = super.objectiveAndGradient(params, replica, streams, grad);
        if (this.kernelImplementation === 'wasm-simd') grad.V[4] += Math.abs(grad.V[4]) * Number.EPSILON;
        return value;
      }
    }
    const r = linearVaeConformance({ ...input, engineModel: (o) => new PortOneUlpOff(o) });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/WebAssembly kernel is not the JavaScript kernel it ports: ∂V\[4\] .* \(WebAssembly\) ≠ .* \(JavaScript\) at seed 0's initial point/);
    expect(r.error).not.toMatch(/not unbiased|estimator's noise/);
  });

  it('fires on noise shared across the batch (the spread test)', () => {
    const r = linearVaeConformance({ ...input, engineModel: (o) => new NoiseSharedAcrossBatch(o) });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/does not have the estimator's noise/);
    expect(r.error).not.toMatch(/not unbiased/);
  });

  it('fires on σ_x where σ_x² belongs (invisible at σ_x = 1: only the σ_x\' probes see it)', () => {
    const r = linearVaeConformance({ ...input, engineModel: sigmaForVariance });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/with σ_x = 0\.7/);
    expect(r.error).not.toMatch(/at seed 0's initial point \(B/);
  });

  it('fires on a measured ‖∇L‖² that leaves out the log-variance block', () => {
    const g = elboGradient(toFloat64Params(initial, zeroParams(dims)), moments, 1, 1);
    const withoutS = norm(initial) - g.s.reduce((a, v) => a + v * v, 0);
    const r = linearVaeConformance({ ...input, arms: [{ ...input.arms[0], measured: { initial: withoutS, final: norm(point) } }] });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/squared gradient norm is not the squared norm of the exact gradient/);
  });
});

describe('mixed-batch probe: a replica\'s step does not depend on its batch-mates', () => {
  it('quiet on the engine', () => {
    const r = probeMixedBatch(new LinearVaeModel({ dims, data, sigmaX: 1 }), point, { batchSize: 8, samples: 1, beta: 1 }, ['test']);
    expect(r.ok, r.detail).toBe(true);
    expect(r.worst).toBeLessThan(1e-5);
  });
  it('fires when padding samples are weighted into a replica\'s objective', () => {
    const r = probeMixedBatch(new PaddingWeighted({ dims, data, sigmaX: 1 }), point, { batchSize: 8, samples: 1, beta: 1 }, ['test']);
    expect(r.ok).toBe(false);
  });
});

describe('seed independence', () => {
  const model = new LinearVaeModel({ dims, data, sigmaX: 1 });
  const runs: SeedRunView[] = Array.from({ length: 8 }, (_, s) => {
    const seed = 1000 + s;
    const r = RandomStream.at('g', s);
    return { seed, initial: model.initialParams({ ...probeSetting, seed }, replicaStreams(seed)), g: Float64Array.from({ length: 50 }, () => r.uniform()) };
  });
  const init = { scale: model.initScale, randomBlocks: ['W', 'V'] };

  it('quiet on independent seeds', () => {
    const r = seedIndependence(runs, init);
    expect(r.ok, r.error).toBe(true);
  });
  it('fires on one seed index for every replica (S copies of one run)', () => {
    const r = seedIndependence(runs.map(() => runs[0]), init);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^seeds are not independent: seeds 0 and 1 are trained with the same replica seed/);
  });
  it('fires on one initial point for every seed (streams otherwise per replica)', () => {
    const r = seedIndependence(runs.map((x) => ({ ...x, initial: runs[0].initial })), init);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/start from the same initial parameters/);
  });
  it('fires on identical ‖∇L‖² trajectories', () => {
    expect(seedIndependence(runs.map((x) => ({ ...x, g: runs[0].g })), init).error).toMatch(/identical trajectories/);
  });
  it('fires on an initial spread that does not match the initialisation scale', () => {
    const r = seedIndependence(runs, { ...init, scale: 2 * init.scale });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/spread of the initial W, V/);
  });
  it('χ² tails agree with known values', () => {
    const t = chiSquareTails(3.84, 1);
    expect(t.upper).toBeCloseTo(0.05004352124871, 12);
    expect(chiSquareTails(580, 420).upper).toBeCloseTo(3.425440668373e-7, 17);
    expect(chiSquareTails(290, 420).lower).toBeCloseTo(2.430395254976e-7, 17);
  });
});

describe('falsifier conformance', () => {
  const setting = { batchSize: 8, samples: 1, beta: 1 };
  /** The biased-gradient falsifier with its δ added before the kernel zeroes the gradient (it injects nothing). */
  class BiasOverwritten extends LinearVaeModel {
    override objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
      for (let q = 0; q < grad.b.length; q++) grad.b[q] += 0.05;
      return super.objectiveAndGradient(params, replica, streams, grad);
    }
  }
  const base = { dims, data, sigmaX: 1, setting, point, bias: 0.05, seedLabel: ['test'] };
  it('the biased-gradient falsifier injects δ in ∂b: quiet', () => {
    const r = probeInjectedBias({ ...base, model: new BiasedGradientLinearVae({ dims, data, sigmaX: 1 }, 0.05) });
    expect(r.ok, r.detail).toBe(true);
  });
  it('fires on a falsifier model that injects nothing', () => {
    const r = probeInjectedBias({ ...base, model: new BiasOverwritten({ dims, data, sigmaX: 1 }) });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/∂b\[/);
  });

  const own = { ...linearVaeRateTiers({ kind: 'sgd' }).quick, seeds: 2, steps: 10 } as LinearVaeRateConfig;
  const slow = { ...own, schedule: { ...own.schedule, alpha: 0.25 } };
  const run = (offset: number): SeedRun[] =>
    [0, 1].map((s) => ({ seed: 1 + s, g: Float64Array.from({ length: 11 }, (_, k) => 1 / (k + 1 + offset + s)), averaged: new Float64Array(0), initial: point, final: point }));
  const ctx = { tier: 'quick' as const, masterSeed: 1, backend: { name: 'wasm', tfjsVersion: '', precision: 'float32' }, progress: () => {} };
  const pass = { verdict: 'pass' as const, metrics: {} };
  it('quiet when a falsifier trains differently from the claim', () => {
    expect(withFalsifierConformance(pass, 'test', [own, slow], [run(0), run(0.5)], ctx as never).verdict).toBe('pass');
  });
  it('fires when a falsifier\'s mutation never reaches the engine (its trajectories are the claim\'s own)', () => {
    const r = withFalsifierConformance(pass, 'test', [own, slow], [run(0), run(0)], ctx as never);
    expect(r.verdict).toBe('error');
    expect(r.error).toMatch(/schedule = .*never reached the engine/);
  });
});
