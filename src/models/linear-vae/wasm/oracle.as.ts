// AssemblyScript source of linear-vae-oracle.wasm: ‖∇L(θ_r)‖² of the linear Gaussian VAE's
// exact expected ELBO for many replicas r at once: src/models/linear-vae/oracle.ts's
// squaredNorm(elboGradient(θ_r, moments, σ_x, β_r)) (fillExpectations with WS,
// gradientFromScratch, squaredNorm: the readable specification) with f64x2 SIMD, bit for bit.
// Compiled by `npm run build:wasm` (pinned assemblyscript);
// test/convergence/linear-vae-oracle-wasm.test.ts checks that its norms equal the JavaScript
// oracle's bitwise.
//
// Why the bits are oracle.ts's: the two lanes of every f64x2 are two REPLICAS (r, r + 1), each
// lane computing its replica's oracle with exactly the scalar code's operations in its order
// (the same loops, the same accumulators started at +0 or at the same term, a·b + c rounded
// twice: no fused multiply-add without relaxed SIMD, not enabled; binaryen does not
// reassociate floating point). The lanes never mix: a replica's values are never combined with
// the other lane's. An odd R's last replica is lane 0 of a pair whose lane 1 repeats it. The
// parameters are float32 (the trainer's), widened exactly, as toFloat64Params does; e^{s_j}
// comes from JavaScript (Math.exp's bits, computed on the same widened s_j); 1/σ_x² is the
// scalar code's `inv`, passed in.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

let dx: i32 = 0;
let dz: i32 = 0;
// The data moments, each value splatted into both lanes: mean [dx], second [dx, dx].
let mean2: usize = 0;
let second2: usize = 0;
// One replica pair's parameters (lanes r, r + 1), gradient and the scalar code's scratch.
let W: usize = 0; // [dx, dz]
let b: usize = 0; // [dx]
let V: usize = 0; // [dz, dx]
let c: usize = 0; // [dz]
let es: usize = 0; // [dz] e^{s_j}
let mu: usize = 0; // [dz]
let U: usize = 0; // [dz, dx]
let Mmu: usize = 0; // [dz, dz]
let G: usize = 0; // [dz, dz]
let Wb: usize = 0; // [dz]
let Wm: usize = 0; // [dz]
let WS: usize = 0; // [dz, dx]
let gW: usize = 0; // [dx, dz]
let gb: usize = 0; // [dx]
let gV: usize = 0; // [dz, dx]
let gc: usize = 0; // [dz]
let gs: usize = 0; // [dz]

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 4);
}

@inline function ld(base: usize, i: i32): v128 {
  return v128.load(at(base, i));
}

@inline function st(base: usize, i: i32, x: v128): void {
  v128.store(at(base, i), x);
}

/** Bytes of the layout setup() makes from its `scratch` address: the moments and the pair's arrays (16 bytes a value). */
export function layoutBytes(dx_: i32, dz_: i32): i32 {
  return (dx_ + dx_ * dx_ + 6 * dx_ * dz_ + 2 * dx_ + 7 * dz_ + 2 * dz_ * dz_) << 4;
}

/** Lays out the arrays from `scratch` and splats the moments (mean [dx], second [dx, dx], f64 at the given addresses) into them. */
export function setup(dx_: i32, dz_: i32, meanAt: usize, secondAt: usize, scratch: usize): void {
  dx = dx_;
  dz = dz_;
  let p = scratch;
  mean2 = p; p = at(p, dx);
  second2 = p; p = at(p, dx * dx);
  W = p; p = at(p, dx * dz);
  b = p; p = at(p, dx);
  V = p; p = at(p, dz * dx);
  c = p; p = at(p, dz);
  es = p; p = at(p, dz);
  mu = p; p = at(p, dz);
  U = p; p = at(p, dz * dx);
  Mmu = p; p = at(p, dz * dz);
  G = p; p = at(p, dz * dz);
  Wb = p; p = at(p, dz);
  Wm = p; p = at(p, dz);
  WS = p; p = at(p, dz * dx);
  gW = p; p = at(p, dx * dz);
  gb = p; p = at(p, dx);
  gV = p; p = at(p, dz * dx);
  gc = p; p = at(p, dz);
  gs = p;
  for (let i = 0; i < dx; i++) st(mean2, i, f64x2.splat(load<f64>(meanAt + ((<usize>i) << 3))));
  for (let i = 0; i < dx * dx; i++) st(second2, i, f64x2.splat(load<f64>(secondAt + ((<usize>i) << 3))));
}

