// AssemblyScript source of linear-vae-kernel.wasm: LinearVaeModel.objectiveAndGradient's
// arithmetic (src/models/linear-vae/engine-model.ts and kernel-parts.ts, the readable
// specification) with f64x2 SIMD, bit for bit (step), and LinearIwaeModel's (iwaeStep, at
// the end). Compiled by `npm run build:wasm`
// (pinned assemblyscript); test/convergence/linear-vae-kernel-wasm.test.ts checks the
// committed binary is this source's output and that its objective and gradient equal
// the JS kernel's bitwise.
//
// Why the bits are the JS kernel's: every accumulator receives the JS kernel's terms,
// each computed by the same float64 operations, in the JS kernel's order; only
// independent accumulators run side by side in the two lanes:
//   - the decoder mean m_q = b_q + Σ_j W_qj z_j (sequential in j), the residual, g_q and
//     the ∂b, ∂W and ∂V updates go two data coordinates q at a time (lanes over q; W is
//     read from a transposed copy WT [dz, dx] so the two q are adjacent, and ∂W is
//     accumulated transposed, then transposed back: copies, no arithmetic);
//   - the encoder mean μ_j = c_j + Σ_q V_jq x_q (sequential in q), g_z,j = Σ_q g_q W_qj
//     (sequential in q, from +0) and the per-j updates of z, ∂μ, ∂s, ∂c go two latent
//     coordinates j at a time (lanes over j; V read transposed, VT [dx, dz]);
//   - sums over coordinates (Σ_q e_q², Σ_j μ_j², the KL constant) stay scalar, in order;
//   - an odd dx's last coordinate is done by the scalar form of the same loop; an odd dz's
//     last coordinate is lane 0 of a pair whose lane 1 is a spare slot (every dz-long array
//     is padded to even length; the reads past the end of V, W and the draws stay inside the
//     memory, kernel-wasm.ts leaves 16 bytes after the draws): lanes never mix, and a spare
//     lane is never read back into a real coordinate;
//   - WebAssembly has no fused multiply-add outside relaxed SIMD (not enabled), and
//     binaryen does not reassociate floating point: a·b + c rounds twice, as in JavaScript.
// e^x stays in JavaScript (kernel-wasm.ts passes e^{s/2} and e^s): V8's bits.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

import { fdExp, fdLog } from '../../../engine/wasm/fdlibm.as';

let dx: i32 = 0;
let dz: i32 = 0;
let logNorm: f64 = 0;
let invVar: f64 = 0;
// Parameters (f64, widened from float32 by JavaScript) in paramShapes order:
// W [dx, dz], b [dx], V [dz, dx], c [dz], s [dz]; the gradient in the same layout.
let pW: usize = 0;
let pb: usize = 0;
let pV: usize = 0;
let pc: usize = 0;
let ps: usize = 0;
let gW: usize = 0;
let gb: usize = 0;
let gV: usize = 0;
let gc: usize = 0;
let gs: usize = 0;
// e^{s_j/2} and e^{s_j} (from JavaScript), the transposed copies and per-point work arrays.
let std: usize = 0;
let es: usize = 0;
let WT: usize = 0;
let VT: usize = 0;
let gWT: usize = 0;
let gBW: usize = 0;
let mu: usize = 0;
let gmu: usize = 0;
let z: usize = 0;
let gz: usize = 0;
let gq: usize = 0;
let data: usize = 0; // N·dx f64

function a(n: i32): i32 {
  return ((n + 1) & ~1) << 3;
}

/** Bytes of the arrays setup() lays out from `at` (each 16-byte aligned): see setup. */
export function layoutBytes(dx_: i32, dz_: i32): i32 {
  return 2 * (a(dx_ * dz_) + a(dx_) + a(dz_ * dx_) + a(dz_) + a(dz_)) + 2 * a(dz_) + 2 * a(dx_ * dz_) + a((dz_ + 1) * dx_) + 4 * a(dz_) + a(dx_);
}

/** Lays out parameters, gradient and work arrays from `at` (layoutBytes bytes); the data at `data_`. */
export function setup(dx_: i32, dz_: i32, logNorm_: f64, invVar_: f64, at: usize, data_: usize): void {
  dx = dx_;
  dz = dz_;
  logNorm = logNorm_;
  invVar = invVar_;
  data = data_;
  const xz = (<usize>((dx * dz + 1) & ~1)) << 3;
  const x = (<usize>((dx + 1) & ~1)) << 3;
  const zz = (<usize>((dz + 1) & ~1)) << 3;
  let p = at;
  pW = p; p += xz;
  pb = p; p += x;
  pV = p; p += xz;
  pc = p; p += zz;
  ps = p; p += zz;
  gW = p; p += xz;
  gb = p; p += x;
  gV = p; p += xz;
  gc = p; p += zz;
  gs = p; p += zz;
  std = p; p += zz;
  es = p; p += zz;
  WT = p; p += xz;
  VT = p; p += xz;
  // step()'s ∂b row, then ∂Wᵀ [dz, dx] right after it (pass (3) sums both as rows of one array).
  gBW = p;
  gWT = p + ((<usize>dx) << 3);
  p += <usize>a((dz + 1) * dx);
  mu = p; p += zz;
  gmu = p; p += zz;
  z = p; p += zz;
  gz = p; p += zz;
  gq = p;
}

/** Addresses for JavaScript: 0 parameters (W first), 1 gradient (∂W first), 2 e^{s/2}, 3 e^s. */
export function address(which: i32): usize {
  return which == 0 ? pW : which == 1 ? gW : which == 2 ? std : es;
}

// The step's draws, made in this module's memory so that nothing is copied (kernel-wasm.ts,
// src/engine/ported-draws.ts): the rows in JavaScript and the normals' copy out of the shared
// normals module cost ~10% of a replica-step at B = 32, d_z = 3 (one core, R = 64: 255k → 288k
// replica-steps/s, measured one process after the other).

// counter-normals.as.ts's pairs and random-rows.as.ts's drawRows, the same sources compiled in.
export { pairs as normalPairs } from '../../../engine/wasm/counter-normals.as';
export { drawRows } from '../../../engine/wasm/random-rows.as';
import { pairs } from '../../../engine/wasm/counter-normals.as';
import { drawRows } from '../../../engine/wasm/random-rows.as';
import { sgd } from '../../../engine/wasm/optimizer.as';

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}

@inline function zero(base: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(at(base, i), 0);
}

