// AssemblyScript source of deep-vae-kernel.wasm: DeepVaeKernel.objectiveAndGradient's
// arithmetic (src/models/deep-vae/kernel.ts, the readable specification) with f64x2
// SIMD, bit for bit. Compiled by `npm run build:wasm` (pinned assemblyscript);
// test/convergence/deep-vae-kernel-wasm.test.ts checks the committed binary is this
// source's output and that its objective and gradient equal the JS kernel's bitwise.
//
// Why the bits are the JS kernel's:
//   - every dot product is kernel.ts's dot2: one f64x2 accumulator, acc = acc + a·b with
//     a separate multiply and add (WebAssembly has no fused multiply-add outside relaxed
//     SIMD, which this module does not enable), an odd length's last term into lane 0,
//     then lane 0 + lane 1. Several rows' dot products run side by side (independent
//     accumulators), each in its own fixed order;
//   - every other loop is elementwise over a contiguous index and sequential over the
//     outer index, as in kernel.ts, so two lanes at a time change nothing;
//   - the step runs layer by layer over the whole batch (step's comment): every point's or
//     sample's quantities from its own values, every gradient element's terms in kernel.ts's
//     order (points, then samples, in order), held in registers across the batch where a
//     weight row's gradient gets one term per point (W1, W3);
//   - the backward passes take four weight rows at a time: the input-gradient accumulator
//     (da2, gz, dh1) gets the four rows' terms in row order, as kernel.ts adds them;
//   - the output layer computes all dx pre-activations first (they are independent), then
//     goes pixel by pixel in kernel.ts's order (residual, sq, dd, the row's backward pass);
//   - e^x and log1p are V8's Math.exp and Math.log1p bit for bit: fdlibm, which V8 runs,
//     ported to WebAssembly (src/engine/wasm/fdlibm.as.ts, tested bitwise against V8), one
//     value at a time or, in the hidden layer's soft-clip, two or four (clipHiddenSpan). An
//     exponential whose every faithful value gives the same result bits is skipped (proof at clip);
//   - every scalar expression keeps kernel.ts's order of operations.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

import { expNegAbs, fdExp, fdLog, fdLog1p, log1pLanes, log1pUnit } from '../../../engine/wasm/fdlibm.as';


// Dimensions, soft-clip constants and addresses, set once by setup().
let dx: i32 = 0;
let H: i32 = 0;
let dz: i32 = 0;
let sharp: f64 = 0;
let hLo: f64 = 0;
let hHi: f64 = 0;
let mLo: f64 = 0;
let mHi: f64 = 0;
let vLo: f64 = 0;
let vHi: f64 = 0;
let logNorm: f64 = 0;
let invVar: f64 = 0;
let theta: usize = 0; // P f64
let grad: usize = 0; // P f64
let data: usize = 0; // N·dx f64
let scratch: usize = 0;
// Block offsets (bytes from theta / grad).
let oW1: usize = 0;
let ob1: usize = 0;
let oWh: usize = 0;
let obh: usize = 0;
let oW2: usize = 0;
let ob2: usize = 0;
let oW3: usize = 0;
let ob3: usize = 0;
// Scratch arrays of one sample or point (addresses); the batch's arrays are laid out by setBatch.
let gz: usize = 0;
let dh1: usize = 0;
let pre: usize = 0; // max(H, 2dz): a layer's dd
let relu: bool = false;
const TWO_TO_MINUS_30: f64 = 9.313225746154785e-10;
// The slope of the last activation evaluated (kernel.ts's slope array).
let slope: f64 = 0;

/** Bytes of scratch setup() needs (H, dz, dx), 16-byte aligned arrays. */
function align2(n: i32): i32 {
  return (n + 1) & ~1;
}

export function scratchBytes(dx_: i32, H_: i32, dz_: i32): i32 {
  return (align2(H_) + align2(dz_) + align2(max(H_, 2 * dz_))) << 3;
}

export function setup(dx_: i32, H_: i32, dz_: i32, sharp_: f64, hLo_: f64, hHi_: f64, mLo_: f64, mHi_: f64, vLo_: f64, vHi_: f64, logNorm_: f64, invVar_: f64, theta_: usize, grad_: usize, data_: usize, scratch_: usize): void {
  dx = dx_;
  H = H_;
  dz = dz_;
  sharp = sharp_;
  hLo = hLo_;
  hHi = hHi_;
  mLo = mLo_;
  mHi = mHi_;
  vLo = vLo_;
  vHi = vHi_;
  logNorm = logNorm_;
  invVar = invVar_;
  theta = theta_;
  grad = grad_;
  data = data_;
  // params.ts's layout: W1 [H, dx], b1 [H], Wh [2dz, H], bh [2dz], W2 [H, dz], b2 [H], W3 [dx, H], b3 [dx].
  oW1 = 0;
  ob1 = oW1 + ((<usize>(H * dx)) << 3);
  oWh = ob1 + ((<usize>H) << 3);
  obh = oWh + ((<usize>(2 * dz * H)) << 3);
  oW2 = obh + ((<usize>(2 * dz)) << 3);
  ob2 = oW2 + ((<usize>(H * dz)) << 3);
  oW3 = ob2 + ((<usize>H) << 3);
  ob3 = oW3 + ((<usize>(dx * H)) << 3);
  let p = scratch_;
  dh1 = p; p += (<usize>align2(H)) << 3;
  gz = p; p += (<usize>align2(dz)) << 3;
  pre = p;
}

