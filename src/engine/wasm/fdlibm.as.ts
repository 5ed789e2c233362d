// AssemblyScript, imported by the WebAssembly kernels that need e^x, log1p or log (not a module
// of its own): deep-vae/wasm/{kernel,reference}.as.ts, linear-vae/wasm/{kernel,iwae-oracle}.as.ts.
// A kernel's source hash covers the files it imports (src/engine/wasm-kernel.ts's kernelSourceHash).
//
// V8's Math.exp, Math.log1p and Math.log, bit for bit, in WebAssembly.
//
// V8 computes all three with its port of fdlibm (v8/src/base/ieee754.cc; fdlibm is Copyright (C)
// 1993 by Sun Microsystems, Inc., "Permission to use, copy, modify, and distribute this software
// is freely granted, provided that this notice is preserved"). The functions below follow the
// same algorithm with the same constants and the same order of every operation, so each result
// is the double V8 returns: WebAssembly's f64 arithmetic is IEEE 754 binary64 with
// round-to-nearest, like the C it was compiled from, and binaryen does not reassociate floating
// point. That is a claim about V8, not a proof, so it is tested: bitwise against Math.exp,
// Math.log1p and Math.log at every branch threshold and on a million random doubles
// (test/convergence/deep-vae-kernel-wasm.test.ts). The point is speed: a call out to
// JavaScript costs more than the function, and a layer of soft-clips can run two units at a
// time (expNegAbs, log1pUnit below).
//
// exp(x): x = k·ln2 + r with |r| ≤ ½ln2 (r = hi − lo, ln2 split in two so that k·LN2_HI is exact);
// e^r = 1 + r + r·c/(2 − c) with c = r − r²(P1 + r²(P2 + … + r²P5)) (a Remez fit, error < 2⁻⁵⁹);
// then scaled by 2^k.
const LN2_HI: f64 = 6.93147180369123816490e-01; // 0x3FE62E42 FEE00000
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3DEA39EF 35793C76
const INV_LN2: f64 = 1.44269504088896338700e+00; // 0x3FF71547 652B82FE
const EXP_P1: f64 = 1.66666666666666019037e-01; // 0x3FC55555 5555553E
const EXP_P2: f64 = -2.77777777770155933842e-03; // 0xBF66C16C 16BEBD93
const EXP_P3: f64 = 6.61375632143793436117e-05; // 0x3F11566A AF25DE2C
const EXP_P4: f64 = -1.65339022054652515390e-06; // 0xBEBBBD41 C5D26BF1
const EXP_P5: f64 = 4.13813679705723846039e-08; // 0x3E663769 72BEA4D0
const EXP_OVERFLOW: f64 = 7.09782712893383973096e+02; // 0x40862E42 FEFA39EF
const EXP_UNDERFLOW: f64 = -7.45133219101941108420e+02; // 0xC0874910 D52D3051
const TWO_TO_1023: f64 = 8.988465674311579539e307;
const TWO_TO_MINUS_1000: f64 = 9.33263618503218878990e-302;

@inline function highWord(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >> 32);
}

@inline function withHighWord(x: f64, hi: i32): f64 {
  return reinterpret<f64>((reinterpret<u64>(x) & 0xFFFFFFFF) | ((<u64>(<u32>hi)) << 32));
}

/** 2^k for −1022 ≤ k ≤ 1023 (the exponent field k + 1023, a zero mantissa). */
@inline function twoTo(k: i32): f64 {
  return reinterpret<f64>((<u64>(0x3FF + k)) << 52);
}