/**
 * step()'s pass (3) sums: out[t·dx + q] = Σ_{m < n} r_m[q] · c_m[t] for t < T, q < dx, each from +0
 * over m in order, in a register: eight at a time (two t × eight q), then four, two, one. r_m is
 * the row at rows + m·a(dx) (dx values), or where `indexed`, data row rows[m] (i32 indices at
 * `rows`: the mini-batch's points, read in place); c_m the row at coefs + m·cStride.
 */
/** rowSums' row m from coordinate q: rows + m·a(dx), or data row rows[m] where `indexed`. */
@inline function rowAt(rows: usize, indexed: bool, m: i32, q: i32): usize {
  return indexed ? at(data, load<i32>(rows + ((<usize>m) << 2)) * dx + q) : at(rows + (<usize>m) * (<usize>a(dx)), q);
}

@inline function rowSums(rows: usize, indexed: bool, coefs: usize, cStride: usize, n: i32, T: i32, out: usize): void {
  const qPairs = dx & ~1;
  let q = 0;
  for (; q + 6 < qPairs; q += 8) {
    let t = 0;
    for (; t + 1 < T; t += 2) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      let b0 = f64x2.splat(0);
      let b1 = f64x2.splat(0);
      let b2 = f64x2.splat(0);
      let b3 = f64x2.splat(0);
      let cp = at(coefs, t);
      for (let m = 0; m < n; m++) {
        const rp = rowAt(rows, indexed, m, q);
        const r0 = v128.load(rp);
        const r1 = v128.load(rp, 16);
        const r2 = v128.load(rp, 32);
        const r3 = v128.load(rp, 48);
        const ca = f64x2.splat(load<f64>(cp));
        const cb = f64x2.splat(load<f64>(cp, 8));
        a0 = f64x2.add(a0, f64x2.mul(r0, ca));
        a1 = f64x2.add(a1, f64x2.mul(r1, ca));
        a2 = f64x2.add(a2, f64x2.mul(r2, ca));
        a3 = f64x2.add(a3, f64x2.mul(r3, ca));
        b0 = f64x2.add(b0, f64x2.mul(r0, cb));
        b1 = f64x2.add(b1, f64x2.mul(r1, cb));
        b2 = f64x2.add(b2, f64x2.mul(r2, cb));
        b3 = f64x2.add(b3, f64x2.mul(r3, cb));
        cp += cStride;
      }
      const oa = at(out, t * dx + q);
      const ob = at(out, (t + 1) * dx + q);
      v128.store(oa, a0);
      v128.store(oa, a1, 16);
      v128.store(oa, a2, 32);
      v128.store(oa, a3, 48);
      v128.store(ob, b0);
      v128.store(ob, b1, 16);
      v128.store(ob, b2, 32);
      v128.store(ob, b3, 48);
    }
    if (t < T) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      let cp = at(coefs, t);
      for (let m = 0; m < n; m++) {
        const rp = rowAt(rows, indexed, m, q);
        const ca = f64x2.splat(load<f64>(cp));
        a0 = f64x2.add(a0, f64x2.mul(v128.load(rp), ca));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(rp, 16), ca));
        a2 = f64x2.add(a2, f64x2.mul(v128.load(rp, 32), ca));
        a3 = f64x2.add(a3, f64x2.mul(v128.load(rp, 48), ca));
        cp += cStride;
      }
      const oa = at(out, t * dx + q);
      v128.store(oa, a0);
      v128.store(oa, a1, 16);
      v128.store(oa, a2, 32);
      v128.store(oa, a3, 48);
    }
  }
  for (; q < qPairs; q += 2) {
    let t = 0;
    for (; t + 3 < T; t += 4) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      let cp = at(coefs, t);
      for (let m = 0; m < n; m++) {
        const rp = rowAt(rows, indexed, m, q);
        const r = v128.load(rp);
        a0 = f64x2.add(a0, f64x2.mul(r, f64x2.splat(load<f64>(cp))));
        a1 = f64x2.add(a1, f64x2.mul(r, f64x2.splat(load<f64>(cp, 8))));
        a2 = f64x2.add(a2, f64x2.mul(r, f64x2.splat(load<f64>(cp, 16))));
        a3 = f64x2.add(a3, f64x2.mul(r, f64x2.splat(load<f64>(cp, 24))));
        cp += cStride;
      }
      v128.store(at(out, t * dx + q), a0);
      v128.store(at(out, (t + 1) * dx + q), a1);
      v128.store(at(out, (t + 2) * dx + q), a2);
      v128.store(at(out, (t + 3) * dx + q), a3);
    }
    for (; t + 1 < T; t += 2) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let cp = at(coefs, t);
      for (let m = 0; m < n; m++) {
        const rp = rowAt(rows, indexed, m, q);
        const r = v128.load(rp);
        a0 = f64x2.add(a0, f64x2.mul(r, f64x2.splat(load<f64>(cp))));
        a1 = f64x2.add(a1, f64x2.mul(r, f64x2.splat(load<f64>(cp, 8))));
        cp += cStride;
      }
      v128.store(at(out, t * dx + q), a0);
      v128.store(at(out, (t + 1) * dx + q), a1);
    }
    if (t < T) {
      let acc = f64x2.splat(0);
      let cp = at(coefs, t);
      for (let m = 0; m < n; m++) {
        const rp = rowAt(rows, indexed, m, q);
        acc = f64x2.add(acc, f64x2.mul(v128.load(rp), f64x2.splat(load<f64>(cp))));
        cp += cStride;
      }
      v128.store(at(out, t * dx + q), acc);
    }
  }
  if (q < dx) {
    for (let t = 0; t < T; t++) {
      let acc: f64 = 0;
      let cp = at(coefs, t);
      for (let m = 0; m < n; m++) {
        const rp = rowAt(rows, indexed, m, q);
        acc += load<f64>(rp) * load<f64>(cp);
        cp += cStride;
      }
      store<f64>(at(out, t * dx + q), acc);
    }
  }
}

/**
 * step()'s pass (2) for sample s alone (point s / K): z, the decoder's g into G, g_z into GZ;
 * returns its recon term w(−½ Σ_q e_q²/σ² + log normaliser).
 */
