import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../src/engine/rng.ts';
import { LINEAR_VAE_PARAM_NAMES, zeroParams, type LinearVaeDims, type LinearVaeParams } from '../src/models/linear-vae/params.ts';
import {
  dataMoments,
  elboAndGradient,
  elboGradient,
  expectedElbo,
  logMarginal,
  logMarginalFromMoments,
  optimalEncoder,
  squaredNorm,
  type DataMoments,
} from '../src/models/linear-vae/oracle.ts';
import { generateLinearGaussianData } from '../src/models/linear-vae/data.ts';

/** Random parameters at moderate scale; s is kept in [-1, 1] so e^s stays O(1). */
function randomParams(dims: LinearVaeDims, ...labels: (string | number)[]): LinearVaeParams {
  const rng = RandomStream.at('linear-vae-oracle-test', ...labels);
  const p = zeroParams(dims);
  const scale = 1 / Math.sqrt(Math.max(dims.dx, dims.dz));
  for (const name of ['W', 'V'] as const) {
    rng.fillNormal(p[name]);
    for (let i = 0; i < p[name].length; i++) p[name][i] *= scale;
  }
  rng.fillNormal(p.b);
  rng.fillNormal(p.c);
  for (let j = 0; j < p.s.length; j++) p.s[j] = 2 * rng.uniform() - 1;
  return p;
}

function cloneParams(p: LinearVaeParams): LinearVaeParams {
  return { W: p.W.slice(), b: p.b.slice(), V: p.V.slice(), c: p.c.slice(), s: p.s.slice() };
}

/**
 * max_k |g_k − fd_k| / max(‖g‖_∞, 1), fd by central differences.
 * Why h = 1e-5 and a 1e-6 tolerance: for a single coordinate of W, b, V or c the
 * ELBO is exactly quadratic, so central differences have no truncation error
 * and only rounding remains, ≈ ε|L|/h ≈ 2e-16·50/1e-5 ≈ 1e-9. Only s enters
 * through e^s; its truncation error h²/6·|∂³L/∂s³| ≈ 1e-10·O(10) is smaller
 * still. So a correct gradient sits near 1e-9, three orders under the bar, while
 * any wrong term (a missing factor 2 or β, a transposed block) is O(1).
 */
function finiteDifferenceError(p: LinearVaeParams, m: DataMoments, sigmaX: number, beta: number): number {
  const h = 1e-5;
  const g = elboGradient(p, m, sigmaX, beta);
  const scale = Math.max(1, ...LINEAR_VAE_PARAM_NAMES.flatMap((k) => Array.from(g[k], Math.abs)));
  let worst = 0;
  const q = cloneParams(p);
  for (const name of LINEAR_VAE_PARAM_NAMES) {
    for (let i = 0; i < q[name].length; i++) {
      const orig = q[name][i];
      q[name][i] = orig + h;
      const up = expectedElbo(q, m, sigmaX, beta);
      q[name][i] = orig - h;
      const down = expectedElbo(q, m, sigmaX, beta);
      q[name][i] = orig;
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - g[name][i]) / scale);
    }
  }
  return worst;
}

/** The per-point formula of the brief, looped over the data: no moment algebra. */
function directElbo(p: LinearVaeParams, x: Float64Array, n: number, dims: LinearVaeDims, sigmaX: number, beta: number) {
  const { dx, dz } = dims;
  const v = sigmaX * sigmaX;
  let trace = 0;
  for (let i = 0; i < dx; i++) for (let j = 0; j < dz; j++) trace += p.W[i * dz + j] ** 2 * Math.exp(p.s[j]);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const mu = new Float64Array(dz);
    for (let j = 0; j < dz; j++) {
      mu[j] = p.c[j];
      for (let i = 0; i < dx; i++) mu[j] += p.V[j * dx + i] * x[k * dx + i];
    }
    let res = 0;
    for (let i = 0; i < dx; i++) {
      let r = x[k * dx + i] - p.b[i];
      for (let j = 0; j < dz; j++) r -= p.W[i * dz + j] * mu[j];
      res += r * r;
    }
    let kl = 0;
    for (let j = 0; j < dz; j++) kl += 0.5 * (Math.exp(p.s[j]) + mu[j] ** 2 - 1 - p.s[j]);
    total += -0.5 * dx * Math.log(2 * Math.PI * v) - (res + trace) / (2 * v) - beta * kl;
  }
  return total / n;
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

