/**
 * A counter-based stream of standard normals, the readable specification of
 * src/engine/wasm/counter-normals.as.ts (WebAssembly SIMD, bit for bit; loaded by
 * counter-normals-wasm.ts).
 *
 * Why a second generator: RandomStream's normals (xoroshiro128+ and Box-Muller
 * through Math.log, Math.sin and Math.cos) cost ~36 ns each here, a third of a
 * linear-VAE replica step (issue 13). A generator whose output i is a pure
 * function of (key, i) can fill many draws in SIMD lanes, and its transcendental
 * functions, written out below as fixed sequences of float64 operations, give the
 * same bits in JavaScript and in WebAssembly, so the port is checked bitwise
 * against this file and a replica's draws never depend on where they were made.
 *
 * Generator. Output i (i = 0, 1, …) of the stream with 64-bit key κ is
 *   x_i = κ + (i + 1)·γ (mod 2⁶⁴),  γ = 0x9e3779b97f4a7c15 (the golden-ratio increment),
 *   out_i = mix(x_i), mix = SplitMix64's finaliser (Stafford's "Mix13"):
 *     z ^= z >>> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >>> 27; z *= 0x94d049bb133111eb; z ^= z >>> 31.
 * That is Java's SplittableRandom (Steele, Lea & Flood, OOPSLA 2014) read as a
 * counter-based generator: a bijective mixing of a counter (Salmon et al., SC 2011).
 * Each replica's key comes from its own 32-bit seed (keyFromSeed), so its stream
 * never depends on the other replicas'; two keys are two starting points on one
 * 2⁶⁴-periodic sequence, and R streams of n draws overlap with probability below
 * R²·n/2⁶⁴ (10⁻⁷ for 10⁴ replicas of 2⁴⁰ draws).
 *
 * Normals. Pair p uses outputs 2p (u) and 2p + 1 (v): u = 1 − N·2⁻⁵² ∈ (0, 1] from
 * the top 52 bits N of the first (exact; no redraw; |normal| ≤ √(104 ln 2) = 8.49, a
 * truncation of probability 2·10⁻¹⁷), v = N′·2⁻⁵³ ∈ [0, 1) from the top 53 of the second;
 * Box-Muller r = √(−2 log u), normals r·cos 2πv (first) and r·sin 2πv (second).
 * A stream hands them out in that order; normal() keeps the second as a spare, as
 * RandomStream does, so `fillNormal(count)` equals `count` calls of normal().
 *
 * log and sin/cos are this file's own (logUnit, sinCosTurn), accurate to about an
 * ulp (test/engine/counter-normals.test.ts measures them against Math.log, Math.sin
 * and Math.cos), with exact range reductions: log from u's binary exponent, and the
 * angle 2πv from v's top three bits (the octant) and the 50 below them.
 */
import { deriveSeed, RandomStream } from './rng.ts';
import { fillPairsWasm, PAIR_CHUNK } from './counter-normals-wasm.ts';

/** γ, the two multipliers, and κ's derivation, as 32-bit halves (hi, lo). */
const GAMMA_HI = 0x9e3779b9;
const GAMMA_LO = 0x7f4a7c15;
const MIX1_HI = 0xbf58476d;
const MIX1_LO = 0x1ce4e5b9;
const MIX2_HI = 0x94d049bb;
const MIX2_LO = 0x133111eb;

const TWO_32 = 4294967296;
const TWO_16 = 65536;
const TWO_NEG_50 = 8.881784197001252e-16;
const TWO_NEG_53 = 1.1102230246251565e-16;
const TWO_50 = 1125899906842624;

/** floor(a·b / 2³²) for unsigned 32-bit a, b: the two 48-bit partial products are exact doubles. */
function mulHi32(a: number, b: number): number {
  const t = (a & 0xffff) * b;
  const u = (a >>> 16) * b;
  return Math.floor((u + Math.floor(t / TWO_16)) / TWO_16);
}

/** A 64-bit value as two unsigned 32-bit halves. */
export interface U64 {
  hi: number;
  lo: number;
}

