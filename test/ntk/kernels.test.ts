/**
 * Analytic kernels (float64) against Monte Carlo over the random
 * initialisation, and the stochastic network's reduced closed forms against
 * plain numerical integration over the noise.
 *
 * Monte Carlo tolerance: for the one-hidden-layer net, E[Θ̂_m] = Θ exactly at
 * every width (Θ̂ averages i.i.d. unit contributions), so each entry of the
 * seed-averaged kernel has a Student-t statistic t = (mean − Θ)/(sd/√S) with
 * S − 1 = 23 degrees of freedom. P(|t₂₃| > 5.5) ≈ 1.3e-5 per entry, so over the
 * 36 distinct entries a false alarm has probability < 5e-4 (and the test is
 * deterministic given its seeds). A missing 1/2 in the derivative term moves
 * entries by ~25% of Θ, i.e. by > 50 standard errors here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { arcCosine, reluKernels } from '../../src/kernels/relu-ntk.ts';
import { conditionalKernels, stochasticKernels } from '../../src/kernels/stochastic-ntk.ts';
import { bivariateExpectation, gaussHermite, normalCdf, normalPdf, normalQuantile, erfc } from '../../src/kernels/quadrature.ts';
import { WideReluBatch } from '../../src/models/ntk/wide-relu.ts';
import { StochasticLatentBatch } from '../../src/models/ntk/stochastic-latent.ts';
import { RandomStream } from '../../src/engine/rng.ts';

const hyper = { sigmaW: Math.SQRT2, sigmaB: 0.3 };
const d = 8;
const n = 8;
const data = sphereInputs(n, d, 4242);

/** Per-entry t statistics of the seed-average of `samples` (S × n²) against `target`. */
function maxT(samples: Float64Array[], target: (i: number) => number): number {
  const S = samples.length;
  let worst = 0;
  for (let e = 0; e < samples[0].length; e++) {
    let mean = 0;
    for (const s of samples) mean += s[e];
    mean /= S;
    let v = 0;
    for (const s of samples) v += (s[e] - mean) ** 2;
    const se = Math.sqrt(v / (S - 1) / S);
    worst = Math.max(worst, Math.abs(mean - target(e)) / se);
  }
  return worst;
}

describe('quadrature helpers', () => {
  it('Gauss–Hermite integrates Gaussian moments exactly and erfc / Φ⁻¹ are double-precision accurate', () => {
    const { nodes, weights } = gaussHermite(12);
    const moment = (k: number) => nodes.reduce((s, z, i) => s + weights[i] * z ** k, 0);
    expect(moment(0)).toBeCloseTo(1, 13);
    expect(moment(2)).toBeCloseTo(1, 12);
    expect(moment(4)).toBeCloseTo(3, 11);
    expect(moment(6)).toBeCloseTo(15, 10);
    // Reference values of erfc (Python math.erfc).
    expect(erfc(0.1)).toBeCloseTo(0.8875370839817152, 14);
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 14);
    expect(erfc(3) / 2.2090496998585438e-5).toBeCloseTo(1, 12);
    for (const p of [1e-7, 0.01, 0.3, 0.77, 0.999]) expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 12);
    // Bivariate rule: E[uv] = c12, E[u²v²] = c11 c22 + 2 c12².
    expect(bivariateExpectation(2, 0.5, 0.6, 10, (u, v) => u * v)).toBeCloseTo(0.6, 12);
    expect(bivariateExpectation(2, 0.5, 0.6, 10, (u, v) => u * u * v * v)).toBeCloseTo(1 + 2 * 0.36, 11);
  });
});

