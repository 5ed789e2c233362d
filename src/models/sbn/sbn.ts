/**
 * Sigmoid belief net with one binary latent layer, float64:
 *   p(z) = Π_h π_h^{z_h} (1 − π_h)^{1−z_h},  z ∈ {0,1}^H,
 *   p(x|z) = Π_d Bern(x_d; sig(η_d(z))),  η_d(z) = W_dᵀ z + b_d.
 * Posteriors by exact enumeration over the 2^H states (H ≤ 12). The
 * entropy-sum bookkeeping of [LW22]:
 *   S = (1/N) Σ_n H[q_n] − Σ_h H_B(π_h) − (1/N) Σ_n Σ_z q_n(z) Σ_d H_B(sig η_d(z)),
 *   F − S = R_z + R_x exactly, at any point, with
 *     R_z = Σ_h (q̄_h − π_h) logit π_h,                     q̄_h = (1/N) Σ_n E_{q_n}[z_h],
 *     R_x = (1/N) Σ_n Σ_z q_n(z) Σ_d (x_nd − sig η_d(z)) η_d(z)
 *         = Σ_d (W_d · ∂F/∂W_d + b_d ∂F/∂b_d)      (η is linear in W_d, b_d),
 * so R_x = 0 when W and b are stationary for q, R_z = 0 when π = q̄.
 * Everything runs on sufficient statistics aggregated over states:
 *   w_z = Σ_n q_n(z),  t_zd = Σ_n q_n(z) x_nd.
 * Layout: x N×D, W D×H row-major, q N×2^H (state index = Σ_h z_h 2^h).
 */
import { LuDecomposition, Matrix } from 'ml-matrix';
import {
  bernoulliEntropy,
  bernoulliEntropyFromLogit,
  categoricalEntropy,
  decomposition,
  diagnosis,
  logit,
  logSumExp,
  sigmoid,
  softplus,
  type EntropyDiagnosis,
} from '../../entropy/formulas.ts';

export const MAX_H = 12;

export interface SbnParams {
  H: number;
  D: number;
  W: Float64Array;
  b: Float64Array;
  pi: Float64Array;
}

export interface BinaryData {
  x: Float64Array;
  N: number;
  D: number;
}

export function stateCount(H: number): number {
  if (!Number.isInteger(H) || H < 1 || H > MAX_H) throw new RangeError(`SBN H = ${H}; allowed an integer 1 ≤ H ≤ ${MAX_H} (exact enumeration of 2^H states)`);
  return 1 << H;
}

export function bit(state: number, h: number): number {
  return (state >> h) & 1;
}

/** η_d(z) for every state, 2^H × D. */
export function naturalParams(p: SbnParams): Float64Array {
  const S = stateCount(p.H);
  const { D, H, W, b } = p;
  const eta = new Float64Array(S * D);
  for (let z = 0; z < S; z++) {
    for (let d = 0; d < D; d++) {
      let v = b[d];
      for (let h = 0; h < H; h++) if (bit(z, h)) v += W[d * H + h];
      eta[z * D + d] = v;
    }
  }
  return eta;
}

function logPrior(p: SbnParams, z: number): number {
  let s = 0;
  for (let h = 0; h < p.H; h++) s += bit(z, h) ? Math.log(p.pi[h]) : Math.log1p(-p.pi[h]);
  return s;
}

/**
 * Each row's columns that are 1, in increasing order (CSR: row n's are idx[start[n] .. start[n + 1])).
 * The sums over "d with x_nd = 1" below walk these instead of testing every column: the same
 * terms added in the same order (the same bits), without the branch, about half the work on
 * half-ones data (entropy-sbn's full tier spent 45% of its run in those two loops).
 * Cached per data object: a fit reads the same rows every iteration.
 */
