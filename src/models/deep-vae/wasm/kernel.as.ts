// AssemblyScript source of deep-vae-kernel.wasm: DeepVaeKernel.objectiveAndGradient's
// arithmetic (src/models/deep-vae/kernel.ts, the readable specification) with f64x2
// SIMD, bit for bit. Compiled by `node scripts/build-wasm.mjs` (pinned assemblyscript);
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
//   - the backward passes take four weight rows at a time: the input-gradient accumulator
//     (da2, gz, dh1) gets the four rows' terms in row order, as kernel.ts adds them;
//   - the output layer computes all dx pre-activations first (they are independent), then
//     goes pixel by pixel in kernel.ts's order (residual, sq, dd, the row's backward pass);
//   - e^x and log1p come from JavaScript (imports env.exp = Math.exp, which V8 calls
//     directly, env.log1p = Math.log1p; the hidden layer's soft-clip runs in JavaScript):
//     V8's bits, not a WebAssembly re-implementation. An exponential whose every faithful
//     value gives the same result bits is skipped (proof: kernel-wasm.ts's clipAndSlopeSkipping);
//   - every scalar expression keeps kernel.ts's order of operations.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

@external("env", "exp") declare function jsExp(x: f64): f64;
@external("env", "log1p") declare function jsLog1p(x: f64): f64;
// The soft-clipped hidden layer's activations in JavaScript (kernel-wasm.ts's clipAndSlopeSkipping):
// layer 0 maps a1 to (a1, d1), layer 1 a2 to (a2, d2), H values, in place. One call per
// layer instead of a log1p import per unit (measured faster: a log1p import call costs
// ~7 ns of wrapper, Math.log1p itself ~5 ns).
@external("env", "hidden") declare function jsHidden(layer: i32): void;

// Dimensions, soft-clip constants and addresses, set once by setup().
let dx: i32 = 0;
let H: i32 = 0;
let dz: i32 = 0;
let sharp: f64 = 0;
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
// Scratch arrays (addresses).
let a1: usize = 0;
let d1: usize = 0;
let head: usize = 0;
let dHead: usize = 0;
let sd: usize = 0;
let z: usize = 0;
let gz: usize = 0;
let a2: usize = 0;
let d2: usize = 0;
let da2: usize = 0;
let gHead: usize = 0;
let dh1: usize = 0;
let pre: usize = 0; // max(dx, H, 2dz): the output layer's pre-activations, then each layer's dd
let relu: bool = false;
const TWO_TO_MINUS_30: f64 = 9.313225746154785e-10;
// The slope of the last activation evaluated (kernel.ts's slope array).
let slope: f64 = 0;

/** Bytes of scratch setup() needs (H, dz, dx), 16-byte aligned arrays. */
function align2(n: i32): i32 {
  return (n + 1) & ~1;
}

export function scratchBytes(dx_: i32, H_: i32, dz_: i32): i32 {
  return (align2(H_) * 7 + align2(2 * dz_) * 3 + align2(dz_) * 3 + align2(max(dx_, max(H_, 2 * dz_)))) << 3;
}

export function setup(dx_: i32, H_: i32, dz_: i32, sharp_: f64, mLo_: f64, mHi_: f64, vLo_: f64, vHi_: f64, logNorm_: f64, invVar_: f64, theta_: usize, grad_: usize, data_: usize, scratch_: usize): void {
  dx = dx_;
  H = H_;
  dz = dz_;
  sharp = sharp_;
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
  const hb = (<usize>align2(H)) << 3;
  const zb = (<usize>align2(dz)) << 3;
  const z2b = (<usize>align2(2 * dz)) << 3;
  a1 = p; p += hb;
  d1 = p; p += hb;
  a2 = p; p += hb;
  d2 = p; p += hb;
  da2 = p; p += hb;
  dh1 = p; p += hb;
  p += hb; // spare
  head = p; p += z2b;
  dHead = p; p += z2b;
  gHead = p; p += z2b;
  sd = p; p += zb;
  z = p; p += zb;
  gz = p; p += zb;
  pre = p;
}

// kernel.ts's clipAndSlope: f(t) returned, f'(t) into `slope`, with the two short cuts of
// kernel-wasm.ts's clipAndSlopeSkipping (see the proof there): an exponential whose every
// possible value leaves the result's bits unchanged is not computed.
@inline function clip(t: f64, lo: f64, hi: f64): f64 {
  const s = sharp;
  const a = s * (t - lo);
  const b = s * (t - hi);
  if (a > 40 && b < -40) {
    if (b < -60 && abs<f64>(t) >= TWO_TO_MINUS_30) {
      slope = 1;
      return t;
    }
    const e = jsExp(b);
    slope = 1 - e;
    return t - e / s;
  }
  const ea = jsExp(-abs<f64>(a));
  const spa = (a > 0 ? a : 0) + jsLog1p(ea);
  const sga = a >= 0 ? 1 / (1 + ea) : ea / (1 + ea);
  if (b < -60 && b < a - 60) {
    slope = sga;
    return lo + spa / s;
  }
  const eb = jsExp(-abs<f64>(b));
  const spb = (b > 0 ? b : 0) + jsLog1p(eb);
  const sgb = b >= 0 ? 1 / (1 + eb) : eb / (1 + eb);
  slope = sga - sgb;
  return lo + (spa - spb) / s;
}