// kernel.ts's clipAndSlope (f(t) returned, f'(t) into `slope`), bit for bit, without the exponentials (and their
// log1p) that cannot change a bit of the result. With s = SOFT_CLIP_SHARPNESS
// (≥ 1), a = s(t − lo), b = s(t − hi), and fdExp, fdLog1p faithful (error below 1 ulp,
// as fdlibm's are), every value they may return gives the same bits:
//   - saturated branch (a > 40, b < −40), when also b < −60 and |t| ≥ 2⁻³⁰:
//     e = e^b ≤ e^{−60}(1 + 2⁻⁵²) < 2⁻⁵⁴, so 1 − e rounds to 1; and e/s < 2⁻⁸⁴ ≤ 2⁻⁵⁴|t|,
//     less than half the spacing of the doubles next to t (≥ 2⁻⁵³|t| on either
//     side), so t − e/s rounds to t: f = t, f' = 1 without the exponential;
//   - general branch, when b < −60 and b < a − 60: the upper corner's
//     e_b = e^{−|b|} = e^b, softplus 0 + log1p(e_b) ≤ e_b and sigmoid e_b/(1 + e_b) ≤ e_b,
//     all below half the spacing under the lower corner's softplus and sigmoid
//     (each ≥ min(½, e_a/2)(1 − 2⁻⁵²) with e_a = e^{−|a|}: log1p(x) ≥ x/2 and x/(1 + x) ≥ x/2 for x ≤ 1;
//     ≥ log 2 and ≥ ½ for a ≥ 0), since e^b ≤ e^{−60} max(1, e_a) ≪ 2⁻⁵⁵ min(1, e_a). Where e_b ≠ 0
//     (b ≥ −745.2), a ≥ −685, so e_a ≥ 2·10⁻²⁹⁸ is normal and that relative bound
//     holds (a subnormal e_b is off by at most 2⁻¹⁰⁷⁴, still far below). So
//     spa − spb = spa and sga − sgb = sga exactly: f = lo + spa/s, f' = sga.
// The hidden layer (range [0, 50], s = 5: b = a − 250) takes the second at every
// t < 38, halving its transcendental calls; the output layer (range [−50, 50])
// takes the first at every −42 < t < 38 with |t| ≥ 2⁻³⁰, its only exponential.
// Tested bitwise against clipAndSlope at both sides of every threshold
// (test/convergence/deep-vae-kernel-wasm.test.ts).
@inline function clip(t: f64, lo: f64, hi: f64): f64 {
  const s = sharp;
  const a = s * (t - lo);
  const b = s * (t - hi);
  if (a > 40 && b < -40) {
    if (b < -60 && abs<f64>(t) >= TWO_TO_MINUS_30) {
      slope = 1;
      return t;
    }
    const e = fdExp(b);
    slope = 1 - e;
    return t - e / s;
  }
  const ea = fdExp(-abs<f64>(a));
  const spa = (a > 0 ? a : 0) + fdLog1p(ea);
  const sga = a >= 0 ? 1 / (1 + ea) : ea / (1 + ea);
  if (b < -60 && b < a - 60) {
    slope = sga;
    return lo + spa / s;
  }
  const eb = fdExp(-abs<f64>(b));
  const spb = (b > 0 ? b : 0) + fdLog1p(eb);
  const sgb = b >= 0 ? 1 / (1 + eb) : eb / (1 + eb);
  slope = sga - sgb;
  return lo + (spa - spb) / s;
}

// The hidden layer's soft-clip four or two units at a time (clipHiddenSpan): clip(t, hLo, hHi)
// where every lane takes clip()'s lower-corner branch (the usual case: every unit below
// t = hLo + 8/s; range [0, 50], s = 5), its exponential and log1p those of fdlibm.as.ts
// (expNegAbs, log1pUnit: fdExp's and fdLog1p's operations lane by lane, inside ranges they
// check). Every other operation is clip()'s, lane by lane. Tested bitwise against kernel.ts's
// clipAndSlope on arrays mixing every branch (test/convergence/deep-vae-kernel-wasm.test.ts).

// a = s(t − hLo) for the f64x2 t.
@inline function hiddenA(t: v128): v128 {
  return f64x2.mul(f64x2.splat(sharp), f64x2.sub(t, f64x2.splat(hLo)));
}

// All ones in the lanes of t that take clip()'s lower-corner branch with |a| ≤ 700.
@inline function lowerLanes(t: v128, a: v128): v128 {
  const b = f64x2.mul(f64x2.splat(sharp), f64x2.sub(t, f64x2.splat(hHi)));
  const saturated = v128.and(f64x2.gt(a, f64x2.splat(40)), f64x2.lt(b, f64x2.splat(-40)));
  const lower = v128.andnot(v128.and(f64x2.lt(b, f64x2.splat(-60)), f64x2.lt(b, f64x2.sub(a, f64x2.splat(60)))), saturated);
  return v128.and(lower, f64x2.le(f64x2.abs(a), f64x2.splat(700)));
}

// clip()'s lower-corner branch from a, e = e^{−|a|}, u = 1 + e and l = log1p(e): f into p, f' into q.
@inline function storeLower(p: usize, q: usize, a: v128, e: v128, u: v128, l: v128): void {
  const zero = f64x2.splat(0);
  const spa = f64x2.add(v128.bitselect(a, zero, f64x2.gt(a, zero)), l);
  v128.store(q, f64x2.div(v128.bitselect(f64x2.splat(1.0), e, f64x2.ge(a, zero)), u));
  v128.store(p, f64x2.add(f64x2.splat(hLo), f64x2.div(spa, f64x2.splat(sharp))));
}

// clip(t, hLo, hHi) at out[h] (in place) and its slope into slopes[h], one value.
@inline function clipOne(out: usize, slopes: usize, o: usize): void {
  store<f64>(out + o, clip(load<f64>(out + o), hLo, hHi));
  store<f64>(slopes + o, slope);
}