// Lane 0 from replica r0's float32 block, lane 1 from r1's, `size` values each, widened.
function gather(dst: usize, src: usize, r0: i32, r1: i32, size: i32): void {
  const a = src + ((<usize>(r0 * size)) << 2);
  const b_ = src + ((<usize>(r1 * size)) << 2);
  for (let i = 0; i < size; i++) {
    const o = (<usize>i) << 2;
    st(dst, i, f64x2.replace_lane(f64x2.splat(<f64>load<f32>(a + o)), 1, <f64>load<f32>(b_ + o)));
  }
}

function gather64(dst: usize, src: usize, r0: i32, r1: i32, size: i32): void {
  const a = src + ((<usize>(r0 * size)) << 3);
  const b_ = src + ((<usize>(r1 * size)) << 3);
  for (let i = 0; i < size; i++) {
    const o = (<usize>i) << 3;
    st(dst, i, f64x2.replace_lane(f64x2.splat(load<f64>(a + o)), 1, load<f64>(b_ + o)));
  }
}

// fillExpectations(p, m, withWS = true).
function fillExpectations(): void {
  const zero = f64x2.splat(0);
  for (let j = 0; j < dz; j++) {
    const vo = j * dx;
    let muj = ld(c, j);
    let wb = zero;
    let wm = zero;
    for (let k = 0; k < dx; k++) {
      const mk = ld(mean2, k);
      muj = f64x2.add(muj, f64x2.mul(ld(V, vo + k), mk));
      const w = ld(W, k * dz + j);
      wb = f64x2.add(wb, f64x2.mul(w, ld(b, k)));
      wm = f64x2.add(wm, f64x2.mul(w, mk));
    }
    st(mu, j, muj);
    st(Wb, j, wb);
    st(Wm, j, wm);
    const cj = ld(c, j);
    for (let i = 0; i < dx; i++) st(U, vo + i, f64x2.mul(cj, ld(mean2, i)));
    for (let i = 0; i < dx; i++) st(WS, vo + i, zero);
    for (let k = 0; k < dx; k++) {
      const vjk = ld(V, vo + k);
      const wkj = ld(W, k * dz + j);
      const so = k * dx;
      for (let i = 0; i < dx; i++) {
        const s = ld(second2, so + i);
        st(U, vo + i, f64x2.add(ld(U, vo + i), f64x2.mul(vjk, s)));
        st(WS, vo + i, f64x2.add(ld(WS, vo + i), f64x2.mul(wkj, s)));
      }
    }
  }
  for (let j = 0; j < dz; j++) {
    for (let l = 0; l < dz; l++) {
      let mm = f64x2.mul(ld(mu, j), ld(c, l));
      let g = zero;
      for (let i = 0; i < dx; i++) {
        mm = f64x2.add(mm, f64x2.mul(ld(U, j * dx + i), ld(V, l * dx + i)));
        g = f64x2.add(g, f64x2.mul(ld(W, i * dz + j), ld(W, i * dz + l)));
      }
      st(Mmu, j * dz + l, mm);
      st(G, j * dz + l, g);
    }
  }
}