/** W with orthogonal (not orthonormal) columns, so WᵀW is diagonal but not I. */
function orthogonalColumnsW(dims: LinearVaeDims, norms: number[], label: string): Float64Array {
  const { dx, dz } = dims;
  const rng = RandomStream.at('linear-vae-oracle-test', 'orthogonal-W', label);
  const cols: Float64Array[] = [];
  for (let j = 0; j < dz; j++) {
    const col = new Float64Array(dx);
    rng.fillNormal(col);
    // Gram-Schmidt twice: one pass leaves O(ε·κ) overlaps, which would bleed into the 1e-9 equality.
    for (let pass = 0; pass < 2; pass++) {
      for (const prev of cols) {
        let dot = 0;
        for (let i = 0; i < dx; i++) dot += col[i] * prev[i];
        for (let i = 0; i < dx; i++) col[i] -= dot * prev[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < dx; i++) norm += col[i] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < dx; i++) col[i] /= norm;
    cols.push(col);
  }
  const W = new Float64Array(dx * dz);
  for (let i = 0; i < dx; i++) for (let j = 0; j < dz; j++) W[i * dz + j] = cols[j][i] * norms[j];
  return W;
}

const DIMS: LinearVaeDims = { dx: 6, dz: 3 };
const SIGMA_X = 0.7;
const DATA = generateLinearGaussianData({ n: 300, dx: DIMS.dx, dz: 2, noiseStd: SIGMA_X, seed: 11 });
const MOMENTS = dataMoments(DATA.x, 300, DIMS.dx);

describe('linear VAE oracle: gradient', () => {
  for (const beta of [0.25, 1, 4]) {
    it(`matches central finite differences of expectedElbo, β=${beta}`, () => {
      for (let trial = 0; trial < 3; trial++) {
        const p = randomParams(DIMS, 'fd', beta, trial);
        expect(finiteDifferenceError(p, MOMENTS, SIGMA_X, beta)).toBeLessThan(1e-6);
      }
    });
  }

  it('finite-difference check holds for random dims, params, σ_x and β (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.double({ min: 0.3, max: 2, noNaN: true }),
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        (dx, dz, seed, sigmaX, beta) => {
          const dims = { dx, dz };
          const data = generateLinearGaussianData({ n: 40, dx, dz, noiseStd: 0.5, seed });
          const m = dataMoments(data.x, 40, dx);
          const p = randomParams(dims, 'fc', seed);
          return finiteDifferenceError(p, m, sigmaX, beta) < 1e-6;
        },
      ),
      { numRuns: 25 },
    );
  });

  it('writes into `out` when given, with the same values', () => {
    const p = randomParams(DIMS, 'out');
    const out = zeroParams(DIMS);
    const returned = elboGradient(p, MOMENTS, SIGMA_X, 1, out);
    expect(returned).toBe(out);
    expect(out).toEqual(elboGradient(p, MOMENTS, SIGMA_X, 1));
  });

  it('elboAndGradient agrees with the separate calls', () => {
    for (const beta of [0.25, 1, 4]) {
      const p = randomParams(DIMS, 'both', beta);
      const { elbo, grad } = elboAndGradient(p, MOMENTS, SIGMA_X, beta);
      expect(elbo).toBe(expectedElbo(p, MOMENTS, SIGMA_X, beta));
      expect(grad).toEqual(elboGradient(p, MOMENTS, SIGMA_X, beta));
    }
    const p = randomParams(DIMS, 'alias');
    expect(() => elboGradient(p, MOMENTS, SIGMA_X, 1, p)).toThrow(/shares memory/);
    // The check remembers the last disjoint pair only by its blocks: swapping in a block that
    // aliases the parameters (here a view of p.W's memory) after a clean call is still refused.
    const out = zeroParams({ dx: DIMS.dx, dz: DIMS.dz });
    expect(() => elboGradient(p, MOMENTS, SIGMA_X, 1, out)).not.toThrow();
    expect(() => elboGradient(p, MOMENTS, SIGMA_X, 1, out)).not.toThrow();
    const clean = out.c;
    out.c = new Float64Array(p.W.buffer, p.W.byteOffset, out.c.length);
    expect(() => elboGradient(p, MOMENTS, SIGMA_X, 1, out)).toThrow(/out\.c shares memory/);
    out.c = clean;
    expect(() => elboGradient(p, MOMENTS, SIGMA_X, 1, out)).not.toThrow();
  });

  it('squaredNorm sums every block', () => {
    const g = zeroParams({ dx: 2, dz: 1 });
    g.W[1] = 1;
    g.b[0] = 2;
    g.V[1] = -3;
    g.c[0] = 0.5;
    g.s[0] = -0.5;
    expect(squaredNorm(g)).toBe(1 + 4 + 9 + 0.25 + 0.25);
  });
});

