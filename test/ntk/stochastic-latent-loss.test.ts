/**
 * The fused loss-gradient loop (sorted draws, binary search, tail sums) against the
 * direct float64 loop over every draw it replaces: the same sums in another order,
 * so agreement to 1e-12 of the largest entry (a few hundred ulps of sums of
 * O(n·K) terms). Includes the edges: s underflowed to 0 (every z = μ), a
 * threshold exactly on a draw (z = 0 is "off", as ReLU's step), K = 1, KL weights.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
// The float64 limit kernels' own softplus and σ (Math.log1p, Math.exp): an implementation apart from the loop's.
import { sigmoid, softplus } from '../../src/kernels/stochastic-ntk.ts';
import { expNeg, log1pUnit, sortNoise, stochasticLossGradients, stochasticLossImplementation, stochasticLossWork, type StochasticLossInputs } from '../../src/models/ntk/stochastic-latent-loss.ts';


/** The specification, draw by draw (unsorted noise). */
function direct(inp: Omit<StochasticLossInputs, 'noise'>, noise: Float64Array, K: number) {
  const { n, R, m, mu, rho, a, y, readoutDivisor, kl } = inp;
  const units = R * m;
  const G = new Float64Array(n * units);
  const P = new Float64Array(n * units);
  const Pe = new Float64Array(n * units);
  const f = new Float64Array(R * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < units; c++) {
      const o = i * units + c;
      const s = softplus(rho[o]);
      for (let k = 0; k < K; k++) {
        const eps = noise[c * K + k];
        const z = mu[o] + s * eps;
        if (z > 0) {
          G[o] += z / K;
          P[o] += 1 / K;
          Pe[o] += eps / K;
        }
      }
      f[Math.floor(c / m) * n + i] += (a[c] * G[o]) / readoutDivisor;
    }
  }
  const dMu = new Float64Array(n * units);
  const dRho = new Float64Array(n * units);
  const ga = new Float64Array(units);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < units; c++) {
      const r = Math.floor(c / m);
      const o = i * units + c;
      const g = (f[r * n + i] - y[i]) / n;
      const w = kl ? kl[r] / n : 0;
      const s = softplus(rho[o]);
      const sig = sigmoid(rho[o]);
      dMu[o] = (g * a[c] * P[o]) / readoutDivisor + w * mu[o];
      // No KL term where w = 0 (replica 0, which holds the underflowed s = 0 entries: 1/s is ∞).
      dRho[o] = ((g * a[c] * Pe[o]) / readoutDivisor + (w !== 0 ? w * (s - 1 / s) : 0)) * sig;
      ga[c] += (G[o] * g) / readoutDivisor;
    }
  }
  return { f, dMu, dRho, ga };
}

function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 1e-300;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