@inline function oneSample(s: i32, K: i32, w: f64, rowsAt: usize, epsAt: usize, MU: usize, Z: usize, G: usize, GZ: usize): f64 {
  const qPairs = dx & ~1;
  const zStride = (<usize>dz) << 3;
  const xStride = (<usize>dx) << 3;
  const zRow = <usize>a(dz);
  const xRow = <usize>a(dx);
  const wv = f64x2.splat(w);
  const iv = f64x2.splat(invVar);
  const x = at(data, load<i32>(rowsAt + ((<usize>(s / K)) << 2)) * dx);
  const mu = MU + (<usize>(s / K)) * zRow;
  const z = Z + (<usize>s) * (<usize>a(dz + 2)) + 8;
  store<f64>(z - 8, 1);
  const gq = G + (<usize>s) * xRow;
  const gz = GZ + (<usize>s) * zRow;
  const e0 = epsAt + (<usize>s) * zStride;
  let j = 0;
  for (; j < dz; j += 2) v128.store(at(z, j), f64x2.add(v128.load(at(mu, j)), f64x2.mul(v128.load(at(std, j)), v128.load(at(e0, j)))));
  let sq: f64 = 0;
  let q = 0;
  // Two pairs of q side by side (independent sums), their squares added to sq in q order.
  for (; q + 2 < qPairs; q += 4) {
    let m0 = v128.load(at(pb, q));
    let m1 = v128.load(at(pb, q + 2));
    let wp = at(WT, q);
    for (j = 0; j < dz; j++) {
      const zj = f64x2.splat(load<f64>(at(z, j)));
      m0 = f64x2.add(m0, f64x2.mul(v128.load(wp), zj));
      m1 = f64x2.add(m1, f64x2.mul(v128.load(wp + 16), zj));
      wp += xStride;
    }
    const r0 = f64x2.sub(v128.load(at(x, q)), m0);
    const r1 = f64x2.sub(v128.load(at(x, q + 2)), m1);
    const ee0 = f64x2.mul(r0, r0);
    const ee1 = f64x2.mul(r1, r1);
    sq += f64x2.extract_lane(ee0, 0);
    sq += f64x2.extract_lane(ee0, 1);
    sq += f64x2.extract_lane(ee1, 0);
    sq += f64x2.extract_lane(ee1, 1);
    v128.store(at(gq, q), f64x2.mul(f64x2.mul(wv, r0), iv));
    v128.store(at(gq, q + 2), f64x2.mul(f64x2.mul(wv, r1), iv));
  }
  for (; q < qPairs; q += 2) {
    let m = v128.load(at(pb, q));
    let wp = at(WT, q);
    for (j = 0; j < dz; j++) {
      m = f64x2.add(m, f64x2.mul(v128.load(wp), f64x2.splat(load<f64>(at(z, j)))));
      wp += xStride;
    }
    const e = f64x2.sub(v128.load(at(x, q)), m);
    const ee = f64x2.mul(e, e);
    sq += f64x2.extract_lane(ee, 0);
    sq += f64x2.extract_lane(ee, 1);
    v128.store(at(gq, q), f64x2.mul(f64x2.mul(wv, e), iv));
  }
  if (q < dx) {
    let m = load<f64>(at(pb, q));
    for (j = 0; j < dz; j++) m += load<f64>(at(WT, j * dx + q)) * load<f64>(at(z, j));
    const e = load<f64>(at(x, q)) - m;
    sq += e * e;
    store<f64>(at(gq, q), w * e * invVar);
  }
  // g_z,j = Σ_q g_q W_qj, q in order (W [dx, dz] puts two j side by side), two pairs of j at a time.
  for (j = 0; j + 2 < dz; j += 4) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let wp = at(pW, j);
    for (q = 0; q < dx; q++) {
      const gqq = f64x2.splat(load<f64>(at(gq, q)));
      a0 = f64x2.add(a0, f64x2.mul(gqq, v128.load(wp)));
      a1 = f64x2.add(a1, f64x2.mul(gqq, v128.load(wp + 16)));
      wp += zStride;
    }
    v128.store(at(gz, j), a0);
    v128.store(at(gz, j + 2), a1);
  }
  for (; j < dz; j += 2) {
    let a = f64x2.splat(0);
    let wp = at(pW, j);
    for (q = 0; q < dx; q++) {
      a = f64x2.add(a, f64x2.mul(f64x2.splat(load<f64>(at(gq, q))), v128.load(wp)));
      wp += zStride;
    }
    v128.store(at(gz, j), a);
  }
  return w * (-0.5 * invVar * sq + logNorm);
}

/** Bytes of step()'s work arrays for B points of K samples: μ and ∂μ per point, z, g_z and g per sample (kernel-wasm.ts reserves them). */
export function stepWorkBytes(B: i32, K: i32): i32 {
  return 2 * B * a(dz) + B * K * (a(dz + 2) + a(dz) + a(dx));
}

/**
 * One step on the draws at rowsAt (B row indices, i32) and epsAt (B·K·dz normals, f64, in
 * draw order), with stepWorkBytes(B, K) of work arrays at `work`: the gradient into the
 * gradient block, the objective returned.
 *
 * In three passes, so that the processor always has independent work: (1) every point's μ,
 * two points side by side; (2) every sample's z, decoder residual g = w(x − m)/σ², g_z = Wᵀg
 * and recon term, two samples side by side; (3) the sums over samples or points (∂b, ∂W, ∂s,
 * ∂μ, ∂c, ∂V), each accumulator in a register, up to eight per pass. Every accumulator adds
 * the same terms in the same order (point by point, sample by sample) as the JavaScript
 * kernel's single pass, so the bits are its bits. Why: a float64 add waits ~3 cycles on the
 * previous add of its sum, and the single pass had two or four sums going at a time (μ, g_z:
 * chains of d_x adds) and ∂W, ∂V, ∂b loaded and stored per point: 1.86 → 1.23 µs a step at
 * d_x = 10, d_z = 3, B = 32, K = 1 (one process timing both binaries in turn).
 */