// clip(t, hLo, hHi) over n values at `out` (in place), slopes into `slopes`. Four units at a
// time where all four take the lower-corner branch inside the ranges above (two f64x2 whose
// stages alternate, so that two chains of dependent operations are in flight), then two,
// one at a time otherwise.
function clipHiddenSpan(out: usize, slopes: usize, n: i32): void {
  let h = 0;
  for (; h + 3 < n; h += 4) {
    const o = (<usize>h) << 3;
    const t0 = v128.load(out + o);
    const t1 = v128.load(out + o + 16);
    const a0 = hiddenA(t0);
    const a1 = hiddenA(t1);
    if (i64x2.all_true(v128.and(lowerLanes(t0, a0), lowerLanes(t1, a1)))) {
      const e0 = expNegAbs(a0);
      const e1 = expNegAbs(a1);
      const u0 = f64x2.add(f64x2.splat(1.0), e0);
      const u1 = f64x2.add(f64x2.splat(1.0), e1);
      if (i64x2.all_true(v128.and(log1pLanes(e0, u0), log1pLanes(e1, u1)))) {
        const l0 = log1pUnit(e0, u0);
        const l1 = log1pUnit(e1, u1);
        storeLower(out + o, slopes + o, a0, e0, u0, l0);
        storeLower(out + o + 16, slopes + o + 16, a1, e1, u1, l1);
        continue;
      }
    }
    for (let j: usize = 0; j < 32; j += 8) clipOne(out, slopes, o + j);
  }
  for (; h + 1 < n; h += 2) {
    const o = (<usize>h) << 3;
    const t = v128.load(out + o);
    const a = hiddenA(t);
    if (i64x2.all_true(lowerLanes(t, a))) {
      const e = expNegAbs(a);
      const u = f64x2.add(f64x2.splat(1.0), e);
      if (i64x2.all_true(log1pLanes(e, u))) {
        storeLower(out + o, slopes + o, a, e, u, log1pUnit(e, u));
        continue;
      }
    }
    clipOne(out, slopes, o);
    clipOne(out, slopes, o + 8);
  }
  if (h < n) clipOne(out, slopes, (<usize>h) << 3);
}

/** clipHiddenSpan over n values at `out`, slopes at `slopes` (16-byte aligned addresses), for the tests. */
export function clipHidden(out: usize, slopes: usize, n: i32): void {
  clipHiddenSpan(out, slopes, n);
}

/** The port's exp, log1p and log, for the tests (which compare them with Math.exp, Math.log1p and Math.log). */
export function portExp(x: f64): f64 {
  return fdExp(x);
}

export function portLog1p(x: f64): f64 {
  return fdLog1p(x);
}

export function portLog(x: f64): f64 {
  return fdLog(x);
}

/** The mean (range 0) or log-variance (range 1) soft-clip at t, for the tests; its slope by lastSlope(). */
export function activation(t: f64, range: i32): f64 {
  return range == 0 ? clip(t, mLo, mHi) : clip(t, vLo, vHi);
}

export function lastSlope(): f64 {
  return slope;
}

@inline function actMean(t: f64): f64 {
  if (relu) {
    slope = 1;
    return t;
  }
  return clip(t, mLo, mHi);
}

@inline function actLogVar(t: f64): f64 {
  if (relu) {
    slope = 1;
    return t;
  }
  return clip(t, vLo, vHi);
}

// kernel.ts's dot2 over L values at a and b.
@inline function dot2(a: usize, b: usize, L: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 1 < L; i += 2) {
    const o = (<usize>i) << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s0 = f64x2.extract_lane(acc, 0);
  const s1 = f64x2.extract_lane(acc, 1);
  if (i < L) {
    const o = (<usize>i) << 3;
    s0 += load<f64>(a + o) * load<f64>(b + o);
  }
  return s0 + s1;
}

// out[r] = dot2(rows + r·L, x, L) for r < n (rows of a row-major matrix), four rows at a time.
function matVec(rows: usize, x: usize, L: i32, n: i32, out: usize): void {
  const stride = (<usize>L) << 3;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const w0 = rows + (<usize>r) * stride;
    const w1 = w0 + stride;
    const w2 = w1 + stride;
    const w3 = w2 + stride;
    let c0 = f64x2.splat(0);
    let c1 = f64x2.splat(0);
    let c2 = f64x2.splat(0);
    let c3 = f64x2.splat(0);
    let i = 0;
    for (; i + 1 < L; i += 2) {
      const o = (<usize>i) << 3;
      const v = v128.load(x + o);
      c0 = f64x2.add(c0, f64x2.mul(v128.load(w0 + o), v));
      c1 = f64x2.add(c1, f64x2.mul(v128.load(w1 + o), v));
      c2 = f64x2.add(c2, f64x2.mul(v128.load(w2 + o), v));
      c3 = f64x2.add(c3, f64x2.mul(v128.load(w3 + o), v));
    }
    let s0 = f64x2.extract_lane(c0, 0);
    let t0 = f64x2.extract_lane(c1, 0);
    let u0 = f64x2.extract_lane(c2, 0);
    let q0 = f64x2.extract_lane(c3, 0);
    if (i < L) {
      const o = (<usize>i) << 3;
      const v = load<f64>(x + o);
      s0 += load<f64>(w0 + o) * v;
      t0 += load<f64>(w1 + o) * v;
      u0 += load<f64>(w2 + o) * v;
      q0 += load<f64>(w3 + o) * v;
    }
    const ro = (<usize>r) << 3;
    store<f64>(out + ro, s0 + f64x2.extract_lane(c0, 1));
    store<f64>(out + ro, t0 + f64x2.extract_lane(c1, 1), 8);
    store<f64>(out + ro, u0 + f64x2.extract_lane(c2, 1), 16);
    store<f64>(out + ro, q0 + f64x2.extract_lane(c3, 1), 24);
  }
  for (; r < n; r++) store<f64>(out + ((<usize>r) << 3), dot2(rows + (<usize>r) * stride, x, L));
}

// One weight row's backward pass (kernel.ts's inner loop over a row: W2's and the heads'
// rows; the output layer's go through rowsBackSamples): g[i] += s·a[i] (the row's gradient) and acc[i] += w[i]·s (the input's).
@inline function rowBack(g: usize, w: usize, a: usize, acc: usize, s: f64, L: i32): void {
  const sv = f64x2.splat(s);
  let i = 0;
  for (; i + 1 < L; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(g + o, f64x2.add(v128.load(g + o), f64x2.mul(sv, v128.load(a + o))));
    v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(v128.load(w + o), sv)));
  }
  if (i < L) {
    const o = (<usize>i) << 3;
    store<f64>(g + o, load<f64>(g + o) + s * load<f64>(a + o));
    store<f64>(acc + o, load<f64>(acc + o) + load<f64>(w + o) * s);
  }
}

