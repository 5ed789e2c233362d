/**
 * Float64 closed-form oracle of the linear Gaussian VAE (see params.ts for the
 * model and the parameter layout). Everything here is exact up to float64
 * rounding: no sampling. The claims in CLAIMS.md section A bound
 * E‖∇L‖² of the *expected* ELBO L, so the training loops need L and ∇L exactly,
 * every step, for up to ~1000 replicas. That is why expectedElbo and
 * elboGradient run on the data's sufficient statistics (N, mean, second
 * moment) with plain loops instead of over the data set or through ml-matrix.
 *
 * Notation: v = σ_x², μ = V x + c, r = x − Wμ − b = A x − d with A = I − W V and
 * d = W c + b. Per point
 *   ELBO(x) = −(dx/2) log(2πv) − (1/2v) [‖r‖² + Σ_ij W_ij² e^{s_j}]
 *             − (β/2) Σ_j [e^{s_j} + μ_j² − 1 − s_j].
 * Averaged over the data, only E‖r‖² and E‖μ‖² involve x, and both are
 * quadratic in x, so the first two moments carry everything.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { LinearVaeDims, LinearVaeParams } from './params.ts';

export interface DataMoments {
  n: number;
  dx: number;
  mean: Float64Array;
  /** dx*dx row-major, (1/N) Σ x xᵀ (uncentred). */
  second: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