const onesCache = new WeakMap<BinaryData, { start: Int32Array; idx: Int32Array }>();
function onesOf(data: BinaryData): { start: Int32Array; idx: Int32Array } {
  const cached = onesCache.get(data);
  if (cached && cached.start.length === data.N + 1) return cached;
  const { N, D, x } = data;
  const start = new Int32Array(N + 1);
  let count = 0;
  for (let i = 0; i < N * D; i++) if (x[i] === 1) count++;
  const idx = new Int32Array(count);
  let k = 0;
  for (let n = 0; n < N; n++) {
    start[n] = k;
    for (let d = 0; d < D; d++) if (x[n * D + d] === 1) idx[k++] = d;
  }
  start[N] = k;
  const ones = { start, idx };
  onesCache.set(data, ones);
  return ones;
}

const columnsCache = new WeakMap<BinaryData, { start: Int32Array; rows: Int32Array }>();
/** Each column's rows that are 1, in increasing order (CSR by column: column d's are rows[start[d] .. start[d + 1])). Cached per data object. */
function columnsOf(data: BinaryData): { start: Int32Array; rows: Int32Array } {
  const cached = columnsCache.get(data);
  if (cached && cached.start.length === data.D + 1) return cached;
  const { N, D } = data;
  // The transpose of onesOf's rows: counts per column, their running sums, then each row's ones in row order.
  const ones = onesOf(data);
  const start = new Int32Array(D + 1);
  for (let k = 0; k < ones.idx.length; k++) start[ones.idx[k] + 1]++;
  for (let d = 0; d < D; d++) start[d + 1] += start[d];
  const rows = new Int32Array(ones.idx.length);
  const next = start.slice(0, D);
  for (let n = 0; n < N; n++) for (let k = ones.start[n]; k < ones.start[n + 1]; k++) rows[next[ones.idx[k]]++] = n;
  const columns = { start, rows };
  columnsCache.set(data, columns);
  return columns;
}

/** N × 2^H matrix of log p(x_n, z). */
export function jointLogs(p: SbnParams, data: BinaryData): Float64Array {
  if (data.D !== p.D) throw new RangeError(`SBN data dimension ${data.D} does not match D = ${p.D}`);
  const S = stateCount(p.H);
  const { D } = p;
  const eta = naturalParams(p);
  const base = new Float64Array(S);
  for (let z = 0; z < S; z++) {
    let a = logPrior(p, z);
    for (let d = 0; d < D; d++) a -= softplus(eta[z * D + d]);
    base[z] = a;
  }
  const out = new Float64Array(data.N * S);
  const { start, idx } = onesOf(data);
  for (let n = 0; n < data.N; n++) {
    const k0 = start[n];
    const k1 = start[n + 1];
    const on = n * S;
    // Four states side by side (S = 2^H is a multiple of 2; the loop takes the rest one at a time):
    // independent sums, each in d order, so the adder's latency is paid once per four terms.
    let z = 0;
    for (; z + 3 < S; z += 4) {
      const r0 = z * D;
      const r1 = r0 + D;
      const r2 = r1 + D;
      const r3 = r2 + D;
      let s0 = base[z];
      let s1 = base[z + 1];
      let s2 = base[z + 2];
      let s3 = base[z + 3];
      for (let k = k0; k < k1; k++) {
        const d = idx[k];
        s0 += eta[r0 + d];
        s1 += eta[r1 + d];
        s2 += eta[r2 + d];
        s3 += eta[r3 + d];
      }
      out[on + z] = s0;
      out[on + z + 1] = s1;
      out[on + z + 2] = s2;
      out[on + z + 3] = s3;
    }
    for (; z < S; z++) {
      let s = base[z];
      const row = z * D;
      for (let k = k0; k < k1; k++) s += eta[row + idx[k]];
      out[on + z] = s;
    }
  }
  return out;
}

export function eStep(p: SbnParams, data: BinaryData): { q: Float64Array; logLik: number } {
  const S = stateCount(p.H);
  // log p(x_n, z), turned into q_n(z) in place row by row (each row's log-sum-exp taken first):
  // a second N × 2^H array per call cost its page faults (16 MB at the full tier).
  const q = jointLogs(p, data);
  let total = 0;
  for (let n = 0; n < data.N; n++) {
    const lse = logSumExp(q, n * S, S);
    total += lse;
    for (let z = 0; z < S; z++) q[n * S + z] = Math.exp(q[n * S + z] - lse);
  }
  return { q, logLik: total / data.N };
}

