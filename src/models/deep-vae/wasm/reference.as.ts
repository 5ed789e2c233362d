// AssemblyScript source of deep-vae-reference.wasm: the float64 reference's deepElboDraws
// (src/models/deep-vae/reference.ts, the readable specification) with f64x2 SIMD, bit for
// bit. Compiled by `npm run build:wasm` (pinned assemblyscript);
// test/engine/wasm-kernel.test.ts checks the committed binary is this source's output and
// test/convergence/deep-vae-reference-wasm.test.ts that its values and gradients equal the
// JavaScript reference's bitwise. It shares nothing with the engine's kernel
// (kernel.as.ts), which the reference measures.
//
// Why the bits are reference.ts's:
//   - every dot product is reference.ts's sequential sum, bias first (t = b; t += w·x for
//     each term in index order), with a separate multiply and add (WebAssembly has no fused
//     multiply-add outside relaxed SIMD, which this module does not enable). The two lanes
//     of an f64x2 are two INDEPENDENT outputs (two units h, h + 1 of a layer, two outputs
//     i, i + 1 of the decoder, two latent coordinates j, j + 1), each summing its own terms
//     in reference.ts's order; lanes never split a sum;
//   - every gradient accumulator g[…] += term gets its terms in reference.ts's order: points
//     in order, within a point draws are separate buffers, within a draw samples in order
//     (the decoder's output loop takes the K samples of every draw at each output i, adding
//     sample 0's term before sample 1's to each element, as the JS loop over k does); the
//     weight gradients of W3 and W1 take a block of 4 points at a time (flushBlock), each
//     element's sum held in a register across the block's points, in order;
//   - where a loop's sums would wait on each other's adds (the encoder's 196-long dot
//     products, the decoder output's, the heads', g_z's), several independent outputs run
//     side by side, each still its own sequential sum;
//   - accumulators that start at 0 in reference.ts (da2, dh1, dzj, sq, rec, the values and
//     gradients) start at +0 here (0 + (−0) = +0, so the start matters);
//   - every scalar expression keeps reference.ts's order of operations;
//   - the activations (soft-clip, ReLU, identity), e^x and the KL run in JavaScript
//     (imports env.act, one call per layer of a point, and env.heads, one call per point:
//     reference-wasm.ts calls reference.ts's own activation functions and Math.exp), so
//     their bits are V8's, as in the JavaScript reference; except
//       - the decoder output's soft-clip where its one exponential cannot change a bit
//         (outputAct: f = t, f' = 1, proof in reference-wasm.ts), the usual case, whose other
//         values go to JavaScript one at a time (env.actAt);
//       - the hidden layers' soft-clip where it takes softClipWithDerivative's lower corner
//         alone (hiddenAct, the usual case), computed here four or two units at a time with
//         e^x and log1p from src/engine/wasm/fdlibm.as.ts (V8's fdlibm, ported bit for bit and
//         tested against Math.exp and Math.log1p); other units go to JavaScript (env.actAt).
// Memory is the JavaScript side's (imported); it passes every address (bytes).

import { expNegAbs, log1pLanes, log1pUnit } from '../../../engine/wasm/fdlibm.as';

// kind 0: the hidden activation, 1: the decoder's output (mean) activation, over `count`
// values at `at`: f in place, f' into `der`.
@external("env", "act") declare function jsAct(kind: i32, at: usize, der: usize, count: i32): void;
// One value's activation of kind `kind` (as jsAct), for the outputs the module cannot skip.
@external("env", "actAt") declare function jsActAt(kind: i32, at: usize, der: usize): void;
// The encoder heads of the current point (tm, tv → mu, mud, lv, lvd, sd) and its KL.
@external("env", "heads") declare function jsHeads(): f64;

// Dimensions and constants of the call, set by setup().
let dx: i32 = 0;
let H: i32 = 0;
let dz: i32 = 0;
let n: i32 = 0;
let J: i32 = 0;
let K: i32 = 0;
let S: i32 = 0; // J·K samples per point
let stride: i32 = 0;
let beta: f64 = 0;
let v: f64 = 0;
let logNorm: f64 = 0;
let P: i32 = 0;
// The decoder output's soft-clip (sharpness, range), when the module may skip its exponential (setMeanClip).
let meanClip: bool = false;
let sharp: f64 = 0;
let mLo: f64 = 0;
let mHi: f64 = 0;
const TWO_TO_MINUS_30: f64 = 9.313225746154785e-10;
// The hidden layers' soft-clip (sharpness, range), when the module computes it (setHiddenClip).
let hiddenClip: bool = false;
let hSharp: f64 = 0;
let hLo: f64 = 0;
let hHi: f64 = 0;
// Addresses of the call's inputs and outputs.
let theta: usize = 0;
let xData: usize = 0;
let eps: usize = 0; // draw d's noise at eps + d·epsBytes
let epsBytes: usize = 0;
let grads: usize = 0; // draw d's gradient at grads + d·P·8
let values: usize = 0;
// Parameter block offsets (bytes from theta / a gradient), DEEP_VAE_PARAM_NAMES order.
let oW1: usize = 0;
let ob1: usize = 0;
let oWm: usize = 0;
let oWv: usize = 0;
let obm: usize = 0;
let obv: usize = 0;
let oW2: usize = 0;
let ob2: usize = 0;
let oW3: usize = 0;
let ob3: usize = 0;
// Scratch (addresses).
let W1T: usize = 0; // [dx, H]
let W2T: usize = 0; // [dz, H]
let W3T: usize = 0; // [H, dx]
let h1: usize = 0; // [H]
let h1d: usize = 0;
let tm: usize = 0; // [dz]
let tv: usize = 0;
let mu: usize = 0;
let mud: usize = 0;
let lv: usize = 0;
let lvd: usize = 0;
let sd: usize = 0;
let zs: usize = 0; // [S, dz]
// The current point's h2 and dd (set per point: its slot of h2Block and ddBlock).
let h2: usize = 0; // [S, H]
let h2d: usize = 0;
let da2: usize = 0;
let outv: usize = 0; // [S, dx]
let outd: usize = 0;
let dd: usize = 0; // [S, dx]
let sq: usize = 0; // [S]
let dmu: usize = 0; // [J, dz]
let dlv: usize = 0;
let dzAcc: usize = 0; // [dz]
let dh1: usize = 0; // [H]
// The weight gradients of W3 and W1 are added for BLOCK points at a time (flushBlock): the
// block's h2, dd and W1 row coefficients t[d, h] = dh1[h]·f'(h1[h]) wait in these slots.
const BLOCK: i32 = 4;
let h2Block: usize = 0; // [BLOCK, S, H]
let ddBlock: usize = 0; // [BLOCK, S, dx]
let tBlock: usize = 0; // [BLOCK, J, H]
let scratchEnd: usize = 0;