describe('linear VAE oracle: expected ELBO', () => {
  it('dataMoments gives the mean and the uncentred second moment', () => {
    const m = dataMoments([1, 2, 3, 4], 2, 2);
    expect(Array.from(m.mean)).toEqual([2, 3]);
    expect(Array.from(m.second)).toEqual([5, 7, 7, 10]);
  });

  it('equals the per-point average (checks the moment reduction)', () => {
    for (const beta of [0.25, 1, 4]) {
      for (let trial = 0; trial < 3; trial++) {
        const p = randomParams(DIMS, 'direct', beta, trial);
        const exact = expectedElbo(p, MOMENTS, SIGMA_X, beta);
        const direct = directElbo(p, DATA.x, 300, DIMS, SIGMA_X, beta);
        expect(Math.abs(exact - direct) / Math.abs(direct)).toBeLessThan(1e-10);
      }
    }
  });

  it('is at most the log-marginal for β ≥ 1 (Jensen, per point hence on average)', () => {
    for (let trial = 0; trial < 10; trial++) {
      const p = randomParams(DIMS, 'jensen', trial);
      const lm = logMarginal(p.W, p.b, DIMS, SIGMA_X, DATA.x, 300);
      expect(expectedElbo(p, MOMENTS, SIGMA_X, 1)).toBeLessThanOrEqual(lm);
      expect(expectedElbo(p, MOMENTS, SIGMA_X, 4)).toBeLessThanOrEqual(lm);
    }
  });

  it('equals the log-marginal at the exact posterior when WᵀW is diagonal', () => {
    const W = orthogonalColumnsW(DIMS, [2, 0.6, 1.3], 'tight');
    const b = randomParams(DIMS, 'tight-b').b;
    const enc = optimalEncoder(W, b, DIMS, SIGMA_X);
    // Diagonal precision: the marginal and mean-field variances coincide.
    for (let j = 0; j < DIMS.dz; j++) expect(Math.abs(enc.s[j] - enc.sMeanField[j])).toBeLessThan(1e-12);
    const elbo = expectedElbo({ W, b, V: enc.V, c: enc.c, s: enc.s }, MOMENTS, SIGMA_X);
    const lm = logMarginal(W, b, DIMS, SIGMA_X, DATA.x, 300);
    expect(relDiff(elbo, lm)).toBeLessThan(1e-9);
  });

  it('at the posterior mean the β=1 gap is KL(diag e^s ‖ posterior covariance), for any s', () => {
    // Non-diagonal WᵀW: tests the mean and covariance of optimalEncoder beyond the tight case.
    const p = randomParams(DIMS, 'gap');
    const { dx, dz } = DIMS;
    const v = SIGMA_X ** 2;
    const enc = optimalEncoder(p.W, p.b, DIMS, SIGMA_X);
    const lm = logMarginal(p.W, p.b, DIMS, SIGMA_X, DATA.x, 300);
    // Λ = I + WᵀW/v is the posterior precision; log det Σ = −log det Λ via a 3×3 Cholesky by hand.
    const Lam = new Float64Array(dz * dz);
    for (let j = 0; j < dz; j++)
      for (let k = 0; k < dz; k++) {
        let sum = j === k ? 1 : 0;
        for (let i = 0; i < dx; i++) sum += (p.W[i * dz + j] * p.W[i * dz + k]) / v;
        Lam[j * dz + k] = sum;
      }
    const L = new Float64Array(dz * dz);
    let logDetLam = 0;
    for (let j = 0; j < dz; j++) {
      for (let k = 0; k <= j; k++) {
        let sum = Lam[j * dz + k];
        for (let l = 0; l < k; l++) sum -= L[j * dz + l] * L[k * dz + l];
        L[j * dz + k] = j === k ? Math.sqrt(sum) : sum / L[k * dz + k];
      }
      logDetLam += 2 * Math.log(L[j * dz + j]);
    }
    for (const s of [enc.s, enc.sMeanField, p.s]) {
      let kl = -dz - logDetLam;
      for (let j = 0; j < dz; j++) kl += Lam[j * dz + j] * Math.exp(s[j]) - s[j];
      kl *= 0.5;
      const elbo = expectedElbo({ W: p.W, b: p.b, V: enc.V, c: enc.c, s }, MOMENTS, SIGMA_X);
      expect(Math.abs(lm - elbo - kl)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lm)));
    }
  });

  it('the mean-field optimal encoder is a stationary point of the encoder at β=1', () => {
    const p = randomParams(DIMS, 'stationary');
    const enc = optimalEncoder(p.W, p.b, DIMS, SIGMA_X);
    const q = { W: p.W, b: p.b, V: enc.V, c: enc.c, s: enc.sMeanField };
    const g = elboGradient(q, MOMENTS, SIGMA_X, 1);
    const away = elboGradient(p, MOMENTS, SIGMA_X, 1);
    for (const name of ['V', 'c', 's'] as const) {
      for (const gi of g[name]) expect(Math.abs(gi)).toBeLessThan(1e-10);
    }
    // Guard against a vacuous check: away from the optimum the encoder gradient is O(1).
    expect(squaredNorm({ ...away, W: new Float64Array(0), b: new Float64Array(0) })).toBeGreaterThan(1e-2);
    // The posterior-marginal variances are a worse diagonal choice unless WᵀW is diagonal.
    expect(expectedElbo({ ...q, s: enc.s }, MOMENTS, SIGMA_X)).toBeLessThan(expectedElbo(q, MOMENTS, SIGMA_X));
  });

  it('rejects mismatched shapes and non-positive σ_x', () => {
    const p = randomParams({ dx: 5, dz: 3 }, 'shape');
    expect(() => expectedElbo(p, MOMENTS, SIGMA_X)).toThrow(/parameter shapes/);
    expect(() => elboGradient(randomParams(DIMS, 'sig'), MOMENTS, 0)).toThrow(/sigmaX/);
  });
});