/** (a·b) mod 2⁶⁴ on halves. */
function mul64(ah: number, al: number, bh: number, bl: number, out: U64): void {
  out.lo = Math.imul(al, bl) >>> 0;
  out.hi = (mulHi32(al >>> 0, bl >>> 0) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (a + b) mod 2⁶⁴ on halves. */
function add64(ah: number, al: number, bh: number, bl: number, out: U64): void {
  const lo = (al >>> 0) + (bl >>> 0);
  out.lo = lo >>> 0;
  out.hi = (ah + bh + (lo >= TWO_32 ? 1 : 0)) >>> 0;
}

/** SplitMix64's finaliser, in place. */
export function mix64(z: U64): void {
  let h = z.hi;
  let l = z.lo;
  l = (l ^ ((l >>> 30) | (h << 2))) >>> 0;
  h = (h ^ (h >>> 30)) >>> 0;
  mul64(h, l, MIX1_HI, MIX1_LO, z);
  h = z.hi;
  l = z.lo;
  l = (l ^ ((l >>> 27) | (h << 5))) >>> 0;
  h = (h ^ (h >>> 27)) >>> 0;
  mul64(h, l, MIX2_HI, MIX2_LO, z);
  h = z.hi;
  l = z.lo;
  z.lo = (l ^ ((l >>> 31) | (h << 1))) >>> 0;
  z.hi = (h ^ (h >>> 31)) >>> 0;
}

/** κ for a 32-bit seed: mix(seed·γ), so that neighbouring seeds start far apart. */
export function keyFromSeed(seed: number): U64 {
  const k: U64 = { hi: 0, lo: 0 };
  mul64(0, seed >>> 0, GAMMA_HI, GAMMA_LO, k);
  mix64(k);
  return k;
}

/** x_i = κ + (i + 1)·γ, the counter of output i (i < 2⁵³). */
export function counterAt(key: U64, i: number, out: U64): void {
  const n = i + 1;
  const nh = Math.floor(n / TWO_32);
  mul64(nh, n - nh * TWO_32, GAMMA_HI, GAMMA_LO, out);
  add64(key.hi, key.lo, out.hi, out.lo, out);
}

function top53(z: U64): number {
  return z.hi * 2097152 + (z.lo >>> 11);
}

function top52(z: U64): number {
  return z.hi * 1048576 + (z.lo >>> 12);
}

/** log(1 + f) = 2 atanh(s), s = f/(2 + f): L_n = 2/(2n + 1) for the series in s². */
const L1 = 0.6666666666666666;
const L2 = 0.4;
const L3 = 0.2857142857142857;
const L4 = 0.2222222222222222;
const L5 = 0.18181818181818182;
const L6 = 0.15384615384615385;
const L7 = 0.13333333333333333;
const L8 = 0.11764705882352941;
const L9 = 0.10526315789473684;
/** ln 2 split: LN2_HI has 32 significant bits (k·LN2_HI exact for |k| < 2²⁰), LN2_LO the rest. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const SQRT2 = 1.4142135623730951;

/** 2^−L for L = 0..53, exact (halving is exact down to 2⁻¹⁰⁷⁴). */
const POW2_NEG = Float64Array.from({ length: 54 }, (_, L) => {
  let p = 1;
  for (let i = 0; i < L; i++) p /= 2;
  return p;
});

/**
 * log u for u = M·2⁻⁵², M an integer in [1, 2⁵²] (so u ∈ (0, 1]): u = m·2^k with
 * m ∈ (√½, √2] (exact, from M's bit length), f = m − 1 (exact), then
 * log u = k·ln 2 + log(1 + f) with log(1 + f) = f − (f²/2 − s(f²/2 + R(s²))), s = f/(2 + f),
 * R(w) = Σ_{n=1..9} 2wⁿ/(2n + 1) (|s| ≤ 0.172: the tenth term is below 2⁻⁶⁰ of the result).
 */
export function logUnit(M: number): number {
  const mh = Math.floor(M / TWO_32);
  // Bit length L: M ∈ [2^{L−1}, 2^L).
  const L = mh > 0 ? 64 - Math.clz32(mh) : 32 - Math.clz32(M);
  // m' = M·2^{1−L} ∈ [1, 2), e = L − 53: u = m'·2^e.
  let m = M * POW2_NEG[L - 1];
  let k = L - 53;
  if (m > SQRT2) {
    m = m * 0.5;
    k = k + 1;
  }
  return logReduced(m, k);
}

/** k·ln 2 + log m for m ∈ (√½, √2]: the operations the SIMD port repeats lane by lane. */
function logReduced(m: number, k: number): number {
  const f = m - 1;
  const s = f / (2 + f);
  const w = s * s;
  const R = w * (L1 + w * (L2 + w * (L3 + w * (L4 + w * (L5 + w * (L6 + w * (L7 + w * (L8 + w * L9))))))));
  const hfsq = 0.5 * f * f;
  const logm = f - (hfsq - s * (hfsq + R));
  return k * LN2_HI + (logm + k * LN2_LO);
}

/** Taylor coefficients: S_k = (−1)^k/(2k + 1)!, C_k = (−1)^k/(2k)!. On |x| ≤ π/4 the first omitted terms are < 10⁻¹⁹. */
const S1 = -0.16666666666666666;
const S2 = 0.008333333333333333;
const S3 = -0.0001984126984126984;
const S4 = 0.0000027557319223985893;
const S5 = -2.505210838544172e-8;
const S6 = 1.6059043836821613e-10;
const S7 = -7.647163731819816e-13;
const S8 = 2.8114572543455206e-15;
const C1 = -0.5;
const C2 = 0.041666666666666664;
const C3 = -0.001388888888888889;
const C4 = 0.0000248015873015873;
const C5 = -2.755731922398589e-7;
const C6 = 2.08767569878681e-9;
const C7 = -1.1470745597729725e-11;
const C8 = 4.779477332387385e-14;
const C9 = -1.5619206968586225e-16;
const PI_4 = 0.7853981633974483;

/**
 * cos 2πv into out[at], sin 2πv into out[at + 1], for v = N·2⁻⁵³ (N an integer < 2⁵³).
 * The angle is (j + f)·π/4 with octant j = N's top three bits and f = the 50 below
 * them ·2⁻⁵⁰, both exact; x = g·π/4 with g = f (even j) or 1 − f (odd j, exact), so
 * x ∈ [0, π/4], and the octant's symmetry maps (cos x, sin x) to the angle's.
 */
export function sinCosTurn(N: number, out: Float64Array, at: number): void {
  const j = Math.floor(N / TWO_50);
  const f = (N - j * TWO_50) * TWO_NEG_50;
  const g = (j & 1) === 1 ? 1 - f : f;
  const x = g * PI_4;
  const y = x * x;
  const sx = x + x * (y * (S1 + y * (S2 + y * (S3 + y * (S4 + y * (S5 + y * (S6 + y * (S7 + y * S8))))))));
  const cx = 1 + y * (C1 + y * (C2 + y * (C3 + y * (C4 + y * (C5 + y * (C6 + y * (C7 + y * (C8 + y * C9))))))));
  // Octants 1, 2, 5, 6 swap sine and cosine; 2–5 negate the cosine, 4–7 the sine.
  const swap = ((j + 1) & 2) !== 0;
  const c = swap ? sx : cx;
  const s = swap ? cx : sx;
  out[at] = ((j + 2) & 4) !== 0 ? -c : c;
  out[at + 1] = (j & 4) !== 0 ? -s : s;
}

const pairScratch = new Float64Array(2);
const turnScratch = new Float64Array(2);
const zScratch: U64 = { hi: 0, lo: 0 };
const uCounter: U64 = { hi: 0, lo: 0 };
const TWO_52 = 4503599627370496;

/** Normal pair p of the stream with key κ, into out[at] (r·cos 2πv) and out[at + 1] (r·sin 2πv). */
export function normalPair(key: U64, p: number, out: Float64Array | Float32Array, at: number): void {
  counterAt(key, 2 * p, uCounter);
  zScratch.hi = uCounter.hi;
  zScratch.lo = uCounter.lo;
  mix64(zScratch);
  // u = 1 − N·2⁻⁵² = M·2⁻⁵² exactly, M = 2⁵² − N ∈ [1, 2⁵²].
  const r = Math.sqrt(-2 * logUnit(TWO_52 - top52(zScratch)));
  // Output 2p + 1's counter is output 2p's plus γ (an addition, not counterAt's multiply again).
  add64(uCounter.hi, uCounter.lo, GAMMA_HI, GAMMA_LO, zScratch);
  mix64(zScratch);
  sinCosTurn(top53(zScratch), turnScratch, 0);
  out[at] = r * turnScratch[0];
  out[at + 1] = r * turnScratch[1];
}

/** peekNormals' whole pairs (reused: everything here is synchronous). */
let peekScratch = new Float64Array(0);

/** Pairs a stream draws ahead for normal() (one port call per 32 pairs). */
const AHEAD = 32;

/**
 * A RandomStream whose normals come from the counter-based generator above (the
 * other draws, uniform and int, stay RandomStream's own). Normal n of the stream is
 * component n mod 2 of pair ⌊n/2⌋, a pure function of (key, n), so normal() may draw
 * pairs ahead into a buffer without changing any value: `count` calls of normal() and
 * one fillNormal(count) give the same numbers, in any interleaving.
 */
export class CounterNormalStream extends RandomStream {
  readonly key: U64;
  /** Index of the next normal handed out. */
  private drawn = 0;
  /** ahead[i] is normal aheadStart + i, for i < aheadLength (whole pairs: aheadStart even). */
  private readonly ahead = new Float64Array(2 * AHEAD);
  private aheadStart = 0;
  private aheadLength = 0;

  constructor(seed: number) {
    super(seed);
    this.key = keyFromSeed(seed);
  }

  static override at(...path: (string | number)[]): CounterNormalStream {
    return new CounterNormalStream(deriveSeed(...path));
  }

  /** Normals handed out so far. */
  get position(): number {
    return this.drawn;
  }

  override normal(): number {
    let i = this.drawn - this.aheadStart;
    if (i < 0 || i >= this.aheadLength) {
      // The next normal is the first of its pair unless it is in the buffer (fillNormal and normal() hand out whole pairs from even indices).
      this.aheadStart = this.drawn - (this.drawn & 1);
      fillPairs(this.key, this.aheadStart / 2, AHEAD, this.ahead, 0);
      this.aheadLength = 2 * AHEAD;
      i = this.drawn - this.aheadStart;
    }
    this.drawn++;
    return this.ahead[i];
  }

  /**
   * Normals position … position + count − 1 into out[offset …] without handing them out:
   * normal() and fillNormal return the same values next (each normal is a pure function of
   * the key and its index). A caller that does not know in advance how many it will use
   * (rejection sampling) draws ahead in one fill and then skips what it used (skipNormals).
   */
  peekNormals(out: Float64Array, offset: number, count: number): void {
    if (count <= 0) return;
    const odd = this.drawn & 1;
    const pairs = (count + odd + 1) >> 1;
    if (peekScratch.length < 2 * pairs) peekScratch = new Float64Array(2 * pairs);
    fillPairs(this.key, (this.drawn - odd) / 2, pairs, peekScratch, 0);
    out.set(peekScratch.subarray(odd, odd + count), offset);
  }

  /** Hands out the next `count` normals without returning them (after peekNormals). */
  skipNormals(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`skipNormals: ${count}; allowed an integer ≥ 0`);
    this.drawn += count;
  }

  override fillNormal(out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
    this.fill(out, offset, count, null);
  }

  /**
   * fillNormal(out, offset, count), the same values and the same stream state after it, with
   * the whole pairs computed by `port` in place: `out` views the port's memory from its byte
   * 0, so that pair values are written where they are used and never copied (the linear VAE
   * kernel's module compiles counter-normals.as.ts in). A port's first pairs are compared with
   * this file's loop, as fillPairs does for the shared module.
   */
  fillNormalPorted(out: Float64Array, offset: number, count: number, port: NormalPairsPort): void {
    if (out.byteOffset !== 0) throw new RangeError('fillNormalPorted: out must view the port\'s memory from byte 0');
    this.fill(out, offset, count, port);
  }

  private fill(out: Float32Array | Float64Array, offset: number, count: number, port: NormalPairsPort | null): void {
    let i = offset;
    const end = offset + count;
    // Whatever the buffer holds from the next normal on, then whole pairs straight into out.
    while (i < end && this.drawn - this.aheadStart >= 0 && this.drawn - this.aheadStart < this.aheadLength) out[i++] = this.normal();
    if (i < end && (this.drawn & 1) === 1) out[i++] = this.normal();
    const pairs = (end - i) >> 1;
    if (pairs > 0) {
      if (port === null) fillPairs(this.key, this.drawn / 2, pairs, out, i);
      else {
        counterAt(this.key, this.drawn, zScratch);
        port.pairs(zScratch.hi, zScratch.lo, pairs, 8 * i);
        if (!port.checked) {
          comparePairs(this.key, this.drawn / 2, pairs, out, i, 'a module\'s normalPairs (its copy of src/engine/wasm/counter-normals.as.ts)');
          port.checked = true;
        }
      }
      this.drawn += 2 * pairs;
      i += 2 * pairs;
    }
    if (i < end) out[i] = this.normal();
  }
}

/** A module that computes counter-normals.as.ts's pairs into its own memory (CounterNormalStream.fillNormalPorted). */
export interface NormalPairsPort {
  /** n pairs from the u-counter c0 = (c0hi, c0lo) (as counter-normals.as.ts's pairs) at byte address `out` of the module's memory. */
  pairs(c0hi: number, c0lo: number, n: number, out: number): void;
  /** Whether its pairs have been compared with the specification; the stream sets it after the first comparison. */
  checked: boolean;
}

/**
 * Pairs p0 … p0 + n − 1 into out[at …] (2n values): the WebAssembly port where it runs
 * (counter-normals-wasm.ts; VAE_CLAIMS_COUNTER_NORMALS_KERNEL=js forces this file's loop), else pair by pair.
 */
export function fillPairs(key: U64, p0: number, n: number, out: Float32Array | Float64Array, at: number): void {
  for (let done = 0; done < n; done += PAIR_CHUNK) {
    const m = Math.min(PAIR_CHUNK, n - done);
    counterAt(key, 2 * (p0 + done), zScratch);
    if (!fillPairsWasm(zScratch.hi, zScratch.lo, m, out, at + 2 * done)) fillPairsJs(key, p0 + done, m, out, at + 2 * done);
    else if (!portChecked) checkPort(key, p0 + done, m, out, at + 2 * done);
  }
}

/**
 * The first time the port fills pairs in a process, its first (up to) 16 pairs are compared
 * with this file's loop, bit for bit (after the target's rounding): a port that drifted from
 * the specification (e.g. an edited AssemblyScript source, which the loader compiles into the
 * run) stops the run with an error instead of training on other draws.
 */
let portChecked = false;

function checkPort(key: U64, p0: number, n: number, out: Float32Array | Float64Array, at: number): void {
  comparePairs(key, p0, n, out, at, 'the WebAssembly port');
  portChecked = true;
}

/** The first (up to) 16 of n pairs at out[at …] against this file's loop, bit for bit; throws naming `port` on a difference. */
export function comparePairs(key: U64, p0: number, n: number, out: Float32Array | Float64Array, at: number, port: string): void {
  const k = Math.min(n, 16);
  const want = out instanceof Float32Array ? new Float32Array(2 * k) : new Float64Array(2 * k);
  fillPairsJs(key, p0, k, want, 0);
  for (let i = 0; i < 2 * k; i++) {
    if (!Object.is(want[i], out[at + i])) {
      throw new Error(`counter-normals: ${port}'s normal ${2 * p0 + i} is ${out[at + i]}, its specification's ${want[i]} (src/engine/wasm/counter-normals.as.ts differs from src/engine/counter-normals.ts)`);
    }
  }
}

export function fillPairsJs(key: U64, p0: number, n: number, out: Float32Array | Float64Array, at: number): void {
  for (let p = 0; p < n; p++) {
    normalPair(key, p0 + p, pairScratch, 0);
    out[at + 2 * p] = pairScratch[0];
    out[at + 2 * p + 1] = pairScratch[1];
  }
}
