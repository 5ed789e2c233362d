// AssemblyScript source of learned-variance-kernel.wasm: the arithmetic of
// StochasticLearnedVarianceLinearVae.objectiveAndGradient (src/models/linear-vae/
// stochastic-learned-variance.ts and kernel-parts.ts, the readable specification) with
// f64x2 SIMD, bit for bit. Compiled by `npm run build:wasm` (pinned
// assemblyscript); test/convergence/learned-variance-kernel-wasm.test.ts checks its
// objective and gradient equal the JS kernel's bitwise, test/engine/wasm-kernel.test.ts
// that the committed binary is this source's output.
//
// Why the bits are the JS kernel's: every accumulator receives the JS kernel's terms,
// each computed by the same float64 operations, in the JS kernel's order; only
// independent outputs run side by side in the two lanes:
//   - per data coordinate q (lanes over q, W read from its transposed copy WT [H, D]):
//     the decoder means b_q + Σ_j W_qj μ_j and Σ_j W_qj ā_j, r, ρ, the terms of Q, ∂b,
//     W P's column and ∂W (accumulated transposed, copied back at the end), ∂V's row;
//   - per latent coordinate j (lanes over j): μ_j = c_j + Σ_q V_jq x_q (V read from
//     VT [D, H]), ā, (Wᵀρ)_j, (Wᵀr)_j, (WᵀW P)_jj, ∂s, ∂μ, ∂c; and P = M̄ ⊙ (τ τᵀ)
//     elementwise (τ_j τ_l computed once a step: the same product every point);
//   - the sums over coordinates into Q and Σ μ² stay scalar, in the JS kernel's order;
//   - an odd D's last coordinate is done by the scalar form of the same expressions; an
//     odd H's last coordinate is lane 0 of a pair whose lane 1 is a spare (every H-long
//     work array is padded to even length; reads past the end of W, VT, WtWT and the draws
//     stay inside the memory, learned-variance-wasm.ts leaves 16 bytes after the draws):
//     lanes never mix, and a spare lane is never read back into a real coordinate;
//   - WebAssembly has no fused multiply-add outside relaxed SIMD (not enabled), and
//     binaryen does not reassociate floating point: a·b + c rounds twice, as in JavaScript.
// e^x stays in JavaScript (τ = e^{s/2} comes in), and so do the steps' constants and the
// KL term, which the JavaScript side finishes with the sums this step returns.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

import { fdLog } from '../../../engine/wasm/fdlibm.as';
// RandomStream.fillInt's row draws, made in this module's memory (src/engine/ported-draws.ts).
export { drawRows } from '../../../engine/wasm/random-rows.as';

let D: i32 = 0;
let H: i32 = 0;
// Parameters (f64, widened from float32 by JavaScript): W [D, H], b [D], V [H, D], c [H];
// τ [H]; the gradient W [D, H], b [D], V [H, D], c [H], s [H].
let pW: usize = 0;
let pb: usize = 0;
let pV: usize = 0;
let pc: usize = 0;
let tau: usize = 0;
let gW: usize = 0;
let gb: usize = 0;
let gV: usize = 0;
let gc: usize = 0;
let gs: usize = 0;
// Work: transposed copies, WᵀW transposed, τ τᵀ, P, the per-point vectors, ∂W transposed, the two sums.
let WT: usize = 0;
let VT: usize = 0;
let WtWT: usize = 0;
let tt: usize = 0;
let P: usize = 0;
let mu: usize = 0;
let abar: usize = 0;
let gmu: usize = 0;
let r: usize = 0;
let rho: usize = 0;
let gWT: usize = 0;
let sums: usize = 0;
// The second point's work arrays (step takes two points at a time).
let P1: usize = 0;
let mu1: usize = 0;
let abar1: usize = 0;
let gmu1: usize = 0;
let r1: usize = 0;
let rho1: usize = 0;
let data: usize = 0; // N·D f64

function a(n: i32): i32 {
  return ((n + 1) & ~1) << 3;
}