describe('linear VAE oracle: log-marginal', () => {
  it('matches a dense 2×2 computation written out by hand', () => {
    const dims = { dx: 2, dz: 1 };
    const W = new Float64Array([1.5, -0.4]);
    const b = new Float64Array([0.3, -1.2]);
    const sigmaX = 0.8;
    const x = new Float64Array([0.1, 0.2, -2, 1.7, 3.3, -0.5]);
    const v = sigmaX ** 2;
    const c11 = W[0] * W[0] + v;
    const c12 = W[0] * W[1];
    const c22 = W[1] * W[1] + v;
    const det = c11 * c22 - c12 * c12;
    let total = 0;
    for (let k = 0; k < 3; k++) {
      const e1 = x[2 * k] - b[0];
      const e2 = x[2 * k + 1] - b[1];
      const quad = (c22 * e1 * e1 - 2 * c12 * e1 * e2 + c11 * e2 * e2) / det;
      total += -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * quad;
    }
    expect(relDiff(logMarginal(W, b, dims, sigmaX, x, 3), total / 3)).toBeLessThan(1e-13);
  });

  it('the moment form agrees with the per-point form', () => {
    const p = randomParams(DIMS, 'lm-moments');
    const a = logMarginal(p.W, p.b, DIMS, SIGMA_X, DATA.x, 300);
    const b = logMarginalFromMoments(p.W, p.b, DIMS, SIGMA_X, MOMENTS);
    expect(relDiff(a, b)).toBeLessThan(1e-10);
  });
});

