/**
 * A user's VAE under adam-rate-deep-vae (withModel; src/models/user-vae,
 * src/claims/convergence/adam-rate-deep-vae.user-model.ts). The known answer:
 * the engine's own soft-clipped deep VAE written as a user would write it (one
 * replica, plain TF.js ops, init keys in the packed layout's order). Then
 *   - the user path's packed θ₀, objective and autodiff gradient on the same
 *     mini-batch draws equal the engine's DeepVaeModel (same streams);
 *   - its measurement of the expected ELBO's gradient (TF.js autodiff, the
 *     interleaved antithetic rows) equals the float64 hand-written reference
 *     on the same noise, to float32 rounding;
 *   - the user-model conformance passes on it, and its unbiasedness test
 *     sees an engine that weights only half the mini-batch;
 *   - withModel names the claim after the model, keeps the falsifiers, and
 *     refuses claims without a model setting and objects that are not a model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { DeepVaeModel, PACKED_PARAM, softClipTensor } from '../../src/models/deep-vae/engine-model.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE } from '../../src/models/deep-vae/soft-clip.ts';
import { deepElboDraws, unflattenDeep } from '../../src/models/deep-vae/reference.ts';
import { deepParamCount, deepVaeShapes, DEEP_VAE_PARAM_NAMES, type DeepVaeDims } from '../../src/models/deep-vae/params.ts';
import { USER_PACKED_PARAM, UserVaeModel, type UserVae } from '../../src/models/user-vae/user-vae.ts';
import { userModelConformance, userModelRun } from '../../src/claims/convergence/adam-rate-deep-vae.user-model.ts';
import { antitheticNoise } from '../../src/claims/convergence/adam-rate-deep-vae.conformance.ts';
import { engineGradientDraws } from '../../src/claims/shared/gradient-probe.ts';
import { claimById } from '../../src/claims/index.ts';
import { withModel, withOptimizer } from '../../src/index.ts';
import { DrawMoments } from '../../src/stats/mean-test.ts';
import { twoSampleMeanTest } from '../../src/stats/two-sample-mean-test.ts';
import type { DeepVaeRateConfig } from '../../src/claims/convergence/adam-rate-deep-vae.check.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const dims: DeepVaeDims = { dx: 6, hidden: 5, dz: 2 };
const P = deepParamCount(dims);
const N = 12;
const c = 0.5;
const data = (() => {
  const rng = RandomStream.at('user-model-test-data');
  return Float32Array.from({ length: N * dims.dx }, () => rng.uniform());
})();

/** The engine's deep VAE (params.ts's formulas), written as a user's one-replica model. */
const softClipVae: UserVae = {
  kind: 'user-vae',
  name: 'soft-clip-as-user',
  latent: dims.dz,
  init: ({ dx, normal }) => {
    const shapes = deepVaeShapes({ ...dims, dx });
    // The engine's init: weights N(0, 1/fan_in) block by block, biases 0 (deep VAE engine-model.ts).
    return Object.fromEntries(
      DEEP_VAE_PARAM_NAMES.map((name) => {
        const shape = shapes[name];
        const size = shape.reduce((a, b) => a * b, 1);
        const values = shape.length === 2 ? Array.from({ length: size }, () => normal() / Math.sqrt(shape[1])) : new Array(size).fill(0);
        return [name, { shape, values }];
      }),
    );
  },
  elbo: (p, x, eps) => {
    const dense = (input: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.matMul(input as tf.Tensor2D, W as tf.Tensor2D, false, true).add(b);
    const h1 = softClipTensor(dense(x, p.W1, p.b1), HIDDEN_RANGE);
    const mu = softClipTensor(dense(h1, p.Wm, p.bm), MEAN_RANGE);
    const lv = softClipTensor(dense(h1, p.Wv, p.bv), LOG_VARIANCE_RANGE);
    const z = mu.add(lv.mul(0.5).exp().mul(eps));
    const G = softClipTensor(dense(softClipTensor(dense(z, p.W2, p.b2), HIDDEN_RANGE), p.W3, p.b3), MEAN_RANGE);
    const dx = x.shape[1];
    const logLik = x.sub(G).square().sum(1).mul(-0.5 / (c * c)).add(-0.5 * dx * Math.log(2 * Math.PI * c * c));
    const kl = lv.exp().add(mu.square()).sub(1).sub(lv).sum(1).mul(0.5);
    return logLik.sub(kl) as tf.Tensor1D;
  },
};

const replicas: ReplicaSetting[] = [0, 1, 2].map((i) => ({ label: `r${i}`, seed: deriveSeed('user-model-test', i), schedule: { C: 0.01, alpha: 0.5 }, batchSize: 4, samples: 2, beta: 1 }));

function objectiveAndGradient<T>(model: { paramShapes: Record<string, number[]>; initialParams: (r: ReplicaSetting, s: ReturnType<typeof replicaStreams>) => Record<string, Float32Array>; drawStep: (r: readonly ReplicaSetting[], s: ReturnType<typeof replicaStreams>[]) => T; objective: (p: Record<string, tf.Tensor>, i: T, r: readonly ReplicaSetting[]) => tf.Tensor1D; disposeInputs: (i: T) => void }, name: string) {
  const streams = replicas.map((r) => replicaStreams(r.seed));
  const init = replicas.map((r, i) => model.initialParams(r, streams[i])[name]);
  const theta = tf.variable(tf.tensor2d(Float32Array.from(init.flatMap((t) => Array.from(t))), [replicas.length, P]));
  const inputs = model.drawStep(replicas, streams);
  try {
    const { value, grads } = tf.variableGrads(() => model.objective({ [name]: theta }, inputs, replicas).sum() as tf.Scalar, [theta]);
    const out = { init, value: value.dataSync()[0], grad: Float64Array.from(grads[theta.name].dataSync()) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    model.disposeInputs(inputs);
    theta.dispose();
  }
}

describe('a user\'s VAE on the engine', () => {
  it('written as the engine\'s deep VAE, it starts, steps and differentiates as the engine\'s model does (same streams)', () => {
    const user = objectiveAndGradient(new UserVaeModel({ vae: softClipVae, data, dx: dims.dx }), USER_PACKED_PARAM);
    const engine = objectiveAndGradient(new DeepVaeModel({ dims, data, decoderStd: c }), PACKED_PARAM);
    user.init.forEach((t, r) => expect(Array.from(t)).toEqual(Array.from(engine.init[r])));
    expect(Math.abs(user.value - engine.value)).toBeLessThan(1e-4 * Math.abs(engine.value));
    const scale = Math.max(...engine.grad.map(Math.abs));
    engine.grad.forEach((g, i) => expect(Math.abs(user.grad[i] - g)).toBeLessThan(1e-4 * scale));
  });

  it('its measurement of the expected ELBO\'s gradient equals the float64 reference on the same antithetic noise', () => {
    const run = userModelRun(softClipVae, data, dims.dx);
    try {
      const rng = RandomStream.at('user-model-test-theta');
      const theta = Float64Array.from({ length: P }, () => Math.fround(rng.normal() / 2));
      const stream = RandomStream.at('user-model-test-noise');
      const noise = [0, 1, 2].map(() => antitheticNoise(N, dims.dz, stream));
      const user = noise.map(() => new Float64Array(P));
      const reference = noise.map(() => new Float64Array(P));
      run.gradientDraws(theta, noise, user);
      deepElboDraws(unflattenDeep(theta, dims), { dims, activation: 'soft-clip', decoderStd: c, x: Float64Array.from(data), n: N, K: 2 }, noise, reference);
      for (let j = 0; j < noise.length; j++) {
        const scale = Math.max(...reference[j].map(Math.abs));
        // float32 autodiff against float64: ≤ 1e-4 of the largest coordinate; a row paired with the wrong noise moves whole blocks.
        reference[j].forEach((g, i) => expect(Math.abs(user[j][i] - g)).toBeLessThan(1e-4 * scale));
      }
    } finally {
      run.dispose();
    }
  });

  it('the user-model conformance passes on it (optimiser, sampler, unbiasedness, seed independence)', () => {
    const rng = RandomStream.at('user-model-test-points');
    const point = Float32Array.from({ length: P }, () => rng.normal() / 2);
    const seedRuns = [{ activation: 'soft-clip' as const, runs: [0, 1, 2].map((s) => ({ seed: deriveSeed('user-model-test-seed', s), g: Float64Array.of(s + 1, s + 2), theta: Float32Array.from({ length: P }, () => rng.normal()) })) }];
    const r = userModelConformance({
      claimId: 'user-model-test',
      masterSeed: 1,
      optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
      schedule: { C: 0.03, alpha: 0.5 },
      probeSteps: 20,
      steps: 200,
      seedRuns,
      vae: softClipVae,
      data,
      dx: dims.dx,
      setting: { batchSize: 4, samples: 1, beta: 1 },
      engineDraws: 300,
      referenceDraws: 32,
      points: [{ where: 'a random point', theta: point }],
    });
    expect(r.ok, r.error).toBe(true);
    expect(r.assumptions.map((a) => a.id).sort()).toEqual(['adam-momentum', 'independent-seeds', 'step-schedule', 'unbiased-gradients']);
    expect(r.assumptions.find((a) => a.id === 'independent-seeds')!.detail).toMatch(/initial law is not known/);
  });

  it('its unbiasedness test sees an engine that hands the model noise of half the standard deviation', () => {
    const model = new UserVaeModel({ vae: softClipVae, data, dx: dims.dx });
    const halfNoise = Object.create(model) as UserVaeModel;
    halfNoise.objective = (params, inputs) => model.objective(params, { ...inputs, eps: inputs.eps.mul(0.5) as tf.Tensor4D });
    const rng = RandomStream.at('user-model-test-points');
    const point = Float32Array.from({ length: P }, () => rng.normal() / 2);
    const setting = { batchSize: 4, samples: 1, beta: 1 };
    const run = userModelRun(softClipVae, data, dims.dx);
    const reference = new DrawMoments(P);
    const stream = RandomStream.at('user-model-test-reference');
    const buffer = [new Float64Array(P)];
    for (let j = 0; j < 32; j++) {
      run.gradientDraws(point, [antitheticNoise(N, dims.dz, stream)], buffer);
      reference.add(buffer[0]);
    }
    run.dispose();
    const draws = (m: UserVaeModel) => engineGradientDraws(m, { [USER_PACKED_PARAM]: point }, { setting, draws: 400, path: 'autodiff', seedLabel: ['user-model-test', 'half-noise'] });
    const resolution = Float64Array.from(point, (t) => 2 ** -23 * Math.abs(t));
    expect(twoSampleMeanTest(draws(model), reference, 1e-4, resolution).ok).toBe(true);
    expect(twoSampleMeanTest(draws(halfNoise), reference, 1e-4, resolution).ok).toBe(false);
  });
});

describe('withModel', () => {
  it('names the claim after the model, puts it in every tier and keeps the falsifiers', () => {
    const base = claimById('adam-rate-deep-vae')!;
    const claim = withModel(base, softClipVae);
    expect(claim.id).toBe('adam-rate-deep-vae[soft-clip-as-user]');
    expect(claim.falsifiers.map((f) => f.id)).toEqual(base.falsifiers.map((f) => f.id));
    for (const tier of ['quick', 'full'] as const) {
      const config = claim.tiers[tier] as DeepVaeRateConfig;
      expect(config.model).toBe(softClipVae);
      expect(claim.schema!.safeParse(config).success).toBe(true);
      // The falsifiers' mutations keep the model.
      for (const f of claim.falsifiers) expect((f.mutate(config) as DeepVaeRateConfig).model).toBe(softClipVae);
    }
    expect((base.tiers.quick as DeepVaeRateConfig).model).toBeNull();
    // An optimiser of the user's on top: both replaced.
    const both = withOptimizer(claim, { kind: 'sgd' });
    expect(both.id).toBe('adam-rate-deep-vae[soft-clip-as-user][sgd]');
    // (configurations are deep-copied: the model object is a copy sharing its functions)
    expect((both.tiers.quick as DeepVaeRateConfig).model!.elbo).toBe(softClipVae.elbo);
  });

  it('refuses a claim without a model setting, and an object that is not a model', () => {
    expect(() => withModel(claimById('sgd-rate-linear-vae')!, softClipVae)).toThrow(/has no model setting/);
    expect(() => withModel(claimById('adam-rate-deep-vae')!, { kind: 'user-vae', name: 'x' } as unknown as UserVae)).toThrow(/a model is/);
    const schema = claimById('adam-rate-deep-vae')!.schema!;
    const r = schema.safeParse({ ...(claimById('adam-rate-deep-vae')!.tiers.quick as object), model: { kind: 'other' } });
    expect(r.success).toBe(false);
  });
});