/** |a − b| in units of b's last place. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const spacing = Math.max(Number.MIN_VALUE, Math.abs(b) * Number.EPSILON);
  return Math.abs(a - b) / spacing;
}

describe('softplus arithmetic (expNeg, log1pUnit)', () => {
  it('e^{−x} within 4 ulps of Math.exp over [0, 745] and 0 beyond, log(1 + e) within 4 ulps of Math.log1p on [0, 1]', () => {
    const rng = RandomStream.at(5, 'softplus-arithmetic');
    let worstExp = 0;
    let worstLog = 0;
    for (let i = 0; i < 200_000; i++) {
      // Magnitudes from 1e-12 to 745, log-uniform, and every region of log1p's two branches.
      const x = Math.exp(-27.6 + rng.uniform() * (27.6 + Math.log(745)));
      worstExp = Math.max(worstExp, ulps(expNeg(x), Math.exp(-x)));
      const e = i % 2 === 0 ? rng.uniform() : Math.exp(-40 * rng.uniform());
      worstLog = Math.max(worstLog, ulps(log1pUnit(e), Math.log1p(e)));
    }
    for (const x of [0, 1e-300, 0.3465735902799726, 0.34657359027997264, 700, 708.4, 744]) worstExp = Math.max(worstExp, ulps(expNeg(x), Math.exp(-x)));
    for (const e of [0, 5e-324, 1e-300, 0.41421356237309503, 0.414213562373095, 1]) worstLog = Math.max(worstLog, ulps(log1pUnit(e), Math.log1p(e)));
    expect(worstExp).toBeLessThanOrEqual(4);
    expect(worstLog).toBeLessThanOrEqual(4);
    expect([expNeg(745.3), expNeg(Infinity)]).toEqual([0, 0]);
  });
});

describe('stochasticLossGradients', () => {
  it('sortNoise sorts each unit and forms exact tail sums', () => {
    const noise = Float64Array.of(3, -1, 2, 0.5, -4, 1);
    const { sorted, tail } = sortNoise(noise, 2, 3);
    expect(Array.from(sorted)).toEqual([-1, 2, 3, -4, 0.5, 1]);
    expect(Array.from(tail)).toEqual([4, 5, 3, 0, -2.5, 1.5, 1, 0]);
  });

  for (const [K, withKl] of [
    [16, true],
    [16, false],
    [5, true],
    [1, false],
  ] as const) {
    it(`equals the draw-by-draw loop (K = ${K}, ${withKl ? 'with' : 'without'} KL weights)`, () => {
      const rng = RandomStream.at(7, 'stochastic-latent-loss', K, withKl ? 1 : 0);
      const n = 7;
      const R = 3;
      const m = 10;
      const units = R * m;
      const mu = Float64Array.from({ length: n * units }, () => rng.normal());
      const rho = Float64Array.from({ length: n * units }, () => 2 * rng.normal());
      // Edges: s underflows to 0 (ρ = −800) with μ of both signs; a threshold exactly on a draw.
      rho[3] = -800;
      mu[3] = 0.4;
      rho[4] = -800;
      mu[4] = -0.4;
      const noise = Float64Array.from({ length: units * K }, () => rng.normal());
      noise[5 * K] = 0; // z = μ + s·0 = 0 exactly: off on both sides (ε = 0 is not > −μ/s = −0)
      mu[5] = 0;
      const a = Float64Array.from({ length: units }, () => rng.normal());
      const y = Float64Array.from({ length: n }, () => rng.normal());
      const kl = withKl ? Float64Array.of(0, 0.3, 2) : undefined;
      const base = { n, R, m, mu, rho, a, y, readoutDivisor: Math.sqrt(m), kl };
      const sortedNoise = sortNoise(noise, units, K);
      const work = stochasticLossWork(n, units, sortedNoise, 'js');
      const got = stochasticLossGradients({ ...base, noise: sortedNoise }, work);
      const want = direct(base, noise, K);
      expect(relMax(got.f, want.f)).toBeLessThan(1e-12);
      // dMu, dRho are handed to the backend as float32: compared at float32 resolution.
      expect(relMax(work.dMu, want.dMu)).toBeLessThan(1e-7);
      expect(relMax(work.dRho, want.dRho)).toBeLessThan(1e-7);
      expect(relMax(got.a, want.ga)).toBeLessThan(1e-12);
      const sumMu = new Float64Array(units);
      for (let i = 0; i < n; i++) for (let c = 0; c < units; c++) sumMu[c] += want.dMu[i * units + c];
      expect(relMax(got.sumMu, sumMu)).toBeLessThan(1e-12);
    });
  }

  // The WebAssembly port (wasm/stochastic-loss.as.ts) against the JavaScript loops: bit for bit,
  // on the float32 inputs it takes (as lossGradients downloads them), odd K (the count's spare
  // draw), underflowed s, KL weights, and two calls in a row (its sums restart from zero).
  for (const [K, withKl] of [
    [16, true],
    [5, false],
    [1, true],
  ] as const) {
    it(`the WebAssembly port equals the JavaScript loops bit for bit (K = ${K}, ${withKl ? 'with' : 'without'} KL weights)`, () => {
      expect(stochasticLossImplementation()).toBe('wasm-simd');
      const rng = RandomStream.at(11, 'stochastic-loss-port', K);
      const n = 6;
      // 18 units a row (pass 1's fours, then a pair), or 9 (fours, then one alone).
      const R = K === 5 ? 1 : 2;
      const m = 9;
      const units = R * m;
      const draw = (len: number, scale: number) => Float32Array.from({ length: len }, () => scale * rng.normal());
      const mu = draw(n * units, 1);
      const rho = draw(n * units, 2);
      rho[2] = -800;
      mu[2] = 0.25;
      rho[units + 3] = -800;
      mu[units + 3] = -0.25;
      // Pass 1 takes two units per f64x2 (lanes), four as two chains: e^{−|ρ|} subnormal (|ρ| in (708, 745], two
      // exact scalings), ρ = ±0, the reduction's switch at e = √2 − 1, beside ordinary values.
      rho.set([-720, 730, 0, -0, -Math.log(Math.SQRT2 - 1), 1e-30], 2 * units + 1);
      const a = draw(units, 1);
      const noise = sortNoise(Float64Array.from({ length: units * K }, () => rng.normal()), units, K);
      const y = Float64Array.from({ length: n }, () => rng.normal());
      const kl = withKl ? Float64Array.of(0, 0.4) : undefined;
      const inputs = { n, R, m, mu, rho, a, noise, y, readoutDivisor: Math.sqrt(m), kl };
      const jsWork = stochasticLossWork(n, units, noise, 'js');
      const portWork = stochasticLossWork(n, units, noise);
      expect(portWork.port).not.toBeNull();
      const same = (x: Float32Array | Float64Array, z: Float32Array | Float64Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(z.buffer, z.byteOffset, z.byteLength));
      for (let call = 0; call < 2; call++) {
        const want = stochasticLossGradients(inputs, jsWork);
        const got = stochasticLossGradients(inputs, portWork);
        for (const k of ['f', 'sumMu', 'sumRho', 'a'] as const) expect({ k, call, same: same(got[k], want[k]) }).toEqual({ k, call, same: true });
        for (const k of ['G', 'P', 'Peps', 's', 'sig', 'dMu', 'dRho'] as const) expect({ k, call, same: same(portWork[k], jsWork[k]) }).toEqual({ k, call, same: true });
        mu[5] += 0.5; // the second call on other inputs
      }
    });
  }
});