// rowBack for rows r < n of a row-major matrix w and its gradient g (row length L), with
// s_r = s[r], in row order. Four rows at a time: acc is loaded once and gets the four rows'
// terms in row order, as the row-by-row loop adds them (each lane's sequence unchanged).
function rowsBack(g: usize, w: usize, a: usize, acc: usize, s: usize, L: i32, n: i32): void {
  const stride = (<usize>L) << 3;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const so = (<usize>r) << 3;
    const s0 = load<f64>(s + so);
    const s1 = load<f64>(s + so, 8);
    const s2 = load<f64>(s + so, 16);
    const s3 = load<f64>(s + so, 24);
    const v0 = f64x2.splat(s0);
    const v1 = f64x2.splat(s1);
    const v2 = f64x2.splat(s2);
    const v3 = f64x2.splat(s3);
    const g0 = g + (<usize>r) * stride;
    const g1 = g0 + stride;
    const g2 = g1 + stride;
    const g3 = g2 + stride;
    const w0 = w + (<usize>r) * stride;
    const w1 = w0 + stride;
    const w2 = w1 + stride;
    const w3 = w2 + stride;
    let i = 0;
    for (; i + 1 < L; i += 2) {
      const o = (<usize>i) << 3;
      const av = v128.load(a + o);
      v128.store(g0 + o, f64x2.add(v128.load(g0 + o), f64x2.mul(v0, av)));
      v128.store(g1 + o, f64x2.add(v128.load(g1 + o), f64x2.mul(v1, av)));
      v128.store(g2 + o, f64x2.add(v128.load(g2 + o), f64x2.mul(v2, av)));
      v128.store(g3 + o, f64x2.add(v128.load(g3 + o), f64x2.mul(v3, av)));
      let c = v128.load(acc + o);
      c = f64x2.add(c, f64x2.mul(v128.load(w0 + o), v0));
      c = f64x2.add(c, f64x2.mul(v128.load(w1 + o), v1));
      c = f64x2.add(c, f64x2.mul(v128.load(w2 + o), v2));
      c = f64x2.add(c, f64x2.mul(v128.load(w3 + o), v3));
      v128.store(acc + o, c);
    }
    if (i < L) {
      const o = (<usize>i) << 3;
      const av = load<f64>(a + o);
      store<f64>(g0 + o, load<f64>(g0 + o) + s0 * av);
      store<f64>(g1 + o, load<f64>(g1 + o) + s1 * av);
      store<f64>(g2 + o, load<f64>(g2 + o) + s2 * av);
      store<f64>(g3 + o, load<f64>(g3 + o) + s3 * av);
      let c = load<f64>(acc + o);
      c = c + load<f64>(w0 + o) * s0;
      c = c + load<f64>(w1 + o) * s1;
      c = c + load<f64>(w2 + o) * s2;
      c = c + load<f64>(w3 + o) * s3;
      store<f64>(acc + o, c);
    }
  }
  for (; r < n; r++) rowBack(g + (<usize>r) * stride, w + (<usize>r) * stride, a, acc, load<f64>(s + ((<usize>r) << 3)), L);
}

@inline function zero(p: usize, n: i32): void {
  memory.fill(p, 0, (<usize>n) << 3);
}

// matVec for two inputs x0, x1 at once (out0, out1): each output is dot2 in its own fixed
// order, as matVec computes it; each weight load serves both inputs.
function matVecPair(rows: usize, x0: usize, x1: usize, L: i32, n: i32, out0: usize, out1: usize): void {
  const stride = (<usize>L) << 3;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const w0 = rows + (<usize>r) * stride;
    const w1 = w0 + stride;
    const w2 = w1 + stride;
    const w3 = w2 + stride;
    let c0 = f64x2.splat(0);
    let c1 = f64x2.splat(0);
    let c2 = f64x2.splat(0);
    let c3 = f64x2.splat(0);
    let e0 = f64x2.splat(0);
    let e1 = f64x2.splat(0);
    let e2 = f64x2.splat(0);
    let e3 = f64x2.splat(0);
    let i = 0;
    for (; i + 1 < L; i += 2) {
      const o = (<usize>i) << 3;
      const v = v128.load(x0 + o);
      const u = v128.load(x1 + o);
      const a0 = v128.load(w0 + o);
      const a1 = v128.load(w1 + o);
      const a2 = v128.load(w2 + o);
      const a3 = v128.load(w3 + o);
      c0 = f64x2.add(c0, f64x2.mul(a0, v));
      c1 = f64x2.add(c1, f64x2.mul(a1, v));
      c2 = f64x2.add(c2, f64x2.mul(a2, v));
      c3 = f64x2.add(c3, f64x2.mul(a3, v));
      e0 = f64x2.add(e0, f64x2.mul(a0, u));
      e1 = f64x2.add(e1, f64x2.mul(a1, u));
      e2 = f64x2.add(e2, f64x2.mul(a2, u));
      e3 = f64x2.add(e3, f64x2.mul(a3, u));
    }
    let s0 = f64x2.extract_lane(c0, 0);
    let t0 = f64x2.extract_lane(c1, 0);
    let u0 = f64x2.extract_lane(c2, 0);
    let q0 = f64x2.extract_lane(c3, 0);
    let s1 = f64x2.extract_lane(e0, 0);
    let t1 = f64x2.extract_lane(e1, 0);
    let u1 = f64x2.extract_lane(e2, 0);
    let q1 = f64x2.extract_lane(e3, 0);
    if (i < L) {
      const o = (<usize>i) << 3;
      const v = load<f64>(x0 + o);
      const u = load<f64>(x1 + o);
      s0 += load<f64>(w0 + o) * v;
      t0 += load<f64>(w1 + o) * v;
      u0 += load<f64>(w2 + o) * v;
      q0 += load<f64>(w3 + o) * v;
      s1 += load<f64>(w0 + o) * u;
      t1 += load<f64>(w1 + o) * u;
      u1 += load<f64>(w2 + o) * u;
      q1 += load<f64>(w3 + o) * u;
    }
    const ro = (<usize>r) << 3;
    store<f64>(out0 + ro, s0 + f64x2.extract_lane(c0, 1));
    store<f64>(out0 + ro, t0 + f64x2.extract_lane(c1, 1), 8);
    store<f64>(out0 + ro, u0 + f64x2.extract_lane(c2, 1), 16);
    store<f64>(out0 + ro, q0 + f64x2.extract_lane(c3, 1), 24);
    store<f64>(out1 + ro, s1 + f64x2.extract_lane(e0, 1));
    store<f64>(out1 + ro, t1 + f64x2.extract_lane(e1, 1), 8);
    store<f64>(out1 + ro, u1 + f64x2.extract_lane(e2, 1), 16);
    store<f64>(out1 + ro, q1 + f64x2.extract_lane(e3, 1), 24);
  }
  for (; r < n; r++) {
    const ro = (<usize>r) << 3;
    store<f64>(out0 + ro, dot2(rows + (<usize>r) * stride, x0, L));
    store<f64>(out1 + ro, dot2(rows + (<usize>r) * stride, x1, L));
  }
}