/** Bytes of the arrays setup() lays out from `at` (each 16-byte aligned): see setup. */
export function layoutBytes(D_: i32, H_: i32): i32 {
  return 2 * (a(D_ * H_) + a(D_) + a(H_ * D_) + a(H_)) + 2 * a(H_) + 3 * a(D_ * H_) + 4 * a(H_ * H_) + 6 * a(H_) + 4 * a(D_) + a(2);
}

/** Lays out parameters, gradient and work arrays from `at` (layoutBytes bytes); the data at `data_`. */
export function setup(D_: i32, H_: i32, at: usize, data_: usize): void {
  D = D_;
  H = H_;
  data = data_;
  const dh = <usize>a(D * H);
  const d = <usize>a(D);
  const h = <usize>a(H);
  const hh = <usize>a(H * H);
  let p = at;
  pW = p; p += dh;
  pb = p; p += d;
  pV = p; p += dh;
  pc = p; p += h;
  tau = p; p += h;
  gW = p; p += dh;
  gb = p; p += d;
  gV = p; p += dh;
  gc = p; p += h;
  gs = p; p += h;
  WT = p; p += dh;
  VT = p; p += dh;
  WtWT = p; p += hh;
  tt = p; p += hh;
  P = p; p += hh;
  mu = p; p += h;
  abar = p; p += h;
  gmu = p; p += h;
  r = p; p += d;
  rho = p; p += d;
  P1 = p; p += hh;
  mu1 = p; p += h;
  abar1 = p; p += h;
  gmu1 = p; p += h;
  r1 = p; p += d;
  rho1 = p; p += d;
  gWT = p; p += dh;
  sums = p;
}

/** Addresses for JavaScript: 0 parameters (W first), 1 gradient (∂W first), 2 τ, 3 the sums (Σ_i w Q_i, Σ_i |μ_i|²). */
export function address(which: i32): usize {
  return which == 0 ? pW : which == 1 ? gW : which == 2 ? tau : sums;
}

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}

@inline function zero(base: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(at(base, i), 0);
}

// acc + t0, then + t1 when there is a second point: an accumulator's terms in point order.
@inline function add2(acc: v128, t0: v128, t1: v128, pair: bool): v128 {
  const s = f64x2.add(acc, t0);
  return pair ? f64x2.add(s, t1) : s;
}

@inline function add2s(acc: f64, t0: f64, t1: f64, pair: bool): f64 {
  const s = acc + t0;
  return pair ? s + t1 : s;
}

/**
 * One step on the draws at rowsAt (B row indices, i32), ebarAt (B·H, f64) and MAt (B·H·H,
 * f64), its points' terms in draw order (two points at a time); w = 1/B and v = σ² as the JavaScript side computes
 * them. The gradient (∂s without its KL term) into the gradient block, Σ_i w Q_i and Σ_i |μ_i|²
 * (the JavaScript kernel's sumQ and muSq) into the sums.
 */
