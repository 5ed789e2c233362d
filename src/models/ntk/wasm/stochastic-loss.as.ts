// AssemblyScript source of stochastic-loss.wasm: the two passes of the stochastic latent
// network's fused loss gradient (src/models/ntk/stochastic-latent-loss.ts, unitAverages and
// unitGradients: the readable specification), bit for bit:
//   - every float64 value is computed by the same operations in the same order (f64 +, −, ·,
//     / are correctly rounded in WebAssembly as in JavaScript; no fused multiply-add: relaxed
//     SIMD is not enabled), float32 inputs widened exactly, float32 outputs rounded to nearest
//     as a Float32Array store does;
//   - e^{−x} and log(1 + e) are the specification's own expNeg and log1pUnit, written here
//     with the same operations in the same order (its constants as f64 literals; 1.0 / 3.0
//     and the like are folded by the compiler to the correctly rounded quotient, as
//     JavaScript's 1 / 3; divisions by other constants stay divisions); 2^{−k} from its
//     bits where the specification reads a table of exact halvings (the same exact value);
//   - the number k0 of a unit's sorted draws at or below the threshold t = −μ/s is counted,
//     not searched: the same integer (the draws are sorted, so those ≤ t are exactly the
//     first k0), with two draws per f64x2 compare and no branch.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700;
const LN2: f64 = 0.6931471805599453;
const SQRT2_MINUS_1: f64 = 0.41421356237309503;

/** 2^{−k}, exact, for 0 ≤ k ≤ 1022. */
@inline function pow2Neg(k: i32): f64 {
  return reinterpret<f64>((<i64>(1023 - k)) << 52);
}

/** stochastic-latent-loss.ts's expNeg: e^{−x} for x ≥ 0. */
@inline function expNeg(x: f64): f64 {
  if (x > 745.2) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const t = -(x - k * LN2_HI - k * LN2_LO);
  const t2 = t * t;
  const t4 = t2 * t2;
  const t8 = t4 * t4;
  const p =
    1.0 + t + (1.0 / 2.0 + t * (1.0 / 6.0)) * t2 + (1.0 / 24.0 + t * (1.0 / 120.0) + (1.0 / 720.0 + t * (1.0 / 5040.0)) * t2) * t4 + (1.0 / 40320.0 + t * (1.0 / 362880.0) + (1.0 / 3628800.0 + t * (1.0 / 39916800.0)) * t2 + (1.0 / 479001600.0 + t * (1.0 / 6227020800.0)) * t4) * t8;
  const ki = <i32>k;
  return ki <= 1022 ? p * pow2Neg(ki) : p * pow2Neg(1022) * pow2Neg(ki - 1022);
}

/** stochastic-latent-loss.ts's log1pUnit: log(1 + e) for e ∈ [0, 1]. */
@inline function log1pUnit(e: f64): f64 {
  let w: f64;
  let off: f64 = 0;
  if (e > SQRT2_MINUS_1) {
    w = (e - 1.0) / (e + 3.0);
    off = LN2;
  } else {
    w = e / (2.0 + e);
  }
  const u = w * w;
  const u2 = u * u;
  const u4 = u2 * u2;
  const u8 = u4 * u4;
  const p = 1.0 + u * (1.0 / 3.0) + (1.0 / 5.0 + u * (1.0 / 7.0)) * u2 + (1.0 / 9.0 + u * (1.0 / 11.0) + (1.0 / 13.0 + u * (1.0 / 15.0)) * u2) * u4 + (1.0 / 17.0 + u * (1.0 / 19.0) + (1.0 / 21.0 + u * (1.0 / 23.0)) * u2) * u8;
  return off + 2.0 * w * p;
}

@inline function sp(v: f64): v128 {
  return f64x2.splat(v);
}