@inline function a16(b: usize): usize {
  return (b + 15) & ~(<usize>15);
}

@inline function f8(i: i32): usize {
  return (<usize>i) << 3;
}

/**
 * Lays out one call (dims, sample counts, constants, the inputs' addresses) and its scratch
 * from `scratch`; returns the scratch's end (the JavaScript side grows memory to it and
 * then calls run()).
 */
export function setup(dx_: i32, H_: i32, dz_: i32, n_: i32, J_: i32, K_: i32, stride_: i32, beta_: f64, v_: f64, logNorm_: f64, theta_: usize, x_: usize, eps_: usize, epsBytes_: usize, grads_: usize, values_: usize, scratch: usize): usize {
  dx = dx_;
  H = H_;
  dz = dz_;
  n = n_;
  J = J_;
  K = K_;
  S = J_ * K_;
  stride = stride_;
  beta = beta_;
  v = v_;
  logNorm = logNorm_;
  theta = theta_;
  xData = x_;
  eps = eps_;
  epsBytes = epsBytes_;
  grads = grads_;
  values = values_;
  // params.ts's layout: W1 [H, dx], b1 [H], Wm [dz, H], Wv [dz, H], bm [dz], bv [dz], W2 [H, dz], b2 [H], W3 [dx, H], b3 [dx].
  oW1 = 0;
  ob1 = oW1 + f8(H * dx);
  oWm = ob1 + f8(H);
  oWv = oWm + f8(dz * H);
  obm = oWv + f8(dz * H);
  obv = obm + f8(dz);
  oW2 = obv + f8(dz);
  ob2 = oW2 + f8(H * dz);
  oW3 = ob2 + f8(H);
  ob3 = oW3 + f8(dx * H);
  P = <i32>((ob3 + f8(dx)) >> 3);
  let p = a16(scratch);
  W1T = p; p = a16(p + f8(dx * H));
  W2T = p; p = a16(p + f8(dz * H));
  W3T = p; p = a16(p + f8(H * dx));
  h1 = p; p = a16(p + f8(H));
  h1d = p; p = a16(p + f8(H));
  tm = p; p = a16(p + f8(dz));
  tv = p; p = a16(p + f8(dz));
  mu = p; p = a16(p + f8(dz));
  mud = p; p = a16(p + f8(dz));
  lv = p; p = a16(p + f8(dz));
  lvd = p; p = a16(p + f8(dz));
  sd = p; p = a16(p + f8(dz));
  zs = p; p = a16(p + f8(S * dz));
  h2Block = p; p = a16(p + f8(BLOCK * S * H));
  h2d = p; p = a16(p + f8(S * H));
  da2 = p; p = a16(p + f8(S * H));
  outv = p; p = a16(p + f8(S * dx));
  outd = p; p = a16(p + f8(S * dx));
  ddBlock = p; p = a16(p + f8(BLOCK * S * dx));
  sq = p; p = a16(p + f8(S));
  dmu = p; p = a16(p + f8(J * dz));
  dlv = p; p = a16(p + f8(J * dz));
  dzAcc = p; p = a16(p + f8(dz));
  dh1 = p; p = a16(p + f8(H));
  tBlock = p; p = a16(p + f8(BLOCK * J * H));
  scratchEnd = p;
  return p;
}

/**
 * Whether the decoder output's activation is soft-clip.ts's softClipWithDerivative with
 * sharpness s on [lo, hi] (1), whose exponential the module skips where no faithful value
 * of it can change a bit (outputAct, proof in reference-wasm.ts), or another (0: all in JavaScript).
 */
export function setMeanClip(on: i32, s: f64, lo: f64, hi: f64): void {
  meanClip = on != 0;
  sharp = s;
  mLo = lo;
  mHi = hi;
}

// The decoder output's activation of every sample: softClipWithDerivative's saturated branch
// (a1 > 40, a2 < −40) returns f = t, f' = 1 whatever e^{a2} is when also a2 < −60 and
// |t| ≥ 2⁻³⁰ (a1, a2 computed as soft-clip.ts does; proof in reference-wasm.ts); every
// other value goes to JavaScript.
function outputAct(): void {
  const count = S * dx;
  if (!meanClip) {
    jsAct(1, outv, outd, count);
    return;
  }
  for (let q = 0; q < count; q++) {
    const at = outv + f8(q);
    if (skipOutput(load<f64>(at))) store<f64>(outd + f8(q), 1);
    else jsActAt(1, at, outd + f8(q));
  }
}

/**
 * Whether the hidden activation is soft-clip.ts's softClipWithDerivative with sharpness s on
 * [lo, hi] (1), computed here where it takes the lower corner alone (hiddenAct), or another
 * (0: all in JavaScript).
 */
export function setHiddenClip(on: i32, s: f64, lo: f64, hi: f64): void {
  hiddenClip = on != 0;
  hSharp = s;
  hLo = lo;
  hHi = hi;
}

// a1 = s(t − lo) for the f64x2 t, as softClipWithDerivative computes it.
@inline function hiddenA1(t: v128): v128 {
  return f64x2.mul(f64x2.splat(hSharp), f64x2.sub(t, f64x2.splat(hLo)));
}

// All ones in the lanes of t where softClipWithDerivative takes neither its saturated branch
// (a1 > 40 and a2 < −40) nor the upper corner (it skips it: a2 < −60 and a2 < a1 − 60), and
// its lower corner is one of the cases below (−700 ≤ a1 ≤ 40: a1 > 40 is not).
@inline function lowerCornerLanes(t: v128, a1: v128): v128 {
  const a2 = f64x2.mul(f64x2.splat(hSharp), f64x2.sub(t, f64x2.splat(hHi)));
  const saturated = v128.and(f64x2.gt(a1, f64x2.splat(40)), f64x2.lt(a2, f64x2.splat(-40)));
  const upperSkipped = v128.and(f64x2.lt(a2, f64x2.splat(-60)), f64x2.lt(a2, f64x2.sub(a1, f64x2.splat(60))));
  const inRange = v128.and(f64x2.le(a1, f64x2.splat(40)), f64x2.ge(a1, f64x2.splat(-700)));
  return v128.and(v128.andnot(upperSkipped, saturated), inRange);
}