export function step(B: i32, w: f64, v: f64, beta: f64, rowsAt: usize, ebarAt: usize, MAt: usize): void {
  const qPairs = D & ~1;
  const hStride = (<usize>H) << 3;
  const dStride = (<usize>D) << 3;
  const HH = H * H;
  // Transposed copies of W and V; WᵀW (q in order from 0) stored transposed; τ_j τ_l.
  for (let q = 0; q < D; q++) {
    for (let j = 0; j < H; j++) {
      store<f64>(at(WT, j * D + q), load<f64>(at(pW, q * H + j)));
      store<f64>(at(VT, q * H + j), load<f64>(at(pV, j * D + q)));
    }
  }
  for (let j = 0; j < H; j++) {
    for (let l = 0; l < H; l++) {
      let s: f64 = 0;
      for (let q = 0; q < D; q++) s += load<f64>(at(pW, q * H + j)) * load<f64>(at(pW, q * H + l));
      store<f64>(at(WtWT, l * H + j), s);
      store<f64>(at(tt, j * H + l), load<f64>(at(tau, j)) * load<f64>(at(tau, l)));
    }
  }
  zero(gWT, D * H);
  zero(gb, D);
  zero(gV, H * D);
  zero(gc, H);
  zero(gs, H);
  let sumQ: f64 = 0;
  let muSq: f64 = 0;
  const wv = w / v;
  const wvs = f64x2.splat(wv);
  const halfWv = f64x2.splat(wv / 2);
  const wBeta = f64x2.splat(w * beta);
  const two = f64x2.splat(2);
  let eb = ebarAt;
  let Mp = MAt;
  // Two points at a time (i, i + 1): each point's quantities from its own values by the
  // JavaScript kernel's expressions, side by side, so that two chains of dependent operations
  // are in flight (a point alone is a few long chains: its sums over q, its Q); every
  // accumulator (∂b, ∂W, ∂s, ∂c, ∂V, Σ w Q, Σ |μ|²) gets point i's term, then point i + 1's, in
  // the JavaScript kernel's order. An odd B's last point goes through the same code with itself
  // as the second point, whose terms are then not added (`pair` false).
  for (let i = 0; i < B; i += 2) {
    const pair = i + 1 < B;
    const x0 = at(data, load<i32>(rowsAt + ((<usize>i) << 2)) * D);
    const x1 = pair ? at(data, load<i32>(rowsAt + ((<usize>(i + 1)) << 2)) * D) : x0;
    const eb1 = pair ? eb + hStride : eb;
    const Mp1 = pair ? Mp + ((<usize>HH) << 3) : Mp;
    let j = 0;
    for (; j < H; j += 2) {
      let m0 = v128.load(at(pc, j));
      let m1 = m0;
      let vp = at(VT, j);
      for (let q = 0; q < D; q++) {
        const vq = v128.load(vp);
        m0 = f64x2.add(m0, f64x2.mul(vq, f64x2.splat(load<f64>(at(x0, q)))));
        m1 = f64x2.add(m1, f64x2.mul(vq, f64x2.splat(load<f64>(at(x1, q)))));
        vp += hStride;
      }
      v128.store(at(mu, j), m0);
      v128.store(at(mu1, j), m1);
      v128.store(at(abar, j), f64x2.mul(v128.load(at(tau, j)), v128.load(at(eb, j))));
      v128.store(at(abar1, j), f64x2.mul(v128.load(at(tau, j)), v128.load(at(eb1, j))));
    }
    for (j = 0; j < H; j++) {
      const m = load<f64>(at(mu, j));
      muSq += m * m;
    }
    if (pair) {
      for (j = 0; j < H; j++) {
        const m = load<f64>(at(mu1, j));
        muSq += m * m;
      }
    }
    for (let k = 0; k < HH; k += 2) {
      const tk = v128.load(at(tt, k));
      v128.store(at(P, k), f64x2.mul(v128.load(at(Mp, k)), tk));
      v128.store(at(P1, k), f64x2.mul(v128.load(at(Mp1, k)), tk));
    }
    let Q0: f64 = 0;
    let Q1: f64 = 0;
    let q = 0;
    for (; q < qPairs; q += 2) {
      let wm0 = v128.load(at(pb, q));
      let wm1 = wm0;
      let wa0 = f64x2.splat(0);
      let wa1 = f64x2.splat(0);
      let wp = at(WT, q);
      for (j = 0; j < H; j++) {
        const col = v128.load(wp);
        wm0 = f64x2.add(wm0, f64x2.mul(col, f64x2.splat(load<f64>(at(mu, j)))));
        wa0 = f64x2.add(wa0, f64x2.mul(col, f64x2.splat(load<f64>(at(abar, j)))));
        wm1 = f64x2.add(wm1, f64x2.mul(col, f64x2.splat(load<f64>(at(mu1, j)))));
        wa1 = f64x2.add(wa1, f64x2.mul(col, f64x2.splat(load<f64>(at(abar1, j)))));
        wp += dStride;
      }
      const rq0 = f64x2.sub(v128.load(at(x0, q)), wm0);
      const rq1 = f64x2.sub(v128.load(at(x1, q)), wm1);
      v128.store(at(r, q), rq0);
      v128.store(at(r1, q), rq1);
      v128.store(at(rho, q), f64x2.sub(rq0, wa0));
      v128.store(at(rho1, q), f64x2.sub(rq1, wa1));
      const t0 = f64x2.sub(f64x2.mul(rq0, rq0), f64x2.mul(f64x2.mul(two, rq0), wa0));
      const t1 = f64x2.sub(f64x2.mul(rq1, rq1), f64x2.mul(f64x2.mul(two, rq1), wa1));
      Q0 += f64x2.extract_lane(t0, 0);
      Q1 += f64x2.extract_lane(t1, 0);
      Q0 += f64x2.extract_lane(t0, 1);
      Q1 += f64x2.extract_lane(t1, 1);
    }
    if (q < D) {
      const pbq = load<f64>(at(pb, q));
      let wm0 = pbq;
      let wm1 = pbq;
      let wa0: f64 = 0;
      let wa1: f64 = 0;
      for (j = 0; j < H; j++) {
        const wqj = load<f64>(at(WT, j * D + q));
        wm0 += wqj * load<f64>(at(mu, j));
        wa0 += wqj * load<f64>(at(abar, j));
        wm1 += wqj * load<f64>(at(mu1, j));
        wa1 += wqj * load<f64>(at(abar1, j));
      }
      const rq0 = load<f64>(at(x0, q)) - wm0;
      const rq1 = load<f64>(at(x1, q)) - wm1;
      store<f64>(at(r, q), rq0);
      store<f64>(at(r1, q), rq1);
      store<f64>(at(rho, q), rq0 - wa0);
      store<f64>(at(rho1, q), rq1 - wa1);
      Q0 += rq0 * rq0 - 2 * rq0 * wa0;
      Q1 += rq1 * rq1 - 2 * rq1 * wa1;
    }
    for (let k = 0; k < HH; k++) {
      const wk = load<f64>(at(WtWT, k));
      Q0 += wk * load<f64>(at(P, k));
      Q1 += wk * load<f64>(at(P1, k));
    }
    sumQ += w * Q0;
    if (pair) sumQ += w * Q1;
    for (q = 0; q < qPairs; q += 2) {
      const rhoq0 = v128.load(at(rho, q));
      const rhoq1 = v128.load(at(rho1, q));
      const rq0 = v128.load(at(r, q));
      const rq1 = v128.load(at(r1, q));
      v128.store(at(gb, q), add2(v128.load(at(gb, q)), f64x2.mul(wvs, rhoq0), f64x2.mul(wvs, rhoq1), pair));
      for (j = 0; j < H; j++) {
        let wp0 = f64x2.splat(0);
        let wp1 = f64x2.splat(0);
        let col = at(WT, q);
        for (let l = 0; l < H; l++) {
          const c = v128.load(col);
          wp0 = f64x2.add(wp0, f64x2.mul(c, f64x2.splat(load<f64>(at(P, l * H + j)))));
          wp1 = f64x2.add(wp1, f64x2.mul(c, f64x2.splat(load<f64>(at(P1, l * H + j)))));
          col += dStride;
        }
        const o = at(gWT, j * D + q);
        const term0 = f64x2.sub(f64x2.add(f64x2.mul(rhoq0, f64x2.splat(load<f64>(at(mu, j)))), f64x2.mul(rq0, f64x2.splat(load<f64>(at(abar, j))))), wp0);
        const term1 = f64x2.sub(f64x2.add(f64x2.mul(rhoq1, f64x2.splat(load<f64>(at(mu1, j)))), f64x2.mul(rq1, f64x2.splat(load<f64>(at(abar1, j))))), wp1);
        v128.store(o, add2(v128.load(o), f64x2.mul(wvs, term0), f64x2.mul(wvs, term1), pair));
      }
    }
    if (q < D) {
      const rhoq0 = load<f64>(at(rho, q));
      const rhoq1 = load<f64>(at(rho1, q));
      const rq0 = load<f64>(at(r, q));
      const rq1 = load<f64>(at(r1, q));
      store<f64>(at(gb, q), add2s(load<f64>(at(gb, q)), wv * rhoq0, wv * rhoq1, pair));
      for (j = 0; j < H; j++) {
        let wp0: f64 = 0;
        let wp1: f64 = 0;
        for (let l = 0; l < H; l++) {
          const wlq = load<f64>(at(WT, l * D + q));
          wp0 += wlq * load<f64>(at(P, l * H + j));
          wp1 += wlq * load<f64>(at(P1, l * H + j));
        }
        const o = at(gWT, j * D + q);
        store<f64>(o, add2s(load<f64>(o), wv * (rhoq0 * load<f64>(at(mu, j)) + rq0 * load<f64>(at(abar, j)) - wp0), wv * (rhoq1 * load<f64>(at(mu1, j)) + rq1 * load<f64>(at(abar1, j)) - wp1), pair));
      }
    }
    for (j = 0; j < H; j += 2) {
      let wrho0 = f64x2.splat(0);
      let wr0 = f64x2.splat(0);
      let wrho1 = f64x2.splat(0);
      let wr1 = f64x2.splat(0);
      let wp = at(pW, j);
      for (q = 0; q < D; q++) {
        const row = v128.load(wp);
        wrho0 = f64x2.add(wrho0, f64x2.mul(row, f64x2.splat(load<f64>(at(rho, q)))));
        wr0 = f64x2.add(wr0, f64x2.mul(row, f64x2.splat(load<f64>(at(r, q)))));
        wrho1 = f64x2.add(wrho1, f64x2.mul(row, f64x2.splat(load<f64>(at(rho1, q)))));
        wr1 = f64x2.add(wr1, f64x2.mul(row, f64x2.splat(load<f64>(at(r1, q)))));
        wp += hStride;
      }
      let wtwp0 = f64x2.splat(0);
      let wtwp1 = f64x2.splat(0);
      for (let l = 0; l < H; l++) {
        const wt = v128.load(at(WtWT, l * H + j));
        wtwp0 = f64x2.add(wtwp0, f64x2.mul(wt, v128.load(at(P, l * H + j))));
        wtwp1 = f64x2.add(wtwp1, f64x2.mul(wt, v128.load(at(P1, l * H + j))));
      }
      const ab0 = v128.load(at(abar, j));
      const ab1 = v128.load(at(abar1, j));
      v128.store(at(gs, j), add2(v128.load(at(gs, j)), f64x2.mul(halfWv, f64x2.sub(f64x2.mul(wr0, ab0), wtwp0)), f64x2.mul(halfWv, f64x2.sub(f64x2.mul(wr1, ab1), wtwp1)), pair));
      const g0 = f64x2.sub(f64x2.mul(wvs, wrho0), f64x2.mul(wBeta, v128.load(at(mu, j))));
      const g1 = f64x2.sub(f64x2.mul(wvs, wrho1), f64x2.mul(wBeta, v128.load(at(mu1, j))));
      v128.store(at(gmu, j), g0);
      v128.store(at(gmu1, j), g1);
      v128.store(at(gc, j), add2(v128.load(at(gc, j)), g0, g1, pair));
    }
    for (j = 0; j < H; j++) {
      const g0 = load<f64>(at(gmu, j));
      const g1 = load<f64>(at(gmu1, j));
      const gv0 = f64x2.splat(g0);
      const gv1 = f64x2.splat(g1);
      const row = at(gV, j * D);
      for (q = 0; q < qPairs; q += 2) v128.store(at(row, q), add2(v128.load(at(row, q)), f64x2.mul(gv0, v128.load(at(x0, q))), f64x2.mul(gv1, v128.load(at(x1, q))), pair));
      if (q < D) store<f64>(at(row, q), add2s(load<f64>(at(row, q)), g0 * load<f64>(at(x0, q)), g1 * load<f64>(at(x1, q)), pair));
    }
    eb += hStride << 1;
    Mp += (<usize>HH) << 4;
  }
  // ∂W back to [D, H].
  for (let q = 0; q < D; q++) for (let j = 0; j < H; j++) store<f64>(at(gW, q * H + j), load<f64>(at(gWT, j * D + q)));
  store<f64>(sums, sumQ);
  store<f64>(at(sums, 1), muSq);
}

