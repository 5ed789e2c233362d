/**
 * D23's VAE-2 and VAE-3 (src/models/variant-vae): the exact gap identity
 * against an independent float64 computation written here from the
 * definitions (at random, non-stationary parameters, 1e-10), the parts as
 * derivatives of F along the rescaling directions (finite differences), the
 * falsifiers' formulas and their exact offsets, the reductions to VAE-1 (the
 * claim's oracle checked against the VAE-1 claim's independent evaluator),
 * and the engine's float32 objective against the float64 ELBO.
 * Tolerances: the identity is algebraic, so only rounding of sums of
 * N·K·D ≈ 10³ float64 terms of size ≤ 10² separates the two computations
 * (≲ 1e-12): 1e-10. Finite differences (h = 1e-5, central) of an objective of
 * size ≲ 100: rounding ≈ 1e-14·100/1e-5 = 1e-7, truncation h²·O(10): 1e-5
 * relative to max(1, |part|). Engine float32 forward pass: 1e-4 relative.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { replicaStreams } from '../../src/engine/replica.ts';
import { RandomStream, deriveSeed } from '../../src/engine/rng.ts';
import { loadDigits } from '../../src/data/mnist.ts';
import { VariantVaeModel } from '../../src/models/variant-vae/engine-model.ts';
import { diagnoseVariantVae, withEntropyFormula } from '../../src/models/variant-vae/evaluate.ts';
import { VARIANCE_SCALE, VARIANT_VAE_PARAM_NAMES, variantVaeShapes, type VaeVariant, type VariantVaeParams } from '../../src/models/variant-vae/params.ts';
import { diagnoseGaussianVae } from '../../src/models/gaussian-vae/evaluate.ts';
import { diagnose } from '../../src/entropy/diagnose.ts';
import { LATENT_SCALE_SCALE, LOG_VARIANCE_SCALE, type GaussianVaeParams } from '../../src/models/gaussian-vae/params.ts';

const digits = loadDigits({ perDigit: 2, pool: 7 }); // 20 images of 4×4
const jitter = new Float64Array(digits.x.length);
RandomStream.at('variant-test-jitter').fillNormal(jitter);
const x = Float32Array.from(digits.x, (v, i) => v + 0.05 * jitter[i]);
const arch = { D: digits.dim, hidden: 6, latent: 3 };
const N = digits.n;
const K = 3;
const eps = new Float64Array(N * K * arch.latent);
RandomStream.at('variant-test-eps').fillNormal(eps);
const set = { x, N, eps, K };

beforeAll(async () => {
  await useBackend('wasm');
});

/** Random, non-stationary parameters: every block N(0, scale²), variances and scales moved off their initial values. */
function randomParams(label: string): VariantVaeParams {
  const rng = RandomStream.at('variant-test-params', label);
  const shapes = variantVaeShapes(arch);
  const p = Object.fromEntries(
    VARIANT_VAE_PARAM_NAMES.map((n) => {
      const size = shapes[n].reduce((a, b) => a * b, 1);
      const scale = n.startsWith('W') ? 0.6 : 0.3;
      return [n, Float64Array.from({ length: size }, () => scale * rng.normal())];
    }),
  ) as VariantVaeParams;
  p.logVar[0] = -2.5 / VARIANCE_SCALE;
  for (let i = 0; i < p.logVarD.length; i++) p.logVarD[i] *= 0.3;
  for (let h = 0; h < arch.latent; h++) {
    p.rho[h] *= 0.5;
    p.logAlpha[h] = (0.8 * rng.normal()) / VARIANCE_SCALE;
  }
  for (let i = 0; i < p.Wv.length; i++) p.Wv[i] *= 0.5;
  return p;
}

/**
 * The ELBO, the three entropies and the gap parts written from the definitions,
 * independently of evaluate.ts: Gaussian log densities and entropies as
 * functions, the KL as E_q log q − E_q log p in closed form term by term.
 */