export function step(B: i32, K: i32, beta: f64, rowsAt: usize, epsAt: usize, work: usize): f64 {
  const w = 1 / (<f64>B * <f64>K);
  const bB = beta / <f64>B;
  const qPairs = dx & ~1;
  const S = B * K;
  // Byte strides of a row of a [·, dz] and of a [·, dx] array, and of the padded work rows.
  const zStride = (<usize>dz) << 3;
  const xStride = (<usize>dx) << 3;
  const zRow = <usize>a(dz);
  const xRow = <usize>a(dx);
  // A sample's row of Z is [1, z_0 … z_{dz−1}, spare]: pass (3) reads ∂b's coefficient 1 beside ∂Wᵀ's z_j.
  const cRow = <usize>a(dz + 2);
  const MU = work;
  const GMU = MU + (<usize>B) * zRow;
  const Z = GMU + (<usize>B) * zRow;
  const GZ = Z + (<usize>S) * cRow;
  const G = GZ + (<usize>S) * zRow;
  // Transposed copies of W [dx, dz] and V [dz, dx].
  for (let q = 0; q < dx; q++) {
    for (let j = 0; j < dz; j++) {
      store<f64>(at(WT, j * dx + q), load<f64>(at(pW, q * dz + j)));
      store<f64>(at(VT, q * dz + j), load<f64>(at(pV, j * dx + q)));
    }
  }
  // (1) encoderMean: μ_j = c_j + Σ_q V_jq x_q, q in order; two pairs of j side by side (their sums
  // are independent, so neither waits on the other's adds). Σ_j μ_j² point by point.
  let muSq: f64 = 0;
  let i = 0;
  // Two points side by side (four independent sums), each exactly as one point alone below.
  for (; i + 1 < B; i += 2) {
    const x = at(data, load<i32>(rowsAt + ((<usize>i) << 2)) * dx);
    const y = at(data, load<i32>(rowsAt + ((<usize>(i + 1)) << 2)) * dx);
    const mu = MU + (<usize>i) * zRow;
    const mv = mu + zRow;
    let j = 0;
    for (; j + 2 < dz; j += 4) {
      let a0 = v128.load(at(pc, j));
      let a1 = v128.load(at(pc, j + 2));
      let b0 = a0;
      let b1 = a1;
      let vp = at(VT, j);
      for (let q = 0; q < dx; q++) {
        const xq = f64x2.splat(load<f64>(at(x, q)));
        const yq = f64x2.splat(load<f64>(at(y, q)));
        const v0 = v128.load(vp);
        const v1 = v128.load(vp + 16);
        a0 = f64x2.add(a0, f64x2.mul(v0, xq));
        a1 = f64x2.add(a1, f64x2.mul(v1, xq));
        b0 = f64x2.add(b0, f64x2.mul(v0, yq));
        b1 = f64x2.add(b1, f64x2.mul(v1, yq));
        vp += zStride;
      }
      v128.store(at(mu, j), a0);
      v128.store(at(mu, j + 2), a1);
      v128.store(at(mv, j), b0);
      v128.store(at(mv, j + 2), b1);
    }
    for (; j < dz; j += 2) {
      let a = v128.load(at(pc, j));
      let b = a;
      let vp = at(VT, j);
      for (let q = 0; q < dx; q++) {
        const v = v128.load(vp);
        a = f64x2.add(a, f64x2.mul(v, f64x2.splat(load<f64>(at(x, q)))));
        b = f64x2.add(b, f64x2.mul(v, f64x2.splat(load<f64>(at(y, q)))));
        vp += zStride;
      }
      v128.store(at(mu, j), a);
      v128.store(at(mv, j), b);
    }
    for (j = 0; j < dz; j++) {
      const m = load<f64>(at(mu, j));
      muSq += m * m;
    }
    for (j = 0; j < dz; j++) {
      const m = load<f64>(at(mv, j));
      muSq += m * m;
    }
  }
  for (; i < B; i++) {
    const x = at(data, load<i32>(rowsAt + ((<usize>i) << 2)) * dx);
    const mu = MU + (<usize>i) * zRow;
    let j = 0;
    for (; j + 2 < dz; j += 4) {
      let a0 = v128.load(at(pc, j));
      let a1 = v128.load(at(pc, j + 2));
      let vp = at(VT, j);
      for (let q = 0; q < dx; q++) {
        const xq = f64x2.splat(load<f64>(at(x, q)));
        a0 = f64x2.add(a0, f64x2.mul(v128.load(vp), xq));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(vp + 16), xq));
        vp += zStride;
      }
      v128.store(at(mu, j), a0);
      v128.store(at(mu, j + 2), a1);
    }
    for (; j < dz; j += 2) {
      let a = v128.load(at(pc, j));
      let vp = at(VT, j);
      for (let q = 0; q < dx; q++) {
        a = f64x2.add(a, f64x2.mul(v128.load(vp), f64x2.splat(load<f64>(at(x, q)))));
        vp += zStride;
      }
      v128.store(at(mu, j), a);
    }
    for (j = 0; j < dz; j++) {
      const m = load<f64>(at(mu, j));
      muSq += m * m;
    }
  }
  // (2) Per sample: z = μ + e^{s/2} ε; the decoder two coordinates q at a time: m = b + Σ_j W_qj z_j,
  // e = x − m, g = w e/σ²; g_z,j = Σ_q g_q W_qj; the recon term, sample by sample. Two samples side
  // by side (their sums independent), each exactly as one sample alone (oneSample).
  let recon: f64 = 0;
  const wv = f64x2.splat(w);
  const iv = f64x2.splat(invVar);
  let s = 0;
  for (; s + 1 < S; s += 2) {
    const x0 = at(data, load<i32>(rowsAt + ((<usize>(s / K)) << 2)) * dx);
    const x1 = at(data, load<i32>(rowsAt + ((<usize>((s + 1) / K)) << 2)) * dx);
    const mu0 = MU + (<usize>(s / K)) * zRow;
    const mu1 = MU + (<usize>((s + 1) / K)) * zRow;
    const z0 = Z + (<usize>s) * cRow + 8;
    const z1 = z0 + cRow;
    store<f64>(z0 - 8, 1);
    store<f64>(z1 - 8, 1);
    const g0 = G + (<usize>s) * xRow;
    const g1 = g0 + xRow;
    const gz0 = GZ + (<usize>s) * zRow;
    const gz1 = gz0 + zRow;
    const ea = epsAt + (<usize>s) * zStride;
    const eb = ea + zStride;
    let j = 0;
    for (; j < dz; j += 2) {
      const sd = v128.load(at(std, j));
      v128.store(at(z0, j), f64x2.add(v128.load(at(mu0, j)), f64x2.mul(sd, v128.load(at(ea, j)))));
      v128.store(at(z1, j), f64x2.add(v128.load(at(mu1, j)), f64x2.mul(sd, v128.load(at(eb, j)))));
    }
    let sq0: f64 = 0;
    let sq1: f64 = 0;
    let q = 0;
    for (; q + 2 < qPairs; q += 4) {
      let m00 = v128.load(at(pb, q));
      let m01 = v128.load(at(pb, q + 2));
      let m10 = m00;
      let m11 = m01;
      let wp = at(WT, q);
      for (j = 0; j < dz; j++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp + 16);
        const za = f64x2.splat(load<f64>(at(z0, j)));
        const zb = f64x2.splat(load<f64>(at(z1, j)));
        m00 = f64x2.add(m00, f64x2.mul(w0, za));
        m01 = f64x2.add(m01, f64x2.mul(w1, za));
        m10 = f64x2.add(m10, f64x2.mul(w0, zb));
        m11 = f64x2.add(m11, f64x2.mul(w1, zb));
        wp += xStride;
      }
      const r00 = f64x2.sub(v128.load(at(x0, q)), m00);
      const r01 = f64x2.sub(v128.load(at(x0, q + 2)), m01);
      const r10 = f64x2.sub(v128.load(at(x1, q)), m10);
      const r11 = f64x2.sub(v128.load(at(x1, q + 2)), m11);
      const e00 = f64x2.mul(r00, r00);
      const e01 = f64x2.mul(r01, r01);
      const e10 = f64x2.mul(r10, r10);
      const e11 = f64x2.mul(r11, r11);
      sq0 += f64x2.extract_lane(e00, 0);
      sq1 += f64x2.extract_lane(e10, 0);
      sq0 += f64x2.extract_lane(e00, 1);
      sq1 += f64x2.extract_lane(e10, 1);
      sq0 += f64x2.extract_lane(e01, 0);
      sq1 += f64x2.extract_lane(e11, 0);
      sq0 += f64x2.extract_lane(e01, 1);
      sq1 += f64x2.extract_lane(e11, 1);
      v128.store(at(g0, q), f64x2.mul(f64x2.mul(wv, r00), iv));
      v128.store(at(g0, q + 2), f64x2.mul(f64x2.mul(wv, r01), iv));
      v128.store(at(g1, q), f64x2.mul(f64x2.mul(wv, r10), iv));
      v128.store(at(g1, q + 2), f64x2.mul(f64x2.mul(wv, r11), iv));
    }
    for (; q < qPairs; q += 2) {
      let m0 = v128.load(at(pb, q));
      let m1 = m0;
      let wp = at(WT, q);
      for (j = 0; j < dz; j++) {
        const w0 = v128.load(wp);
        m0 = f64x2.add(m0, f64x2.mul(w0, f64x2.splat(load<f64>(at(z0, j)))));
        m1 = f64x2.add(m1, f64x2.mul(w0, f64x2.splat(load<f64>(at(z1, j)))));
        wp += xStride;
      }
      const r0 = f64x2.sub(v128.load(at(x0, q)), m0);
      const r1 = f64x2.sub(v128.load(at(x1, q)), m1);
      const e0 = f64x2.mul(r0, r0);
      const e1 = f64x2.mul(r1, r1);
      sq0 += f64x2.extract_lane(e0, 0);
      sq1 += f64x2.extract_lane(e1, 0);
      sq0 += f64x2.extract_lane(e0, 1);
      sq1 += f64x2.extract_lane(e1, 1);
      v128.store(at(g0, q), f64x2.mul(f64x2.mul(wv, r0), iv));
      v128.store(at(g1, q), f64x2.mul(f64x2.mul(wv, r1), iv));
    }
    if (q < dx) {
      let m0 = load<f64>(at(pb, q));
      let m1 = m0;
      for (j = 0; j < dz; j++) {
        const wq = load<f64>(at(WT, j * dx + q));
        m0 += wq * load<f64>(at(z0, j));
        m1 += wq * load<f64>(at(z1, j));
      }
      const r0 = load<f64>(at(x0, q)) - m0;
      const r1 = load<f64>(at(x1, q)) - m1;
      sq0 += r0 * r0;
      sq1 += r1 * r1;
      store<f64>(at(g0, q), w * r0 * invVar);
      store<f64>(at(g1, q), w * r1 * invVar);
    }
    // g_z,j = Σ_q g_q W_qj, q in order (W [dx, dz] puts two j side by side), two pairs of j at a time.
    for (j = 0; j + 2 < dz; j += 4) {
      let a00 = f64x2.splat(0);
      let a01 = f64x2.splat(0);
      let a10 = f64x2.splat(0);
      let a11 = f64x2.splat(0);
      let wp = at(pW, j);
      for (q = 0; q < dx; q++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp + 16);
        const ga = f64x2.splat(load<f64>(at(g0, q)));
        const gb_ = f64x2.splat(load<f64>(at(g1, q)));
        a00 = f64x2.add(a00, f64x2.mul(ga, w0));
        a01 = f64x2.add(a01, f64x2.mul(ga, w1));
        a10 = f64x2.add(a10, f64x2.mul(gb_, w0));
        a11 = f64x2.add(a11, f64x2.mul(gb_, w1));
        wp += zStride;
      }
      v128.store(at(gz0, j), a00);
      v128.store(at(gz0, j + 2), a01);
      v128.store(at(gz1, j), a10);
      v128.store(at(gz1, j + 2), a11);
    }
    for (; j < dz; j += 2) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let wp = at(pW, j);
      for (q = 0; q < dx; q++) {
        const w0 = v128.load(wp);
        a0 = f64x2.add(a0, f64x2.mul(f64x2.splat(load<f64>(at(g0, q))), w0));
        a1 = f64x2.add(a1, f64x2.mul(f64x2.splat(load<f64>(at(g1, q))), w0));
        wp += zStride;
      }
      v128.store(at(gz0, j), a0);
      v128.store(at(gz1, j), a1);
    }
    recon += w * (-0.5 * invVar * sq0 + logNorm);
    recon += w * (-0.5 * invVar * sq1 + logNorm);
  }
  for (; s < S; s++) recon += oneSample(s, K, w, rowsAt, epsAt, MU, Z, G, GZ);
  // (3) The sums, each from +0 over samples (or points) in order, in a register (rowSums).
  // ∂b_q = Σ g_q·1 and ∂W_qj = Σ g_q z_j (kept transposed, ∂Wᵀ [dz, dx], so two q are adjacent):
  // rows t = 0 … dz of gBW with coefficients Z_s[t] (1, z_0, …); x·1 = x, so ∂b's sum is Σ g_q.
  rowSums(G, false, Z, cRow, S, dz + 1, gBW);
  for (let q = 0; q < dx; q++) store<f64>(at(gb, q), load<f64>(at(gBW, q)));
  // ∂s_j = Σ ½ g_z,j ε_j e^{s_j/2} (over samples); per point ∂μ = Σ_k g_z − (β/B) μ; ∂c = Σ ∂μ (over
  // points): one pass over the points for two pairs of j at a time (their sums independent).
  const half = f64x2.splat(0.5);
  const bv = f64x2.splat(bB);
  let j = 0;
  for (; j + 2 < dz; j += 4) {
    const sd0 = v128.load(at(std, j));
    const sd1 = v128.load(at(std, j + 2));
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let c0 = f64x2.splat(0);
    let c1 = f64x2.splat(0);
    let ep = at(epsAt, j);
    let gzp = at(GZ, j);
    let mp = at(MU, j);
    let gmp = at(GMU, j);
    for (let i = 0; i < B; i++) {
      let g0 = f64x2.splat(0);
      let g1 = f64x2.splat(0);
      for (let kk = 0; kk < K; kk++) {
        const z0 = v128.load(gzp);
        const z1 = v128.load(gzp, 16);
        s0 = f64x2.add(s0, f64x2.mul(f64x2.mul(f64x2.mul(half, z0), v128.load(ep)), sd0));
        s1 = f64x2.add(s1, f64x2.mul(f64x2.mul(f64x2.mul(half, z1), v128.load(ep, 16)), sd1));
        g0 = f64x2.add(g0, z0);
        g1 = f64x2.add(g1, z1);
        ep += zStride;
        gzp += zRow;
      }
      g0 = f64x2.sub(g0, f64x2.mul(bv, v128.load(mp)));
      g1 = f64x2.sub(g1, f64x2.mul(bv, v128.load(mp, 16)));
      v128.store(gmp, g0);
      v128.store(gmp, g1, 16);
      c0 = f64x2.add(c0, g0);
      c1 = f64x2.add(c1, g1);
      mp += zRow;
      gmp += zRow;
    }
    v128.store(at(gs, j), s0);
    v128.store(at(gs, j + 2), s1);
    v128.store(at(gc, j), c0);
    v128.store(at(gc, j + 2), c1);
  }
  for (; j < dz; j += 2) {
    const sd = v128.load(at(std, j));
    let s0 = f64x2.splat(0);
    let c0 = f64x2.splat(0);
    let ep = at(epsAt, j);
    let gzp = at(GZ, j);
    let mp = at(MU, j);
    let gmp = at(GMU, j);
    for (let i = 0; i < B; i++) {
      let g = f64x2.splat(0);
      for (let kk = 0; kk < K; kk++) {
        const z0 = v128.load(gzp);
        s0 = f64x2.add(s0, f64x2.mul(f64x2.mul(f64x2.mul(half, z0), v128.load(ep)), sd));
        g = f64x2.add(g, z0);
        ep += zStride;
        gzp += zRow;
      }
      g = f64x2.sub(g, f64x2.mul(bv, v128.load(mp)));
      v128.store(gmp, g);
      c0 = f64x2.add(c0, g);
      mp += zRow;
      gmp += zRow;
    }
    v128.store(at(gs, j), s0);
    v128.store(at(gc, j), c0);
  }
  // addEncoderGradient: ∂V_jq = Σ_i x_q ∂μ_j (x·y = y·x), the points' rows read in place.
  rowSums(rowsAt, true, GMU, zRow, B, dz, gV);
  // ∂W back to [dx, dz].
  for (let q = 0; q < dx; q++) for (let j = 0; j < dz; j++) store<f64>(at(gW, q * dz + j), load<f64>(at(gWT, j * dx + q)));
  // KL(q‖p) averaged over the B points: ½ Σ_j (e^{s_j} − 1 − s_j) + ½ mean_i |μ_i|².
  let klConst: f64 = 0;
  for (let j = 0; j < dz; j++) {
    const e = load<f64>(at(es, j));
    klConst += e - 1 - load<f64>(at(ps, j));
    store<f64>(at(gs, j), load<f64>(at(gs, j)) - 0.5 * beta * (e - 1));
  }
  const kl = 0.5 * klConst + (0.5 * muSq) / <f64>B;
  return recon - beta * kl;
}