// ---------------------------------------------------------------------------------------
// The step's noise statistics: noise-statistics.ts's drawNoiseStatistics for points
// from..B−1 in order, bit for bit. Its normals come from an array the JavaScript side fills
// ahead from the replica's counter stream (peekNormals: normal n of the stream is a function of
// n alone); its uniforms from the stream's own xoroshiro128+ (RandomStream.next and uniform,
// written out on the same 32-bit halves: i32 arithmetic wraps as JavaScript's `| 0` does), its
// state handed in and back at `state`. Every float64 operation is the JavaScript's, in its order
// (f64.sqrt and the division correctly rounded as Math.sqrt and `/`; log from fdlibm.as.ts, V8's
// Math.log bit for bit). A point that needs more normals than the array holds, a χ² with one
// degree of freedom (`normal() ** 2`, Math.pow) or Marsaglia–Tsang's squeeze decided by its
// `x ** 4` (a chance of ~2·10⁻⁹ a draw) is not finished here: the call returns its index with the
// stream's state as at its start, and the JavaScript side draws it (or refills the normals and
// calls again).
//
// state (i32): [0..3] the uniform stream's s0 (high, low) and s1 (high, low) halves, in and out;
// [4] out: normals used by the points finished; [5] out: 0 all finished, 1 the normals ran
// out, 2 the point needs JavaScript.