// softClipWithDerivative's lower corner from a1, e = e^{−|a1|} (Math.exp(−a1) for a1 ≥ 0,
// Math.exp(a1) below), u = 1 + e and l = log1p(e): sp1 = a1 + l (a1 ≥ 0), l (a1 < 0) or e
// (a1 < −40); sg1 = 1/u, e/u or e; f = lo + (sp1 − 0)/s into p, f' = sg1 − 0 into q (the
// skipped upper corner's 0, as there).
@inline function storeLowerCorner(p: usize, q: usize, a1: v128, e: v128, u: v128, l: v128): void {
  const zero = f64x2.splat(0);
  const nonNegative = f64x2.ge(a1, zero);
  const far = f64x2.lt(a1, f64x2.splat(-40));
  const sp1 = v128.bitselect(e, v128.bitselect(f64x2.add(a1, l), l, nonNegative), far);
  const sg1 = v128.bitselect(e, f64x2.div(v128.bitselect(f64x2.splat(1.0), e, nonNegative), u), far);
  v128.store(p, f64x2.add(f64x2.splat(hLo), f64x2.div(f64x2.sub(sp1, zero), f64x2.splat(hSharp))));
  v128.store(q, f64x2.sub(sg1, zero));
}

// The hidden activation over `count` values at `at` (f in place, f' into `der`): with the
// soft-clip on (setHiddenClip), four units at a time where all four take the lower corner
// alone (two f64x2 whose stages alternate, two chains of dependent operations in flight), then
// two; every other unit through JavaScript's softClipWithDerivative (env.actAt). Otherwise the
// whole layer in JavaScript (env.act). Tested bitwise against the JavaScript reference with
// pre-activations across every threshold (test/convergence/deep-vae-reference-wasm.test.ts).
function hiddenAct(at: usize, der: usize, count: i32): void {
  if (!hiddenClip) {
    jsAct(0, at, der, count);
    return;
  }
  let q = 0;
  for (; q + 3 < count; q += 4) {
    const o = f8(q);
    const t0 = v128.load(at + o);
    const t1 = v128.load(at + o + 16);
    const a0 = hiddenA1(t0);
    const a1 = hiddenA1(t1);
    if (i64x2.all_true(v128.and(lowerCornerLanes(t0, a0), lowerCornerLanes(t1, a1)))) {
      const e0 = expNegAbs(a0);
      const e1 = expNegAbs(a1);
      const u0 = f64x2.add(f64x2.splat(1.0), e0);
      const u1 = f64x2.add(f64x2.splat(1.0), e1);
      if (i64x2.all_true(v128.and(log1pLanes(e0, u0), log1pLanes(e1, u1)))) {
        const l0 = log1pUnit(e0, u0);
        const l1 = log1pUnit(e1, u1);
        storeLowerCorner(at + o, der + o, a0, e0, u0, l0);
        storeLowerCorner(at + o + 16, der + o + 16, a1, e1, u1, l1);
        continue;
      }
    }
    for (let j: usize = 0; j < 32; j += 8) jsActAt(0, at + o + j, der + o + j);
  }
  for (; q + 1 < count; q += 2) {
    const o = f8(q);
    const t = v128.load(at + o);
    const a = hiddenA1(t);
    if (i64x2.all_true(lowerCornerLanes(t, a))) {
      const e = expNegAbs(a);
      const u = f64x2.add(f64x2.splat(1.0), e);
      if (i64x2.all_true(log1pLanes(e, u))) {
        storeLowerCorner(at + o, der + o, a, e, u, log1pUnit(e, u));
        continue;
      }
    }
    jsActAt(0, at + o, der + o);
    jsActAt(0, at + o + 8, der + o + 8);
  }
  if (q < count) jsActAt(0, at + f8(q), der + f8(q));
}

@inline function skipOutput(t: f64): bool {
  const a1 = sharp * (t - mLo);
  const a2 = sharp * (t - mHi);
  return a1 > 40 && a2 < -60 && abs<f64>(t) >= TWO_TO_MINUS_30;
}

/** Whether outputAct skips the decoder output's activation at t (for the tests). */
export function outputSkipped(t: f64): i32 {
  return skipOutput(t) ? 1 : 0;
}

/** Addresses the JavaScript side's heads() reads and writes: 0 tm, 1 tv, 2 mu, 3 mud, 4 lv, 5 lvd, 6 sd. */
export function headArray(which: i32): usize {
  return which == 0 ? tm : which == 1 ? tv : which == 2 ? mu : which == 3 ? mud : which == 4 ? lv : which == 5 ? lvd : sd;
}

// dst[c·rows + r] = src[r·cols + c]: a row-major [rows, cols] matrix transposed.
function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f64>(dst + f8(c * rows + r), load<f64>(src + f8(r * cols + c)));
  }
}

// out[u] = bias[u] + Σ_{k<L} WT[k·U + u]·in[k] (k in order), for u < U: outputs in lanes.
function layer(bias: usize, WT: usize, input: usize, L: i32, U: i32, out: usize): void {
  let u = 0;
  // Eight outputs (four independent sums) at a time: each sum's adds wait on its previous one,
  // so two sums left the adder idle most of the time on the encoder's 196-long inputs.
  for (; u + 7 < U; u += 8) {
    let a0 = v128.load(bias + f8(u));
    let a1 = v128.load(bias + f8(u + 2));
    let a2 = v128.load(bias + f8(u + 4));
    let a3 = v128.load(bias + f8(u + 6));
    let w = WT + f8(u);
    const rowBytes = f8(U);
    for (let k = 0; k < L; k++) {
      const xv = v128.load64_splat(input + f8(k));
      a0 = f64x2.add(a0, f64x2.mul(v128.load(w), xv));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(w, 16), xv));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(w, 32), xv));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(w, 48), xv));
      w += rowBytes;
    }
    v128.store(out + f8(u), a0);
    v128.store(out + f8(u + 2), a1);
    v128.store(out + f8(u + 4), a2);
    v128.store(out + f8(u + 6), a3);
  }
  for (; u + 3 < U; u += 4) {
    let a0 = v128.load(bias + f8(u));
    let a1 = v128.load(bias + f8(u + 2));
    for (let k = 0; k < L; k++) {
      const xv = f64x2.splat(load<f64>(input + f8(k)));
      const w = WT + f8(k * U + u);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(w), xv));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(w, 16), xv));
    }
    v128.store(out + f8(u), a0);
    v128.store(out + f8(u + 2), a1);
  }
  for (; u + 1 < U; u += 2) {
    let a0 = v128.load(bias + f8(u));
    for (let k = 0; k < L; k++) a0 = f64x2.add(a0, f64x2.mul(v128.load(WT + f8(k * U + u)), f64x2.splat(load<f64>(input + f8(k)))));
    v128.store(out + f8(u), a0);
  }
  if (u < U) {
    let t = load<f64>(bias + f8(u));
    for (let k = 0; k < L; k++) t += load<f64>(WT + f8(k * U + u)) * load<f64>(input + f8(k));
    store<f64>(out + f8(u), t);
  }
}