export function fdExp(x: f64): f64 {
  const hxs = highWord(x);
  const xsb = <i32>(<u32>hxs >> 31);
  const hx = hxs & 0x7FFFFFFF;
  if (hx >= 0x40862E42) {
    // |x| ≥ 709.78: NaN, ±∞, overflow, underflow.
    if (hx >= 0x7FF00000) {
      if (((hx & 0xFFFFF) | <i32>(<u32>reinterpret<u64>(x))) != 0) return x + x;
      return xsb == 0 ? x : 0.0;
    }
    if (x > EXP_OVERFLOW) return Infinity;
    if (x < EXP_UNDERFLOW) return 0.0;
  }
  let hi = 0.0;
  let lo = 0.0;
  let k: i32 = 0;
  if (hx > 0x3FD62E42) {
    // |x| > ½ln2: reduce.
    if (hx < 0x3FF0A2B2) {
      // |x| < 1.5ln2: k = ±1. V8 returns its constant E for exp(1) (the reduction would miss its last bit).
      if (x == 1.0) return 2.718281828459045;
      hi = xsb == 0 ? x - LN2_HI : x - -LN2_HI;
      lo = xsb == 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INV_LN2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3E300000) {
    // |x| < 2⁻²⁸.
    return 1.0 + x;
  }
  const t = x * x;
  const c = x - t * (EXP_P1 + t * (EXP_P2 + t * (EXP_P3 + t * (EXP_P4 + t * EXP_P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * TWO_TO_1023;
    return y * twoTo(k);
  }
  return y * twoTo(k + 1000) * TWO_TO_MINUS_1000;
}

// log1p(x): 1 + x = 2^k(1 + f) with √2/2 < 1 + f < √2 (and, when k ≠ 0, c = the rounding error of
// 1 + x over it); log(1 + f) = 2s + s·R(s²) with s = f/(2 + f) (R a Remez fit, error < 2⁻⁵⁸·⁴⁵);
// then + k·ln2.
const LP1: f64 = 6.666666666666735130e-01; // 0x3FE55555 55555593
const LP2: f64 = 3.999999999940941908e-01; // 0x3FD99999 9997FA04
const LP3: f64 = 2.857142874366239149e-01; // 0x3FD24924 94229359
const LP4: f64 = 2.222219843214978396e-01; // 0x3FCC71C5 1D8E78AF
const LP5: f64 = 1.818357216161805012e-01; // 0x3FC74664 96CB03DE
const LP6: f64 = 1.531383769920937332e-01; // 0x3FC39A09 D078C69F
const LP7: f64 = 1.479819860511658591e-01; // 0x3FC2F112 DF3E5244

export function fdLog1p(x: f64): f64 {
  const hx = highWord(x);
  const ax = hx & 0x7FFFFFFF;
  let k: i32 = 1;
  let f = 0.0;
  let c = 0.0;
  let hu: i32 = 0;
  if (hx < 0x3FDA827A) {
    // 1 + x < √2.
    if (ax >= 0x3FF00000) return x == -1.0 ? -Infinity : NaN; // x ≤ −1
    if (ax < 0x3E200000) return ax < 0x3C900000 ? x : x - x * x * 0.5; // |x| < 2⁻²⁹ (and < 2⁻⁵⁴)
    if (hx > 0 || hx <= <i32>0xBFD2BEC4) {
      // −0.2929 < x < 0.41422: k = 0, f = x.
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7FF00000) return x + x;
  if (k != 0) {
    let u: f64;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000FFFFF;
    if (hu < 0x6A09E) {
      u = withHighWord(u, hu | 0x3FF00000);
    } else {
      k += 1;
      u = withHighWord(u, hu | 0x3FE00000);
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1.0;
  }
  const hfsq = 0.5 * f * f;
  if (hu == 0) {
    // |f| < 2⁻²⁰.
    if (f == 0.0) {
      if (k == 0) return 0.0;
      c += <f64>k * LN2_LO;
      return <f64>k * LN2_HI + c;
    }
    const R = hfsq * (1.0 - 0.66666666666666666 * f);
    if (k == 0) return f - R;
    return <f64>k * LN2_HI - ((R - (<f64>k * LN2_LO + c)) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const R = z * (LP1 + z * (LP2 + z * (LP3 + z * (LP4 + z * (LP5 + z * (LP6 + z * LP7))))));
  if (k == 0) return f - (hfsq - s * (hfsq + R));
  return <f64>k * LN2_HI - ((hfsq - (s * (hfsq + R) + (<f64>k * LN2_LO + c))) - f);
}


// log(x): x = 2^k(1 + f) with √2/2 < 1 + f < √2; log(1 + f) = 2s + s·R(s²), s = f/(2 + f), R
// split into odd and even parts (t1, t2; fdlibm's Lg1…Lg7 are log1p's Lp1…Lp7, the same Remez
// fit, error < 2⁻⁵⁸·⁴⁵); then + k·ln2.
const TWO_TO_54: f64 = 1.80143985094819840000e+16; // 0x43500000 00000000

export function fdLog(x: f64): f64 {
  let hx = highWord(x);
  let k: i32 = 0;
  if (hx < 0x00100000) {
    // x < 2⁻¹⁰²² (negative x included): ±0, negative, or subnormal (scaled up).
    if (((hx & 0x7FFFFFFF) | <i32>(<u32>reinterpret<u64>(x))) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO_TO_54;
    hx = highWord(x);
  }
  if (hx >= 0x7FF00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000FFFFF;
  let i = (hx + 0x95F64) & 0x100000;
  x = withHighWord(x, hx | (i ^ 0x3FF00000)); // x or x/2 normalised
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000FFFFF & (2 + hx)) < 3) {
    // −2⁻²⁰ ≤ f < 2⁻²⁰.
    if (f == 0.0) {
      if (k == 0) return 0.0;
      const dk = <f64>k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    const dk = <f64>k;
    return dk * LN2_HI - ((R - dk * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
  const z = s * s;
  i = hx - 0x6147A;
  const w = z * z;
  const j = 0x6B851 - hx;
  const t1 = w * (LP2 + w * (LP4 + w * LP6));
  const t2 = z * (LP1 + w * (LP3 + w * (LP5 + w * LP7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

// ---- Two lanes at a time (f64x2) ----
// fdExp's and fdLog1p's operations lane by lane, their branches as selects, inside the ranges
// the soft-clips need (the caller checks them and otherwise goes one value at a time):
//   - expNegAbs(a) = fdExp(x) at x = −|a| ≤ 0 (sign bit set), |a| ≤ 700: k = 0 where
//     |x| ≤ ½ln2 (then hi = x − 0·LN2_HI = x, lo = 0, r = x, and 1 − ((0 − q) − x) with
//     q = x·c/(2 − c) is fdExp's 1 − (x·c/(c − 2) − x) bit for bit: c − 2 = −(2 − c) and
//     0 − q = −q exactly, q ≠ 0 for |x| ≥ 2⁻²⁸; the scale 2⁰ = 1 is exact), k = −1 where
//     |x| < 1.5ln2 (x − (−1)·LN2_HI is fdExp's x − −LN2_HI), else trunc(INV_LN2·x − 0.5); 1 + x
//     where |x| < 2⁻²⁸. |x| ≤ 700 keeps k ≥ −1010, so 2^k is a normal number, made from its
//     exponent field: (k + 1023 + 2⁵²)'s low bits (exact: an integer below 2⁵³) shifted up;
//   - log1pUnit(e, u) = fdLog1p(e) for e ∈ (0, 1], u = 1 + e inside log1pLanes: e < 2⁻²⁹ (then
//     e, or e − e·e·0.5 from 2⁻⁵⁴); e below 0x3FDA827A's double: k = 0 and f = e; otherwise u must
//     lie in [0x3FF6A09E…, 0x3FFFFFFD…): there fdLog1p's k is 0, then 1 after halving u (u·0.5 is
//     its high-word rewrite, u ∈ [1, 2)), c = (e − (u − 1))/u, and hu = (0x100000 − hu) >> 2 is
//     not 0, so its general formula applies with k·LN2_HI = LN2_HI.
// Tested bitwise against Math.exp and Math.log1p through the soft-clips that use them.

// fdExp(−|a|) for |a| ≤ 700, both lanes.
@inline export function expNegAbs(a: v128): v128 {
  const ax = f64x2.abs(a);
  const x = f64x2.neg(ax);
  const kGeneral = f64x2.trunc(f64x2.add(f64x2.mul(f64x2.splat(INV_LN2), x), f64x2.splat(-0.5)));
  const reduced = f64x2.ge(ax, f64x2.splat(reinterpret<f64>(0x3FD62E4300000000)));
  const nearOne = f64x2.lt(ax, f64x2.splat(reinterpret<f64>(0x3FF0A2B200000000)));
  const k = v128.bitselect(v128.bitselect(f64x2.splat(-1.0), kGeneral, nearOne), f64x2.splat(0), reduced);
  const hi = f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI)));
  const lo = f64x2.mul(k, f64x2.splat(LN2_LO));
  const r = f64x2.sub(hi, lo);
  const r2 = f64x2.mul(r, r);
  let poly = f64x2.add(f64x2.splat(EXP_P4), f64x2.mul(r2, f64x2.splat(EXP_P5)));
  poly = f64x2.add(f64x2.splat(EXP_P3), f64x2.mul(r2, poly));
  poly = f64x2.add(f64x2.splat(EXP_P2), f64x2.mul(r2, poly));
  poly = f64x2.add(f64x2.splat(EXP_P1), f64x2.mul(r2, poly));
  const c = f64x2.sub(r, f64x2.mul(r2, poly));
  const y = f64x2.sub(f64x2.splat(1.0), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c))), hi));
  const scale = i64x2.shl(f64x2.add(k, f64x2.splat(1023 + 4503599627370496.0)), 52);
  return v128.bitselect(f64x2.add(f64x2.splat(1.0), x), f64x2.mul(y, scale), f64x2.lt(ax, f64x2.splat(reinterpret<f64>(0x3E30000000000000))));
}

// All ones in the lanes where u = 1 + e is inside log1pUnit's range.
@inline export function log1pLanes(e: v128, u: v128): v128 {
  const k1 = f64x2.ge(e, f64x2.splat(reinterpret<f64>(0x3FDA827A00000000)));
  return v128.andnot(f64x2.lt(u, f64x2.splat(reinterpret<f64>(0x3FFFFFFD00000000))), v128.and(k1, f64x2.lt(u, f64x2.splat(reinterpret<f64>(0x3FF6A09E00000000)))));
}

// fdLog1p(e) for e ∈ (0, 1] with u = 1 + e inside log1pLanes, both lanes.
@inline export function log1pUnit(e: v128, u: v128): v128 {
  const k1 = f64x2.ge(e, f64x2.splat(reinterpret<f64>(0x3FDA827A00000000)));
  const cu = f64x2.div(f64x2.sub(e, f64x2.sub(u, f64x2.splat(1.0))), u);
  const f = v128.bitselect(f64x2.sub(f64x2.mul(u, f64x2.splat(0.5)), f64x2.splat(1.0)), e, k1);
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  let R = f64x2.add(f64x2.splat(LP6), f64x2.mul(z, f64x2.splat(LP7)));
  R = f64x2.add(f64x2.splat(LP5), f64x2.mul(z, R));
  R = f64x2.add(f64x2.splat(LP4), f64x2.mul(z, R));
  R = f64x2.add(f64x2.splat(LP3), f64x2.mul(z, R));
  R = f64x2.add(f64x2.splat(LP2), f64x2.mul(z, R));
  R = f64x2.mul(z, f64x2.add(f64x2.splat(LP1), f64x2.mul(z, R)));
  const sp = f64x2.mul(s, f64x2.add(hfsq, R));
  const l0 = f64x2.sub(f, f64x2.sub(hfsq, sp));
  const l1 = f64x2.sub(f64x2.splat(LN2_HI), f64x2.sub(f64x2.sub(hfsq, f64x2.add(sp, f64x2.add(f64x2.splat(LN2_LO), cu))), f));
  const tiny = v128.bitselect(e, f64x2.sub(e, f64x2.mul(f64x2.mul(e, e), f64x2.splat(0.5))), f64x2.lt(e, f64x2.splat(reinterpret<f64>(0x3C90000000000000))));
  return v128.bitselect(tiny, v128.bitselect(l1, l0, k1), f64x2.lt(e, f64x2.splat(reinterpret<f64>(0x3E20000000000000))));
}