let u01: i32 = 0;
let u00: i32 = 0;
let u11: i32 = 0;
let u10: i32 = 0;
let normalAt: usize = 0;
let normalEnd: usize = 0;
// Why the current point stopped (1 normals, 2 JavaScript), or 0.
let stopped: i32 = 0;

// RandomStream.next: one 32-bit output, advancing the state.
@inline function nextOutput(): i32 {
  const s00 = u00;
  const s01 = u01;
  const out = s00 + u10;
  const a0 = u10 ^ s00;
  const a1 = u11 ^ s01;
  u00 = (s00 << 24) ^ <i32>(<u32>s01 >> 8) ^ a0 ^ (a0 << 16);
  u01 = (s01 << 24) ^ <i32>(<u32>s00 >> 8) ^ a1 ^ ((a1 << 16) | <i32>(<u32>a0 >> 16));
  u10 = (a1 << 5) ^ <i32>(<u32>a0 >> 27);
  u11 = (a0 << 5) ^ <i32>(<u32>a1 >> 27);
  return out;
}

// RandomStream.uniform: (a & MASK26)·2⁻²⁶ + (b & MASK27)·2⁻⁵³.
@inline function uniform(): f64 {
  const hi = nextOutput() & 0x3ffffff;
  const lo = nextOutput() & 0x7ffffff;
  return <f64>hi * 1.4901161193847656e-8 + <f64>lo * 1.1102230246251565e-16;
}

