/**
 * The sufficient statistics of K reparameterisation draws ε_1..ε_K ~ N(0, I_H)
 * of one data point, drawn from their exact joint law instead of drawing the
 * K·H normals:
 *   ē = (1/K) Σ_k ε_k ~ N(0, I/K),
 *   A = Σ_k (ε_k − ē)(ε_k − ē)ᵀ ~ Wishart_H(K − 1, I), independent of ē,
 *   M̄ = (1/K) Σ_k ε_k ε_kᵀ = ē ēᵀ + A/K.
 * For a linear decoder with a Gaussian likelihood the K-sample average of the
 * reparameterised ELBO, and so its gradient, depends on the draws only through
 * (ē, M̄) (the log-density is quadratic in z = μ + τ⊙ε): drawing the statistics
 * gives every step exactly the distribution K explicit draws give, at O(H²)
 * random numbers per point instead of K·H (K = 100 explicit normals cost
 * 50 ns each: 25 min of one core for one run of D23's Figure 1).
 * Wishart by Bartlett's decomposition (A = L Lᵀ, L lower triangular,
 * L_ii² ~ χ²(K − 1 − i), L_ij ~ N(0, 1) below the diagonal) when K − 1 ≥ H,
 * else as the sum of K − 1 outer products of standard normals (also exact).
 * χ²(n) = 2·Gamma(n/2) by Marsaglia & Tsang (2000) for n ≥ 2, a squared
 * normal for n = 1.
 */
import type { RandomStream } from '../../engine/rng.ts';
import { CounterNormalStream } from '../../engine/counter-normals.ts';

/** What the draws below take from a stream: its normals and its uniforms. */
export interface NormalsAndUniforms {
  normal(): number;
  uniform(): number;
}

/** A χ²(n) variate, n a positive integer. */
export function chiSquare(rng: NormalsAndUniforms, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`chiSquare: degrees of freedom ${n}; allowed a positive integer`);
  return chiSquareUnchecked(rng, n);
}

/** chiSquare without its argument check: drawNoiseStatistics's degrees of freedom are positive integers by construction, and the check cost a call in its hot loop. */
function chiSquareUnchecked(rng: NormalsAndUniforms, n: number): number {
  if (n === 1) return rng.normal() ** 2;
  // Marsaglia–Tsang for Gamma(a, 1), a = n/2 ≥ 1.
  const d = n / 2 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.uniform();
    if (squeezeAccepts(u, x) || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return 2 * d * v;
  }
}

/**
 * Marsaglia–Tsang's squeeze u < 1 − 0.0331 x⁴ with x⁴ as `x ** 4` (V8: Math.pow, which cost
 * a third of the draws' time), decided bit for bit the same but almost always without the
 * power: s = 1 − 0.0331 ((x²)²) is within 1e-9 of the threshold t = 1 − 0.0331 x ** 4
 * wherever the decision depends on it, so u < s − 1e-9 implies u < t, u ≥ s + 1e-9 implies
 * u ≥ t, and only between (a chance of ~2e-9 a draw) is t computed. Why |s − t| < 1e-9:
 * (x²)² and x ** 4 are both within a relative 1e-10 of x⁴ (three roundings, 7e-16; any pow
 * within 1e-10, V8's within an ulp), so where x⁴ ≤ 62 the two products with 0.0331 differ by
 * < 0.0331 · 62 · 2e-10 < 5e-10 and the subtraction from 1 adds at most 2 · 2⁻⁵³; where
 * x⁴ > 62 both thresholds are below −1 and both decisions are "no" (u ≥ 0). x is finite
 * (a Box–Muller normal), so nothing is NaN. Tested against the plain expression over
 * millions of draws (test/engine/stochastic-learned-variance.test.ts).
 */
function squeezeAccepts(u: number, x: number): boolean {
  const x2 = x * x;
  const s = 1 - 0.0331 * (x2 * x2);
  if (u < s - 1e-9) return true;
  if (u >= s + 1e-9) return false;
  return u < 1 - 0.0331 * x ** 4;
}

/**
 * Writes ē (H, from `ebar[ebarAt]`) and M̄ (H×H row-major, symmetric, from `M[MAt]`) of K
 * draws, drawing from `rng` in a fixed order (ē's H normals, then A's entries): the
 * kernel, its WebAssembly port (which draws a step's points into one array, hence the
 * offsets) and drawStep make the same draws from the same stream.
 * `work` holds at least H² numbers (overwritten).
 */