// g[u] += c·y[u] for u < L (reference.ts's g[go + u] += dd * y[u]).
@inline function axpy(g: usize, c: f64, y: usize, L: i32): void {
  const cv = f64x2.splat(c);
  let u = 0;
  for (; u + 1 < L; u += 2) v128.store(g + f8(u), f64x2.add(v128.load(g + f8(u)), f64x2.mul(cv, v128.load(y + f8(u)))));
  if (u < L) store<f64>(g + f8(u), load<f64>(g + f8(u)) + c * load<f64>(y + f8(u)));
}

// The decoder output's pre-activations of every sample: outv[s·dx + i] = b3[i] + Σ_h W3[i, h]·h2[s·H + h].
function decoderOutput(): void {
  const b3 = theta + ob3;
  let i = 0;
  // Four outputs by four samples at a time (eight independent sums), while there are four samples.
  if (S >= 4) {
    for (; i + 3 < dx; i += 4) {
      const b = v128.load(b3 + f8(i));
      const c = v128.load(b3 + f8(i + 2));
      let s = 0;
      for (; s + 3 < S; s += 4) {
        let a0 = b;
        let a1 = b;
        let a2 = b;
        let a3 = b;
        let e0 = c;
        let e1 = c;
        let e2 = c;
        let e3 = c;
        const p0 = h2 + f8(s * H);
        const p1 = p0 + f8(H);
        const p2 = p1 + f8(H);
        const p3 = p2 + f8(H);
        let wp = W3T + f8(i);
        const rowBytes = f8(dx);
        for (let h = 0; h < H; h++) {
          const w = v128.load(wp);
          const v = v128.load(wp, 16);
          const o = f8(h);
          const x0 = v128.load64_splat(p0 + o);
          const x1 = v128.load64_splat(p1 + o);
          const x2 = v128.load64_splat(p2 + o);
          const x3 = v128.load64_splat(p3 + o);
          a0 = f64x2.add(a0, f64x2.mul(w, x0));
          a1 = f64x2.add(a1, f64x2.mul(w, x1));
          a2 = f64x2.add(a2, f64x2.mul(w, x2));
          a3 = f64x2.add(a3, f64x2.mul(w, x3));
          e0 = f64x2.add(e0, f64x2.mul(v, x0));
          e1 = f64x2.add(e1, f64x2.mul(v, x1));
          e2 = f64x2.add(e2, f64x2.mul(v, x2));
          e3 = f64x2.add(e3, f64x2.mul(v, x3));
          wp += rowBytes;
        }
        v128.store(outv + f8(s * dx + i), a0);
        v128.store(outv + f8((s + 1) * dx + i), a1);
        v128.store(outv + f8((s + 2) * dx + i), a2);
        v128.store(outv + f8((s + 3) * dx + i), a3);
        v128.store(outv + f8(s * dx + i + 2), e0);
        v128.store(outv + f8((s + 1) * dx + i + 2), e1);
        v128.store(outv + f8((s + 2) * dx + i + 2), e2);
        v128.store(outv + f8((s + 3) * dx + i + 2), e3);
      }
      for (; s < S; s++) {
        let a0 = b;
        let e0 = c;
        const p0 = h2 + f8(s * H);
        for (let h = 0; h < H; h++) {
          const x0 = f64x2.splat(load<f64>(p0 + f8(h)));
          a0 = f64x2.add(a0, f64x2.mul(v128.load(W3T + f8(h * dx + i)), x0));
          e0 = f64x2.add(e0, f64x2.mul(v128.load(W3T + f8(h * dx + i + 2)), x0));
        }
        v128.store(outv + f8(s * dx + i), a0);
        v128.store(outv + f8(s * dx + i + 2), e0);
      }
    }
  }
  for (; i + 1 < dx; i += 2) {
    const b = v128.load(b3 + f8(i));
    let s = 0;
    for (; s + 3 < S; s += 4) {
      let a0 = b;
      let a1 = b;
      let a2 = b;
      let a3 = b;
      const p0 = h2 + f8(s * H);
      const p1 = p0 + f8(H);
      const p2 = p1 + f8(H);
      const p3 = p2 + f8(H);
      for (let h = 0; h < H; h++) {
        const w = v128.load(W3T + f8(h * dx + i));
        const o = f8(h);
        a0 = f64x2.add(a0, f64x2.mul(w, f64x2.splat(load<f64>(p0 + o))));
        a1 = f64x2.add(a1, f64x2.mul(w, f64x2.splat(load<f64>(p1 + o))));
        a2 = f64x2.add(a2, f64x2.mul(w, f64x2.splat(load<f64>(p2 + o))));
        a3 = f64x2.add(a3, f64x2.mul(w, f64x2.splat(load<f64>(p3 + o))));
      }
      v128.store(outv + f8(s * dx + i), a0);
      v128.store(outv + f8((s + 1) * dx + i), a1);
      v128.store(outv + f8((s + 2) * dx + i), a2);
      v128.store(outv + f8((s + 3) * dx + i), a3);
    }
    for (; s < S; s++) {
      let a0 = b;
      const p0 = h2 + f8(s * H);
      for (let h = 0; h < H; h++) a0 = f64x2.add(a0, f64x2.mul(v128.load(W3T + f8(h * dx + i)), f64x2.splat(load<f64>(p0 + f8(h)))));
      v128.store(outv + f8(s * dx + i), a0);
    }
  }
  if (i < dx) {
    const w = theta + oW3 + f8(i * H);
    for (let s = 0; s < S; s++) {
      let t = load<f64>(b3 + f8(i));
      const p0 = h2 + f8(s * H);
      for (let h = 0; h < H; h++) t += load<f64>(w + f8(h)) * load<f64>(p0 + f8(h));
      store<f64>(outv + f8(s * dx + i), t);
    }
  }
}