export interface StateStats {
  /** w_z = Σ_n q_n(z). */
  w: Float64Array;
  /** t_zd = Σ_n q_n(z) x_nd, 2^H × D. */
  t: Float64Array;
  /** q̄_h = (1/N) Σ_n E_q[z_h]. */
  qbar: Float64Array;
}

/** stateStats' transposed q (N × 2^H), grown as needed. */
let transposeScratch = new Float64Array(0);

export function stateStats(q: Float64Array, data: BinaryData, H: number): StateStats {
  const S = stateCount(H);
  const { N, D } = data;
  if (q.length !== N * S) throw new RangeError(`SBN: q has length ${q.length}, expected N × 2^H = ${N * S}`);
  const w = new Float64Array(S);
  const t = new Float64Array(S * D);
  // w_z = Σ_n q_n(z) and t_zd = Σ_{n: x_nd = 1} q_n(z), each summed over n in order, as the plain
  // loop over points would (the same bits: a q_n(z) = 0 it would skip adds +0 to a sum ≥ +0, no
  // change). Faster: q is transposed once (a state's column contiguous: point by point, the
  // 2^H-wide rows of q put every point on its own page), t is built column by column from the
  // rows where x_nd = 1, and four states run side by side (four independent sums). At the full
  // tier's N = 2000, 2^H = 1024, D = 30: 150 → 47 ms a call, the transposition 16 of them.
  // The transposition goes into one buffer kept between calls (every entry is written before it
  // is read): a fresh 16 MB array per call cost more than the transposition itself, in page
  // faults on first touch (12–17 ms against 4–5 ms here; 40% of this function).
  if (transposeScratch.length < N * S) transposeScratch = new Float64Array(N * S);
  const qt = transposeScratch;
  for (let n = 0; n < N; n++) {
    const o = n * S;
    for (let z = 0; z < S; z++) qt[z * N + n] = q[o + z];
  }
  const { start, rows } = columnsOf(data);
  for (let z0 = 0; z0 < S; z0 += 4) {
    const count = Math.min(4, S - z0);
    for (let z = z0; z < z0 + count; z++) {
      const a = z * N;
      let sum = 0;
      for (let n = 0; n < N; n++) sum += qt[a + n];
      w[z] = sum;
    }
    if (count < 4) {
      for (let z = z0; z < z0 + count; z++) {
        const a = z * N;
        for (let d = 0; d < D; d++) {
          let sum = 0;
          for (let k = start[d]; k < start[d + 1]; k++) sum += qt[a + rows[k]];
          t[z * D + d] = sum;
        }
      }
      continue;
    }
    const a0 = z0 * N;
    const a1 = a0 + N;
    const a2 = a1 + N;
    const a3 = a2 + N;
    for (let d = 0; d < D; d++) {
      const k1 = start[d + 1];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = start[d]; k < k1; k++) {
        const n = rows[k];
        s0 += qt[a0 + n];
        s1 += qt[a1 + n];
        s2 += qt[a2 + n];
        s3 += qt[a3 + n];
      }
      t[z0 * D + d] = s0;
      t[(z0 + 1) * D + d] = s1;
      t[(z0 + 2) * D + d] = s2;
      t[(z0 + 3) * D + d] = s3;
    }
  }
  const qbar = new Float64Array(H);
  for (let z = 0; z < S; z++) for (let h = 0; h < H; h++) if (bit(z, h)) qbar[h] += w[z];
  for (let h = 0; h < H; h++) qbar[h] /= N;
  return { w, t, qbar };
}

export interface NewtonOptions {
  /** Fit W (and b) or only b. */
  fitWeights: boolean;
  maxIterations?: number;
  /** Stop when max |gradient| per point ≤ this. */
  gradientTolerance?: number;
}

/**
 * M-step for (W_d, b_d), every d: a weighted logistic regression over the 2^H
 * states (features z and 1, targets t_zd out of w_z), maximised by Newton's
 * method with backtracking. With fitWeights = false only b is fitted (W fixed).
 * Returns the largest final |gradient| per point.
 */