describe('ReLU NTK (one hidden layer) against Monte Carlo over initialisation', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('the seed-averaged empirical NTK and NNGP match the closed forms; a wrong formula is rejected', () => {
    const S = 24;
    const m = 512;
    const replicas = Array.from({ length: S }, (_, s) => ({ label: `${s}`, seed: 9000 + s, parameterisation: 'ntk' as const, antisymmetric: false }));
    const batch = new WideReluBatch({ d, width: m, ...hyper }, replicas);
    const X = tf.tensor2d(Float32Array.from(data.x), [n, d]);
    const k = batch.tangentKernels(X);
    const values = k.total.dataSync();
    // NNGP from the readout group: Θ_a + Θ_b0 = σ_W²/m Σ φφ' + σ_b² → K.
    const a = k.groups.a.dataSync();
    const samples = Array.from({ length: S }, (_, s) => Float64Array.from(values.subarray(s * n * n, (s + 1) * n * n)));
    const nngpSamples = Array.from({ length: S }, (_, s) => Float64Array.from(a.subarray(s * n * n, (s + 1) * n * n), (v) => v + hyper.sigmaB ** 2));
    tf.dispose([X, k.total, ...Object.values(k.groups)]);
    batch.dispose();
    const { ntk, nngp } = reluKernels(data, data, hyper);
    const wrong = reluKernels(data, data, hyper, 'missing-half').ntk;
    const at = (M: { get(i: number, j: number): number }) => (e: number) => M.get(Math.floor(e / n), e % n);
    expect(maxT(samples, at(ntk))).toBeLessThan(5.5);
    expect(maxT(nngpSamples, at(nngp))).toBeLessThan(5.5);
    expect(maxT(samples, at(wrong))).toBeGreaterThan(20);
  });

  it('the depth-2 recursion matches a float64 Monte Carlo of a two-hidden-layer net (bias O(1/m) allowed)', () => {
    // Deep nets are not exactly unbiased at finite width: E[Θ̂_m] − Θ = O(1/m).
    // With m = 256 the allowance 4/m ≈ 1.6% of Θ plus 5.5 standard errors is a
    // loose bound on that bias (measured ≈ 0.3% here) and still rejects a wrong
    // recursion (the depth-1 kernel differs from the depth-2 one by > 30%).
    const m = 256;
    const S = 40;
    const pts = 4;
    const X = sphereInputs(pts, d, 99);
    const { sigmaW: sw, sigmaB: sb } = hyper;
    const samples: Float64Array[] = [];
    for (let s = 0; s < S; s++) {
      const rng = new RandomStream(5000 + s);
      const W1 = Float64Array.from({ length: m * d }, () => rng.normal());
      const b1 = Float64Array.from({ length: m }, () => rng.normal());
      const W2 = Float64Array.from({ length: m * m }, () => rng.normal());
      const b2 = Float64Array.from({ length: m }, () => rng.normal());
      const a = Float64Array.from({ length: m }, () => rng.normal());
      const A1: Float64Array[] = [];
      const A2: Float64Array[] = [];
      const D1: Float64Array[] = [];
      const D2: Float64Array[] = [];
      for (let i = 0; i < pts; i++) {
        const h1 = new Float64Array(m);
        for (let u = 0; u < m; u++) {
          let z = sb * b1[u];
          for (let q = 0; q < d; q++) z += (sw / Math.sqrt(d)) * W1[u * d + q] * X.x[i * d + q];
          h1[u] = z;
        }
        const a1 = h1.map((z) => Math.max(z, 0));
        const h2 = new Float64Array(m);
        for (let u = 0; u < m; u++) {
          let z = sb * b2[u];
          for (let q = 0; q < m; q++) z += (sw / Math.sqrt(m)) * W2[u * m + q] * a1[q];
          h2[u] = z;
        }
        const d2 = Float64Array.from(h2, (z, u) => (z > 0 ? (sw / Math.sqrt(m)) * a[u] : 0)); // ∂f/∂h2
        const d1 = new Float64Array(m); // ∂f/∂h1 = (σ_W/√m) W2ᵀ d2 ⊙ φ'(h1)
        for (let q = 0; q < m; q++) {
          if (h1[q] <= 0) continue;
          let z = 0;
          for (let u = 0; u < m; u++) z += W2[u * m + q] * d2[u];
          d1[q] = (sw / Math.sqrt(m)) * z;
        }
        A1.push(a1);
        A2.push(h2.map((z) => Math.max(z, 0)));
        D1.push(d1);
        D2.push(d2);
      }
      const K = new Float64Array(pts * pts);
      const dot = (x: Float64Array, y: Float64Array) => x.reduce((acc, v, i) => acc + v * y[i], 0);
      for (let i = 0; i < pts; i++) {
        for (let j = 0; j < pts; j++) {
          let xx = 0;
          for (let q = 0; q < d; q++) xx += X.x[i * d + q] * X.x[j * d + q];
          const layer1 = dot(D1[i], D1[j]) * ((sw * sw * xx) / d + sb * sb);
          const layer2 = dot(D2[i], D2[j]) * ((sw * sw * dot(A1[i], A1[j])) / m + sb * sb);
          const readout = (sw * sw * dot(A2[i], A2[j])) / m + sb * sb;
          K[i * pts + j] = layer1 + layer2 + readout;
        }
      }
      samples.push(K);
    }
    const deep = reluKernels(X, X, { ...hyper, depth: 2 }).ntk;
    const shallow = reluKernels(X, X, hyper).ntk;
    for (let e = 0; e < pts * pts; e++) {
      const target = deep.get(Math.floor(e / pts), e % pts);
      let mean = 0;
      for (const s of samples) mean += s[e] / S;
      let v = 0;
      for (const s of samples) v += (s[e] - mean) ** 2;
      const se = Math.sqrt(v / (S - 1) / S);
      expect(Math.abs(mean - target)).toBeLessThan(5.5 * se + (4 / m) * Math.abs(target));
    }
    expect(Math.abs(deep.get(0, 0) / shallow.get(0, 0) - 1)).toBeGreaterThan(0.3);
  });
});

