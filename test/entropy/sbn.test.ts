/**
 * Sigmoid belief net oracle: ELBO against a per-point brute-force
 * enumeration (no aggregated state statistics), EM monotonicity, the exact
 * decomposition at non-stationary points, R_x = Σ_d (W_d·∂F/∂W_d + b_d ∂F/∂b_d)
 * against central finite differences, and a Newton M-step that leaves a
 * gradient at rounding level.
 * Tolerances: sums over N·2^H ≈ 10⁴ terms of size O(10): rounding ≈ 1e-12;
 * we allow 1e-9. The directional finite difference (h = 1e-5) of an O(10)
 * objective has rounding ≈ 1e-14/2e-5 = 5e-10 and truncation ≈ h²·O(1) =
 * 1e-10; allowed 1e-6 (a wrong R_x is off by O(0.1)).
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import { generateSbnData } from '../../src/models/sbn/data.ts';
import { bit, diagnose, elbo, eStep, gapDecomposition, jointLogs, mStep, naturalParams, stateCount, stateStats, type SbnParams } from '../../src/models/sbn/sbn.ts';
import { softplus } from '../../src/entropy/formulas.ts';
import { randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';

const H = 3;
const data = generateSbnData({ N: 200, D: 6, H, weightScale: 1.5, seed: 9 });
const S = stateCount(H);

function randomParams(label: string): SbnParams {
  const rng = RandomStream.at('sbn-test', label);
  return {
    H,
    D: data.D,
    W: Float64Array.from({ length: data.D * H }, () => rng.normal()),
    b: Float64Array.from({ length: data.D }, () => 0.5 * rng.normal()),
    pi: Float64Array.from({ length: H }, () => 0.2 + 0.6 * rng.uniform()),
  };
}

function bruteForceElbo(p: SbnParams, q: Float64Array): number {
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    for (let z = 0; z < S; z++) {
      const w = q[n * S + z];
      if (w === 0) continue;
      let lp = 0;
      for (let h = 0; h < H; h++) lp += Math.log(bit(z, h) ? p.pi[h] : 1 - p.pi[h]);
      for (let d = 0; d < data.D; d++) {
        let eta = p.b[d];
        for (let h = 0; h < H; h++) eta += bit(z, h) * p.W[d * H + h];
        const prob = 1 / (1 + Math.exp(-eta));
        lp += Math.log(data.x[n * data.D + d] === 1 ? prob : 1 - prob);
      }
      total += w * (lp - Math.log(w));
    }
  }
  return total / data.N;
}

describe('sigmoid belief net oracle', () => {
  it('ELBO matches per-point enumeration; F − S matches the decomposition away from stationarity', () => {
    const p = randomParams('a');
    const q = randomResponsibilities(data.N, S, RandomStream.at('sbn-q'));
    expect(Math.abs(elbo(p, q, data) - bruteForceElbo(p, q))).toBeLessThan(1e-9);
    const d = diagnose(p, q, data);
    expect(Math.abs(d.gap)).toBeGreaterThan(1e-2);
    expect(d.decompositionError).toBeLessThan(1e-9);
  });

  it('R_x is the derivative of F along the rescaling (W, b) → (1 + ε)(W, b)', () => {
    const p = randomParams('b');
    const q = eStep(randomParams('c'), data).q;
    const h = 1e-5;
    const scaled = (e: number): SbnParams => ({ ...p, W: p.W.map((w) => w * (1 + e)), b: p.b.map((v) => v * (1 + e)) });
    const derivative = (elbo(scaled(h), q, data) - elbo(scaled(-h), q, data)) / (2 * h);
    expect(Math.abs(derivative - gapDecomposition(p, q, data).decoder)).toBeLessThan(1e-6);
  });

  it('EM never decreases the log-likelihood and every M-step leaves F = S', () => {
    let p = randomParams('d');
    let prev = -Infinity;
    for (let t = 0; t < 8; t++) {
      const e = eStep(p, data);
      expect(e.logLik).toBeGreaterThanOrEqual(prev - 1e-10);
      prev = e.logLik;
      const m = mStep(p, e.q, data);
      expect(m.gradient).toBeLessThan(1e-12);
      p = m.params;
      expect(Math.abs(diagnose(p, e.q, data).gap)).toBeLessThan(1e-10);
    }
  });

  it('state statistics and joint log-densities are the plain loops over points, bit for bit (any H, zeros in q)', () => {
    // The loops in sbn.ts walk the ones of x by rows and columns, four states at a time: their
    // sums must still add each point's term in point order, so the bits are the plain loops'.
    for (const h of [1, 2, 3, 5, 6]) {
      const d = generateSbnData({ N: 57, D: 7, H: h, weightScale: 1.5, seed: 20 + h });
      const s2 = stateCount(h);
      const rng = RandomStream.at('sbn-test', 'stats', h);
      const q = Float64Array.from({ length: d.N * s2 }, () => (rng.uniform() < 0.2 ? 0 : rng.uniform()));
      const w = new Float64Array(s2);
      const t = new Float64Array(s2 * d.D);
      for (let n = 0; n < d.N; n++) {
        for (let z = 0; z < s2; z++) {
          const v = q[n * s2 + z];
          if (v === 0) continue;
          w[z] += v;
          for (let k = 0; k < d.D; k++) if (d.x[n * d.D + k] === 1) t[z * d.D + k] += v;
        }
      }
      const got = stateStats(q, d, h);
      expect(got.w.every((v, i) => Object.is(v, w[i]))).toBe(true);
      expect(got.t.every((v, i) => Object.is(v, t[i]))).toBe(true);
      const p: SbnParams = {
        H: h,
        D: d.D,
        W: Float64Array.from({ length: d.D * h }, () => rng.normal()),
        b: Float64Array.from({ length: d.D }, () => rng.normal()),
        pi: Float64Array.from({ length: h }, () => 0.2 + 0.6 * rng.uniform()),
      };
      const eta = naturalParams(p);
      const logs = jointLogs(p, d);
      for (let n = 0; n < d.N; n++) {
        for (let z = 0; z < s2; z++) {
          let a = 0;
          for (let j = 0; j < h; j++) a += bit(z, j) ? Math.log(p.pi[j]) : Math.log1p(-p.pi[j]);
          for (let k = 0; k < d.D; k++) a -= softplus(eta[z * d.D + k]);
          for (let k = 0; k < d.D; k++) if (d.x[n * d.D + k] === 1) a += eta[z * d.D + k];
          expect(Object.is(logs[n * s2 + z], a)).toBe(true);
        }
      }
    }
  });

  it('rejects latent dimensions beyond exact enumeration', () => {
    expect(() => stateCount(13)).toThrow(/allowed an integer 1 ≤ H ≤ 12/);
  });
});
