/**
 * The deep Gaussian VAE: the generalised soft-clipping function; the float64
 * reference gradient against central finite differences; the engine's
 * replica-batched objective and autodiff gradient against the reference
 * (same data rows and noise, padding in B and K, soft-clip and ReLU replicas
 * in one batch); no tensor leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, softClip, softClipDerivative } from '../../src/models/deep-vae/soft-clip.ts';
import { DeepVaeModel, PACKED_PARAM, softClipTensor } from '../../src/models/deep-vae/engine-model.ts';
import { deepElboDraw, flattenDeep, unflattenDeep } from '../../src/models/deep-vae/reference.ts';
import { DEEP_VAE_PARAM_NAMES, deepVaeShapes, zeroDeepParams, type Activation, type DeepVaeDims, type DeepVaeParams } from '../../src/models/deep-vae/params.ts';
import { replica } from '../engine/linear-vae-helpers.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('generalised soft-clipping (s = 5)', () => {
  it('is the paper formula, ≈ s1 below, ≈ x inside, ≈ s2 above', () => {
    const paper = (x: number, lo: number, hi: number) => Math.log((1 + Math.exp(5 * (x - lo))) / (1 + Math.exp(5 * (x - hi)))) / 5 + lo;
    for (const x of [-3, -0.5, 0, 0.2, 1, 7.5, 20]) expect(softClip(x, HIDDEN_RANGE)).toBeCloseTo(paper(x, 0, 50), 12);
    expect(softClip(-10, HIDDEN_RANGE)).toBeCloseTo(0, 10);
    expect(softClip(25, HIDDEN_RANGE)).toBeCloseTo(25, 10);
    expect(softClip(1e4, HIDDEN_RANGE)).toBeCloseTo(50, 10);
    expect(softClip(-1e4, MEAN_RANGE)).toBeCloseTo(-50, 10);
    expect(softClip(1e4, LOG_VARIANCE_RANGE)).toBeCloseTo(20, 10);
  });

  it('is bounded, increasing, 1-Lipschitz, and its derivative matches finite differences', () => {
    fc.assert(
      fc.property(fc.double({ min: -200, max: 200, noNaN: true }), (x) => {
        for (const r of [HIDDEN_RANGE, MEAN_RANGE, LOG_VARIANCE_RANGE]) {
          const y = softClip(x, r);
          expect(y).toBeGreaterThanOrEqual(r.lo - 1e-12);
          expect(y).toBeLessThanOrEqual(r.hi + 1e-12);
          const d = softClipDerivative(x, r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(1);
          const h = 1e-5;
          expect(d).toBeCloseTo((softClip(x + h, r) - softClip(x - h, r)) / (2 * h), 5);
        }
      }),
    );
  });

  it('the tfjs version matches the float64 one', () => {
    const xs = [-80, -20.5, -3, -0.1, 0, 0.3, 2, 19.9, 49, 51, 300];
    for (const r of [HIDDEN_RANGE, MEAN_RANGE, LOG_VARIANCE_RANGE]) {
      const t = tf.tidy(() => softClipTensor(tf.tensor1d(xs), r).dataSync());
      xs.forEach((x, i) => expect(t[i]).toBeCloseTo(softClip(x, r), 4));
    }
  });
});

const dims: DeepVaeDims = { dx: 6, hidden: 5, dz: 2 };
const N = 9;
const decoderStd = 0.4;
const data = (() => {
  const rng = RandomStream.at('deep-vae-test-data');
  return Float32Array.from({ length: N * dims.dx }, () => rng.uniform());
})();

/** Moderate float32-representable parameters; pre-activations land on both sides of the soft-clip corners. */
function params(...labels: (string | number)[]): DeepVaeParams {
  const rng = RandomStream.at('deep-vae-test-params', ...labels);
  const p = zeroDeepParams(dims);
  const shapes = deepVaeShapes(dims);
  for (const name of DEEP_VAE_PARAM_NAMES) {
    const scale = shapes[name].length === 2 ? 1 / Math.sqrt(shapes[name][1]) : 0.3;
    for (let i = 0; i < p[name].length; i++) p[name][i] = Math.fround(scale * rng.normal());
  }
  return p;
}

function noise(count: number, ...labels: (string | number)[]): Float64Array {
  const rng = RandomStream.at('deep-vae-test-noise', ...labels);
  return Float64Array.from({ length: count }, () => Math.fround(rng.normal()));
}

describe('float64 deep VAE reference', () => {
  for (const activation of ['soft-clip', 'relu'] as Activation[]) {
    it(`${activation}: gradient matches central finite differences`, () => {
      const p = params('fd', activation);
      const K = 2;
      const opts = { dims, activation, decoderStd, beta: 1.5, x: data, n: N, K, eps: noise(N * K * dims.dz, 'fd') };
      const g = deepElboDraw(p, opts).grad;
      const h = 1e-6;
      for (const name of DEEP_VAE_PARAM_NAMES) {
        for (let j = 0; j < p[name].length; j++) {
          const up = { ...p, [name]: p[name].slice() };
          const down = { ...p, [name]: p[name].slice() };
          up[name][j] += h;
          down[name][j] -= h;
          const fd = (deepElboDraw(up, opts).value - deepElboDraw(down, opts).value) / (2 * h);
          expect(g[name][j]).toBeCloseTo(fd, 5);
        }
      }
    });
  }
});