// The next normal of the array, or 0 with stopped = 1 when it is used up.
@inline function nextNormal(): f64 {
  if (normalAt >= normalEnd) {
    stopped = 1;
    return 0;
  }
  const z = load<f64>(normalAt);
  normalAt += 8;
  return z;
}

// noise-statistics.ts's chiSquareUnchecked for n ≥ 2 (Marsaglia–Tsang); 0 with `stopped` set
// where it cannot finish here.
function chiSquare(n: i32): f64 {
  if (n == 1) {
    stopped = 2;
    return 0;
  }
  const d = <f64>n / 2 - 1.0 / 3.0;
  const c = 1 / sqrt<f64>(9 * d);
  for (;;) {
    const x = nextNormal();
    if (stopped != 0) return 0;
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = uniform();
    // squeezeAccepts(u, x), without its x ** 4 (see there).
    const x2 = x * x;
    const s = 1 - 0.0331 * (x2 * x2);
    if (u < s - 1e-9) return 2 * d * v;
    if (!(u >= s + 1e-9)) {
      stopped = 2;
      return 0;
    }
    if (fdLog(u) < 0.5 * x * x + d * (1 - v + fdLog(v))) return 2 * d * v;
  }
  return 0;
}

export function drawStatistics(K: i32, Hs: i32, B: i32, from: i32, normals: usize, count: i32, state: usize, ebarAt: usize, MAt: usize, work: usize): i32 {
  u01 = load<i32>(state);
  u00 = load<i32>(state, 4);
  u11 = load<i32>(state, 8);
  u10 = load<i32>(state, 12);
  normalAt = normals;
  normalEnd = normals + ((<usize>count) << 3);
  stopped = 0;
  const sk = 1 / sqrt<f64>(<f64>K);
  const n = K - 1;
  const fK = <f64>K;
  const L = work;
  let i = from;
  for (; i < B; i++) {
    const s01 = u01;
    const s00 = u00;
    const s11 = u11;
    const s10 = u10;
    const startAt = normalAt;
    const eb = ebarAt + ((<usize>(i * Hs)) << 3);
    const M = MAt + ((<usize>(i * Hs * Hs)) << 3);
    for (let j = 0; j < Hs; j++) store<f64>(eb + ((<usize>j) << 3), sk * nextNormal());
    if (n >= Hs) {
      for (let a = 0; a < Hs && stopped == 0; a++) {
        store<f64>(L + ((<usize>(a * Hs + a)) << 3), sqrt<f64>(chiSquare(n - a)));
        for (let b = 0; b < a; b++) store<f64>(L + ((<usize>(a * Hs + b)) << 3), nextNormal());
      }
    }
    if (stopped == 0) {
      for (let a = 0; a < Hs; a++) {
        for (let b = 0; b <= a; b++) {
          let acc: f64 = 0;
          if (n >= Hs) for (let l = 0; l <= b; l++) acc += load<f64>(L + ((<usize>(a * Hs + l)) << 3)) * load<f64>(L + ((<usize>(b * Hs + l)) << 3));
          store<f64>(M + ((<usize>(a * Hs + b)) << 3), acc);
        }
      }
      if (n < Hs) {
        for (let t = 0; t < n; t++) {
          for (let j = 0; j < Hs; j++) store<f64>(L + ((<usize>j) << 3), nextNormal());
          for (let a = 0; a < Hs; a++) {
            for (let b = 0; b <= a; b++) {
              const o = M + ((<usize>(a * Hs + b)) << 3);
              store<f64>(o, load<f64>(o) + load<f64>(L + ((<usize>a) << 3)) * load<f64>(L + ((<usize>b) << 3)));
            }
          }
        }
      }
    }
    if (stopped != 0) {
      // Not finished: the stream as at the point's start, for the JavaScript side.
      u01 = s01;
      u00 = s00;
      u11 = s11;
      u10 = s10;
      normalAt = startAt;
      break;
    }
    for (let a = 0; a < Hs; a++) {
      for (let b = 0; b <= a; b++) {
        const m = load<f64>(eb + ((<usize>a) << 3)) * load<f64>(eb + ((<usize>b) << 3)) + load<f64>(M + ((<usize>(a * Hs + b)) << 3)) / fK;
        store<f64>(M + ((<usize>(a * Hs + b)) << 3), m);
        store<f64>(M + ((<usize>(b * Hs + a)) << 3), m);
      }
    }
  }
  store<i32>(state, u01);
  store<i32>(state, u00, 4);
  store<i32>(state, u11, 8);
  store<i32>(state, u10, 12);
  store<i32>(state, <i32>((normalAt - normals) >> 3), 16);
  store<i32>(state, stopped, 20);
  return i;
}