// ---------------------------------------------------------------------------------------
// Fused SGD training (kernel-wasm.ts's FusedLinearVaeSgd, used by the kernel trainer where
// it can): one call steps every replica of a batch, each exactly as the unfused path does it
// (kernel-trainer.ts's advance with this module's step and optimizer.as.ts's sgd), so every
// parameter, objective and stream state is the same bit for bit; what goes is the JavaScript
// between them (per replica: two draw calls and their stream-state hand-over, five float32
// → float64 copies, 2·dz Math.exp calls, five gradient copies, five optimiser calls).
//   - parameters: float32 in blocks [R × size] per parameter (fusedSetup), widened into the
//     step's float64 blocks (exact), updated in place by sgd;
//   - e^{s/2}, e^s: fdlibm.as.ts's fdExp (Math.exp's bits, tested there);
//   - draws: the replica's rows by drawRows on its data stream's xoroshiro128+ state, its
//     B·K·dz normals as counter-normals.ts's numbers drawn … drawn + B·K·dz − 1: the whole
//     pairs that cover them from pair ⌊drawn/2⌋ (a normal is a pure function of its index,
//     so an odd start reads the second of its pair, as the stream's buffer hands it out);
//   - order and stops: as advance() — the objective rounded to float32 and checked before
//     the update, the update's screen after it; the first replica that fails stops the call.
// A replica's record (64 bytes, from JavaScript): 0 the data stream's state (drawRows' four
// i32), 16 the noise stream's key (i64), 24 normals drawn so far (i64), 32 B (i32), 36 K
// (i32), 40 β, 48 γ_k of this step (both f64); the module writes 56: the objective (f64).

