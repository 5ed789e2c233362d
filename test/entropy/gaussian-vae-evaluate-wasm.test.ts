/**
 * The Gaussian VAE evaluation's dense layers run as a WebAssembly SIMD port
 * (src/models/gaussian-vae/evaluate-wasm.ts); these tests hold whole diagnoses through
 * the port to the JavaScript layers (denseJs, forced with VAE_CLAIMS_GAUSSIAN_EVAL_KERNEL=js,
 * read at every call), every number compared with Object.is: on digits (rows with many
 * zeros, which both skip) and on dense random rows, with even and odd layer widths (the
 * port's lanes and its scalar tail), float32 and float64 parameters of several scales,
 * fixed and learned decoder variance, with and without the latent scales.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { loadDigits } from '../../src/data/mnist.ts';
import { diagnoseGaussianVae, type EvaluationSet } from '../../src/models/gaussian-vae/evaluate.ts';
import { gaussianEvalImplementation } from '../../src/models/gaussian-vae/evaluate-wasm.ts';
import { GAUSSIAN_VAE_PARAM_NAMES, gaussianVaeShapes, type GaussianVaeArch, type GaussianVaeParams } from '../../src/models/gaussian-vae/params.ts';

const FORCE = 'VAE_CLAIMS_GAUSSIAN_EVAL_KERNEL';

afterEach(() => {
  delete process.env[FORCE];
});

function randomParams(arch: GaussianVaeArch, label: string, scale: number, float32: boolean): GaussianVaeParams {
  const shapes = gaussianVaeShapes(arch);
  const stream = RandomStream.at('test/gaussian-vae-evaluate-wasm', label);
  const p = {} as GaussianVaeParams;
  for (const name of GAUSSIAN_VAE_PARAM_NAMES) {
    const n = shapes[name].reduce((a, b) => a * b, 1);
    const v = new Float64Array(n);
    stream.fillNormal(v);
    for (let i = 0; i < n; i++) v[i] *= name === 'logVar' || name === 'rho' ? 0.3 : scale;
    p[name] = float32 ? Float32Array.from(v) : v;
  }
  return p;
}

function evaluationSet(x: ArrayLike<number>, N: number, arch: GaussianVaeArch, K: number, label: string): EvaluationSet {
  const eps = new Float64Array(N * K * arch.latent);
  RandomStream.at('test/gaussian-vae-evaluate-wasm', 'eps', label).fillNormal(eps);
  return { x, N, eps, K };
}

function bothWays(p: GaussianVaeParams, arch: GaussianVaeArch, set: EvaluationSet, opts: Parameters<typeof diagnoseGaussianVae>[3]) {
  const port = diagnoseGaussianVae(p, arch, set, opts);
  process.env[FORCE] = 'js';
  const js = diagnoseGaussianVae(p, arch, set, opts);
  delete process.env[FORCE];
  return { port, js };
}

/** Every number of two diagnoses, compared with Object.is. */
function expectSameBits(a: object, b: object): void {
  const flat = (o: object): [string, number][] => {
    const out: [string, number][] = [];
    const walk = (v: unknown, key: string) => {
      if (typeof v === 'number') out.push([key, v]);
      else if (v && typeof v === 'object') for (const [k, w] of Object.entries(v)) walk(w, `${key}.${k}`);
    };
    walk(o, '');
    return out;
  };
  const fa = flat(a);
  const fb = flat(b);
  expect(fa.map(([k]) => k)).toEqual(fb.map(([k]) => k));
  const differ = fa.filter(([, v], i) => !Object.is(v, fb[i][1]));
  expect(differ).toEqual([]);
}

describe('the Gaussian VAE evaluation through the WebAssembly dense layers is the JavaScript one, bit for bit', () => {
  it('runs the port here', () => {
    expect(gaussianEvalImplementation()).toBe('wasm-simd');
  });

  const digits = loadDigits({ perDigit: 3, pool: 4 }); // 30 images of 7×7, many zero pixels
  for (const [label, arch, float32, scale] of [
    ['digits, even widths, float32', { D: digits.dim, hidden: 16, latent: 4 }, true, 0.3],
    ['digits, odd widths, float64', { D: digits.dim, hidden: 7, latent: 3 }, false, 1.5],
  ] as const) {
    it(label, () => {
      const p = randomParams(arch, label, scale, float32);
      const set = evaluationSet(digits.x, digits.n, arch, 3, label);
      for (const opts of [{}, { fixedLogVariance: 0 }, { learnLatentScale: false }]) {
        const { port, js } = bothWays(p, arch, set, opts);
        expectSameBits(port, js);
      }
    });
  }

  it('dense random rows of odd width, large parameters', () => {
    const arch = { D: 11, hidden: 9, latent: 5 };
    const N = 17;
    const x = new Float64Array(N * arch.D);
    RandomStream.at('test/gaussian-vae-evaluate-wasm', 'rows').fillNormal(x);
    const p = randomParams(arch, 'dense rows', 4, false);
    const { port, js } = bothWays(p, arch, evaluationSet(x, N, arch, 2, 'dense rows'), {});
    expectSameBits(port, js);
  });
});
