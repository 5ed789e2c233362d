/**
 * The pieces of adam-rate-deep-vae's check: the fused soft-clip and the
 * multi-draw float64 reference against their plain forms; the engine model's
 * one-pass head clipping and injected gradient bias; Polyak–Ruppert window
 * averages; the two-sample mean test; the end-of-run statistics on known
 * answers; and the engine-conformance checks, which must pass on the engine
 * as it is and fail on a model that is not it. Deterministic (named seeds).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { DrawMoments } from '../../src/stats/mean-test.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, softClip, softClipDerivative, softClipWithDerivative } from '../../src/models/deep-vae/soft-clip.ts';
import { DeepVaeModel, PACKED_PARAM } from '../../src/models/deep-vae/engine-model.ts';
import { deepElboDraw, deepElboDraws, deepOffsets, flattenDeep, unflattenDeep } from '../../src/models/deep-vae/reference.ts';
import { DEEP_VAE_PARAM_NAMES, deepParamCount, zeroDeepParams, type DeepVaeDims } from '../../src/models/deep-vae/params.ts';
import { PolyakRuppertAverages } from '../../src/claims/convergence/shared/polyak-ruppert.ts';
import { twoSampleMeanTest } from '../../src/stats/two-sample-mean-test.ts';
import { averagedEnds, deepVaeCheckpoints, fitEndOfRun, gradientBiasVector, type DeepVaeRateConfig } from '../../src/claims/convergence/adam-rate-deep-vae.check.ts';
import { activationConformance, antitheticNoise, drawStepRows, referenceGradientDraws, sameObjectiveError, samplerConformance } from '../../src/claims/convergence/adam-rate-deep-vae.conformance.ts';
import { engineGradientDraws } from '../../src/claims/shared/gradient-probe.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const dims: DeepVaeDims = { dx: 6, hidden: 5, dz: 2 };
const P = deepParamCount(dims);
const N = 12;
const data = (() => {
  const rng = RandomStream.at('deep-vae-rate-test-data');
  return Float32Array.from({ length: N * dims.dx }, () => rng.uniform());
})();

function theta(label: string, scale = 1): Float32Array {
  const rng = RandomStream.at('deep-vae-rate-test-theta', label);
  return Float32Array.from({ length: P }, () => Math.fround((scale * rng.normal()) / 2));
}

describe('fused soft-clip (float64 reference hot path)', () => {
  it('equals softClip and softClipDerivative, including the saturated branches |s(x − s_i)| > 40', () => {
    const out = new Float64Array(2);
    for (const r of [HIDDEN_RANGE, MEAN_RANGE, LOG_VARIANCE_RANGE]) {
      for (const x of [-300, -60, -28.1, -20, -12, -8.01, -3, -0.5, 0, 0.3, 7, 19.9, 42, 49, 58.01, 300]) {
        softClipWithDerivative(x, r, out, 0);
        expect(out[0]).toBeCloseTo(softClip(x, r), 12);
        expect(out[1]).toBeCloseTo(softClipDerivative(x, r), 14);
      }
    }
  });
});

describe('float64 reference: J draws in one pass', () => {
  it('equals J separate single draws (shared encoder pass), antithetic K = 2 layout included', () => {
    const p = unflattenDeep(Float64Array.from(theta('multi')), dims);
    const x = Float64Array.from(data);
    const stream = RandomStream.at('deep-vae-rate-test-noise');
    const eps = [0, 1, 2].map(() => antitheticNoise(N, dims.dz, stream));
    const grads = eps.map(() => new Float64Array(P));
    const values = deepElboDraws(p, { dims, activation: 'soft-clip', decoderStd: 0.4, beta: 1.3, x, n: N, K: 2 }, eps, grads);
    eps.forEach((e, j) => {
      const single = deepElboDraw(p, { dims, activation: 'soft-clip', decoderStd: 0.4, beta: 1.3, x, n: N, K: 2, eps: e });
      expect(values[j]).toBeCloseTo(single.value, 10);
      const flat = flattenDeep(single.grad);
      for (let i = 0; i < P; i++) expect(grads[j][i]).toBeCloseTo(flat[i], 10);
    });
    // Antithetic pairs: sample 1 of every point is −(sample 0).
    for (let i = 0; i < N * dims.dz; i += dims.dz) {
      const pt = i / dims.dz;
      for (let j = 0; j < dims.dz; j++) expect(eps[0][(2 * pt + 1) * dims.dz + j]).toBe(-eps[0][2 * pt * dims.dz + j]);
    }
  });

  it('flatten / unflatten are inverse, blocks in DEEP_VAE_PARAM_NAMES order', () => {
    const p = zeroDeepParams(dims);
    const offsets = deepOffsets(dims);
    DEEP_VAE_PARAM_NAMES.forEach((name, b) => p[name].fill(b + 1));
    const flat = flattenDeep(p);
    DEEP_VAE_PARAM_NAMES.forEach((name, b) => expect(flat[offsets[name]]).toBe(b + 1));
    const back = unflattenDeep(flat, dims);
    for (const name of DEEP_VAE_PARAM_NAMES) expect([...back[name]]).toEqual([...p[name]]);
  });
});

describe('engine model', () => {
  const settings = (count: number, B: number): ReplicaSetting[] =>
    Array.from({ length: count }, (_, r) => ({ label: `r${r}`, seed: 100 + r, schedule: { C: 1, alpha: 0 }, batchSize: B, samples: 1, beta: 1 }));

  it('all-soft batch (one clip pass over both heads) matches the float64 reference per draw', () => {
    const model = new DeepVaeModel({ dims, data, decoderStd: 0.4 });
    for (const label of ['a', 'b']) {
      const t = theta(label, 2);
      const r = sameObjectiveError(model, { dims, decoderStd: 0.4, setting: { batchSize: 5, samples: 1, beta: 1 } }, t, 7, 6);
      expect(r.error, r.detail).toBeLessThan(1e-4);
    }
  });

  it('an injected bias b adds exactly b to the gradient and nothing else', () => {
    const b = gradientBiasVector('test', 0.3, P);
    expect(b.reduce((u, v) => u + v * v, 0)).toBeCloseTo(0.3, 5);
    const reps = settings(2, 4);
    const biased = new DeepVaeModel({ dims, data, decoderStd: 0.4, gradientBiasOf: (r) => (r.label === 'r1' ? b : null) });
    const plain = new DeepVaeModel({ dims, data, decoderStd: 0.4 });
    const t = theta('bias');
    const grad = (model: DeepVaeModel) => {
      const inputs = model.drawStep(reps, reps.map((r) => replicaStreams(r.seed)));
      const tiled = new Float32Array(2 * P);
      tiled.set(t, 0);
      tiled.set(t, P);
      const T = tf.tensor2d(tiled, [2, P]);
      const g = tf.tidy(() => tf.grads((u: tf.Tensor) => model.objective({ [PACKED_PARAM]: u }, inputs).sum() as tf.Scalar)([T])[0].dataSync());
      T.dispose();
      model.disposeInputs(inputs);
      return g;
    };
    const gb = grad(biased);
    const gp = grad(plain);
    for (let i = 0; i < P; i++) {
      expect(gb[i]).toBeCloseTo(gp[i], 5);
      expect(gb[P + i] - gp[P + i]).toBeCloseTo(b[i], 5);
    }
  });
});

describe('Polyak–Ruppert window averages', () => {
  for (const stride of [1, 4]) {
    it(`stride ${stride}: equal the brute-force mean over the window's iterates`, () => {
      const ends = [20, 48, 100];
      const R = 2;
      const size = 3;
      const path = (k: number, r: number) => [Math.sin(k + r), k * 0.01 + r, Math.cos(3 * k)];
      const pr = new PolyakRuppertAverages(ends, R, size, stride);
      for (let k = 0; k <= 100; k++) if (pr.wants(k)) for (let r = 0; r < R; r++) pr.add(k, r, path(k, r));
      for (const e of ends) {
        for (let r = 0; r < R; r++) {
          const ks = Array.from({ length: e - Math.floor(e / 2) }, (_, i) => Math.floor(e / 2) + 1 + i).filter((k) => k % stride === 0);
          const want = [0, 1, 2].map((i) => ks.reduce((u, k) => u + path(k, r)[i], 0) / ks.length);
          const got = pr.average(e, r);
          want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12));
        }
      }
    });
  }

  it('refuses a skipped iterate', () => {
    const pr = new PolyakRuppertAverages([10], 1, 1);
    pr.add(5, 0, [1]);
    expect(() => pr.add(7, 0, [1])).toThrow(/iterate 7 fed where 6 was due/);
  });
});

describe('two-sample mean test (Bonferroni–Welch)', () => {
  const sample = (count: number, sd: number, shift: number, label: string) => {
    const rng = RandomStream.at('two-sample', label);
    const m = new DrawMoments(50);
    const v = new Float64Array(50);
    for (let j = 0; j < count; j++) {
      for (let i = 0; i < 50; i++) v[i] = (i === 7 ? shift : 0) + sd * rng.normal();
      m.add(v);
    }
    return m;
  };

  it('accepts equal means with unequal noise and sample sizes, rejects a shifted coordinate and names it', () => {
    expect(twoSampleMeanTest(sample(2000, 3, 0, 'a'), sample(40, 0.5, 0, 'b')).ok).toBe(true);
    const t = twoSampleMeanTest(sample(2000, 3, 0.6, 'c'), sample(40, 0.5, 0, 'd'));
    expect(t.ok).toBe(false);
    expect(t.worst).toBe(7);
  });

  it('a difference within the stated resolution is not evidence; beyond it, it is', () => {
    const a = sample(2000, 0.01, 0.002, 'e');
    const b = sample(2000, 0.01, 0, 'f');
    expect(twoSampleMeanTest(a, b).ok).toBe(false);
    expect(twoSampleMeanTest(a, b, 1e-4, new Float64Array(50).fill(0.0025)).ok).toBe(true);
    expect(twoSampleMeanTest(a, b, 1e-4, new Float64Array(50).fill(0.0001)).ok).toBe(false);
  });

  it('false alarms stay below the family-wise level (100 null pairs at α = 0.05: expected ≤ 5)', () => {
    let alarms = 0;
    for (let rep = 0; rep < 100; rep++) if (!twoSampleMeanTest(sample(300, 2, 0, `n${rep}`), sample(35, 0.7, 0, `m${rep}`), 0.05).ok) alarms++;
    expect(alarms).toBeLessThanOrEqual(10);
  });
});

describe('end-of-run statistics', () => {
  const checkpoints = [0, 1, 10, 100, 600, 800, 1000, 1500, 2000, 3000, 4000, 5000, 6000];
  const ends = [600, 1900, 6000];
  const seeds = (f: (k: number, s: number) => number, count = 8) => Array.from({ length: count }, (_, s) => Float64Array.from(checkpoints, (k) => f(k, s)));
  const endsOf = (f: (e: number, s: number) => number, count = 8) => Array.from({ length: count }, (_, s) => Float64Array.from(ends, (e) => f(e, s)));
  const wobble = (s: number) => 1 + 0.1 * Math.sin(7 * s + 1);

  it('a noise ball ∝ k^{-1/2} and averages ∝ 1/n: decaying, small ratio', () => {
    const fit = fitEndOfRun(seeds((k, s) => wobble(s) * 20 / Math.sqrt(Math.max(k, 1))), endsOf((e, s) => wobble(s) * 60 / e), checkpoints, ends, 11);
    expect(fit.lastDecadeSlope.estimate).toBeCloseTo(-0.5, 1);
    expect(fit.averagedSlope.upper).toBeLessThan(-0.9);
    expect(fit.averagingRatio.upper).toBeLessThan(0.1);
  });

  it('a floor F: the averaged gradient stalls near F and its ratio to the iterates stays large', () => {
    const fit = fitEndOfRun(seeds((k, s) => wobble(s) * (0.3 + 20 / Math.sqrt(Math.max(k, 1)))), endsOf((e, s) => wobble(s) * (0.3 + 60 / e)), checkpoints, ends, 12);
    expect(fit.averagedSlope.lower).toBeGreaterThan(-0.5);
    expect(fit.averagingRatio.lower).toBeGreaterThan(0.15);
  });

  it('resolved measurements say so; a seed whose late gradients fall below the estimator\'s resolution is named', () => {
    const ok = fitEndOfRun(seeds((k, s) => wobble(s) * 20 / Math.sqrt(Math.max(k, 1))), endsOf((e, s) => wobble(s) * 60 / e), checkpoints, ends, 13);
    expect(ok.unresolved).toBeNull();
    // Seed 3's unbiased estimates late in the run scatter around a tiny value and average below 0 over (n/2, n].
    const noisy = fitEndOfRun(
      seeds((k, s) => (s === 3 && k > 3000 ? -0.01 : wobble(s) * 20 / Math.sqrt(Math.max(k, 1)))),
      endsOf((e, s) => wobble(s) * 60 / e),
      checkpoints,
      ends,
      14,
    );
    expect(noisy.unresolved).toMatch(/seed 3's mean ‖∇L\(θ_k\)‖² over \(n\/2, n\] is -/);
    // A checkpoint whose mean over seeds is ≤ 0 is named too.
    const allLow = fitEndOfRun(seeds((k, s) => (k === 6000 ? (s % 2 ? 0.01 : -0.02) : wobble(s) / Math.sqrt(Math.max(k, 1)))), endsOf((e, s) => wobble(s) / e), checkpoints, ends, 15);
    expect(allLow.unresolved).toMatch(/the seed mean at k = 6000 is -/);
  });

  it('checkpoint grid and Polyak–Ruppert ends', () => {
    const ck = deepVaeCheckpoints({ steps: 6000, checkpointsPerDecade: 6, lastDecadeCheckpoints: 36 });
    expect(ck[0]).toBe(0);
    expect(ck[ck.length - 1]).toBe(6000);
    expect(ck.filter((k) => k >= 600).length).toBeGreaterThanOrEqual(36);
    expect(averagedEnds({ steps: 6000, averaged: { ends: 3, decades: 1, draws: 12, stride: 4 } })).toEqual([600, 1897, 6000]);
  });
});

describe('engine conformance of the deep VAE', () => {
  const input = { dims, data, decoderStd: 0.4, setting: { batchSize: 4, samples: 1, beta: 1 } };

  it("the engine's soft-clip is the paper's formula", () => {
    expect(activationConformance().error).toBeLessThan(1e-4);
  });

  it('same objective: a model with another decoder variance is seen at once', () => {
    const wrong = new DeepVaeModel({ dims, data, decoderStd: 0.44 });
    expect(sameObjectiveError(wrong, input, theta('wrong'), 3).error).toBeGreaterThan(0.05);
  });

  it('unbiased gradients: the engine passes, an injected bias of 0.1 per coordinate fails', () => {
    const t = theta('unbiased');
    const reference = referenceGradientDraws(t, input, 32, RandomStream.at('unbiased-ref'));
    const plain = new DeepVaeModel({ dims, data, decoderStd: 0.4 });
    const ok = twoSampleMeanTest(engineGradientDraws(plain, { [PACKED_PARAM]: t }, { setting: input.setting, draws: 600, path: 'autodiff', seedLabel: ['t', 1] }), reference);
    expect(ok.ok).toBe(true);
    const b = new Float32Array(P).fill(0.1);
    const biased = new DeepVaeModel({ dims, data, decoderStd: 0.4, gradientBiasOf: () => b });
    const bad = twoSampleMeanTest(engineGradientDraws(biased, { [PACKED_PARAM]: t }, { setting: input.setting, draws: 600, path: 'autodiff', seedLabel: ['t', 2] }), reference);
    expect(bad.ok).toBe(false);
  });

  it('sampler: uniform rows and standard normal noise pass; a row never drawn or noise of scale 1.1 fail', () => {
    const model = new DeepVaeModel({ dims, data, decoderStd: 0.4 });
    expect(samplerConformance(drawStepRows(model), input, 5, 1000).ok).toBe(true);
    // The same engine on all rows but the last, judged against the full data.
    const missing = new DeepVaeModel({ dims, data: data.subarray(0, (N - 1) * dims.dx), decoderStd: 0.4 });
    const m = samplerConformance(drawStepRows(missing), input, 6, 1000);
    expect(m.ok, m.detail).toBe(false);
    expect(m.detail).toMatch(/row counts/);
    const wide = Object.create(model) as DeepVaeModel;
    wide.drawStep = (replicas, streams) => {
      const inputs = model.drawStep(replicas, streams);
      const eps = inputs.eps;
      inputs.eps = tf.tidy(() => eps.mul(1.1)) as typeof eps;
      eps.dispose();
      return inputs;
    };
    const w = samplerConformance(drawStepRows(wide), input, 7, 1000);
    expect(w.ok, w.detail).toBe(false);
    expect(w.detail).toMatch(/variance/);
  });
});

describe('falsifier mutations of the deep VAE rate claims', () => {
  it('the constant step holds the tier\'s falsifierStep (adam full tier: C/10), else C; the claim\'s own schedule is untouched', async () => {
    const { default: adam } = await import('../../src/claims/convergence/adam-rate-deep-vae.ts');
    const { default: sgd } = await import('../../src/claims/convergence/sgd-rate-deep-vae.ts');
    const config = (claim: typeof adam, tier: 'quick' | 'full') => claim.tiers[tier] as DeepVaeRateConfig;
    const mutate = (claim: typeof adam, tier: 'quick' | 'full') => claim.falsifiers.find((f) => f.id === 'constant-step')!.mutate(config(claim, tier)) as DeepVaeRateConfig;
    expect(mutate(adam, 'full').schedule).toEqual({ C: 0.003, alpha: 0 });
    expect(config(adam, 'full').schedule).toEqual({ C: 0.03, alpha: 0.5 });
    expect(mutate(adam, 'quick').schedule).toEqual({ C: config(adam, 'quick').schedule.C, alpha: 0 });
    for (const tier of ['quick', 'full'] as const) expect(mutate(sgd, tier).schedule).toEqual({ C: config(sgd, tier).schedule.C, alpha: 0 });
  });

  it('adam-rate-deep-vae grows once to twice the seeds, and its falsifiers grow with it (uncapped)', async () => {
    const { default: adam } = await import('../../src/claims/convergence/adam-rate-deep-vae.ts');
    for (const tier of ['quick', 'full'] as const) {
      const own = adam.tiers[tier] as DeepVaeRateConfig;
      const grow = adam.grow!(own);
      if (!('config' in grow)) throw new Error(`the engine's own network must grow: ${grow.declined}`);
      const grown = grow.config as DeepVaeRateConfig;
      expect(grown).toEqual({ ...own, seeds: 2 * own.seeds });
      for (const f of adam.falsifiers) {
        expect((f.mutate(own) as DeepVaeRateConfig).seeds).toBe(own.seeds);
        expect((f.mutate(grown) as DeepVaeRateConfig).seeds).toBe(2 * own.seeds);
      }
      // A user's model is not grown: the user chose its size, and its cost per step is unknown here.
      const user = { ...own, model: { kind: 'user-vae', name: 'mine', latent: 2, init: () => ({}), elbo: () => null } } as unknown as DeepVaeRateConfig;
      expect(adam.grow!(user)).toEqual({ declined: expect.stringMatching(/a user's model \(mine\) runs at the size it was set to; set more seeds \(e.g. seeds=16\) or steps/) });
    }
  });
});