function reference(p: VariantVaeParams, v: VaeVariant) {
  const { D, hidden: Hd, latent: H } = arch;
  const k = VARIANCE_SCALE;
  const logNormal = (y: number, mean: number, variance: number) => -0.5 * Math.log(2 * Math.PI * variance) - ((y - mean) ** 2) / (2 * variance);
  const entropy = (variance: number) => 0.5 * Math.log(2 * Math.PI * Math.E * variance);
  const layer = (input: number[], W: ArrayLike<number>, b: ArrayLike<number> | null, rows: number, cols: number, act: (t: number) => number) =>
    Array.from({ length: cols }, (_, j) => act(input.reduce((a, xi, i) => a + xi * W[i * cols + j], b ? b[j] : 0)));
  const id = (t: number) => t;
  const alpha2 = Array.from({ length: H }, (_, h) => (v === 'vae2' ? Math.exp(k * p.logAlpha[h]) : 1));
  const W1 = Array.from(p.Wd1);
  if (v === 'vae2') {
    for (let h = 0; h < H; h++) {
      const norm = Math.hypot(...W1.slice(h * Hd, (h + 1) * Hd));
      for (let j = 0; j < Hd; j++) W1[h * Hd + j] /= norm;
    }
  }
  let F = 0;
  let encoder = 0;
  let decoder = 0;
  let weighted = 0;
  const m = new Array(H).fill(0);
  for (let n = 0; n < N; n++) {
    const xn = Array.from(x.subarray(n * D, (n + 1) * D));
    const hid = layer(xn, p.We1, p.be1, D, Hd, Math.tanh);
    const mean = layer(hid, p.Wmu, p.bmu, Hd, H, id).map((t, h) => t * Math.exp(k * p.rho[h]));
    const logVar = layer(hid, p.Wlv, p.blv, Hd, H, id).map((t, h) => t + 2 * k * p.rho[h]);
    // KL(N(μ, t) ‖ N(0, a)) = E_q log q − E_q log p = −H[q] + ½ log(2π a) + (μ² + t)/(2a).
    for (let h = 0; h < H; h++) {
      const t = Math.exp(logVar[h]);
      F -= -entropy(t) + 0.5 * Math.log(2 * Math.PI * alpha2[h]) + (mean[h] ** 2 + t) / (2 * alpha2[h]);
      encoder += entropy(t);
      m[h] += (mean[h] ** 2 + t) / N;
    }
    for (let s = 0; s < K; s++) {
      const zq = mean.map((mu, h) => mu + Math.exp(0.5 * logVar[h]) * eps[(n * K + s) * H + h]);
      const zd = v === 'vae3' ? zq.map((zh, h) => zh * Math.exp(-k * p.rho[h])) : zq;
      const g = layer(zd, W1, p.bd1, H, Hd, Math.tanh);
      const f = layer(g, p.Wd2, p.bd2, Hd, D, id);
      const head = layer(g, p.Wv, null, Hd, D, id);
      for (let d = 0; d < D; d++) {
        const variance = Math.exp(k * p.logVar[0] + (v === 'vae3' ? k * p.logVarD[d] + head[d] : 0));
        F += logNormal(xn[d], f[d], variance) / K;
        decoder += entropy(variance) / K;
        weighted += (xn[d] - f[d]) ** 2 / variance;
      }
    }
  }
  const priorEntropy = alpha2.reduce((a, a2) => a + entropy(a2), 0);
  const S = encoder / N - priorEntropy - decoder / N;
  const u = weighted / (N * K * D);
  const decoderPart = (D / 2) * (1 - u);
  const priorPart = -0.5 * m.reduce((a, mh, h) => a + mh / alpha2[h] - 1, 0);
  return { F: F / N, S, decoderPart, priorPart };
}