describe('generateLinearGaussianData', () => {
  const base = { n: 500, dx: 5, dz: 2, noiseStd: 0.3, seed: 7 };

  it('is deterministic for a seed and changes with the seed', () => {
    const a = generateLinearGaussianData(base);
    const b = generateLinearGaussianData(base);
    const c = generateLinearGaussianData({ ...base, seed: 8 });
    expect(a.x).toEqual(b.x);
    expect(a.W).toEqual(b.W);
    expect(a.b).toEqual(b.b);
    expect(a.dims).toEqual({ dx: 5, dz: 2 });
    expect(c.x).not.toEqual(a.x);
    expect(c.W).not.toEqual(a.W);
  });

  it('keeps the ground truth and a data prefix when n grows', () => {
    const small = generateLinearGaussianData({ ...base, n: 50 });
    const big = generateLinearGaussianData(base);
    expect(big.W).toEqual(small.W);
    expect(big.x.subarray(0, small.x.length)).toEqual(small.x);
  });

  it('has sample mean ≈ b* and covariance ≈ W*W*ᵀ + noise² I', () => {
    const n = 50_000;
    const { dx, dz } = base;
    const noise = 0.5;
    const data = generateLinearGaussianData({ ...base, n, noiseStd: noise });
    const m = dataMoments(data.x, n, dx);
    const C = new Float64Array(dx * dx);
    for (let i = 0; i < dx; i++)
      for (let l = 0; l < dx; l++) {
        let sum = i === l ? noise * noise : 0;
        for (let j = 0; j < dz; j++) sum += data.W[i * dz + j] * data.W[l * dz + j];
        C[i * dx + l] = sum;
      }
    // For Gaussian x the sample mean has s.e. √(C_ii/n) and the sample
    // covariance entry (i,l) has s.e. √((C_ii C_ll + C_il²)/n). Five standard
    // errors per entry: a correct generator fails with probability ~1e-5 over
    // the 20 entries, while a wrong scale or a missing noise term is off by
    // O(1) ≫ 5 s.e. ≈ 0.03. The seed is fixed, so this is not flaky either way.
    for (let i = 0; i < dx; i++) {
      expect(Math.abs(m.mean[i] - data.b[i])).toBeLessThan(5 * Math.sqrt(C[i * dx + i] / n));
      for (let l = 0; l < dx; l++) {
        const cov = m.second[i * dx + l] - m.mean[i] * m.mean[l];
        const se = Math.sqrt((C[i * dx + i] * C[l * dx + l] + C[i * dx + l] ** 2) / n);
        expect(Math.abs(cov - C[i * dx + l])).toBeLessThan(5 * se);
      }
    }
  });

  it('rejects invalid options with the option name and allowed range', () => {
    const bad: [Partial<typeof base>, RegExp][] = [
      [{ n: 0 }, /n must be a positive integer/],
      [{ n: 2.5 }, /n must be a positive integer/],
      [{ dx: -1 }, /dx must be a positive integer/],
      [{ dz: 0 }, /dz must be a positive integer/],
      [{ noiseStd: 0 }, /noiseStd must be a finite number > 0/],
      [{ noiseStd: -0.1 }, /noiseStd must be a finite number > 0/],
      [{ noiseStd: Number.NaN }, /noiseStd must be a finite number > 0/],
      [{ seed: 1.5 }, /seed must be a safe integer/],
    ];
    for (const [patch, message] of bad) {
      expect(() => generateLinearGaussianData({ ...base, ...patch })).toThrow(message);
    }
  });
});