export function dataMoments(x: ArrayLike<number>, n: number, dx: number): DataMoments {
  if (!Number.isInteger(n) || n < 1) throw new Error(`dataMoments: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(dx) || dx < 1) throw new Error(`dataMoments: dx must be a positive integer, got ${dx}`);
  if (x.length !== n * dx) {
    throw new Error(`dataMoments: x has length ${x.length}, expected n*dx = ${n * dx}`);
  }
  const mean = new Float64Array(dx);
  const second = new Float64Array(dx * dx);
  for (let k = 0; k < n; k++) {
    const o = k * dx;
    for (let i = 0; i < dx; i++) {
      const xi = x[o + i];
      mean[i] += xi;
      // Upper triangle only; mirrored below so `second` is exactly symmetric.
      for (let j = i; j < dx; j++) second[i * dx + j] += xi * x[o + j];
    }
  }
  for (let i = 0; i < dx; i++) {
    mean[i] /= n;
    for (let j = i; j < dx; j++) {
      const s = second[i * dx + j] / n;
      second[i * dx + j] = s;
      second[j * dx + i] = s;
    }
  }
  return { n, dx, mean, second };
}

/** dz from the parameters, after checking every block against (dx, dz). */
function checkedDz(p: LinearVaeParams, dx: number, who: string): number {
  const dz = p.c.length;
  if (p.W.length !== dx * dz || p.b.length !== dx || p.V.length !== dz * dx || p.s.length !== dz) {
    throw new Error(
      `${who}: parameter shapes do not match dx=${dx}, dz=${dz} ` +
        `(W ${p.W.length}, b ${p.b.length}, V ${p.V.length}, c ${p.c.length}, s ${p.s.length})`,
    );
  }
  return dz;
}

function checkedVariance(sigmaX: number, who: string): number {
  if (!(sigmaX > 0) || !Number.isFinite(sigmaX)) {
    throw new Error(`${who}: sigmaX must be a finite number > 0, got ${sigmaX}`);
  }
  return sigmaX * sigmaX;
}

/**
 * Scratch for the data-averaged expectations, reused across calls because a
 * training loop calls the oracle for every replica every step (everything
 * here is synchronous, so no two calls can share it at once):
 *   mu = E[μ] = V m + c,   U = E[μ xᵀ] = V S2 + c mᵀ (dz×dx),
 *   Mμ = E[μ μᵀ] = U Vᵀ + mu cᵀ (dz×dz),   G = WᵀW (dz×dz),
 *   Wb = Wᵀ b,  Wm = Wᵀ m,  WS = Wᵀ S2 (dz×dx, gradient only).
 * Only U and WS cost dz·dx²; everything else is dz-sized, which is why the
 * residual is expanded through E[μμᵀ] and WᵀW rather than through the dx×dx
 * matrix E[r xᵀ].
 */
const scratch = {
  dx: -1,
  dz: -1,
  mu: new Float64Array(0),
  U: new Float64Array(0),
  Mmu: new Float64Array(0),
  G: new Float64Array(0),
  Wb: new Float64Array(0),
  Wm: new Float64Array(0),
  WS: new Float64Array(0),
};

function fillExpectations(p: LinearVaeParams, m: DataMoments, withWS: boolean, who: string): number {
  const dx = m.dx;
  const dz = checkedDz(p, dx, who);
  if (m.mean.length !== dx || m.second.length !== dx * dx) {
    throw new Error(`${who}: moments do not match dx=${dx} (mean ${m.mean.length}, second ${m.second.length})`);
  }
  if (scratch.dx !== dx || scratch.dz !== dz) {
    scratch.dx = dx;
    scratch.dz = dz;
    scratch.mu = new Float64Array(dz);
    scratch.U = new Float64Array(dz * dx);
    scratch.Mmu = new Float64Array(dz * dz);
    scratch.G = new Float64Array(dz * dz);
    scratch.Wb = new Float64Array(dz);
    scratch.Wm = new Float64Array(dz);
    scratch.WS = new Float64Array(dz * dx);
  }
  const { mu, U, Mmu, G, Wb, Wm, WS } = scratch;
  const { W, b, V, c } = p;
  const S2 = m.second;
  const mean = m.mean;

  for (let j = 0; j < dz; j++) {
    const vo = j * dx;
    let muj = c[j];
    let wb = 0;
    let wm = 0;
    for (let k = 0; k < dx; k++) {
      muj += V[vo + k] * mean[k];
      const w = W[k * dz + j];
      wb += w * b[k];
      wm += w * mean[k];
    }
    mu[j] = muj;
    Wb[j] = wb;
    Wm[j] = wm;
    const cj = c[j];
    for (let i = 0; i < dx; i++) U[vo + i] = cj * mean[i];
    if (withWS) WS.fill(0, vo, vo + dx);
    // Row k of S2 is contiguous, so accumulate row by row.
    for (let k = 0; k < dx; k++) {
      const vjk = V[vo + k];
      const wkj = W[k * dz + j];
      const so = k * dx;
      if (withWS) {
        for (let i = 0; i < dx; i++) {
          const s = S2[so + i];
          U[vo + i] += vjk * s;
          WS[vo + i] += wkj * s;
        }
      } else {
        for (let i = 0; i < dx; i++) U[vo + i] += vjk * S2[so + i];
      }
    }
  }

  for (let j = 0; j < dz; j++) {
    for (let l = 0; l < dz; l++) {
      let mm = mu[j] * c[l];
      let g = 0;
      for (let i = 0; i < dx; i++) {
        mm += U[j * dx + i] * V[l * dx + i];
        g += W[i * dz + j] * W[i * dz + l];
      }
      Mmu[j * dz + l] = mm;
      G[j * dz + l] = g;
    }
  }
  return dz;
}

/** Expected ELBO from filled scratch: see the expansion in expectedElbo. */
function elboFromScratch(p: LinearVaeParams, m: DataMoments, dz: number, v: number, beta: number): number {
  const dx = m.dx;
  const { mu, U, Mmu, G } = scratch;
  const { W, b, s } = p;
  // E‖x − Wμ − b‖² = E‖x‖² − 2⟨W, E[x μᵀ]⟩ + ⟨WᵀW, E[μμᵀ]⟩ − 2bᵀ(m − W E[μ]) + ‖b‖².
  let residual = 0;
  for (let i = 0; i < dx; i++) {
    residual += m.second[i * dx + i] + b[i] * (b[i] - 2 * m.mean[i]);
    let wmu = 0;
    for (let j = 0; j < dz; j++) {
      const w = W[i * dz + j];
      residual -= 2 * w * U[j * dx + i];
      wmu += w * mu[j];
    }
    residual += 2 * b[i] * wmu;
  }
  let trace = 0;
  let kl = 0;
  for (let j = 0; j < dz; j++) {
    for (let l = 0; l < dz; l++) residual += G[j * dz + l] * Mmu[j * dz + l];
    const es = Math.exp(s[j]);
    trace += G[j * dz + j] * es;
    kl += es + Mmu[j * dz + j] - 1 - s[j];
  }
  return -0.5 * dx * (LOG_2PI + Math.log(v)) - (residual + trace) / (2 * v) - 0.5 * beta * kl;
}

/**
 * Exact expected ELBO per data point, (1/N) Σ_n ELBO(x_n), with the KL term
 * weighted by β (β = 1: the ELBO; other β: the β-VAE objective).
 */
export function expectedElbo(p: LinearVaeParams, m: DataMoments, sigmaX: number, beta = 1): number {
  const v = checkedVariance(sigmaX, 'expectedElbo');
  const dz = fillExpectations(p, m, false, 'expectedElbo');
  return elboFromScratch(p, m, dz, v, beta);
}

function allocGradient(dx: number, dz: number): LinearVaeParams {
  return {
    W: new Float64Array(dx * dz),
    b: new Float64Array(dx),
    V: new Float64Array(dz * dx),
    c: new Float64Array(dz),
    s: new Float64Array(dz),
  };
}

const BLOCKS = ['W', 'b', 'V', 'c', 's'] as const;
/** The ten blocks (out's, then p's) of the last pair found not to share memory. */
const lastDisjoint: (Float64Array | null)[] = new Array(10).fill(null);

function checkedOut(out: LinearVaeParams, p: LinearVaeParams, dx: number, who: string): void {
  checkedDz(out, dx, `${who}(out)`);
  // The gradient reads p while writing out block by block. A typed array's buffer never
  // changes, so the same ten blocks as the last pair checked need no new check: the rate
  // claims call this with the same scratch pair at every step of every replica (millions
  // of calls), and 25 `.buffer` reads cost ~0.5 µs a call (V8 does not inline that getter).
  let same = true;
  for (let i = 0; i < 5; i++) same = same && lastDisjoint[i] === out[BLOCKS[i]] && lastDisjoint[5 + i] === p[BLOCKS[i]];
  if (same) return;
  for (const k of BLOCKS) {
    for (const l of BLOCKS) {
      if (out[k].buffer === p[l].buffer) throw new Error(`${who}: out.${k} shares memory with the parameters`);
    }
  }
  BLOCKS.forEach((k, i) => {
    lastDisjoint[i] = out[k];
    lastDisjoint[5 + i] = p[k];
  });
}

/** Gradient from filled scratch (WS included) into g. */
function gradientFromScratch(p: LinearVaeParams, m: DataMoments, dz: number, v: number, beta: number, g: LinearVaeParams) {
  const dx = m.dx;
  const { mu, U, Mmu, G, Wb, Wm, WS } = scratch;
  const { W, b, s } = p;
  const mean = m.mean;
  const inv = 1 / v;
  for (let i = 0; i < dx; i++) {
    let wmu = 0;
    for (let j = 0; j < dz; j++) wmu += W[i * dz + j] * mu[j];
    g.b[i] = (mean[i] - wmu - b[i]) * inv;
  }
  for (let j = 0; j < dz; j++) {
    const es = Math.exp(s[j]);
    g.s[j] = -0.5 * es * G[j * dz + j] * inv - 0.5 * beta * (es - 1);
    // Wᵀ E[r] = Wᵀm − WᵀW E[μ] − Wᵀb.
    let wr = Wm[j] - Wb[j];
    for (let l = 0; l < dz; l++) wr -= G[j * dz + l] * mu[l];
    g.c[j] = wr * inv - beta * mu[j];
    // Wᵀ E[r xᵀ] = WᵀS2 − WᵀW U − (Wᵀb) mᵀ.
    for (let i = 0; i < dx; i++) {
      let wrx = WS[j * dx + i] - Wb[j] * mean[i];
      for (let l = 0; l < dz; l++) wrx -= G[j * dz + l] * U[l * dx + i];
      g.V[j * dx + i] = wrx * inv - beta * U[j * dx + i];
    }
    // E[r μᵀ] − W diag e^s, with E[r μᵀ] = E[x μᵀ] − W E[μμᵀ] − b E[μ]ᵀ.
    for (let i = 0; i < dx; i++) {
      let q = U[j * dx + i] - b[i] * mu[j] - W[i * dz + j] * es;
      for (let l = 0; l < dz; l++) q -= W[i * dz + l] * Mmu[l * dz + j];
      g.W[i * dz + j] = q * inv;
    }
  }
}

/**
 * Exact gradient of expectedElbo (ascent direction), same layout as the
 * parameters. With v = σ_x², r = x − Wμ − b:
 *   ∂W = (E[r μᵀ] − W diag e^s) / v,           ∂b = E[r] / v,
 *   ∂V = Wᵀ E[r xᵀ] / v − β E[μ xᵀ],            ∂c = Wᵀ E[r] / v − β E[μ],
 *   ∂s_j = −e^{s_j} Σ_i W_ij² / (2v) − (β/2)(e^{s_j} − 1).
 * `out`, when given, is overwritten and returned, so a training loop over many
 * replicas need not allocate the result every step; it must not be `p` itself.
 */
export function elboGradient(
  p: LinearVaeParams,
  m: DataMoments,
  sigmaX: number,
  beta = 1,
  out?: LinearVaeParams,
): LinearVaeParams {
  const v = checkedVariance(sigmaX, 'elboGradient');
  const dz = fillExpectations(p, m, true, 'elboGradient');
  const g = out ?? allocGradient(m.dx, dz);
  if (out) checkedOut(out, p, m.dx, 'elboGradient');
  gradientFromScratch(p, m, dz, v, beta, g);
  return g;
}

/** expectedElbo and elboGradient in one pass over the shared expectations. */
export function elboAndGradient(
  p: LinearVaeParams,
  m: DataMoments,
  sigmaX: number,
  beta = 1,
  out?: LinearVaeParams,
): { elbo: number; grad: LinearVaeParams } {
  const v = checkedVariance(sigmaX, 'elboAndGradient');
  const dz = fillExpectations(p, m, true, 'elboAndGradient');
  const g = out ?? allocGradient(m.dx, dz);
  if (out) checkedOut(out, p, m.dx, 'elboAndGradient');
  const elbo = elboFromScratch(p, m, dz, v, beta);
  gradientFromScratch(p, m, dz, v, beta, g);
  return { elbo, grad: g };
}

/** ‖g‖² summed over all parameter blocks: the quantity G_n averages. */
export function squaredNorm(g: LinearVaeParams): number {
  let total = 0;
  for (const block of [g.W, g.b, g.V, g.c, g.s]) {
    for (let i = 0; i < block.length; i++) total += block[i] * block[i];
  }
  return total;
}

function checkedDecoder(W: Float64Array, b: Float64Array, dims: LinearVaeDims, who: string): void {
  const { dx, dz } = dims;
  if (W.length !== dx * dz || b.length !== dx) {
    throw new Error(`${who}: W has length ${W.length} and b ${b.length}, expected ${dx * dz} and ${dx}`);
  }
}

/** Cholesky of the marginal covariance C = W Wᵀ + v I, plus log det C. */
export function marginalCholesky(W: Float64Array, dims: LinearVaeDims, v: number, who = 'logMarginal') {
  const { dx, dz } = dims;
  const C = new Matrix(dx, dx);
  for (let i = 0; i < dx; i++) {
    for (let l = i; l < dx; l++) {
      let sum = i === l ? v : 0;
      for (let j = 0; j < dz; j++) sum += W[i * dz + j] * W[l * dz + j];
      // Set both triangles from one sum: CholeskyDecomposition rejects asymmetry.
      C.set(i, l, sum);
      C.set(l, i, sum);
    }
  }
  const chol = new CholeskyDecomposition(C);
  if (!chol.isPositiveDefinite()) throw new Error(`${who}: W Wᵀ + σ_x² I is not positive definite`);
  const L = chol.lowerTriangularMatrix;
  let logDet = 0;
  for (let i = 0; i < dx; i++) logDet += 2 * Math.log(L.get(i, i));
  return { chol, L, logDet };
}

/**
 * (1/n) Σ_k log N(x_k; b, W Wᵀ + σ_x² I): the exact log-likelihood per data
 * point that every β=1 ELBO lower-bounds. x is row-major n*dx.
 */
export function logMarginal(
  W: Float64Array,
  b: Float64Array,
  dims: LinearVaeDims,
  sigmaX: number,
  x: ArrayLike<number>,
  n: number,
): number {
  const v = checkedVariance(sigmaX, 'logMarginal');
  checkedDecoder(W, b, dims, 'logMarginal');
  const { dx } = dims;
  if (!Number.isInteger(n) || n < 1) throw new Error(`logMarginal: n must be a positive integer, got ${n}`);
  if (x.length !== n * dx) throw new Error(`logMarginal: x has length ${x.length}, expected n*dx = ${n * dx}`);
  const { L, logDet } = marginalCholesky(W, dims, v);
  const Ld = L.to1DArray();
  // Mahalanobis term per point as ‖L⁻¹(x − b)‖² by forward substitution.
  const y = new Float64Array(dx);
  let quad = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < dx; i++) {
      let t = x[k * dx + i] - b[i];
      for (let l = 0; l < i; l++) t -= Ld[i * dx + l] * y[l];
      y[i] = t / Ld[i * dx + i];
      quad += y[i] * y[i];
    }
  }
  return -0.5 * (dx * LOG_2PI + logDet + quad / n);
}

/**
 * logMarginal from the data moments: −½[dx log 2π + log det C + tr(C⁻¹ S_b)]
 * with S_b = (1/N) Σ (x − b)(x − b)ᵀ. Same value as logMarginal up to rounding
 * (tr(C⁻¹ S_b) through the uncentred moments can lose a few digits when ‖b‖ is
 * large compared with the spread of the data).
 */
export function logMarginalFromMoments(
  W: Float64Array,
  b: Float64Array,
  dims: LinearVaeDims,
  sigmaX: number,
  m: DataMoments,
): number {
  const v = checkedVariance(sigmaX, 'logMarginalFromMoments');
  checkedDecoder(W, b, dims, 'logMarginalFromMoments');
  const { dx } = dims;
  if (m.dx !== dx) throw new Error(`logMarginalFromMoments: moments have dx=${m.dx}, dims have dx=${dx}`);
  const { chol, logDet } = marginalCholesky(W, dims, v);
  const Sb = new Matrix(dx, dx);
  for (let i = 0; i < dx; i++) {
    for (let l = 0; l < dx; l++) {
      Sb.set(i, l, m.second[i * dx + l] - m.mean[i] * b[l] - b[i] * m.mean[l] + b[i] * b[l]);
    }
  }
  const X = chol.solve(Sb);
  let tr = 0;
  for (let i = 0; i < dx; i++) tr += X.get(i, i);
  return -0.5 * (dx * LOG_2PI + logDet + tr);
}

export interface OptimalEncoder {
  /** dz*dx row-major: posterior mean is V x + c. */
  V: Float64Array;
  c: Float64Array;
  /** log of the diagonal of the exact posterior covariance, log (σ_x² M⁻¹)_jj. */
  s: Float64Array;
  /**
   * log-variances of the best *diagonal* q: −log Λ_jj with Λ = I + WᵀW/σ_x² the
   * posterior precision. This, not `s`, is where ∂ELBO/∂s = 0 at β = 1.
   */
  sMeanField: Float64Array;
}

/**
 * The exact posterior of the decoder (W, b): with M = WᵀW + σ_x² I,
 *   p(z|x) = N(M⁻¹Wᵀ(x − b), σ_x² M⁻¹)
 * (precision Λ = I + WᵀW/σ_x² = M/σ_x², mean Λ⁻¹Wᵀ(x − b)/σ_x² = M⁻¹Wᵀ(x − b)).
 * So V = M⁻¹Wᵀ and c = −V b.
 *
 * The encoder family is diagonal, so it contains the exact posterior only when
 * WᵀW is diagonal; only then is expectedElbo at (V, c, s) equal to the
 * log-marginal. Otherwise the β=1 gap is KL(N(0, diag e^s) ‖ N(0, σ_x² M⁻¹)),
 * the same for every x, minimised over diagonal covariances by `sMeanField`
 * (and the posterior mean stays optimal whatever the variances are).
 */
export function optimalEncoder(
  W: Float64Array,
  b: Float64Array,
  dims: LinearVaeDims,
  sigmaX: number,
): OptimalEncoder {
  const v = checkedVariance(sigmaX, 'optimalEncoder');
  checkedDecoder(W, b, dims, 'optimalEncoder');
  const { dx, dz } = dims;
  const M = new Matrix(dz, dz);
  for (let j = 0; j < dz; j++) {
    for (let k = j; k < dz; k++) {
      let sum = j === k ? v : 0;
      for (let i = 0; i < dx; i++) sum += W[i * dz + j] * W[i * dz + k];
      M.set(j, k, sum);
      M.set(k, j, sum);
    }
  }
  const chol = new CholeskyDecomposition(M);
  const Wt = new Matrix(dz, dx);
  for (let i = 0; i < dx; i++) for (let j = 0; j < dz; j++) Wt.set(j, i, W[i * dz + j]);
  const Vm = chol.solve(Wt);
  const Minv = chol.solve(Matrix.eye(dz, dz));

  const V = Float64Array.from(Vm.to1DArray());
  const c = new Float64Array(dz);
  const s = new Float64Array(dz);
  const sMeanField = new Float64Array(dz);
  for (let j = 0; j < dz; j++) {
    let cj = 0;
    for (let i = 0; i < dx; i++) cj -= V[j * dx + i] * b[i];
    c[j] = cj;
    s[j] = Math.log(v * Minv.get(j, j));
    sMeanField[j] = -Math.log(M.get(j, j) / v);
  }
  return { V, c, s, sMeanField };
}