/** Central difference of F along one coordinate of the stored parameters. */
function derivative(p: VariantVaeParams, v: VaeVariant, name: 'logVar' | 'logAlpha' | 'rho', i: number): number {
  const h = 1e-5;
  const q = Object.fromEntries(Object.entries(p).map(([n, a]) => [n, Float64Array.from(a)])) as VariantVaeParams;
  q[name][i] = p[name][i] + h;
  const up = diagnoseVariantVae(q, arch, v, set).elbo;
  q[name][i] = p[name][i] - h;
  const down = diagnoseVariantVae(q, arch, v, set).elbo;
  return (up - down) / (2 * h);
}

describe('VAE-2 and VAE-3 (variant VAE)', () => {
  for (const v of ['vae2', 'vae3'] as const) {
    it(`${v}: F, S and the gap identity F − S = R_x + R_z match an independent float64 computation at random parameters (1e-10)`, () => {
      for (const label of ['a', 'b', 'c']) {
        const p = randomParams(`${v}-${label}`);
        const d = diagnoseVariantVae(p, arch, v, set);
        const ref = reference(p, v);
        expect(Math.abs(d.elbo - ref.F)).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.F)));
        expect(Math.abs(d.entropySum - ref.S)).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.S)));
        expect(Math.abs(d.decomposition.decoder - ref.decoderPart)).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.decoderPart)));
        expect(Math.abs(d.decomposition.prior - ref.priorPart)).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.priorPart)));
        // The identity, on the independent computation alone, and the evaluator's own bookkeeping.
        expect(Math.abs(ref.F - ref.S - (ref.decoderPart + ref.priorPart))).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.F)));
        expect(d.decompositionError).toBeLessThan(1e-10 * Math.max(1, Math.abs(d.elbo)));
        // Non-stationary: the gap is far from 0.
        expect(Math.abs(d.gap)).toBeGreaterThan(0.1);
      }
    });
  }

  it('the parts are derivatives of F along the rescaling directions: R_x = −∂F/∂c, VAE-2 R_z = −Σ_h ∂F/∂log α_h², VAE-3 R_z = ½ Σ_h ∂F/∂ρ_h', () => {
    const k = VARIANCE_SCALE;
    for (const v of ['vae2', 'vae3'] as const) {
      const p = randomParams(`${v}-fd`);
      const d = diagnoseVariantVae(p, arch, v, set);
      // c = κ·logVar: ∂F/∂c = (1/κ) ∂F/∂logVar.
      const rx = -derivative(p, v, 'logVar', 0) / k;
      expect(Math.abs(rx - d.decomposition.decoder)).toBeLessThan(1e-5 * Math.max(1, Math.abs(rx)));
      let rz = 0;
      for (let h = 0; h < arch.latent; h++) rz += v === 'vae2' ? -derivative(p, v, 'logAlpha', h) / k : (0.5 * derivative(p, v, 'rho', h)) / k;
      expect(Math.abs(rz - d.decomposition.prior)).toBeLessThan(1e-5 * Math.max(1, Math.abs(rz)));
    }
  });

  it('the falsifiers: VAE-1 on VAE-3 adds the Jensen gap J ≥ 0 (0 for a constant σ²); the N(0, I) prior entropy on VAE-2 adds −½ Σ log α² (0 at α = 1)', () => {
    const { D } = arch;
    const p3 = randomParams('vae3-falsifier');
    const own3 = diagnoseVariantVae(p3, arch, 'vae3', set);
    const wrong3 = diagnoseVariantVae(p3, arch, 'vae3', set, { entropyFormula: 'vae1' });
    const J = (D / 2) * (Math.log(own3.meanVariance) - own3.meanLogVariance);
    expect(J).toBeGreaterThan(0.01);
    expect(Math.abs(wrong3.gap - (own3.gap + J))).toBeLessThan(1e-10 * Math.max(1, Math.abs(own3.elbo)));
    expect(wrong3.decompositionError).toBeLessThan(1e-10 * Math.max(1, Math.abs(own3.elbo)));
    expect(wrong3.formulaMismatch).toBeCloseTo(J, 12);
    // A σ² constant in z and d: VAE-1's sum is VAE-3's.
    const flat = { ...p3, Wv: new Float64Array(p3.Wv.length), logVarD: new Float64Array(p3.logVarD.length) };
    const flatOwn = diagnoseVariantVae(flat, arch, 'vae3', set);
    expect(Math.abs(withEntropyFormula(flatOwn, 'vae1', arch).entropySum - flatOwn.entropySum)).toBeLessThan(1e-12 * Math.abs(flatOwn.entropySum));

    const p2 = randomParams('vae2-falsifier');
    const own2 = diagnoseVariantVae(p2, arch, 'vae2', set);
    const wrong2 = diagnoseVariantVae(p2, arch, 'vae2', set, { entropyFormula: 'standard-prior' });
    const offset = -0.5 * own2.priorVariances.reduce((a, a2) => a + Math.log(a2), 0);
    expect(Math.abs(offset)).toBeGreaterThan(0.01);
    expect(Math.abs(wrong2.gap - (own2.gap + offset))).toBeLessThan(1e-10 * Math.max(1, Math.abs(own2.elbo)));
    expect(wrong2.decompositionError).toBeLessThan(1e-10 * Math.max(1, Math.abs(own2.elbo)));
    const unit = diagnoseVariantVae({ ...p2, logAlpha: new Float64Array(arch.latent) }, arch, 'vae2', set);
    expect(withEntropyFormula(unit, 'standard-prior', arch).entropySum).toBeCloseTo(unit.entropySum, 12);
    // A falsifier's formula belongs to one variant.
    expect(() => withEntropyFormula(own2, 'vae1', arch)).toThrow(RangeError);
    expect(() => withEntropyFormula(own3, 'standard-prior', arch)).toThrow(RangeError);
  });

  it("reduces to VAE-1 (the VAE-1 claim's independent evaluator): VAE-3 with σ² constant, VAE-2 with α = 1 and unit-norm rows", () => {
    const { hidden: Hd, latent: H } = arch;
    for (const v of ['vae2', 'vae3'] as const) {
      const p = randomParams(`${v}-reduce`);
      p.Wv.fill(0);
      p.logVarD.fill(0);
      p.logAlpha.fill(0);
      if (v === 'vae2') {
        p.rho.fill(0); // VAE-2's ρ scales the encoder only; VAE-1's also the decoder
        for (let h = 0; h < H; h++) {
          const norm = Math.hypot(...Array.from(p.Wd1.subarray(h * Hd, (h + 1) * Hd)));
          for (let j = 0; j < Hd; j++) p.Wd1[h * Hd + j] /= norm;
        }
      }
      const g: GaussianVaeParams = {
        We1: p.We1, be1: p.be1, Wmu: p.Wmu, bmu: p.bmu, Wlv: p.Wlv, blv: p.blv, Wd1: p.Wd1, bd1: p.bd1, Wd2: p.Wd2, bd2: p.bd2,
        logVar: Float64Array.of((VARIANCE_SCALE * p.logVar[0]) / LOG_VARIANCE_SCALE),
        rho: Float64Array.from(p.rho, (r) => (VARIANCE_SCALE * r) / LATENT_SCALE_SCALE),
      };
      const one = diagnoseGaussianVae(g, arch, set);
      const d = diagnoseVariantVae(p, arch, v, set);
      for (const key of ['elbo', 'entropySum', 'encoderEntropy', 'priorEntropy', 'decoderEntropy', 'gap'] as const) {
        expect(Math.abs(d[key] - one[key])).toBeLessThan(1e-10 * Math.max(1, Math.abs(one[key])));
      }
      expect(Math.abs(d.decomposition.decoder - one.decomposition.decoder)).toBeLessThan(1e-10 * Math.max(1, Math.abs(one.elbo)));
      expect(Math.abs(d.decomposition.prior - one.decomposition.prior)).toBeLessThan(1e-10 * Math.max(1, Math.abs(one.elbo)));
    }
  });

  it('the engine objective (float32, one replica per variant in one batch) matches the float64 ELBO on the same data and noise; no tensors leak', () => {
    const variants: VaeVariant[] = ['vae2', 'vae3'];
    const model = new VariantVaeModel({ arch, data: x, variants });
    const shapes = variantVaeShapes(arch);
    const points = variants.map((v) => randomParams(`${v}-engine`));
    // The model's own initial point is a valid point too (Wv = 0, per-dimension data variances).
    const replica = { label: 'init', seed: deriveSeed('variant-test', 'init'), schedule: { C: 1, alpha: 0 }, batchSize: 1, samples: 1, beta: 1 };
    const init = model.initialParams(replica, replicaStreams(replica.seed)) as VariantVaeParams;
    for (const set2 of [points, [init, init]]) {
      const before = tf.memory().numTensors;
      const engine = tf.tidy(() => {
        const tensors = Object.fromEntries(
          VARIANT_VAE_PARAM_NAMES.map((n) => {
            const flat = new Float32Array(2 * set2[0][n].length);
            set2.forEach((p, r) => flat.set(Float32Array.from(p[n]), r * p[n].length));
            return [n, tf.tensor(flat, [2, ...shapes[n]])];
          }),
        );
        const epsBoth = new Float32Array(2 * eps.length);
        epsBoth.set(Float32Array.from(eps), 0);
        epsBoth.set(Float32Array.from(eps), eps.length);
        const inputs = {
          index: tf.tensor2d(Int32Array.from({ length: 2 * N }, (_, i) => i % N), [2, N], 'int32'),
          eps: tf.tensor4d(epsBoth, [2, N, K, arch.latent]),
        };
        return Array.from(model.objective(tensors, inputs).dataSync());
      });
      expect(tf.memory().numTensors).toBe(before);
      variants.forEach((v, r) => {
        const p32 = Object.fromEntries(Object.entries(set2[r]).map(([n, a]) => [n, Float32Array.from(a)])) as VariantVaeParams;
        const f64 = diagnoseVariantVae(p32, arch, v, set).elbo;
        expect(Math.abs(engine[r] - f64)).toBeLessThan(1e-4 * Math.max(1, Math.abs(f64)));
      });
    }
    model.dispose();
  });

  it("the public diagnose({ kind: 'vae-variant' }) is diagnoseVariantVae on its documented noise (4 samples of seed 1's 'entropy-diagnose' stream by default)", () => {
    for (const v of ['vae2', 'vae3'] as const) {
      const p = randomParams(`${v}-public`);
      for (const [K, seed] of [[4, 1], [2, 17]] as const) {
        const noise = new Float64Array(N * K * arch.latent);
        RandomStream.at(seed, 'entropy-diagnose').fillNormal(noise);
        const expected = diagnoseVariantVae(p, arch, v, { x, N, K, eps: noise });
        const model = { kind: 'vae-variant' as const, variant: v, params: p, arch, ...(K === 4 ? {} : { samples: K, seed }) };
        const got = diagnose(model, { x, N, D: arch.D });
        expect(got.elbo).toBe(expected.elbo);
        expect(got.entropySum).toBe(expected.entropySum);
        expect(got.decomposition.total).toBe(expected.decomposition.total);
      }
    }
    expect(() => diagnose({ kind: 'vae-variant', variant: 'vae3', params: randomParams('x'), arch, samples: 0 }, { x, N, D: arch.D })).toThrow(RangeError);
  });

  it('the model rejects data with a constant dimension (σ_d → 0: no stationary point)', () => {
    const constant = Float32Array.from(x);
    for (let n = 0; n < N; n++) constant[n * arch.D] = 0.25;
    expect(() => new VariantVaeModel({ arch, data: constant, variants: ['vae3'] })).toThrow(/every dimension/);
  });
});