// SplitMix64's γ (counter-normals.ts's GAMMA): pair p's u-counter is key + (2p + 1)·γ.
const FUSED_GAMMA: i64 = 0x9e3779b97f4a7c15;
let fW: usize = 0;
let fb: usize = 0;
let fV: usize = 0;
let fc: usize = 0;
let fs: usize = 0;
let fRows: usize = 0;
let fEps: usize = 0;
let fWork: usize = 0;
let fN: f64 = 0;
let fHasBias = false;
let fBias: f64 = 0;

/** The float32 parameter blocks [R × size] (W, b, V, c, s), where the draws and step()'s work arrays go, and the data's row count. */
export function fusedSetup(W: usize, b: usize, V: usize, c: usize, s: usize, rowsAt: usize, epsAt: usize, work: usize, n: f64): void {
  fW = W;
  fb = b;
  fV = V;
  fc = c;
  fs = s;
  fRows = rowsAt;
  fEps = epsAt;
  fWork = work;
  fN = n;
}

/**
 * A constant δ added to every ∂b_q and δ·Σ_q b_q to the objective after each step (the falsifiers'
 * injected gradient bias, src/claims/convergence/shared/falsifier-models.ts's objectiveAndGradient,
 * by the same operations in the same order).
 */
export function fusedGradientBias(delta: f64): void {
  fHasBias = true;
  fBias = delta;
}