// expNeg, lane by lane: the same operations on each lane (floor, the polynomial, the two
// exact scalings, the cut-off as a select), so each lane has the scalar function's bits. The
// scaling always takes both factors, 2^{−min(k, 1022)}·2^{−max(k − 1022, 0)}: the second is
// exactly 1 where the scalar function takes one factor, and a product by 1 is exact.
@inline function expNeg2(x: v128): v128 {
  const k = f64x2.floor(f64x2.add(f64x2.mul(x, f64x2.splat(INV_LN2)), f64x2.splat(0.5)));
  const t = f64x2.neg(f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO))));
  const t2 = f64x2.mul(t, t);
  const t4 = f64x2.mul(t2, t2);
  const t8 = f64x2.mul(t4, t4);
  const a0 = f64x2.add(f64x2.add(sp(1.0), t), f64x2.mul(f64x2.add(sp(1.0 / 2.0), f64x2.mul(t, sp(1.0 / 6.0))), t2));
  const a1 = f64x2.mul(f64x2.add(f64x2.add(sp(1.0 / 24.0), f64x2.mul(t, sp(1.0 / 120.0))), f64x2.mul(f64x2.add(sp(1.0 / 720.0), f64x2.mul(t, sp(1.0 / 5040.0))), t2)), t4);
  const b0 = f64x2.add(f64x2.add(sp(1.0 / 40320.0), f64x2.mul(t, sp(1.0 / 362880.0))), f64x2.mul(f64x2.add(sp(1.0 / 3628800.0), f64x2.mul(t, sp(1.0 / 39916800.0))), t2));
  const b1 = f64x2.mul(f64x2.add(sp(1.0 / 479001600.0), f64x2.mul(t, sp(1.0 / 6227020800.0))), t4);
  const p = f64x2.add(f64x2.add(a0, a1), f64x2.mul(f64x2.add(b0, b1), t8));
  // k ≥ 0 (x ≥ 0), at most 1075 where the cut-off does not apply: i32 lanes, then the exponents.
  const ki = i32x4.trunc_sat_f64x2_s_zero(k);
  const first = i32x4.min_s(ki, i32x4.splat(1022));
  const second = i32x4.sub(ki, first);
  const s1 = i64x2.shl(i64x2.extend_low_i32x4_s(i32x4.sub(i32x4.splat(1023), first)), 52);
  const s2 = i64x2.shl(i64x2.extend_low_i32x4_s(i32x4.sub(i32x4.splat(1023), second)), 52);
  const r = f64x2.mul(f64x2.mul(p, s1), s2);
  return v128.bitselect(f64x2.splat(0), r, f64x2.gt(x, f64x2.splat(745.2)));
}

// log1pUnit, lane by lane: both reductions computed, each lane selecting its own (the value
// the scalar branch computes), then the same polynomial and off + 2wp (off = +0 adds nothing).
@inline function log1pUnit2(e: v128): v128 {
  const high = f64x2.gt(e, f64x2.splat(SQRT2_MINUS_1));
  const wHigh = f64x2.div(f64x2.sub(e, f64x2.splat(1.0)), f64x2.add(e, f64x2.splat(3.0)));
  const wLow = f64x2.div(e, f64x2.add(f64x2.splat(2.0), e));
  const w = v128.bitselect(wHigh, wLow, high);
  const off = v128.and(f64x2.splat(LN2), high);
  const u = f64x2.mul(w, w);
  const u2 = f64x2.mul(u, u);
  const u4 = f64x2.mul(u2, u2);
  const u8 = f64x2.mul(u4, u4);
  const a0 = f64x2.add(f64x2.add(sp(1.0), f64x2.mul(u, sp(1.0 / 3.0))), f64x2.mul(f64x2.add(sp(1.0 / 5.0), f64x2.mul(u, sp(1.0 / 7.0))), u2));
  const a1 = f64x2.mul(f64x2.add(f64x2.add(sp(1.0 / 9.0), f64x2.mul(u, sp(1.0 / 11.0))), f64x2.mul(f64x2.add(sp(1.0 / 13.0), f64x2.mul(u, sp(1.0 / 15.0))), u2)), u4);
  const a2 = f64x2.mul(f64x2.add(f64x2.add(sp(1.0 / 17.0), f64x2.mul(u, sp(1.0 / 19.0))), f64x2.mul(f64x2.add(sp(1.0 / 21.0), f64x2.mul(u, sp(1.0 / 23.0))), u2)), u8);
  const p = f64x2.add(f64x2.add(a0, a1), a2);
  return f64x2.add(off, f64x2.mul(f64x2.mul(f64x2.splat(2.0), w), p));
}

// s = (ρ > 0 ? ρ : 0) + log1p(e) into sAt and σ(ρ) into sigAt, from e = e^{−|ρ|} and l = log1p(e), both lanes.
@inline function softplusAndSigmoid2(p: v128, e: v128, l: v128, sAt: usize, sigAt: usize): void {
  const positive = f64x2.gt(p, f64x2.splat(0));
  v128.store(sAt, f64x2.add(v128.and(p, positive), l));
  const onePlus = f64x2.add(f64x2.splat(1), e);
  v128.store(sigAt, v128.bitselect(f64x2.div(f64x2.splat(1), onePlus), f64x2.div(e, onePlus), f64x2.ge(p, f64x2.splat(0))));
}

@inline function f64At(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}