// out_r = matVec(rows, x_r, L, n) for `count` inputs x_r = x + r·xStride into out + r·outStride:
// two inputs at a time (matVecPair), an odd last one alone.
function matVecInputs(rows: usize, x: usize, xStride: usize, L: i32, n: i32, out: usize, outStride: usize, count: i32): void {
  let r = 0;
  for (; r + 1 < count; r += 2) matVecPair(rows, x + (<usize>r) * xStride, x + (<usize>(r + 1)) * xStride, L, n, out + (<usize>r) * outStride, out + (<usize>(r + 1)) * outStride);
  if (r < count) matVec(rows, x + (<usize>r) * xStride, L, n, out + (<usize>r) * outStride);
}

// The output layer's backward pass for every sample m < M at once (rowsBack's arithmetic):
// for rows r < n of w (row length L) with s_{m,r} = s[m·sStride + r],
// g_r[i] = +0 + Σ_m s_{m,r}·a_m[i] and acc_m[i] += w_r[i]·s_{m,r}, a_m = a + m·aStride,
// acc_m = acc + m·aStride. Every element gets its terms in kernel.ts's order: g_r[i] over the
// samples in order (g is only written: each sum starts at +0 in a register, as from kernel.ts's
// zeroed gradient), acc_m[i] over the rows in order (four at a time, as rowsBack adds them).
// The weight rows are read once for all samples instead of once each.
function rowsBackSamples(g: usize, w: usize, a: usize, acc: usize, aStride: usize, s: usize, sStride: usize, L: i32, n: i32, M: i32): void {
  const stride = (<usize>L) << 3;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const g0 = g + (<usize>r) * stride;
    const g1 = g0 + stride;
    const g2 = g1 + stride;
    const g3 = g2 + stride;
    const w0 = w + (<usize>r) * stride;
    const w1 = w0 + stride;
    const w2 = w1 + stride;
    const w3 = w2 + stride;
    const sr = s + ((<usize>r) << 3);
    let i = 0;
    for (; i + 1 < L; i += 2) {
      const o = (<usize>i) << 3;
      let q0 = f64x2.splat(0);
      let q1 = f64x2.splat(0);
      let q2 = f64x2.splat(0);
      let q3 = f64x2.splat(0);
      const x0 = v128.load(w0 + o);
      const x1 = v128.load(w1 + o);
      const x2 = v128.load(w2 + o);
      const x3 = v128.load(w3 + o);
      for (let m = 0; m < M; m++) {
        const sm = sr + (<usize>m) * sStride;
        const v0 = v128.load64_splat(sm);
        const v1 = v128.load64_splat(sm + 8);
        const v2 = v128.load64_splat(sm + 16);
        const v3 = v128.load64_splat(sm + 24);
        const am = (<usize>m) * aStride + o;
        const av = v128.load(a + am);
        q0 = f64x2.add(q0, f64x2.mul(v0, av));
        q1 = f64x2.add(q1, f64x2.mul(v1, av));
        q2 = f64x2.add(q2, f64x2.mul(v2, av));
        q3 = f64x2.add(q3, f64x2.mul(v3, av));
        let c = v128.load(acc + am);
        c = f64x2.add(c, f64x2.mul(x0, v0));
        c = f64x2.add(c, f64x2.mul(x1, v1));
        c = f64x2.add(c, f64x2.mul(x2, v2));
        c = f64x2.add(c, f64x2.mul(x3, v3));
        v128.store(acc + am, c);
      }
      v128.store(g0 + o, q0);
      v128.store(g1 + o, q1);
      v128.store(g2 + o, q2);
      v128.store(g3 + o, q3);
    }
    if (i < L) {
      const o = (<usize>i) << 3;
      let q0: f64 = 0;
      let q1: f64 = 0;
      let q2: f64 = 0;
      let q3: f64 = 0;
      for (let m = 0; m < M; m++) {
        const sm = sr + (<usize>m) * sStride;
        const s0 = load<f64>(sm);
        const s1 = load<f64>(sm, 8);
        const s2 = load<f64>(sm, 16);
        const s3 = load<f64>(sm, 24);
        const am = (<usize>m) * aStride + o;
        const av = load<f64>(a + am);
        q0 = q0 + s0 * av;
        q1 = q1 + s1 * av;
        q2 = q2 + s2 * av;
        q3 = q3 + s3 * av;
        let c = load<f64>(acc + am);
        c = c + load<f64>(w0 + o) * s0;
        c = c + load<f64>(w1 + o) * s1;
        c = c + load<f64>(w2 + o) * s2;
        c = c + load<f64>(w3 + o) * s3;
        store<f64>(acc + am, c);
      }
      store<f64>(g0 + o, q0);
      store<f64>(g1 + o, q1);
      store<f64>(g2 + o, q2);
      store<f64>(g3 + o, q3);
    }
  }
  // The last n mod 4 rows one at a time (rowBack's arithmetic), the samples in order.
  for (; r < n; r++) {
    const gr = g + (<usize>r) * stride;
    const wr = w + (<usize>r) * stride;
    const sr = s + ((<usize>r) << 3);
    let i = 0;
    for (; i + 1 < L; i += 2) {
      const o = (<usize>i) << 3;
      let q = f64x2.splat(0);
      const x = v128.load(wr + o);
      for (let m = 0; m < M; m++) {
        const sv = v128.load64_splat(sr + (<usize>m) * sStride);
        const am = (<usize>m) * aStride + o;
        q = f64x2.add(q, f64x2.mul(sv, v128.load(a + am)));
        v128.store(acc + am, f64x2.add(v128.load(acc + am), f64x2.mul(x, sv)));
      }
      v128.store(gr + o, q);
    }
    if (i < L) {
      const o = (<usize>i) << 3;
      let q: f64 = 0;
      for (let m = 0; m < M; m++) {
        const sm = load<f64>(sr + (<usize>m) * sStride);
        const am = (<usize>m) * aStride + o;
        q = q + sm * load<f64>(a + am);
        store<f64>(acc + am, load<f64>(acc + am) + load<f64>(wr + o) * sm);
      }
      store<f64>(gr + o, q);
    }
  }
}

