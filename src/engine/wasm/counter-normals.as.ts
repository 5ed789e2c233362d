// AssemblyScript source of counter-normals.wasm: src/engine/counter-normals.ts's normal
// pairs (the readable specification) two pairs at a time, one per lane of i64x2 / f64x2,
// bit for bit; four at a time where there are four, as two such chains whose stages
// alternate (radii, then angles), so that the processor has independent work while each
// waits on its multiplies and its division: 10.7 → 6.9 ns a normal here. Compiled by `npm run build:wasm` (pinned assemblyscript);
// test/engine/counter-normals.test.ts checks the committed binary is this source's
// output and compares its pairs with the specification's bitwise.
//
// Why the bits are the specification's: the generator is integer arithmetic mod 2⁶⁴
// (i64x2 add, mul, shifts and xor are exact); every integer that becomes a double is
// below 2⁵² and converts exactly (the 52-bit N and the 50-bit remainder by the 2⁵² "magic
// number", the exponent from a 32-bit lane); every float64
// operation is the specification's, in its order, with no fused multiply-add (relaxed
// SIMD is not enabled); branches are lane masks that select between values both computed
// as the specification computes the taken one; negation is the sign bit flipped, as
// JavaScript's unary minus. Memory is imported; `out` is a byte address.

const GAMMA: i64 = 0x9e3779b97f4a7c15;
const MIX1: i64 = 0xbf58476d1ce4e5b9;
const MIX2: i64 = 0x94d049bb133111eb;

const L1: f64 = 0.6666666666666666;
const L2: f64 = 0.4;
const L3: f64 = 0.2857142857142857;
const L4: f64 = 0.2222222222222222;
const L5: f64 = 0.18181818181818182;
const L6: f64 = 0.15384615384615385;
const L7: f64 = 0.13333333333333333;
const L8: f64 = 0.11764705882352941;
const L9: f64 = 0.10526315789473684;
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;
const SQRT2: f64 = 1.4142135623730951;

const S1: f64 = -0.16666666666666666;
const S2: f64 = 0.008333333333333333;
const S3: f64 = -0.0001984126984126984;
const S4: f64 = 0.0000027557319223985893;
const S5: f64 = -2.505210838544172e-8;
const S6: f64 = 1.6059043836821613e-10;
const S7: f64 = -7.647163731819816e-13;
const S8: f64 = 2.8114572543455206e-15;
const C1: f64 = -0.5;
const C2: f64 = 0.041666666666666664;
const C3: f64 = -0.001388888888888889;
const C4: f64 = 0.0000248015873015873;
const C5: f64 = -2.755731922398589e-7;
const C6: f64 = 2.08767569878681e-9;
const C7: f64 = -1.1470745597729725e-11;
const C8: f64 = 4.779477332387385e-14;
const C9: f64 = -1.5619206968586225e-16;
const PI_4: f64 = 0.7853981633974483;

// SplitMix64's finaliser on both lanes.
@inline function mix(z0: v128): v128 {
  let z = v128.xor(z0, i64x2.shr_u(z0, 30));
  z = i64x2.mul(z, i64x2.splat(MIX1));
  z = v128.xor(z, i64x2.shr_u(z, 27));
  z = i64x2.mul(z, i64x2.splat(MIX2));
  return v128.xor(z, i64x2.shr_u(z, 31));
}

// Lanes' low 32-bit words into i32x4 lanes 0, 1 (for convert_low).
@inline function lowWords(x: v128): v128 {
  return i32x4.shuffle(x, x, 0, 2, 0, 2);
}

@inline function f(x: f64): v128 {
  return f64x2.splat(x);
}

// Horner steps p·y + c, written out as the specification's c + y·p.
@inline function hornerAdd(c: f64, y: v128, p: v128): v128 {
  return f64x2.add(f(c), f64x2.mul(y, p));
}

// Box–Muller's radius √(−2 log u) of the pairs whose u-counters are cu (both lanes).
@inline function radiusOf(cu: v128): v128 {
  const magic = i64x2.splat(0x4330000000000000);
  const mantissa = i64x2.splat(0x000fffffffffffff);
  const one = i64x2.splat(0x3ff0000000000000);
  // u = 1 − N·2⁻⁵² from output 2p's top 52 bits N (exact as a double by the magic number).
  const N = i64x2.shr_u(mix(cu), 12);
  const dN = f64x2.sub(v128.or(N, magic), f(4503599627370496));
  const u = f64x2.sub(f(1), f64x2.mul(dN, f(2.220446049250313e-16)));
  // u = m'·2^e, m' ∈ [1, 2) from its bits; m = m'/2, k = e + 1 where m' > √2.
  const bits = u;
  const e = i64x2.sub(i64x2.shr_u(bits, 52), i64x2.splat(1023));
  const mPrime = v128.or(v128.and(bits, mantissa), one);
  const big = f64x2.gt(mPrime, f(SQRT2));
  const m = v128.bitselect(f64x2.mul(mPrime, f(0.5)), mPrime, big);
  const k = f64x2.add(f64x2.convert_low_i32x4_s(lowWords(e)), v128.bitselect(f(1), f(0), big));
  const fl = f64x2.sub(m, f(1));
  const s = f64x2.div(fl, f64x2.add(f(2), fl));
  const w = f64x2.mul(s, s);
  let R = hornerAdd(L8, w, f(L9));
  R = hornerAdd(L7, w, R);
  R = hornerAdd(L6, w, R);
  R = hornerAdd(L5, w, R);
  R = hornerAdd(L4, w, R);
  R = hornerAdd(L3, w, R);
  R = hornerAdd(L2, w, R);
  R = hornerAdd(L1, w, R);
  R = f64x2.mul(w, R);
  const hfsq = f64x2.mul(f64x2.mul(f(0.5), fl), fl);
  const logm = f64x2.sub(fl, f64x2.sub(hfsq, f64x2.mul(s, f64x2.add(hfsq, R))));
  const lg = f64x2.add(f64x2.mul(k, f(LN2_HI)), f64x2.add(logm, f64x2.mul(k, f(LN2_LO))));
  return f64x2.sqrt(f64x2.mul(f(-2), lg));

}