/** ∫_lo^hi h(ε) φ(ε) dε by composite Simpson (smooth integrand on the interval). */
function simpson(h: (e: number) => number, lo: number, hi: number, intervals = 2000): number {
  const w = (hi - lo) / intervals;
  let s = h(lo) * normalPdf(lo) + h(hi) * normalPdf(hi);
  for (let k = 1; k < intervals; k++) {
    const e = lo + k * w;
    s += (k % 2 === 1 ? 4 : 2) * h(e) * normalPdf(e);
  }
  return (s * w) / 3;
}

describe('stochastic latent network: limit kernels', () => {
  it('the reduced closed forms equal plain integration over the noise and the mean-head pre-activations', () => {
    // Noise averages by Simpson's rule from the kink −μ/s to 12 (smooth there; tail mass < 1e-32),
    // then the expectation over (μ, μ') ~ N(0, q) by a 32-point tensor Gauss–Hermite rule.
    const softplus = (x: number) => Math.log1p(Math.exp(x));
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const cases = [
      [0.3, 0.3, 0.12, 0.2, -0.4],
      [0.26, 0.31, -0.05, -1.1, 0.7],
      [0.5, 0.5, 0.5, 0.3, 0.3],
    ];
    for (const [q11, q22, q12, r1, r2] of cases) {
      const s1 = softplus(r1);
      const s2 = softplus(r2);
      const noiseAvg = (mu: number, s: number, h: (z: number, e: number) => number) => simpson((e) => h(mu + s * e, e), -mu / s, 12);
      const g = (mu: number, s: number) => noiseAvg(mu, s, (z) => z);
      const P = (mu: number, s: number) => noiseAvg(mu, s, () => 1);
      const Pe = (mu: number, s: number) => noiseAvg(mu, s, (_z, e) => e);
      const closed = conditionalKernels(q11, q22, q12, r1, r2);
      const readout = bivariateExpectation(q11, q22, q12, 32, (u, v) => g(u, s1) * g(v, s2));
      const mean = q12 * bivariateExpectation(q11, q22, q12, 32, (u, v) => P(u, s1) * P(v, s2));
      const variance = q12 * sigmoid(r1) * sigmoid(r2) * bivariateExpectation(q11, q22, q12, 32, (u, v) => Pe(u, s1) * Pe(v, s2));
      expect(Math.abs(closed.readout - readout)).toBeLessThan(1e-8);
      expect(Math.abs(closed.mean - mean)).toBeLessThan(1e-8);
      expect(Math.abs(closed.variance - variance)).toBeLessThan(1e-8);
      // g itself: E_ε ReLU(μ + sε) = μΦ(μ/s) + sφ(μ/s).
      expect(g(0.3, s1)).toBeCloseTo(0.3 * normalCdf(0.3 / s1) + s1 * normalPdf(0.3 / s1), 10);
      // The readout integrand is the arc-cosine kernel of q + diag(s², s'²).
      expect(closed.readout).toBeCloseTo(arcCosine(q11 + s1 * s1, q22 + s2 * s2, q12).k1, 14);
    }
  });

  it('the quadrature error estimate is tiny and the limit kernels match Monte Carlo over initialisation', async () => {
    await useBackend('wasm');
    const pts = 6;
    const X = sphereInputs(pts, d, 31);
    const limit = stochasticKernels(X, X, hyper, 16);
    expect(limit.quadratureError).toBeLessThan(1e-10);
    // Monte Carlo: S = 24 seeds at m = 1024 with K = 64 stratified draws per unit.
    // E[Θ̂] differs from the limit only by the noise-estimate bias E[Cov(ḡ(x), ḡ(x'))]:
    // one stratum holds the kink of each indicator, so for the mean head the bias is
    // ≤ q12/(4K²) ≈ 6e-5·q12 and similarly small for the others; the allowance
    // 0.5% of |Θ| covers it with a wide margin, plus 5.5 standard errors as above.
    const S = 24;
    const replicas = Array.from({ length: S }, (_, s) => ({ label: `${s}`, seed: 7000 + s, noise: 'stratified' as const, antisymmetric: false }));
    const batch = new StochasticLatentBatch({ d, width: 1024, ...hyper, samples: 64 }, replicas);
    const Xt = tf.tensor2d(Float32Array.from(X.x), [pts, d]);
    const k = batch.tangentKernels(Xt);
    for (const g of ['readout', 'mean', 'variance'] as const) {
      const v = k[g].dataSync();
      for (let e = 0; e < pts * pts; e++) {
        const target = limit.groups[g].get(Math.floor(e / pts), e % pts);
        let mean = 0;
        for (let s = 0; s < S; s++) mean += v[s * pts * pts + e] / S;
        let var_ = 0;
        for (let s = 0; s < S; s++) var_ += (v[s * pts * pts + e] - mean) ** 2;
        const se = Math.sqrt(var_ / (S - 1) / S);
        expect({ group: g, entry: e, ok: Math.abs(mean - target) < 5.5 * se + 0.005 * Math.abs(target) }).toEqual({ group: g, entry: e, ok: true });
      }
    }
    tf.dispose([Xt, k.total, k.readout, k.mean, k.variance]);
    batch.dispose();
  });
});