// The first layer's weight gradient for every point i < B at once (kernel.ts's
// grad[wo + q] += dd * data[xo + q] for every point): g_r[q] = +0 + Σ_i s_{i,r}·x_i[q] for rows
// r < n (row length L), s_{i,r} = s[i·sStride + r], x_i at address load<u32>(xAt + 4i) (the
// point's data row). g is only written: each sum starts at +0 in a register, as from kernel.ts's
// zeroed gradient, and takes the points' terms in order. Four rows by four columns at a time
// (eight independent sums: the adds' latency hidden).
function rowsOuterPoints(g: usize, s: usize, sStride: usize, xAt: usize, L: i32, n: i32, B: i32): void {
  const stride = (<usize>L) << 3;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const g0 = g + (<usize>r) * stride;
    const g1 = g0 + stride;
    const g2 = g1 + stride;
    const g3 = g2 + stride;
    const sr = s + ((<usize>r) << 3);
    let q = 0;
    for (; q + 3 < L; q += 4) {
      const o = (<usize>q) << 3;
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let b0 = f64x2.splat(0);
      let b1 = f64x2.splat(0);
      let c0 = f64x2.splat(0);
      let c1 = f64x2.splat(0);
      let d0 = f64x2.splat(0);
      let d1 = f64x2.splat(0);
      for (let i = 0; i < B; i++) {
        const x = (<usize>load<u32>(xAt + ((<usize>i) << 2))) + o;
        const si = sr + (<usize>i) * sStride;
        const x0 = v128.load(x);
        const x1 = v128.load(x, 16);
        const v0 = v128.load64_splat(si);
        a0 = f64x2.add(a0, f64x2.mul(v0, x0));
        a1 = f64x2.add(a1, f64x2.mul(v0, x1));
        const v1 = v128.load64_splat(si + 8);
        b0 = f64x2.add(b0, f64x2.mul(v1, x0));
        b1 = f64x2.add(b1, f64x2.mul(v1, x1));
        const v2 = v128.load64_splat(si + 16);
        c0 = f64x2.add(c0, f64x2.mul(v2, x0));
        c1 = f64x2.add(c1, f64x2.mul(v2, x1));
        const v3 = v128.load64_splat(si + 24);
        d0 = f64x2.add(d0, f64x2.mul(v3, x0));
        d1 = f64x2.add(d1, f64x2.mul(v3, x1));
      }
      v128.store(g0 + o, a0);
      v128.store(g0 + o, a1, 16);
      v128.store(g1 + o, b0);
      v128.store(g1 + o, b1, 16);
      v128.store(g2 + o, c0);
      v128.store(g2 + o, c1, 16);
      v128.store(g3 + o, d0);
      v128.store(g3 + o, d1, 16);
    }
    for (; q < L; q++) {
      // The last L mod 4 columns one at a time (scalar: the same operations as a lane).
      const o = (<usize>q) << 3;
      let a0: f64 = 0;
      let b0: f64 = 0;
      let c0: f64 = 0;
      let d0: f64 = 0;
      for (let i = 0; i < B; i++) {
        const xs = load<f64>((<usize>load<u32>(xAt + ((<usize>i) << 2))) + o);
        const si = sr + (<usize>i) * sStride;
        a0 = a0 + load<f64>(si) * xs;
        b0 = b0 + load<f64>(si, 8) * xs;
        c0 = c0 + load<f64>(si, 16) * xs;
        d0 = d0 + load<f64>(si, 24) * xs;
      }
      store<f64>(g0 + o, a0);
      store<f64>(g1 + o, b0);
      store<f64>(g2 + o, c0);
      store<f64>(g3 + o, d0);
    }
  }
  for (; r < n; r++) {
    const g0 = g + (<usize>r) * stride;
    const sr = s + ((<usize>r) << 3);
    for (let q = 0; q < L; q++) {
      const o = (<usize>q) << 3;
      let a0: f64 = 0;
      for (let i = 0; i < B; i++) a0 = a0 + load<f64>(sr + (<usize>i) * sStride) * load<f64>((<usize>load<u32>(xAt + ((<usize>i) << 2))) + o);
      store<f64>(g0 + o, a0);
    }
  }
}