// The pairs' angle 2πv (their v-counters cu + γ), r·cos and r·sin into `at` (both lanes, or the first alone).
@inline function storePairs(at: usize, r: v128, cu: v128, both: bool): void {
  const gamma = i64x2.splat(GAMMA);
  const mask50 = i64x2.splat(0x3ffffffffffff);
  const magic = i64x2.splat(0x4330000000000000);
  const sign = i64x2.splat(0x8000000000000000);
  const zero = i64x2.splat(0);
  // The angle 2πv from output 2p + 1: octant j, fraction of it (exact, < 2⁵⁰ by the magic number).
  const V = i64x2.shr_u(mix(i64x2.add(cu, gamma)), 11);
  const j = i64x2.shr_u(V, 50);
  const rem = v128.and(V, mask50);
  const fr = f64x2.mul(f64x2.sub(v128.or(rem, magic), f(4503599627370496)), f(8.881784197001252e-16));
  const odd = i64x2.ne(v128.and(j, i64x2.splat(1)), zero);
  const g = v128.bitselect(f64x2.sub(f(1), fr), fr, odd);
  const x = f64x2.mul(g, f(PI_4));
  const y = f64x2.mul(x, x);
  let ps = hornerAdd(S7, y, f(S8));
  ps = hornerAdd(S6, y, ps);
  ps = hornerAdd(S5, y, ps);
  ps = hornerAdd(S4, y, ps);
  ps = hornerAdd(S3, y, ps);
  ps = hornerAdd(S2, y, ps);
  ps = hornerAdd(S1, y, ps);
  const sx = f64x2.add(x, f64x2.mul(x, f64x2.mul(y, ps)));
  let pc = hornerAdd(C8, y, f(C9));
  pc = hornerAdd(C7, y, pc);
  pc = hornerAdd(C6, y, pc);
  pc = hornerAdd(C5, y, pc);
  pc = hornerAdd(C4, y, pc);
  pc = hornerAdd(C3, y, pc);
  pc = hornerAdd(C2, y, pc);
  pc = hornerAdd(C1, y, pc);
  const cx = f64x2.add(f(1), f64x2.mul(y, pc));
  const swap = i64x2.ne(v128.and(i64x2.add(j, i64x2.splat(1)), i64x2.splat(2)), zero);
  const negC = i64x2.ne(v128.and(i64x2.add(j, i64x2.splat(2)), i64x2.splat(4)), zero);
  const negS = i64x2.ne(v128.and(j, i64x2.splat(4)), zero);
  const c = v128.xor(v128.bitselect(sx, cx, swap), v128.and(negC, sign));
  const sn = v128.xor(v128.bitselect(cx, sx, swap), v128.and(negS, sign));
  const zc = f64x2.mul(r, c);
  const zs = f64x2.mul(r, sn);
  v128.store(at, i64x2.shuffle(zc, zs, 0, 2));
  if (both) v128.store(at, i64x2.shuffle(zc, zs, 1, 3), 16);
}

/**
 * n normal pairs into out (2n float64: r·cos, r·sin per pair), pair q's u-counter being
 * c0 + 2q·γ (c0 = κ + (2p₀ + 1)·γ, from the caller as two 32-bit halves) and its
 * v-counter that plus γ. An odd n computes a last vector whose second lane is not stored.
 */
export function pairs(c0hi: u32, c0lo: u32, n: i32, out: usize): void {
  const c0: i64 = (<i64>c0hi << 32) | <i64>c0lo;
  let cu = i64x2.replace_lane(i64x2.splat(c0), 1, c0 + 2 * GAMMA);
  const step = i64x2.splat(4 * GAMMA);
  let q = 0;
  // Four pairs at a time: two independent chains (radii, then angles) in flight.
  for (; q + 3 < n; q += 4) {
    const cuB = i64x2.add(cu, step);
    const rA = radiusOf(cu);
    const rB = radiusOf(cuB);
    const at = out + ((<usize>q) << 4);
    storePairs(at, rA, cu, true);
    storePairs(at + 32, rB, cuB, true);
    cu = i64x2.add(cuB, step);
  }
  for (; q < n; q += 2) {
    storePairs(out + ((<usize>q) << 4), radiusOf(cu), cu, q + 1 < n);
    cu = i64x2.add(cu, step);
  }
}