// da2[s·H + h] = 0 + Σ_i W3[i, h]·dd[s·dx + i] (i in order) for every sample: two units h, h + 1
// in lanes, four samples side by side (register accumulators), then the leftovers.
function decoderHiddenGradient(): void {
  const W3 = theta + oW3;
  const rowBytes = f8(H);
  let h = 0;
  for (; h + 3 < H; h += 4) {
    let s = 0;
    for (; s + 3 < S; s += 4) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      let b0 = f64x2.splat(0);
      let b1 = f64x2.splat(0);
      let b2 = f64x2.splat(0);
      let b3 = f64x2.splat(0);
      let w = W3 + f8(h);
      let q = dd + f8(s * dx);
      const dxBytes = f8(dx);
      for (let i = 0; i < dx; i++) {
        const wa = v128.load(w);
        const wb = v128.load(w, 16);
        const c0 = f64x2.splat(load<f64>(q));
        const c1 = f64x2.splat(load<f64>(q + dxBytes));
        const c2 = f64x2.splat(load<f64>(q + 2 * dxBytes));
        const c3 = f64x2.splat(load<f64>(q + 3 * dxBytes));
        a0 = f64x2.add(a0, f64x2.mul(wa, c0));
        b0 = f64x2.add(b0, f64x2.mul(wb, c0));
        a1 = f64x2.add(a1, f64x2.mul(wa, c1));
        b1 = f64x2.add(b1, f64x2.mul(wb, c1));
        a2 = f64x2.add(a2, f64x2.mul(wa, c2));
        b2 = f64x2.add(b2, f64x2.mul(wb, c2));
        a3 = f64x2.add(a3, f64x2.mul(wa, c3));
        b3 = f64x2.add(b3, f64x2.mul(wb, c3));
        w += rowBytes;
        q += 8;
      }
      const o = da2 + f8(s * H + h);
      v128.store(o, a0);
      v128.store(o, b0, 16);
      v128.store(o + rowBytes, a1);
      v128.store(o + rowBytes, b1, 16);
      v128.store(o + 2 * rowBytes, a2);
      v128.store(o + 2 * rowBytes, b2, 16);
      v128.store(o + 3 * rowBytes, a3);
      v128.store(o + 3 * rowBytes, b3, 16);
    }
    for (; s < S; s++) {
      let a0 = f64x2.splat(0);
      let b0 = f64x2.splat(0);
      for (let i = 0; i < dx; i++) {
        const w = W3 + f8(i * H + h);
        const c0 = f64x2.splat(load<f64>(dd + f8(s * dx + i)));
        a0 = f64x2.add(a0, f64x2.mul(v128.load(w), c0));
        b0 = f64x2.add(b0, f64x2.mul(v128.load(w, 16), c0));
      }
      const o = da2 + f8(s * H + h);
      v128.store(o, a0);
      v128.store(o, b0, 16);
    }
  }
  for (; h + 1 < H; h += 2) {
    for (let s = 0; s < S; s++) {
      let a0 = f64x2.splat(0);
      for (let i = 0; i < dx; i++) a0 = f64x2.add(a0, f64x2.mul(v128.load(W3 + f8(i * H + h)), f64x2.splat(load<f64>(dd + f8(s * dx + i)))));
      v128.store(da2 + f8(s * H + h), a0);
    }
  }
  if (h < H) {
    for (let s = 0; s < S; s++) {
      let t: f64 = 0;
      for (let i = 0; i < dx; i++) t += load<f64>(W3 + f8(i * H + h)) * load<f64>(dd + f8(s * dx + i));
      store<f64>(da2 + f8(s * H + h), t);
    }
  }
}

// Rows `row` and `row1`, eight entries each from byte offset o: row += Σ_t c_t·y_t and
// row1 += Σ_t e_t·y_t over the terms t = (b, k), b < nOut, k < nIn, in that order, with
// c_t at cAt + b·cOut + k·cIn, e_t 8 bytes after it, and y_t's eight values at
// yAt + b·yOut + k·yIn + o. Each entry's sum is held in a register (eight independent sums),
// each y load serves both rows. flushBlock's W3 (terms: points, then the draw's samples) and
// W1 (terms: points) gradients.
@inline function addTwoRowsOfEight(row: usize, row1: usize, o: usize, cAt: usize, cOut: usize, cIn: usize, yAt: usize, yOut: usize, yIn: usize, nOut: i32, nIn: i32): void {
  let a0 = v128.load(row + o);
  let a1 = v128.load(row + o, 16);
  let a2 = v128.load(row + o, 32);
  let a3 = v128.load(row + o, 48);
  let b0 = v128.load(row1 + o);
  let b1 = v128.load(row1 + o, 16);
  let b2 = v128.load(row1 + o, 32);
  let b3 = v128.load(row1 + o, 48);
  let cb = cAt;
  let yb = yAt + o;
  for (let b = 0; b < nOut; b++) {
    let ca = cb;
    let y = yb;
    for (let k = 0; k < nIn; k++) {
      const c = v128.load64_splat(ca);
      const e = v128.load64_splat(ca + 8);
      const y0 = v128.load(y);
      const y1 = v128.load(y, 16);
      const y2 = v128.load(y, 32);
      const y3 = v128.load(y, 48);
      a0 = f64x2.add(a0, f64x2.mul(c, y0));
      a1 = f64x2.add(a1, f64x2.mul(c, y1));
      a2 = f64x2.add(a2, f64x2.mul(c, y2));
      a3 = f64x2.add(a3, f64x2.mul(c, y3));
      b0 = f64x2.add(b0, f64x2.mul(e, y0));
      b1 = f64x2.add(b1, f64x2.mul(e, y1));
      b2 = f64x2.add(b2, f64x2.mul(e, y2));
      b3 = f64x2.add(b3, f64x2.mul(e, y3));
      ca += cIn;
      y += yIn;
    }
    cb += cOut;
    yb += yOut;
  }
  v128.store(row + o, a0);
  v128.store(row + o, a1, 16);
  v128.store(row + o, a2, 32);
  v128.store(row + o, a3, 48);
  v128.store(row1 + o, b0);
  v128.store(row1 + o, b1, 16);
  v128.store(row1 + o, b2, 32);
  v128.store(row1 + o, b3, 48);
}