// gradientFromScratch(p, m, dz, v, beta, g), with inv = 1/v and beta per lane.
function gradientFromScratch(inv: v128, beta: v128): void {
  const zero = f64x2.splat(0);
  for (let i = 0; i < dx; i++) {
    let wmu = zero;
    for (let j = 0; j < dz; j++) wmu = f64x2.add(wmu, f64x2.mul(ld(W, i * dz + j), ld(mu, j)));
    st(gb, i, f64x2.mul(f64x2.sub(f64x2.sub(ld(mean2, i), wmu), ld(b, i)), inv));
  }
  for (let j = 0; j < dz; j++) {
    const e = ld(es, j);
    // −0.5·es·G_jj·inv − 0.5·β·(es − 1), left to right.
    st(gs, j, f64x2.sub(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(-0.5), e), ld(G, j * dz + j)), inv), f64x2.mul(f64x2.mul(f64x2.splat(0.5), beta), f64x2.sub(e, f64x2.splat(1)))));
    let wr = f64x2.sub(ld(Wm, j), ld(Wb, j));
    for (let l = 0; l < dz; l++) wr = f64x2.sub(wr, f64x2.mul(ld(G, j * dz + l), ld(mu, l)));
    st(gc, j, f64x2.sub(f64x2.mul(wr, inv), f64x2.mul(beta, ld(mu, j))));
    for (let i = 0; i < dx; i++) {
      let wrx = f64x2.sub(ld(WS, j * dx + i), f64x2.mul(ld(Wb, j), ld(mean2, i)));
      for (let l = 0; l < dz; l++) wrx = f64x2.sub(wrx, f64x2.mul(ld(G, j * dz + l), ld(U, l * dx + i)));
      st(gV, j * dx + i, f64x2.sub(f64x2.mul(wrx, inv), f64x2.mul(beta, ld(U, j * dx + i))));
    }
    for (let i = 0; i < dx; i++) {
      let q = f64x2.sub(f64x2.sub(ld(U, j * dx + i), f64x2.mul(ld(b, i), ld(mu, j))), f64x2.mul(ld(W, i * dz + j), e));
      for (let l = 0; l < dz; l++) q = f64x2.sub(q, f64x2.mul(ld(W, i * dz + l), ld(Mmu, l * dz + j)));
      st(gW, i * dz + j, f64x2.mul(q, inv));
    }
  }
}

// squaredNorm: Σ g² over the blocks W, b, V, c, s, each in index order, from +0.
@inline function addSquares(total: v128, block: usize, n: i32): v128 {
  for (let i = 0; i < n; i++) {
    const g = ld(block, i);
    total = f64x2.add(total, f64x2.mul(g, g));
  }
  return total;
}

/**
 * ‖∇L(θ_r)‖² for r < R into out[r] (f64): the float32 parameters of replica r at
 * W + r·dx·dz, b + r·dx, V + r·dz·dx, c + r·dz (4 bytes a value, the trainer's batched
 * blocks), e^{s} at es + r·dz and β_r at betas + r (f64).
 */
export function gradientNorms(R: i32, WAt: usize, bAt: usize, VAt: usize, cAt: usize, esAt: usize, betasAt: usize, inv: f64, outAt: usize): void {
  const invs = f64x2.splat(inv);
  for (let r = 0; r < R; r += 2) {
    const r1 = r + 1 < R ? r + 1 : r;
    gather(W, WAt, r, r1, dx * dz);
    gather(b, bAt, r, r1, dx);
    gather(V, VAt, r, r1, dz * dx);
    gather(c, cAt, r, r1, dz);
    gather64(es, esAt, r, r1, dz);
    const beta = f64x2.replace_lane(f64x2.splat(load<f64>(betasAt + ((<usize>r) << 3))), 1, load<f64>(betasAt + ((<usize>r1) << 3)));
    fillExpectations();
    gradientFromScratch(invs, beta);
    let total = f64x2.splat(0);
    total = addSquares(total, gW, dx * dz);
    total = addSquares(total, gb, dx);
    total = addSquares(total, gV, dz * dx);
    total = addSquares(total, gc, dz);
    total = addSquares(total, gs, dz);
    store<f64>(outAt + ((<usize>r) << 3), f64x2.extract_lane(total, 0));
    if (r + 1 < R) store<f64>(outAt + ((<usize>(r + 1)) << 3), f64x2.extract_lane(total, 1));
  }
}