export function fitDecoder(p: SbnParams, stats: StateStats, N: number, opts: NewtonOptions): number {
  const { H, D, W, b } = p;
  const S = stateCount(H);
  const P = opts.fitWeights ? H + 1 : 1; // feature count; the bias is the last feature
  const maxIt = opts.maxIterations ?? 100;
  const tol = opts.gradientTolerance ?? 1e-13;
  const feature = (z: number, j: number) => (j === P - 1 ? 1 : bit(z, j));
  let worst = 0;
  for (let d = 0; d < D; d++) {
    const theta = new Float64Array(P);
    for (let j = 0; j < P - 1; j++) theta[j] = W[d * H + j];
    theta[P - 1] = b[d];
    const fixedEta = (z: number) => {
      if (opts.fitWeights) return 0;
      let v = 0;
      for (let h = 0; h < H; h++) if (bit(z, h)) v += W[d * H + h];
      return v;
    };
    const offsets = Float64Array.from({ length: S }, (_, z) => fixedEta(z));
    const etaOf = (th: Float64Array, z: number) => {
      let v = offsets[z];
      for (let j = 0; j < P; j++) if (feature(z, j)) v += th[j];
      return v;
    };
    const objective = (th: Float64Array) => {
      let f = 0;
      for (let z = 0; z < S; z++) {
        const e = etaOf(th, z);
        f += stats.t[z * D + d] * e - stats.w[z] * softplus(e);
      }
      return f;
    };
    let f = objective(theta);
    let gradMax = Infinity;
    for (let it = 0; it < maxIt; it++) {
      const g = new Float64Array(P);
      const Hm = new Matrix(P, P);
      for (let z = 0; z < S; z++) {
        const e = etaOf(theta, z);
        const s = sigmoid(e);
        const r = stats.t[z * D + d] - stats.w[z] * s;
        const c = stats.w[z] * s * (1 - s);
        for (let i = 0; i < P; i++) {
          if (!feature(z, i)) continue;
          g[i] += r;
          for (let j = 0; j < P; j++) if (feature(z, j)) Hm.set(i, j, Hm.get(i, j) + c);
        }
      }
      gradMax = Math.max(...Array.from(g, Math.abs)) / N;
      if (gradMax <= tol) break;
      const step = new LuDecomposition(Hm).solve(Matrix.columnVector(Array.from(g))).to1DArray();
      // Backtracking: Newton on a concave objective, halve until it does not decrease.
      let scale = 1;
      let next = theta;
      let fNext = -Infinity;
      for (let k = 0; k < 40; k++) {
        next = Float64Array.from(theta, (v, j) => v + scale * step[j]);
        fNext = objective(next);
        if (fNext >= f - 1e-12 * Math.abs(f)) break;
        scale /= 2;
      }
      theta.set(next);
      f = fNext;
    }
    if (!Number.isFinite(gradMax)) throw new Error(`SBN M-step diverged for output ${d}`);
    worst = Math.max(worst, gradMax);
    if (opts.fitWeights) for (let j = 0; j < H; j++) W[d * H + j] = theta[j];
    b[d] = theta[P - 1];
  }
  return worst;
}

/** Full M-step at fixed q: π = q̄, then (W, b) by Newton. Returns new parameters and the final gradient size. */
export function mStep(p: SbnParams, q: Float64Array, data: BinaryData, opts: { fitWeights?: boolean } = {}): { params: SbnParams; gradient: number } {
  const stats = stateStats(q, data, p.H);
  const out: SbnParams = { ...p, W: p.W.slice(), b: p.b.slice(), pi: stats.qbar.slice() };
  for (let h = 0; h < p.H; h++) {
    if (!(out.pi[h] > 0 && out.pi[h] < 1)) throw new RangeError(`SBN M-step: π_${h} = ${out.pi[h]}; allowed 0 < π < 1 (q must not pin z_${h})`);
  }
  const gradient = fitDecoder(out, stats, data.N, { fitWeights: opts.fitWeights ?? true });
  return { params: out, gradient };
}