// The batch's arrays (setBatch): per point i (stride hs = align2(H) or z2s = align2(2dz)
// values) and per sample m = i·K + k. Rows padded to even lengths keep each row 16-byte aligned.
let hs: usize = 0; // bytes per H row
let z2s: usize = 0; // bytes per 2dz row
let zs: usize = 0; // bytes per dz row
let xs: usize = 0; // bytes per dx row (padded)
let A1: usize = 0; // [B, H]
let D1: usize = 0;
let DD1: usize = 0; // [B, H]: the first layer's ∂ (W1's row coefficients)
let HEAD: usize = 0; // [B, 2dz]
let DHEAD: usize = 0;
let GHEAD: usize = 0;
let SD: usize = 0; // [B, dz]
let Z: usize = 0; // [M, dz]
let A2: usize = 0; // [M, H]
let D2: usize = 0;
let DA2: usize = 0;
let PRE: usize = 0; // [M, dx]: the output layer's pre-activations, then its ∂
let XADDR: usize = 0; // [B] u32: each point's data row address

/** Bytes of the batch arrays for B points of K samples each. */
export function batchBytes(B: i32, K: i32): i32 {
  const M = B * K;
  const h = align2(H) << 3;
  return B * (3 * h + 3 * (align2(2 * dz) << 3) + (align2(dz) << 3)) + M * ((align2(dz) << 3) + 3 * h + (align2(dx) << 3)) + align2(B) * 4;
}

/** Lays the batch arrays out at `at` (batchBytes(B, K) bytes) for steps of B points of K samples. */
export function setBatch(B: i32, K: i32, at: usize): void {
  const M = B * K;
  hs = (<usize>align2(H)) << 3;
  z2s = (<usize>align2(2 * dz)) << 3;
  zs = (<usize>align2(dz)) << 3;
  xs = (<usize>align2(dx)) << 3;
  let p = at;
  A1 = p; p += (<usize>B) * hs;
  D1 = p; p += (<usize>B) * hs;
  DD1 = p; p += (<usize>B) * hs;
  HEAD = p; p += (<usize>B) * z2s;
  DHEAD = p; p += (<usize>B) * z2s;
  GHEAD = p; p += (<usize>B) * z2s;
  SD = p; p += (<usize>B) * zs;
  Z = p; p += (<usize>M) * zs;
  A2 = p; p += (<usize>M) * hs;
  D2 = p; p += (<usize>M) * hs;
  DA2 = p; p += (<usize>M) * hs;
  PRE = p; p += (<usize>M) * xs;
  XADDR = p;
}