@inline function widen(from: usize, to: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(to + ((<usize>i) << 3), <f64>load<f32>(from + ((<usize>i) << 2)));
}

/**
 * One SGD step of replicas 0 … R − 1 (records from `records`): −1 when all stepped; r when
 * replica r's objective (as float32) is not finite (r not updated, later ones not stepped);
 * R + r when replica r's updated parameters are not all finite (later ones not stepped).
 */
export function fusedSgd(R: i32, records: usize): i32 {
  const nW = dx * dz;
  for (let r = 0; r < R; r++) {
    const rec = records + ((<usize>r) << 6);
    const tW = fW + ((<usize>(r * nW)) << 2);
    const tb = fb + ((<usize>(r * dx)) << 2);
    const tV = fV + ((<usize>(r * nW)) << 2);
    const tc = fc + ((<usize>(r * dz)) << 2);
    const ts = fs + ((<usize>(r * dz)) << 2);
    widen(tW, pW, nW);
    widen(tb, pb, dx);
    widen(tV, pV, nW);
    widen(tc, pc, dz);
    widen(ts, ps, dz);
    for (let j = 0; j < dz; j++) {
      const sj = load<f64>(at(ps, j));
      store<f64>(at(std, j), fdExp(0.5 * sj));
      store<f64>(at(es, j), fdExp(sj));
    }
    const B = load<i32>(rec, 32);
    const K = load<i32>(rec, 36);
    drawRows(rec, fN, B, fRows);
    const count = B * K * dz;
    const drawn = load<i64>(rec, 24);
    const odd = drawn & 1;
    const c0 = load<i64>(rec, 16) + (drawn - odd + 1) * FUSED_GAMMA;
    pairs(<u32>(c0 >>> 32), <u32>c0, (count + <i32>odd + 1) >> 1, fEps);
    store<i64>(rec, drawn + <i64>count, 24);
    let objective = step(B, K, load<f64>(rec, 40), fRows, fEps + ((<usize>odd) << 3), fWork);
    if (fHasBias) {
      let sum: f64 = 0;
      for (let q = 0; q < dx; q++) {
        store<f64>(at(gb, q), load<f64>(at(gb, q)) + fBias);
        sum += load<f64>(at(pb, q));
      }
      objective = objective + fBias * sum;
    }
    store<f64>(rec, objective, 56);
    if (!isFinite<f32>(<f32>objective)) return r;
    const gamma = load<f64>(rec, 48);
    let screen = sgd(tW, gW, nW, gamma);
    screen += sgd(tb, gb, dx, gamma);
    screen += sgd(tV, gV, nW, gamma);
    screen += sgd(tc, gc, dz, gamma);
    screen += sgd(ts, gs, dz, gamma);
    if (screen != 0) return R + r;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------
// The IWAE bound's step: LinearIwaeModel.objectiveAndGradient and poolKernel
// (src/models/linear-vae/iwae-engine-model.ts), bit for bit by the same rules as step():
// the decoder two coordinates q at a time, Σ_q W_qj e_kq two coordinates j at a time
// (spare lane for an odd dz), every sum over coordinates or samples scalar and in order,
// e^x and log x V8's Math.exp and Math.log bit for bit (src/engine/wasm/fdlibm.as.ts, V8's
// fdlibm ported and tested against them), every scalar expression in the JavaScript order.

/**
 * One IWAE step on the draws at rowsAt / epsAt, with work arrays from `work` (z K·dz,
 * e K·dx, logW K, omega K, wte 2 + dz, each 16-byte aligned). The encoder mean is read
 * from the parameter blocks V and c (JavaScript writes a fixed encoder mean there);
 * flags: 1 the log-variances train (∂s), 2 DReG encoder gradient, 4 the encoder mean
 * is fixed (no ∂V, ∂c), 8 the log-weights pooled by their mean (MeanLogWeightModel's
 * poolKernel: the ELBO, ω_k = 1/K) instead of log-mean-exp. std holds e^{s/2}; halfSumS = Σ_j s_j/2 in order; v = σ².
 */
export function iwaeStep(B: i32, K: i32, flags: i32, v: f64, logNormV: f64, halfSumS: f64, rowsAt: usize, epsAt: usize, work: usize): f64 {
  const learned = (flags & 1) != 0;
  const dreg = (flags & 2) != 0;
  const fixedMean = (flags & 4) != 0;
  const meanPool = (flags & 8) != 0;
  const fB = <f64>B;
  const zStride = (<usize>dz) << 3;
  const xStride = (<usize>dx) << 3;
  const qPairs = dx & ~1;
  const zw = work;
  const ew = zw + ((<usize>((K * dz + 1) & ~1)) << 3);
  const logW = ew + ((<usize>((K * dx + 1) & ~1)) << 3);
  const omega = logW + ((<usize>((K + 1) & ~1)) << 3);
  const wte = omega + ((<usize>((K + 1) & ~1)) << 3);
  for (let q = 0; q < dx; q++) for (let j = 0; j < dz; j++) store<f64>(at(WT, j * dx + q), load<f64>(at(pW, q * dz + j)));
  for (let q = 0; q < dx; q++) for (let j = 0; j < dz; j++) store<f64>(at(VT, q * dz + j), load<f64>(at(pV, j * dx + q)));
  zero(gWT, dx * dz);
  zero(gb, dx);
  zero(gV, dz * dx);
  zero(gc, dz);
  zero(gs, dz);
  let objective: f64 = 0;
  let e0 = epsAt;
  for (let i = 0; i < B; i++) {
    const x = at(data, load<i32>(rowsAt + ((<usize>i) << 2)) * dx);
    // encoderMean (as step()).
    for (let j = 0; j < dz; j += 2) {
      let a = v128.load(at(pc, j));
      let vp = at(VT, j);
      for (let q = 0; q < dx; q++) {
        a = f64x2.add(a, f64x2.mul(v128.load(vp), f64x2.splat(load<f64>(at(x, q)))));
        vp += zStride;
      }
      v128.store(at(mu, j), a);
    }
    zero(gmu, dz);
    for (let k = 0; k < K; k++) {
      const zk = at(zw, k * dz);
      const ek = at(ew, k * dx);
      const epsk = at(e0, k * dz);
      let zz: f64 = 0;
      let ee: f64 = 0;
      for (let j = 0; j < dz; j++) {
        const n = load<f64>(at(epsk, j));
        const zj = load<f64>(at(mu, j)) + load<f64>(at(std, j)) * n;
        store<f64>(at(zk, j), zj);
        zz += zj * zj;
        ee += n * n;
      }
      let sq: f64 = 0;
      let q = 0;
      for (; q < qPairs; q += 2) {
        let m = v128.load(at(pb, q));
        let wp = at(WT, q);
        for (let j = 0; j < dz; j++) {
          m = f64x2.add(m, f64x2.mul(v128.load(wp), f64x2.splat(load<f64>(at(zk, j)))));
          wp += xStride;
        }
        const r = f64x2.sub(v128.load(at(x, q)), m);
        v128.store(at(ek, q), r);
        const rr = f64x2.mul(r, r);
        sq += f64x2.extract_lane(rr, 0);
        sq += f64x2.extract_lane(rr, 1);
      }
      if (q < dx) {
        let m = load<f64>(at(pb, q));
        for (let j = 0; j < dz; j++) m += load<f64>(at(WT, j * dx + q)) * load<f64>(at(zk, j));
        const r = load<f64>(at(x, q)) - m;
        store<f64>(at(ek, q), r);
        sq += r * r;
      }
      store<f64>(at(logW, k), -0.5 * sq / v + logNormV - 0.5 * zz + halfSumS + 0.5 * ee);
    }
    if (meanPool) {
      // MeanLogWeightModel's poolKernel (iwae-elbo-objective.ts).
      let sum: f64 = 0;
      for (let k = 0; k < K; k++) {
        sum += load<f64>(at(logW, k));
        store<f64>(at(omega, k), 1 / <f64>K);
      }
      objective += sum / <f64>K / fB;
    } else {
      // poolKernel.
      let maxLogW: f64 = -Infinity;
      for (let k = 0; k < K; k++) if (load<f64>(at(logW, k)) > maxLogW) maxLogW = load<f64>(at(logW, k));
      let total: f64 = 0;
      for (let k = 0; k < K; k++) {
        const o = fdExp(load<f64>(at(logW, k)) - maxLogW);
        store<f64>(at(omega, k), o);
        total += o;
      }
      for (let k = 0; k < K; k++) store<f64>(at(omega, k), load<f64>(at(omega, k)) / total);
      objective += (maxLogW + fdLog(total) - fdLog(<f64>K)) / fB;
    }
    for (let k = 0; k < K; k++) {
      const zk = at(zw, k * dz);
      const ek = at(ew, k * dx);
      const epsk = at(e0, k * dz);
      const omk = load<f64>(at(omega, k));
      const om = omk / fB;
      const omv = f64x2.splat(om);
      const vv = f64x2.splat(v);
      let q = 0;
      for (; q < qPairs; q += 2) {
        const g = f64x2.div(f64x2.mul(omv, v128.load(at(ek, q))), vv);
        v128.store(at(gb, q), f64x2.add(v128.load(at(gb, q)), g));
        let o = at(gWT, q);
        for (let j = 0; j < dz; j++) {
          v128.store(o, f64x2.add(v128.load(o), f64x2.mul(g, f64x2.splat(load<f64>(at(zk, j))))));
          o += xStride;
        }
      }
      if (q < dx) {
        const g = (om * load<f64>(at(ek, q))) / v;
        store<f64>(at(gb, q), load<f64>(at(gb, q)) + g);
        for (let j = 0; j < dz; j++) {
          const o = at(gWT, j * dx + q);
          store<f64>(o, load<f64>(o) + g * load<f64>(at(zk, j)));
        }
      }
      // wte_j = Σ_q W_qj e_kq, q in order, from +0 (two j at a time).
      for (let j = 0; j < dz; j += 2) {
        let a = f64x2.splat(0);
        let wp = at(pW, j);
        for (q = 0; q < dx; q++) {
          a = f64x2.add(a, f64x2.mul(v128.load(wp), f64x2.splat(load<f64>(at(ek, q)))));
          wp += zStride;
        }
        v128.store(at(wte, j), a);
      }
      for (let j = 0; j < dz; j++) {
        const gk = load<f64>(at(wte, j)) / v - load<f64>(at(zk, j));
        const n = load<f64>(at(epsk, j));
        const sd = load<f64>(at(std, j));
        if (dreg) {
          const dk = gk + n / sd;
          const om2 = omk * om;
          store<f64>(at(gmu, j), load<f64>(at(gmu, j)) + om2 * dk);
          if (learned) store<f64>(at(gs, j), load<f64>(at(gs, j)) + 0.5 * om2 * dk * n * sd);
        } else {
          store<f64>(at(gmu, j), load<f64>(at(gmu, j)) + om * gk);
          if (learned) store<f64>(at(gs, j), load<f64>(at(gs, j)) + 0.5 * om * (gk * n * sd + 1));
        }
      }
    }
    if (!fixedMean) {
      // addEncoderGradient.
      for (let j = 0; j < dz; j++) {
        const g = load<f64>(at(gmu, j));
        store<f64>(at(gc, j), load<f64>(at(gc, j)) + g);
        const gv = f64x2.splat(g);
        const row = at(gV, j * dx);
        let q = 0;
        for (; q < qPairs; q += 2) v128.store(at(row, q), f64x2.add(v128.load(at(row, q)), f64x2.mul(gv, v128.load(at(x, q)))));
        if (q < dx) store<f64>(at(row, q), load<f64>(at(row, q)) + g * load<f64>(at(x, q)));
      }
    }
    e0 += (<usize>(K * dz)) << 3;
  }
  for (let q = 0; q < dx; q++) for (let j = 0; j < dz; j++) store<f64>(at(gW, q * dz + j), load<f64>(at(gWT, j * dx + q)));
  return objective;
}