describe('DeepVaeModel (engine) against the float64 reference', () => {
  it('per-replica objective and gradient match, soft-clip and ReLU replicas and padding in one batch', () => {
    const steps = [
      { rows: [0, 4, 5], K: 2, beta: 1, activation: 'soft-clip' as Activation },
      { rows: [1, 2, 3, 6, 8], K: 1, beta: 0.5, activation: 'relu' as Activation },
      { rows: [7], K: 3, beta: 2, activation: 'soft-clip' as Activation },
    ];
    const R = steps.length;
    const Bmax = 5;
    const Kmax = 3;
    const { dx, dz } = dims;
    const ps = steps.map((_, r) => params('engine', r));
    const eps64 = steps.map((s, r) => noise(s.rows.length * s.K * dz, 'engine', r));
    const replicas = steps.map((s, r) => replica({ label: `r${r}`, seed: r + 1, batchSize: s.rows.length, samples: s.K, beta: s.beta }));
    const model = new DeepVaeModel({ dims, data, decoderStd, activationOf: (rep) => steps[Number(rep.label.slice(1))].activation });
    // drawStep marks each replica's activation in the mask the objective uses.
    const drawn = model.drawStep(replicas, replicas.map((r) => ({ init: RandomStream.at(r.seed, 'i'), data: RandomStream.at(r.seed, 'd'), noise: RandomStream.at(r.seed, 'n') })));
    expect([...drawn.softMask!.dataSync()]).toEqual([1, 0, 1]);
    expect(drawn.x.shape).toEqual([R, Bmax, dx]);
    model.disposeInputs(drawn);
    const before = tf.memory().numTensors;
    // Hand-built inputs with garbage in the padding: masks alone must keep it out.
    const garbage = RandomStream.at('deep-vae-garbage');
    const x = Float32Array.from({ length: R * Bmax * dx }, () => 3 * garbage.normal());
    const eps = Float32Array.from({ length: R * Bmax * Kmax * dz }, () => 3 * garbage.normal());
    const sampleWeight = new Float32Array(R * Bmax * Kmax);
    const pointWeight = new Float32Array(R * Bmax);
    steps.forEach((s, r) => {
      const B = s.rows.length;
      s.rows.forEach((row, i) => {
        x.set(data.subarray(row * dx, (row + 1) * dx), (r * Bmax + i) * dx);
        pointWeight[r * Bmax + i] = 1 / B;
        for (let k = 0; k < s.K; k++) {
          sampleWeight[(r * Bmax + i) * Kmax + k] = 1 / (B * s.K);
          for (let j = 0; j < dz; j++) eps[((r * Bmax + i) * Kmax + k) * dz + j] = eps64[r][(i * s.K + k) * dz + j];
        }
      });
    });
    const inputs = {
      x: tf.tensor3d(x, [R, Bmax, dx]),
      eps: tf.tensor4d(eps, [R, Bmax, Kmax, dz]),
      sampleWeight: tf.tensor3d(sampleWeight, [R, Bmax, Kmax]),
      pointWeight: tf.tensor2d(pointWeight, [R, Bmax]),
      beta: tf.tensor1d(steps.map((s) => s.beta)),
      softMask: tf.tensor1d(steps.map((s) => (s.activation === 'soft-clip' ? 1 : 0))),
      gradientBias: null,
    };
    const P = model.parameterCount;
    const packed = new Float32Array(R * P);
    ps.forEach((p, r) => packed.set(flattenDeep(p), r * P));
    const tensors = [tf.tensor2d(packed, [R, P])];
    const named = (xs: tf.Tensor[]) => ({ [PACKED_PARAM]: xs[0] });
    const valueTensor = tf.tidy(() => model.objective(named(tensors), inputs));
    const value = valueTensor.dataSync();
    valueTensor.dispose();
    const gradTensors = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => model.objective(named(xs), inputs).sum() as tf.Scalar)(tensors));
    const packedGrad = gradTensors[0].dataSync();
    steps.forEach((s, r) => {
      const rows = new Float64Array(s.rows.length * dx);
      s.rows.forEach((row, i) => rows.set(data.subarray(row * dx, (row + 1) * dx), i * dx));
      const ref = deepElboDraw(ps[r], { dims, activation: s.activation, decoderStd, beta: s.beta, x: rows, n: s.rows.length, K: s.K, eps: eps64[r] });
      expect(Math.abs(value[r] - ref.value) / Math.max(1, Math.abs(ref.value))).toBeLessThan(1e-5);
      const engineBlocks = unflattenDeep(Float64Array.from(packedGrad.subarray(r * P, (r + 1) * P)), dims);
      DEEP_VAE_PARAM_NAMES.forEach((name) => {
        const size = ps[r][name].length;
        const engine = engineBlocks[name];
        const scale = Math.max(1, ...Array.from(ref.grad[name], Math.abs));
        for (let j = 0; j < size; j++) expect(Math.abs(engine[j] - ref.grad[name][j]) / scale).toBeLessThan(1e-4);
      });
    });
    tf.dispose([...gradTensors, ...tensors]);
    model.disposeInputs(inputs);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('initialises weights N(0, 1/fan_in) and zero biases from the init stream', () => {
    const model = new DeepVaeModel({ dims, data, decoderStd });
    const streams = { init: RandomStream.at(5), data: RandomStream.at(6), noise: RandomStream.at(7) };
    const p = unflattenDeep(Float64Array.from(model.initialParams(replica({ seed: 1 }), streams)[PACKED_PARAM]), dims);
    expect([...p.b1].every((v) => v === 0)).toBe(true);
    expect(p.W1.length).toBe(dims.hidden * dims.dx);
    expect(p.W1.some((v) => v !== 0)).toBe(true);
  });

  it('rejects bad settings with the allowed range', () => {
    expect(() => new DeepVaeModel({ dims: { dx: 6, hidden: 0, dz: 2 }, data, decoderStd })).toThrow(/hidden = 0; allowed a positive integer/);
    expect(() => new DeepVaeModel({ dims, data, decoderStd: 0 })).toThrow(/allowed a finite c > 0/);
  });
});