// out_r[h] = f_h(bias[h] + out_r[h]) and slopes_r[h] = f_h'(…) for rows r < rows (stride hs):
// the hidden activations of a whole layer of the batch (JavaScript's soft-clip, or ReLU).
function hiddenRows(bias: usize, out: usize, slopes: usize, rows: i32): void {
  for (let r = 0; r < rows; r++) {
    const ro = (<usize>r) * hs;
    for (let h = 0; h < H; h++) {
      const ho = ro + ((<usize>h) << 3);
      store<f64>(out + ho, load<f64>(bias + ((<usize>h) << 3)) + load<f64>(out + ho));
    }
  }
  if (!relu) {
    for (let r = 0; r < rows; r++) {
      const ro = (<usize>r) * hs;
      clipHiddenSpan(out + ro, slopes + ro, H);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const ro = (<usize>r) * hs;
    for (let h = 0; h < H; h++) {
      const ho = ro + ((<usize>h) << 3);
      const t = load<f64>(out + ho);
      store<f64>(out + ho, t > 0 ? t : 0);
      store<f64>(slopes + ho, t > 0 ? 1 : 0);
    }
  }
}

/**
 * One replica's step on its draws: rows (B int32 row indices at `rowsAt`), noise (B·K·dz
 * f64 at `epsAt`), on the batch arrays of setBatch(B, K, ·). Writes the gradient (without a
 * falsifier's bias) at `grad`, returns the objective (without the bias term).
 *
 * kernel.ts's loop, reordered by layer: each layer runs for the whole batch (points, or
 * samples m = i·K + k, in order) before the next, so that its weights are read once per step
 * and not once per point. Nothing any result depends on changes order: every quantity of a
 * point or sample is computed by kernel.ts's expressions from that point's or sample's own
 * values; every gradient element and the two sums (recon, kl) get their terms in kernel.ts's
 * order (points, then samples, in order); each input gradient (da2, gz, dh1) its rows' terms
 * in row order. So the bits are kernel.ts's.
 */
export function step(B: i32, K: i32, beta: f64, relu_: i32, rowsAt: usize, epsAt: usize, P: i32): f64 {
  relu = relu_ != 0;
  // Every gradient block from +0 but W1's and W3's, which rowsOuterPoints and rowsBackSamples write
  // whole (their sums start at +0 in registers): 25k of the 27k entries at 196-64-8 not cleared first.
  zero(grad + ob1, <i32>((oW3 - ob1) >> 3));
  zero(grad + ob3, dx);
  const w: f64 = 1 / (<f64>(B * K));
  const M = B * K;
  const twoDz = 2 * dz;
  const th = theta;
  const gr = grad;
  const bB = beta / (<f64>B);
  // Each point's data row address, once a step (the encoder, the residuals and W1's gradient read it).
  for (let i = 0; i < B; i++) store<u32>(XADDR + ((<usize>i) << 2), <u32>(data + (<usize>(load<i32>(rowsAt + ((<usize>i) << 2)) * dx) << 3)));
  // Encoder hidden layer, every point: h1 = f_h(W1 x + b1), two points at a time.
  let i = 0;
  for (; i + 1 < B; i += 2) matVecPair(th + oW1, <usize>load<u32>(XADDR + ((<usize>i) << 2)), <usize>load<u32>(XADDR + ((<usize>(i + 1)) << 2)), dx, H, A1 + (<usize>i) * hs, A1 + (<usize>(i + 1)) * hs);
  if (i < B) matVec(th + oW1, <usize>load<u32>(XADDR + ((<usize>i) << 2)), dx, H, A1 + (<usize>i) * hs);
  hiddenRows(th + ob1, A1, D1, B);
  // The heads' dot products for every point, then point by point their activations, the KL and
  // its ascent gradient (GHEAD; kl sums in kernel.ts's order).
  matVecInputs(th + oWh, A1, hs, H, twoDz, HEAD, z2s, B);
  let kl: f64 = 0;
  for (i = 0; i < B; i++) {
    const head = HEAD + (<usize>i) * z2s;
    const dHead = DHEAD + (<usize>i) * z2s;
    const gHead = GHEAD + (<usize>i) * z2s;
    const sd = SD + (<usize>i) * zs;
    for (let j = 0; j < twoDz; j++) {
      const jo = (<usize>j) << 3;
      const t = load<f64>(th + obh + jo) + load<f64>(head + jo);
      const v = j < dz ? actMean(t) : actLogVar(t);
      store<f64>(head + jo, v);
      store<f64>(dHead + jo, slope);
    }
    for (let j = 0; j < dz; j++) {
      const jo = (<usize>j) << 3;
      const mu = load<f64>(head + jo);
      const lv = load<f64>(head + ((<usize>(dz + j)) << 3));
      const e = fdExp(lv);
      store<f64>(sd + jo, fdExp(0.5 * lv));
      kl += 0.5 * (e + mu * mu - 1 - lv);
      store<f64>(gHead + jo, -bB * mu);
      store<f64>(gHead + ((<usize>(dz + j)) << 3), -bB * 0.5 * (e - 1));
    }
  }
  // Every sample's z and decoder hidden layer: h2 = f_h(W2 z + b2).
  for (let m = 0; m < M; m++) {
    const pi = m / K;
    const head = HEAD + (<usize>pi) * z2s;
    const sd = SD + (<usize>pi) * zs;
    const eo = epsAt + ((<usize>(m * dz)) << 3);
    const z = Z + (<usize>m) * zs;
    for (let j = 0; j < dz; j++) {
      const jo = (<usize>j) << 3;
      store<f64>(z + jo, load<f64>(head + jo) + load<f64>(sd + jo) * load<f64>(eo + jo));
    }
    matVec(th + oW2, z, dz, H, A2 + (<usize>m) * hs);
  }
  hiddenRows(th + ob2, A2, D2, M);
  // Output pre-activations, two samples at a time.
  matVecInputs(th + oW3, A2, hs, H, dx, PRE, xs, M);
  // Output G = f_μ(W3 h2 + b3), pixel by pixel in kernel.ts's order (residual, sq, dd; b3's
  // gradient over the samples in order); recon over the samples in order.
  let recon: f64 = 0;
  for (let m = 0; m < M; m++) {
    const xo = <usize>load<u32>(XADDR + ((<usize>(m / K)) << 2));
    const pre = PRE + (<usize>m) * xs;
    let sq: f64 = 0;
    for (let q = 0; q < dx; q++) {
      const qo = (<usize>q) << 3;
      const g = actMean(load<f64>(th + ob3 + qo) + load<f64>(pre + qo));
      const r = load<f64>(xo + qo) - g;
      sq += r * r;
      const dd = w * r * invVar * slope;
      store<f64>(gr + ob3 + qo, load<f64>(gr + ob3 + qo) + dd);
      store<f64>(pre + qo, dd);
    }
    recon += w * (logNorm - 0.5 * invVar * sq);
  }
  // W3's gradient and every sample's da2 = W3ᵀ dd.
  zero(DA2, <i32>((<usize>M) * hs >> 3));
  rowsBackSamples(gr + oW3, th + oW3, A2, DA2, hs, PRE, xs, H, dx, M);
  // Decoder hidden layer backward, sample by sample; g_z = W2ᵀ ∂h2 into the point's GHEAD.
  for (let m = 0; m < M; m++) {
    const pi = m / K;
    const da2 = DA2 + (<usize>m) * hs;
    const d2 = D2 + (<usize>m) * hs;
    zero(gz, dz);
    for (let h = 0; h < H; h++) {
      const ho = (<usize>h) << 3;
      const dd = load<f64>(da2 + ho) * load<f64>(d2 + ho);
      store<f64>(gr + ob2 + ho, load<f64>(gr + ob2 + ho) + dd);
      store<f64>(pre + ho, dd);
    }
    rowsBack(gr + oW2, th + oW2, Z + (<usize>m) * zs, gz, pre, dz, H);
    const gHead = GHEAD + (<usize>pi) * z2s;
    const sd = SD + (<usize>pi) * zs;
    const eo = epsAt + ((<usize>(m * dz)) << 3);
    for (let j = 0; j < dz; j++) {
      const jo = (<usize>j) << 3;
      const gzj = load<f64>(gz + jo);
      store<f64>(gHead + jo, load<f64>(gHead + jo) + gzj);
      const lo = (<usize>(dz + j)) << 3;
      store<f64>(gHead + lo, load<f64>(gHead + lo) + gzj * 0.5 * load<f64>(sd + jo) * load<f64>(eo + jo));
    }
  }
  // Encoder backward, point by point: heads, then the hidden layer's ∂ (W1's row coefficients).
  for (i = 0; i < B; i++) {
    const gHead = GHEAD + (<usize>i) * z2s;
    const dHead = DHEAD + (<usize>i) * z2s;
    zero(dh1, H);
    for (let j = 0; j < twoDz; j++) {
      const jo = (<usize>j) << 3;
      const dd = load<f64>(gHead + jo) * load<f64>(dHead + jo);
      store<f64>(gr + obh + jo, load<f64>(gr + obh + jo) + dd);
      store<f64>(pre + jo, dd);
    }
    rowsBack(gr + oWh, th + oWh, A1 + (<usize>i) * hs, dh1, pre, H, twoDz);
    const d1 = D1 + (<usize>i) * hs;
    const dd1 = DD1 + (<usize>i) * hs;
    for (let h = 0; h < H; h++) {
      const ho = (<usize>h) << 3;
      const dd = load<f64>(dh1 + ho) * load<f64>(d1 + ho);
      store<f64>(gr + ob1 + ho, load<f64>(gr + ob1 + ho) + dd);
      store<f64>(dd1 + ho, dd);
    }
  }
  rowsOuterPoints(gr + oW1, DD1, hs, XADDR, dx, H, B);
  return recon - (beta / (<f64>B)) * kl;
}