// The weight gradients of W3 and W1 for the `count` points of a block starting at point
// `first` (slots 0…count − 1), each element's terms in reference.ts's order: points in order,
// within a point the draw's samples k in order (W3: g[i·H + h] += dd[s·dx + i]·h2[s·H + h],
// s = d·K + k; W1: g[h·dx + q] += t[d, h]·x[q]). An element's sum is held in a register
// across the block instead of loaded and stored once per point: the same additions in the
// same order, so the same bits, with the 100-kB gradient rows read and written once per
// block. Eight elements at a time (four f64x2), then pairs, then an odd last one.
function flushBlock(first: i32, count: i32): void {
  const P8 = f8(P);
  const SH = f8(S * H);
  const Sdx = f8(S * dx);
  for (let d = 0; d < J; d++) {
    const g = grads + (<usize>d) * P8 + oW3;
    let i = 0;
    // Two rows at a time where H is a multiple of 8: each h2 load serves both rows.
    if ((H & 7) == 0) {
      for (; i + 1 < dx; i += 2) {
        const row = g + f8(i * H);
        const row1 = row + f8(H);
        for (let h = 0; h < H; h += 8) addTwoRowsOfEight(row, row1, f8(h), ddBlock + f8(d * K * dx + i), Sdx, f8(dx), h2Block + f8(d * K * H), SH, f8(H), count, K);
      }
    }
    for (; i < dx; i++) {
      const row = g + f8(i * H);
      let h = 0;
      for (; h + 7 < H; h += 8) {
        const o = f8(h);
        let a0 = v128.load(row + o);
        let a1 = v128.load(row + o, 16);
        let a2 = v128.load(row + o, 32);
        let a3 = v128.load(row + o, 48);
        for (let b = 0; b < count; b++) {
          for (let k = 0; k < K; k++) {
            const s = d * K + k;
            const c = v128.load64_splat(ddBlock + (<usize>b) * Sdx + f8(s * dx + i));
            const y = h2Block + (<usize>b) * SH + f8(s * H) + o;
            a0 = f64x2.add(a0, f64x2.mul(c, v128.load(y)));
            a1 = f64x2.add(a1, f64x2.mul(c, v128.load(y, 16)));
            a2 = f64x2.add(a2, f64x2.mul(c, v128.load(y, 32)));
            a3 = f64x2.add(a3, f64x2.mul(c, v128.load(y, 48)));
          }
        }
        v128.store(row + o, a0);
        v128.store(row + o, a1, 16);
        v128.store(row + o, a2, 32);
        v128.store(row + o, a3, 48);
      }
      for (; h + 1 < H; h += 2) {
        const o = f8(h);
        let a0 = v128.load(row + o);
        for (let b = 0; b < count; b++) {
          for (let k = 0; k < K; k++) {
            const s = d * K + k;
            const c = v128.load64_splat(ddBlock + (<usize>b) * Sdx + f8(s * dx + i));
            a0 = f64x2.add(a0, f64x2.mul(c, v128.load(h2Block + (<usize>b) * SH + f8(s * H) + o)));
          }
        }
        v128.store(row + o, a0);
      }
      if (h < H) {
        const o = f8(h);
        let t = load<f64>(row + o);
        for (let b = 0; b < count; b++) {
          for (let k = 0; k < K; k++) {
            const s = d * K + k;
            t = t + load<f64>(ddBlock + (<usize>b) * Sdx + f8(s * dx + i)) * load<f64>(h2Block + (<usize>b) * SH + f8(s * H) + o);
          }
        }
        store<f64>(row + o, t);
      }
    }
  }
  const JH = f8(J * H);
  const xFirst = xData + f8(first * dx);
  const xBytes = f8(dx);
  for (let d = 0; d < J; d++) {
    const g = grads + (<usize>d) * P8 + oW1;
    let h = 0;
    // Two rows at a time: each x load serves both.
    for (; h + 1 < H; h += 2) {
      const row = g + f8(h * dx);
      const row1 = row + xBytes;
      const tAt = tBlock + f8(d * H + h);
      let q = 0;
      for (; q + 7 < dx; q += 8) addTwoRowsOfEight(row, row1, f8(q), tAt, JH, 0, xFirst, xBytes, 0, count, 1);
      for (; q + 1 < dx; q += 2) {
        const o = f8(q);
        let a0 = v128.load(row + o);
        let b0 = v128.load(row1 + o);
        for (let b = 0; b < count; b++) {
          const y0 = v128.load(xFirst + (<usize>b) * xBytes + o);
          a0 = f64x2.add(a0, f64x2.mul(v128.load64_splat(tAt + (<usize>b) * JH), y0));
          b0 = f64x2.add(b0, f64x2.mul(v128.load64_splat(tAt + (<usize>b) * JH + 8), y0));
        }
        v128.store(row + o, a0);
        v128.store(row1 + o, b0);
      }
      if (q < dx) {
        const o = f8(q);
        let t = load<f64>(row + o);
        let u = load<f64>(row1 + o);
        for (let b = 0; b < count; b++) {
          const y = load<f64>(xFirst + (<usize>b) * xBytes + o);
          t = t + load<f64>(tAt + (<usize>b) * JH) * y;
          u = u + load<f64>(tAt + (<usize>b) * JH + 8) * y;
        }
        store<f64>(row + o, t);
        store<f64>(row1 + o, u);
      }
    }
    for (; h < H; h++) {
      const row = g + f8(h * dx);
      const tAt = tBlock + f8(d * H + h);
      let q = 0;
      for (; q + 7 < dx; q += 8) {
        const o = f8(q);
        let a0 = v128.load(row + o);
        let a1 = v128.load(row + o, 16);
        let a2 = v128.load(row + o, 32);
        let a3 = v128.load(row + o, 48);
        for (let b = 0; b < count; b++) {
          const c = v128.load64_splat(tAt + (<usize>b) * JH);
          const y = xFirst + (<usize>b) * xBytes + o;
          a0 = f64x2.add(a0, f64x2.mul(c, v128.load(y)));
          a1 = f64x2.add(a1, f64x2.mul(c, v128.load(y, 16)));
          a2 = f64x2.add(a2, f64x2.mul(c, v128.load(y, 32)));
          a3 = f64x2.add(a3, f64x2.mul(c, v128.load(y, 48)));
        }
        v128.store(row + o, a0);
        v128.store(row + o, a1, 16);
        v128.store(row + o, a2, 32);
        v128.store(row + o, a3, 48);
      }
      for (; q + 1 < dx; q += 2) {
        const o = f8(q);
        let a0 = v128.load(row + o);
        for (let b = 0; b < count; b++) a0 = f64x2.add(a0, f64x2.mul(v128.load64_splat(tAt + (<usize>b) * JH), v128.load(xFirst + (<usize>b) * xBytes + o)));
        v128.store(row + o, a0);
      }
      if (q < dx) {
        const o = f8(q);
        let t = load<f64>(row + o);
        for (let b = 0; b < count; b++) t = t + load<f64>(tAt + (<usize>b) * JH) * load<f64>(xFirst + (<usize>b) * xBytes + o);
        store<f64>(row + o, t);
      }
    }
  }
}