export function elbo(p: SbnParams, q: Float64Array, data: BinaryData): number {
  const logs = jointLogs(p, data);
  let total = 0;
  for (let i = 0; i < q.length; i++) if (q[i] > 0) total += q[i] * (logs[i] - Math.log(q[i]));
  return total / data.N;
}

export function entropyTerms(p: SbnParams, q: Float64Array, data: BinaryData) {
  const S = stateCount(p.H);
  const { D } = p;
  const stats = stateStats(q, data, p.H);
  let encoder = 0;
  for (let n = 0; n < data.N; n++) encoder += categoricalEntropy(q, n * S, S);
  let prior = 0;
  for (let h = 0; h < p.H; h++) prior += bernoulliEntropy(p.pi[h]);
  const eta = naturalParams(p);
  let decoder = 0;
  for (let z = 0; z < S; z++) {
    if (stats.w[z] === 0) continue;
    let h = 0;
    for (let d = 0; d < D; d++) h += bernoulliEntropyFromLogit(eta[z * D + d]);
    decoder += stats.w[z] * h;
  }
  return { encoderEntropy: encoder / data.N, priorEntropy: prior, decoderEntropy: decoder / data.N };
}

/** R_z and R_x of the header, from the state statistics. */
export function gapDecomposition(p: SbnParams, q: Float64Array, data: BinaryData) {
  const S = stateCount(p.H);
  const { D } = p;
  const stats = stateStats(q, data, p.H);
  let prior = 0;
  for (let h = 0; h < p.H; h++) prior += (stats.qbar[h] - p.pi[h]) * logit(p.pi[h]);
  const eta = naturalParams(p);
  let decoder = 0;
  for (let z = 0; z < S; z++) {
    for (let d = 0; d < D; d++) {
      const e = eta[z * D + d];
      decoder += (stats.t[z * D + d] - stats.w[z] * sigmoid(e)) * e;
    }
  }
  return decomposition(prior, decoder / data.N);
}

/** ∂F/∂W (D×H) at fixed q: (1/N) Σ_z Σ_d (t_zd − w_z sig η_dz) z_h. */
export function weightGradient(p: SbnParams, q: Float64Array, data: BinaryData): Float64Array {
  const S = stateCount(p.H);
  const { D, H } = p;
  const stats = stateStats(q, data, H);
  const eta = naturalParams(p);
  const g = new Float64Array(D * H);
  for (let z = 0; z < S; z++) {
    for (let d = 0; d < D; d++) {
      const r = stats.t[z * D + d] - stats.w[z] * sigmoid(eta[z * D + d]);
      for (let h = 0; h < H; h++) if (bit(z, h)) g[d * H + h] += r / data.N;
    }
  }
  return g;
}

export function diagnose(p: SbnParams, q: Float64Array, data: BinaryData): EntropyDiagnosis {
  return diagnosis(entropyTerms(p, q, data), elbo(p, q, data), gapDecomposition(p, q, data));
}

/**
 * F from the state statistics of a fixed q (w_z, t_zd) and its average
 * entropy H̄_q = (1/N) Σ_n H[q_n]:
 *   F = (1/N) Σ_z [w_z log p(z) + Σ_d (t_zd η_d(z) − w_z softplus η_d(z))] + H̄_q,
 * the same number as elbo() in O(2^H D) per evaluation (for difference quotients).
 */
export function encoderEntropy(q: Float64Array, N: number, H: number): number {
  const S = stateCount(H);
  let e = 0;
  for (let n = 0; n < N; n++) e += categoricalEntropy(q, n * S, S);
  return e / N;
}

export function elboFromStats(p: SbnParams, stats: StateStats, N: number, entropy: number): number {
  const S = stateCount(p.H);
  const { D } = p;
  const eta = naturalParams(p);
  let f = 0;
  for (let z = 0; z < S; z++) {
    if (stats.w[z] !== 0) f += stats.w[z] * logPrior(p, z);
    for (let d = 0; d < D; d++) {
      const e = eta[z * D + d];
      f += stats.t[z * D + d] * e - stats.w[z] * softplus(e);
    }
  }
  return f / N + entropy;
}