/** The mean (range 0) or log-variance (range 1) soft-clip at t, for the tests; its slope by lastSlope(). */
export function activation(t: f64, range: i32): f64 {
  return range == 0 ? clip(t, mLo, mHi) : clip(t, vLo, vHi);
}

export function lastSlope(): f64 {
  return slope;
}

// out[h] = f_h(bias[h] + out[h]) and slopes[h] = f_h'(…) for h < H (out holds the dot products).
function hiddenLayer(bias: usize, out: usize, slopes: usize, layer: i32): void {
  for (let h = 0; h < H; h++) {
    const ho = (<usize>h) << 3;
    store<f64>(out + ho, load<f64>(bias + ho) + load<f64>(out + ho));
  }
  if (!relu) {
    jsHidden(layer);
    return;
  }
  for (let h = 0; h < H; h++) {
    const ho = (<usize>h) << 3;
    const t = load<f64>(out + ho);
    store<f64>(out + ho, t > 0 ? t : 0);
    store<f64>(slopes + ho, t > 0 ? 1 : 0);
  }
}

/** Addresses of the hidden layers' arrays for the JavaScript activations: 0 a1, 1 d1, 2 a2, 3 d2. */
export function hiddenArray(which: i32): usize {
  return which == 0 ? a1 : which == 1 ? d1 : which == 2 ? a2 : d2;
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

// One weight row's backward pass (kernel.ts's inner loop over a row, e.g. the output
// layer's): g[i] += s·a[i] (the row's gradient) and acc[i] += w[i]·s (the input's).
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

// g_r[i] += s_r·x[i] for rows r < n of a row-major gradient block (row length L), s_r = s[r]:
// the first layer's weight gradient (kernel.ts's `grad[wo + q] += dd * data[xo + q]`), four
// rows at a time sharing x.
function rowsOuter(g: usize, s: usize, x: usize, L: i32, n: i32): void {
  const stride = (<usize>L) << 3;
  let r = 0;
  for (; r < n; r++) {
    if (r + 3 < n) {
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
      let i = 0;
      for (; i + 1 < L; i += 2) {
        const o = (<usize>i) << 3;
        const xv = v128.load(x + o);
        v128.store(g0 + o, f64x2.add(v128.load(g0 + o), f64x2.mul(v0, xv)));
        v128.store(g1 + o, f64x2.add(v128.load(g1 + o), f64x2.mul(v1, xv)));
        v128.store(g2 + o, f64x2.add(v128.load(g2 + o), f64x2.mul(v2, xv)));
        v128.store(g3 + o, f64x2.add(v128.load(g3 + o), f64x2.mul(v3, xv)));
      }
      if (i < L) {
        const o = (<usize>i) << 3;
        const xs = load<f64>(x + o);
        store<f64>(g0 + o, load<f64>(g0 + o) + s0 * xs);
        store<f64>(g1 + o, load<f64>(g1 + o) + s1 * xs);
        store<f64>(g2 + o, load<f64>(g2 + o) + s2 * xs);
        store<f64>(g3 + o, load<f64>(g3 + o) + s3 * xs);
      }
      r += 3;
      continue;
    }
    const sr = load<f64>(s + ((<usize>r) << 3));
    const gr = g + (<usize>r) * stride;
    const sv = f64x2.splat(sr);
    let i = 0;
    for (; i + 1 < L; i += 2) {
      const o = (<usize>i) << 3;
      v128.store(gr + o, f64x2.add(v128.load(gr + o), f64x2.mul(sv, v128.load(x + o))));
    }
    if (i < L) {
      const o = (<usize>i) << 3;
      store<f64>(gr + o, load<f64>(gr + o) + sr * load<f64>(x + o));
    }
  }
}

@inline function zero(p: usize, n: i32): void {
  memory.fill(p, 0, (<usize>n) << 3);
}

/**
 * One replica's step on its draws: rows (B int32 row indices at `rowsAt`), noise (B·K·dz
 * f64 at `epsAt`). Writes the gradient (without a falsifier's bias) at `grad`, returns
 * the objective (without the bias term). kernel.ts's loop, statement for statement.
 */
export function step(B: i32, K: i32, beta: f64, relu_: i32, rowsAt: usize, epsAt: usize, P: i32): f64 {
  relu = relu_ != 0;
  zero(grad, P);
  const w: f64 = 1 / (<f64>(B * K));
  const hB = H;
  const twoDz = 2 * dz;
  let recon: f64 = 0;
  let kl: f64 = 0;
  const th = theta;
  const gr = grad;
  for (let i = 0; i < B; i++) {
    const xo = data + (<usize>(load<i32>(rowsAt + ((<usize>i) << 2)) * dx) << 3);
    // Encoder: h1 = f_h(W1 x + b1), heads = f(Wh h1 + bh).
    matVec(th + oW1, xo, dx, hB, a1);
    hiddenLayer(th + ob1, a1, d1, 0);
    matVec(th + oWh, a1, hB, twoDz, head);
    for (let j = 0; j < twoDz; j++) {
      const jo = (<usize>j) << 3;
      const t = load<f64>(th + obh + jo) + load<f64>(head + jo);
      const v = j < dz ? actMean(t) : actLogVar(t);
      store<f64>(head + jo, v);
      store<f64>(dHead + jo, slope);
    }
    // KL and its ascent gradient (gHead).
    const bB = beta / (<f64>B);
    for (let j = 0; j < dz; j++) {
      const jo = (<usize>j) << 3;
      const mu = load<f64>(head + jo);
      const lv = load<f64>(head + ((<usize>(dz + j)) << 3));
      const e = jsExp(lv);
      store<f64>(sd + jo, jsExp(0.5 * lv));
      kl += 0.5 * (e + mu * mu - 1 - lv);
      store<f64>(gHead + jo, -bB * mu);
      store<f64>(gHead + ((<usize>(dz + j)) << 3), -bB * 0.5 * (e - 1));
    }
    for (let k = 0; k < K; k++) {
      const eo = epsAt + ((<usize>((i * K + k) * dz)) << 3);
      for (let j = 0; j < dz; j++) {
        const jo = (<usize>j) << 3;
        store<f64>(z + jo, load<f64>(head + jo) + load<f64>(sd + jo) * load<f64>(eo + jo));
      }
      // Decoder hidden layer: h2 = f_h(W2 z + b2).
      matVec(th + oW2, z, dz, hB, a2);
      hiddenLayer(th + ob2, a2, d2, 1);
      zero(da2, hB);
      // Output G = f_μ(W3 h2 + b3): every pre-activation first (independent), then pixel by
      // pixel in kernel.ts's order: residual, sq, dd, then the backward pass of each row.
      matVec(th + oW3, a2, hB, dx, pre);
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
      rowsBack(gr + oW3, th + oW3, a2, da2, pre, hB, dx);
      recon += w * (logNorm - 0.5 * invVar * sq);
      // Decoder hidden layer backward; g_z = W2ᵀ ∂h2.
      zero(gz, dz);
      for (let h = 0; h < hB; h++) {
        const ho = (<usize>h) << 3;
        const dd = load<f64>(da2 + ho) * load<f64>(d2 + ho);
        store<f64>(gr + ob2 + ho, load<f64>(gr + ob2 + ho) + dd);
        store<f64>(pre + ho, dd);
      }
      rowsBack(gr + oW2, th + oW2, z, gz, pre, dz, hB);
      for (let j = 0; j < dz; j++) {
        const jo = (<usize>j) << 3;
        const gzj = load<f64>(gz + jo);
        store<f64>(gHead + jo, load<f64>(gHead + jo) + gzj);
        const lo = (<usize>(dz + j)) << 3;
        store<f64>(gHead + lo, load<f64>(gHead + lo) + gzj * 0.5 * load<f64>(sd + jo) * load<f64>(eo + jo));
      }
    }
    // Encoder backward: heads, then the hidden layer.
    zero(dh1, hB);
    for (let j = 0; j < twoDz; j++) {
      const jo = (<usize>j) << 3;
      const dd = load<f64>(gHead + jo) * load<f64>(dHead + jo);
      store<f64>(gr + obh + jo, load<f64>(gr + obh + jo) + dd);
      store<f64>(pre + jo, dd);
    }
    rowsBack(gr + oWh, th + oWh, a1, dh1, pre, hB, twoDz);
    for (let h = 0; h < hB; h++) {
      const ho = (<usize>h) << 3;
      const dd = load<f64>(dh1 + ho) * load<f64>(d1 + ho);
      store<f64>(gr + ob1 + ho, load<f64>(gr + ob1 + ho) + dd);
      store<f64>(pre + ho, dd);
    }
    rowsOuter(gr + oW1, pre, xo, dx, hB);
  }
  return recon - (beta / (<f64>B)) * kl;
}