@inline function f32At(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

/**
 * Pass 1 over units c0 … c1 − 1 of the input row starting at element `row`: s, σ(ρ), ḡ, P,
 * P_ε into their arrays (float64); returns Σ_c a_c ḡ_c. mu, rho [n·units] and a [units]
 * are float32; sorted [units·K] and tail [units·(K + 1)] float64; K even (a spare slot
 * otherwise: see countBelow).
 */
export function unitAverages(row: i32, c0: i32, c1: i32, muAt: usize, rhoAt: usize, aAt: usize, sortedAt: usize, tailAt: usize, K: i32, GAt: usize, PAt: usize, PepsAt: usize, sAt: usize, sigAt: usize): f64 {
  const invK: f64 = 1 / <f64>K;
  let out: f64 = 0;
  // s = softplus(ρ) and σ(ρ), two units at a time in f64x2 lanes (each lane the scalar bits);
  // four at a time where there are four, as two such chains whose stages alternate, so that the
  // processor has independent work while each waits on its divisions.
  let c2 = c0;
  for (; c2 + 3 < c1; c2 += 4) {
    const o = row + c2;
    const pA = f64x2.promote_low_f32x4(v128.load64_zero(f32At(rhoAt, o)));
    const pB = f64x2.promote_low_f32x4(v128.load64_zero(f32At(rhoAt, o + 2)));
    const eA = expNeg2(f64x2.abs(pA));
    const eB = expNeg2(f64x2.abs(pB));
    const lA = log1pUnit2(eA);
    const lB = log1pUnit2(eB);
    softplusAndSigmoid2(pA, eA, lA, f64At(sAt, o), f64At(sigAt, o));
    softplusAndSigmoid2(pB, eB, lB, f64At(sAt, o + 2), f64At(sigAt, o + 2));
  }
  for (; c2 + 1 < c1; c2 += 2) {
    const o = row + c2;
    const p = f64x2.promote_low_f32x4(v128.load64_zero(f32At(rhoAt, o)));
    const e = expNeg2(f64x2.abs(p));
    softplusAndSigmoid2(p, e, log1pUnit2(e), f64At(sAt, o), f64At(sigAt, o));
  }
  for (; c2 < c1; c2++) {
    const o = row + c2;
    const p = <f64>load<f32>(f32At(rhoAt, o));
    const e = expNeg(Math.abs(p));
    store<f64>(f64At(sAt, o), (p > 0 ? p : 0) + log1pUnit(e));
    store<f64>(f64At(sigAt, o), p >= 0 ? 1 / (1 + e) : e / (1 + e));
  }
  for (let c = c0; c < c1; c++) {
    const o = row + c;
    const mv = <f64>load<f32>(f32At(muAt, o));
    const sv = load<f64>(f64At(sAt, o));
    let k0: i32;
    if (sv > 0) {
      k0 = countBelow(sortedAt + ((<usize>(c * K)) << 3), K, -mv / sv);
    } else {
      k0 = mv > 0 ? 0 : K;
    }
    const tk = load<f64>(f64At(tailAt, c * (K + 1) + k0));
    const g = (<f64>(K - k0) * mv + sv * tk) * invK;
    store<f64>(f64At(GAt, o), g);
    store<f64>(f64At(PAt, o), <f64>(K - k0) * invK);
    store<f64>(f64At(PepsAt, o), tk * invK);
    out += <f64>load<f32>(f32At(aAt, c)) * g;
  }
  return out;
}

/** The number of the K draws at `at` that are ≤ t (not > t: NaN never is), two per compare. */
@inline function countBelow(at: usize, K: i32, t: f64): i32 {
  const tv = f64x2.splat(t);
  // Lanes of f64x2.gt are all ones (−1 as i64) where the draw is above t: summed, minus the above.
  let above = i64x2.splat(0);
  const pairs = K & ~1;
  let k = 0;
  for (; k < pairs; k += 2) above = i64x2.add(above, f64x2.gt(v128.load(at + ((<usize>k) << 3)), tv));
  let n = <i32>(i64x2.extract_lane(above, 0) + i64x2.extract_lane(above, 1));
  if (k < K) n -= load<f64>(at + ((<usize>k) << 3)) > t ? 1 : 0;
  return K + n;
}

/**
 * Pass 2 over units c0 … c1 − 1 of the input row at `row` (residual gi, KL weight wr):
 * ∂μ and ∂ρ (float32) and the per-unit sums Σ_i ∂μ, Σ_i ∂ρ and Σ_i ḡ g (float64).
 */
export function unitGradients(row: i32, c0: i32, c1: i32, gi: f64, wr: f64, muAt: usize, aAt: usize, readoutDivisor: f64, GAt: usize, PAt: usize, PepsAt: usize, sAt: usize, sigAt: usize, dMuAt: usize, dRhoAt: usize, sumMuAt: usize, sumRhoAt: usize, gaAt: usize): void {
  for (let c = c0; c < c1; c++) {
    const o = row + c;
    const alpha = <f64>load<f32>(f32At(aAt, c)) / readoutDivisor;
    let dm = gi * alpha * load<f64>(f64At(PAt, o));
    let dr = gi * alpha * load<f64>(f64At(PepsAt, o));
    if (wr != 0) {
      dm += wr * <f64>load<f32>(f32At(muAt, o));
      const sv = load<f64>(f64At(sAt, o));
      dr += wr * (sv - 1 / sv);
    }
    dr *= load<f64>(f64At(sigAt, o));
    store<f32>(f32At(dMuAt, o), <f32>dm);
    store<f32>(f32At(dRhoAt, o), <f32>dr);
    const sm = f64At(sumMuAt, c);
    store<f64>(sm, load<f64>(sm) + dm);
    const sr = f64At(sumRhoAt, c);
    store<f64>(sr, load<f64>(sr) + dr);
    const ga = f64At(gaAt, c);
    store<f64>(ga, load<f64>(ga) + load<f64>(f64At(GAt, o)) * gi);
  }
}