export function drawNoiseStatistics(rng: NormalsAndUniforms, K: number, H: number, ebar: Float64Array, M: Float64Array, work: Float64Array, ebarAt = 0, MAt = 0): void {
  const sk = 1 / Math.sqrt(K);
  for (let j = 0; j < H; j++) ebar[ebarAt + j] = sk * rng.normal();
  const n = K - 1;
  // L's entries are all written before they are read (its lower triangle below when n ≥ H,
  // its first row per outer product when n < H): no zeroing.
  const L = work;
  if (n >= H) {
    for (let i = 0; i < H; i++) {
      L[i * H + i] = Math.sqrt(chiSquareUnchecked(rng, n - i));
      for (let j = 0; j < i; j++) L[i * H + j] = rng.normal();
    }
  }
  for (let i = 0; i < H; i++) {
    for (let j = 0; j <= i; j++) {
      let a = 0;
      if (n >= H) for (let l = 0; l <= j; l++) a += L[i * H + l] * L[j * H + l];
      M[MAt + i * H + j] = a;
    }
  }
  if (n < H) {
    // Few draws: the scatter as n explicit outer products (n = 0 for K = 1: A = 0).
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < H; j++) L[j] = rng.normal();
      for (let i = 0; i < H; i++) for (let j = 0; j <= i; j++) M[MAt + i * H + j] += L[i] * L[j];
    }
  }
  for (let i = 0; i < H; i++) {
    for (let j = 0; j <= i; j++) {
      const m = ebar[ebarAt + i] * ebar[ebarAt + j] + M[MAt + i * H + j] / K;
      M[MAt + i * H + j] = m;
      M[MAt + j * H + i] = m;
    }
  }
}

/**
 * A counter stream's normals drawn ahead in one fill (peekNormals) and handed out from an
 * array, its uniforms from the stream itself (a separate sequence: RandomStream's state); at
 * the end the normals used are skipped on the stream. The values, and the stream's state
 * after, are those of the same calls on the stream (a normal is a function of its index).
 */
class NormalsAhead implements NormalsAndUniforms {
  private buf = new Float64Array(64);
  private pos = 0;
  private len = 0;
  private stream: CounterNormalStream | null = null;

  start(stream: CounterNormalStream, expected: number): void {
    this.stream = stream;
    if (this.buf.length < expected) this.buf = new Float64Array(expected);
    stream.peekNormals(this.buf, 0, expected);
    this.pos = 0;
    this.len = expected;
  }

  normal(): number {
    if (this.pos === this.len) this.more();
    return this.buf[this.pos++];
  }

  /** All drawn ahead were used (more rejections than expected): skip them, draw ahead again. */
  private more(): void {
    const stream = this.stream!;
    stream.skipNormals(this.len);
    this.len = Math.min(64, this.buf.length);
    stream.peekNormals(this.buf, 0, this.len);
    this.pos = 0;
  }

  uniform(): number {
    return this.stream!.uniform();
  }

  finish(): void {
    this.stream!.skipNormals(this.pos);
    this.stream = null;
  }
}

const ahead = new NormalsAhead();

/**
 * Whether `rng` is exactly a CounterNormalStream, whose normals can be drawn ahead (peekNormals)
 * with the same values: a subclass may hand out other normals than the counter's (e.g.
 * iwae-snr's shared-noise falsifier streams).
 */
export function isPlainCounterStream(rng: RandomStream): rng is CounterNormalStream {
  return rng instanceof CounterNormalStream && Object.getPrototypeOf(rng) === CounterNormalStream.prototype;
}

/**
 * The normals a point's statistics take without rejections: ē's H, then (Bartlett) one per χ²
 * and the H(H − 1)/2 below the diagonal, or (few draws) K − 1 outer products of H.
 */
export function noiseNormalsPerPoint(K: number, H: number): number {
  const n = K - 1;
  return H + (n >= H ? H + (H * (H - 1)) / 2 : n * H);
}

/**
 * B points' statistics, point i's at ebar[ebarAt + i·H] and M[MAt + i·H²]: the same draws
 * and values as B calls of drawNoiseStatistics in order (the learned-variance kernel's port
 * draws a step's points this way). On a counter stream the normals are drawn ahead in one
 * fill: per call of normal() the stream costs ~17 ns, the array ~1 ns (a fifth of the draws'
 * time at H = 2, K = 100).
 */
export function drawNoiseStatisticsBatch(rng: RandomStream, K: number, H: number, B: number, ebar: Float64Array, M: Float64Array, work: Float64Array, ebarAt: number, MAt: number): void {
  if (!isPlainCounterStream(rng)) {
    for (let i = 0; i < B; i++) drawNoiseStatistics(rng, K, H, ebar, M, work, ebarAt + i * H, MAt + i * H * H);
    return;
  }
  ahead.start(rng, B * noiseNormalsPerPoint(K, H) + 8);
  try {
    for (let i = 0; i < B; i++) drawNoiseStatistics(ahead, K, H, ebar, M, work, ebarAt + i * H, MAt + i * H * H);
  } finally {
    ahead.finish();
  }
}