/** reference.ts's deepElboDraws after its validation, on the call laid out by setup(). */
export function run(): void {
  const P8 = f8(P);
  memory.fill(grads, 0, (<usize>J) * P8);
  memory.fill(values, 0, f8(J));
  transpose(theta + oW1, W1T, H, dx);
  transpose(theta + oW2, W2T, H, dz);
  transpose(theta + oW3, W3T, dx, H);
  const vK = v * <f64>K;
  const Kf = <f64>K;
  for (let pt = 0; pt < n; pt++) {
    const xp = xData + f8(pt * dx);
    const slot = pt % BLOCK;
    h2 = h2Block + f8(slot * S * H);
    dd = ddBlock + f8(slot * S * dx);
    // Encoder forward (noise-free).
    layer(theta + ob1, W1T, xp, dx, H, h1);
    hiddenAct(h1, h1d, H);
    // The heads' pre-activations, each a scalar sum over h in order; two latent coordinates at a
    // time (four independent sums, so the adds do not wait on each other), then an odd last one.
    let jh = 0;
    for (; jh + 1 < dz; jh += 2) {
      let m0 = load<f64>(theta + obm + f8(jh));
      let t0 = load<f64>(theta + obv + f8(jh));
      let m1 = load<f64>(theta + obm + f8(jh + 1));
      let t1 = load<f64>(theta + obv + f8(jh + 1));
      const wm = theta + oWm + f8(jh * H);
      const wv = theta + oWv + f8(jh * H);
      const hb = f8(H);
      for (let h = 0; h < H; h++) {
        const a = load<f64>(h1 + f8(h));
        const o = f8(h);
        m0 += load<f64>(wm + o) * a;
        t0 += load<f64>(wv + o) * a;
        m1 += load<f64>(wm + hb + o) * a;
        t1 += load<f64>(wv + hb + o) * a;
      }
      store<f64>(tm + f8(jh), m0);
      store<f64>(tv + f8(jh), t0);
      store<f64>(tm + f8(jh + 1), m1);
      store<f64>(tv + f8(jh + 1), t1);
    }
    if (jh < dz) {
      let m = load<f64>(theta + obm + f8(jh));
      let t = load<f64>(theta + obv + f8(jh));
      const wm = theta + oWm + f8(jh * H);
      const wv = theta + oWv + f8(jh * H);
      for (let h = 0; h < H; h++) {
        const a = load<f64>(h1 + f8(h));
        m += load<f64>(wm + f8(h)) * a;
        t += load<f64>(wv + f8(h)) * a;
      }
      store<f64>(tm + f8(jh), m);
      store<f64>(tv + f8(jh), t);
    }
    const kl = jsHeads();
    // Every draw's samples: z, and the decoder's hidden layer.
    for (let d = 0; d < J; d++) {
      const e = eps + (<usize>d) * epsBytes;
      for (let k = 0; k < K; k++) {
        const s = d * K + k;
        const eo = e + f8((pt * stride + k) * dz);
        const z = zs + f8(s * dz);
        for (let j = 0; j < dz; j++) store<f64>(z + f8(j), load<f64>(mu + f8(j)) + load<f64>(sd + f8(j)) * load<f64>(eo + f8(j)));
        layer(theta + ob2, W2T, z, dz, H, h2 + f8(s * H));
      }
    }
    hiddenAct(h2, h2d, S * H);
    decoderOutput();
    outputAct();
    // Decoder output's backward pass: residuals, sq and dd output by output (sq sums over i in
    // order), b3's gradient; then da2 and W3's gradient, each element's terms in reference.ts's order.
    memory.fill(sq, 0, f8(S));
    for (let i = 0; i < dx; i++) {
      const xi = load<f64>(xp + f8(i));
      for (let s = 0; s < S; s++) {
        const so = f8(s * dx + i);
        const r = xi - load<f64>(outv + so);
        store<f64>(sq + f8(s), load<f64>(sq + f8(s)) + r * r);
        store<f64>(dd + so, (r / vK) * load<f64>(outd + so));
      }
      for (let d = 0; d < J; d++) {
        const gb = grads + (<usize>d) * P8 + ob3 + f8(i);
        for (let k = 0; k < K; k++) store<f64>(gb, load<f64>(gb) + load<f64>(dd + f8((d * K + k) * dx + i)));
      }
    }
    decoderHiddenGradient();
    for (let d = 0; d < J; d++) {
      const g = grads + (<usize>d) * P8;
      const e = eps + (<usize>d) * epsBytes;
      const dm = dmu + f8(d * dz);
      const dv = dlv + f8(d * dz);
      // KL gradient (ascent on −β KL).
      for (let j = 0; j < dz; j++) {
        const sj = load<f64>(sd + f8(j));
        store<f64>(dm + f8(j), -beta * load<f64>(mu + f8(j)));
        store<f64>(dv + f8(j), -0.5 * beta * (sj * sj - 1));
      }
      let rec: f64 = 0;
      for (let k = 0; k < K; k++) {
        const s = d * K + k;
        rec += (logNorm - load<f64>(sq + f8(s)) / (2 * v)) / Kf;
        const a = da2 + f8(s * H);
        const ad = h2d + f8(s * H);
        const z = zs + f8(s * dz);
        const eo = e + f8((pt * stride + k) * dz);
        // da2[h] = da2[h]·f'(h2); g[b2 + h] += it.
        let h = 0;
        for (; h + 1 < H; h += 2) {
          const o = f8(h);
          const t = f64x2.mul(v128.load(a + o), v128.load(ad + o));
          v128.store(a + o, t);
          v128.store(g + ob2 + o, f64x2.add(v128.load(g + ob2 + o), t));
        }
        if (h < H) {
          const o = f8(h);
          const t = load<f64>(a + o) * load<f64>(ad + o);
          store<f64>(a + o, t);
          store<f64>(g + ob2 + o, load<f64>(g + ob2 + o) + t);
        }
        for (h = 0; h < H; h++) axpy(g + oW2 + f8(h * dz), load<f64>(a + f8(h)), z, dz);
        // dzj = Σ_h W2[h, j]·da2[h], latent coordinates in lanes.
        let j = 0;
        // Four pairs at a time (independent sums over h: the adds do not wait on each other).
        for (; j + 7 < dz; j += 8) {
          let a0 = f64x2.splat(0);
          let a1 = f64x2.splat(0);
          let a2 = f64x2.splat(0);
          let a3 = f64x2.splat(0);
          let wp = theta + oW2 + f8(j);
          const rowBytes = f8(dz);
          for (h = 0; h < H; h++) {
            const av = v128.load64_splat(a + f8(h));
            a0 = f64x2.add(a0, f64x2.mul(v128.load(wp), av));
            a1 = f64x2.add(a1, f64x2.mul(v128.load(wp, 16), av));
            a2 = f64x2.add(a2, f64x2.mul(v128.load(wp, 32), av));
            a3 = f64x2.add(a3, f64x2.mul(v128.load(wp, 48), av));
            wp += rowBytes;
          }
          v128.store(dzAcc + f8(j), a0);
          v128.store(dzAcc + f8(j + 2), a1);
          v128.store(dzAcc + f8(j + 4), a2);
          v128.store(dzAcc + f8(j + 6), a3);
        }
        for (; j + 1 < dz; j += 2) {
          let acc = f64x2.splat(0);
          for (h = 0; h < H; h++) acc = f64x2.add(acc, f64x2.mul(v128.load(theta + oW2 + f8(h * dz + j)), f64x2.splat(load<f64>(a + f8(h)))));
          v128.store(dzAcc + f8(j), acc);
        }
        if (j < dz) {
          let t: f64 = 0;
          for (h = 0; h < H; h++) t += load<f64>(theta + oW2 + f8(h * dz + j)) * load<f64>(a + f8(h));
          store<f64>(dzAcc + f8(j), t);
        }
        for (j = 0; j < dz; j++) {
          const dzj = load<f64>(dzAcc + f8(j));
          store<f64>(dm + f8(j), load<f64>(dm + f8(j)) + dzj);
          // z = μ + e^{lv/2} ε: ∂z/∂lv = ½ e^{lv/2} ε.
          store<f64>(dv + f8(j), load<f64>(dv + f8(j)) + dzj * 0.5 * load<f64>(sd + f8(j)) * load<f64>(eo + f8(j)));
        }
      }
      store<f64>(values + f8(d), load<f64>(values + f8(d)) + (rec - beta * kl));
      // Backward through the encoder heads and hidden layer.
      memory.fill(dh1, 0, f8(H));
      for (let j = 0; j < dz; j++) {
        const dmj = load<f64>(dm + f8(j)) * load<f64>(mud + f8(j));
        const dvj = load<f64>(dv + f8(j)) * load<f64>(lvd + f8(j));
        store<f64>(g + obm + f8(j), load<f64>(g + obm + f8(j)) + dmj);
        store<f64>(g + obv + f8(j), load<f64>(g + obv + f8(j)) + dvj);
        const wm = theta + oWm + f8(j * H);
        const wv = theta + oWv + f8(j * H);
        const gm = g + oWm + f8(j * H);
        const gv = g + oWv + f8(j * H);
        const cm = f64x2.splat(dmj);
        const cv = f64x2.splat(dvj);
        let h = 0;
        for (; h + 1 < H; h += 2) {
          const o = f8(h);
          const a = v128.load(h1 + o);
          v128.store(gm + o, f64x2.add(v128.load(gm + o), f64x2.mul(cm, a)));
          v128.store(gv + o, f64x2.add(v128.load(gv + o), f64x2.mul(cv, a)));
          v128.store(dh1 + o, f64x2.add(v128.load(dh1 + o), f64x2.add(f64x2.mul(v128.load(wm + o), cm), f64x2.mul(v128.load(wv + o), cv))));
        }
        if (h < H) {
          const o = f8(h);
          const a = load<f64>(h1 + o);
          store<f64>(gm + o, load<f64>(gm + o) + dmj * a);
          store<f64>(gv + o, load<f64>(gv + o) + dvj * a);
          store<f64>(dh1 + o, load<f64>(dh1 + o) + (load<f64>(wm + o) * dmj + load<f64>(wv + o) * dvj));
        }
      }
      for (let h = 0; h < H; h++) {
        const t = load<f64>(dh1 + f8(h)) * load<f64>(h1d + f8(h));
        store<f64>(g + ob1 + f8(h), load<f64>(g + ob1 + f8(h)) + t);
        // W1's row h gets t·x when the block is flushed.
        store<f64>(tBlock + f8((slot * J + d) * H + h), t);
      }
    }
    if (slot == BLOCK - 1 || pt == n - 1) flushBlock(pt - slot, slot + 1);
  }
  const nf = <f64>n;
  const nv = f64x2.splat(nf);
  for (let d = 0; d < J; d++) {
    const g = grads + (<usize>d) * P8;
    let q = 0;
    for (; q + 1 < P; q += 2) v128.store(g + f8(q), f64x2.div(v128.load(g + f8(q)), nv));
    if (q < P) store<f64>(g + f8(q), load<f64>(g + f8(q)) / nf);
    store<f64>(values + f8(d), load<f64>(values + f8(d)) / nf);
  }
}
