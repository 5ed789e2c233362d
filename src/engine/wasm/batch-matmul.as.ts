// AssemblyScript source of batch-matmul.wasm: TensorFlow.js's WebAssembly backend's
// float32 matrix product where the backend runs its own loop (a batch of more than one
// matrix, or one pair with an operand transposed), with f32x4 SIMD, bit for bit.
// src/engine/batch-matmul-kernel.ts installs it in place of that loop, which runs one
// multiply-add at a time at about 1.5 GFLOP/s here.
//
// The arithmetic it must reproduce (measured against the backend on random shapes,
// transposes and broadcast batches: test/engine/batch-matmul-kernel.test.ts): the
// shared dimension is cut into blocks of 48; for every output (i, j) and block, a float32
// sum starts at 0 and adds a(i, k)·b(k, j) for k in the block in order (each product
// rounded to float32, then the sum); the output, from 0, adds each block's sum in block
// order. Four outputs j side by side in the lanes of an f32x4 go through exactly those
// operations (f32x4 mul and add round each lane as the scalar ones do; no fused
// multiply-add outside relaxed SIMD, which is not enabled), so the bits are the same.
//
// wideMatMul (at the end) takes one untransposed pair from XNNPACK, in XNNPACK's order.
//
// Memory is the backend's own (imported): every address (bytes) is a tensor's offset in
// it, handed over by the JavaScript side. The module has no data and allocates nothing.

const BLOCK = 48;

// out[batch, L, N] = a[batch?, L, K] · b[batch?, K, N], b row-major [K, N] per matrix
// (the JavaScript side transposes a transposed b first). a is read through strides
// (aOuter between rows i, aInner between k, in elements), so a transposed a costs nothing.
// A batch stride of 0 broadcasts that operand over the batch.
export function batchMatMul(aAt: usize, bAt: usize, outAt: usize, batch: i32, aBatch: i32, bBatch: i32, L: i32, K: i32, N: i32, aOuter: i32, aInner: i32): void {
  const n16 = N & ~15;
  for (let p = 0; p < batch; p++) {
    const a0 = aAt + ((<usize>(p * aBatch)) << 2);
    const b0 = bAt + ((<usize>(p * bBatch)) << 2);
    const o0 = outAt + ((<usize>(p * L * N)) << 2);
    let i = 0;
    // Two rows at a time: eight independent sums keep the adder busy, and each load of b
    // serves both rows. Each output's operations are the single row's, in its order.
    for (; i + 1 < L; i += 2) {
      const ai = a0 + ((<usize>(i * aOuter)) << 2);
      const ai1 = ai + ((<usize>aOuter) << 2);
      const oi = o0 + ((<usize>(i * N)) << 2);
      const oi1 = oi + ((<usize>N) << 2);
      for (let j = 0; j < n16; j += 16) {
        const oj = oi + ((<usize>j) << 2);
        const oj1 = oi1 + ((<usize>j) << 2);
        // The outputs are the block totals, from 0 (t = 0, then t + s per block).
        const zero = f32x4.splat(0);
        v128.store(oj, zero);
        v128.store(oj, zero, 16);
        v128.store(oj, zero, 32);
        v128.store(oj, zero, 48);
        v128.store(oj1, zero);
        v128.store(oj1, zero, 16);
        v128.store(oj1, zero, 32);
        v128.store(oj1, zero, 48);
        for (let k0 = 0; k0 < K; k0 += BLOCK) {
          const kEnd = min(k0 + BLOCK, K);
          let s0 = zero;
          let s1 = zero;
          let s2 = zero;
          let s3 = zero;
          let s4 = zero;
          let s5 = zero;
          let s6 = zero;
          let s7 = zero;
          for (let k = k0; k < kEnd; k++) {
            const ko = (<usize>(k * aInner)) << 2;
            const av = f32x4.splat(load<f32>(ai + ko));
            const av1 = f32x4.splat(load<f32>(ai1 + ko));
            const bk = b0 + ((<usize>(k * N + j)) << 2);
            const b0v = v128.load(bk);
            const b1v = v128.load(bk, 16);
            const b2v = v128.load(bk, 32);
            const b3v = v128.load(bk, 48);
            s0 = f32x4.add(s0, f32x4.mul(av, b0v));
            s1 = f32x4.add(s1, f32x4.mul(av, b1v));
            s2 = f32x4.add(s2, f32x4.mul(av, b2v));
            s3 = f32x4.add(s3, f32x4.mul(av, b3v));
            s4 = f32x4.add(s4, f32x4.mul(av1, b0v));
            s5 = f32x4.add(s5, f32x4.mul(av1, b1v));
            s6 = f32x4.add(s6, f32x4.mul(av1, b2v));
            s7 = f32x4.add(s7, f32x4.mul(av1, b3v));
          }
          v128.store(oj, f32x4.add(v128.load(oj), s0));
          v128.store(oj, f32x4.add(v128.load(oj, 16), s1), 16);
          v128.store(oj, f32x4.add(v128.load(oj, 32), s2), 32);
          v128.store(oj, f32x4.add(v128.load(oj, 48), s3), 48);
          v128.store(oj1, f32x4.add(v128.load(oj1), s4));
          v128.store(oj1, f32x4.add(v128.load(oj1, 16), s5), 16);
          v128.store(oj1, f32x4.add(v128.load(oj1, 32), s6), 32);
          v128.store(oj1, f32x4.add(v128.load(oj1, 48), s7), 48);
        }
      }
      rowFrom(ai, oi, b0, n16, K, N, aInner);
      rowFrom(ai1, oi1, b0, n16, K, N, aInner);
    }
    for (; i < L; i++) {
      const ai = a0 + ((<usize>(i * aOuter)) << 2);
      const oi = o0 + ((<usize>(i * N)) << 2);
      rowFrom(ai, oi, b0, 0, K, N, aInner);
    }
  }
}

// One row's outputs j ≥ from: sixteen at a time (four independent sums), then four, then one.
function rowFrom(ai: usize, oi: usize, b0: usize, from: i32, K: i32, N: i32, aInner: i32): void {
  const n16 = N & ~15;
  const n4 = N & ~3;
  let j = from;
  for (; j < n16; j += 16) {
    let t0 = f32x4.splat(0);
    let t1 = f32x4.splat(0);
    let t2 = f32x4.splat(0);
    let t3 = f32x4.splat(0);
    for (let k0 = 0; k0 < K; k0 += BLOCK) {
      const kEnd = min(k0 + BLOCK, K);
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let s3 = f32x4.splat(0);
      for (let k = k0; k < kEnd; k++) {
        const av = f32x4.splat(load<f32>(ai + ((<usize>(k * aInner)) << 2)));
        const bk = b0 + ((<usize>(k * N + j)) << 2);
        s0 = f32x4.add(s0, f32x4.mul(av, v128.load(bk)));
        s1 = f32x4.add(s1, f32x4.mul(av, v128.load(bk, 16)));
        s2 = f32x4.add(s2, f32x4.mul(av, v128.load(bk, 32)));
        s3 = f32x4.add(s3, f32x4.mul(av, v128.load(bk, 48)));
      }
      t0 = f32x4.add(t0, s0);
      t1 = f32x4.add(t1, s1);
      t2 = f32x4.add(t2, s2);
      t3 = f32x4.add(t3, s3);
    }
    const oj = oi + ((<usize>j) << 2);
    v128.store(oj, t0);
    v128.store(oj, t1, 16);
    v128.store(oj, t2, 32);
    v128.store(oj, t3, 48);
  }
  for (; j < n4; j += 4) {
    let t = f32x4.splat(0);
    for (let k0 = 0; k0 < K; k0 += BLOCK) {
      const kEnd = min(k0 + BLOCK, K);
      let s = f32x4.splat(0);
      for (let k = k0; k < kEnd; k++) {
        const av = f32x4.splat(load<f32>(ai + ((<usize>(k * aInner)) << 2)));
        s = f32x4.add(s, f32x4.mul(av, v128.load(b0 + ((<usize>(k * N + j)) << 2))));
      }
      t = f32x4.add(t, s);
    }
    v128.store(oi + ((<usize>j) << 2), t);
  }
  for (; j < N; j++) {
    let t: f32 = 0;
    for (let k0 = 0; k0 < K; k0 += BLOCK) {
      const kEnd = min(k0 + BLOCK, K);
      let s: f32 = 0;
      for (let k = k0; k < kEnd; k++) s += load<f32>(ai + ((<usize>(k * aInner)) << 2)) * load<f32>(b0 + ((<usize>(k * N + j)) << 2));
      t += s;
    }
    store<f32>(oi + ((<usize>j) << 2), t);
  }
}

// to[m, K, N] = from[m, N, K] transposed, for each of m matrices (a transposed b, made row-major [K, N]).
export function transpose(fromAt: usize, toAt: usize, m: i32, N: i32, K: i32): void {
  for (let p = 0; p < m; p++) {
    const f = fromAt + ((<usize>(p * N * K)) << 2);
    const t = toAt + ((<usize>(p * N * K)) << 2);
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < K; k++) store<f32>(t + ((<usize>(k * N + j)) << 2), load<f32>(f + ((<usize>(j * K + k)) << 2)));
    }
  }
}

// out[L, N] = a[L, K] · b[K, N], one pair, neither transposed (both row-major): the
// product the backend hands to XNNPACK's fully-connected operator with b as its weights,
// which it packs (transposed) on every call whose b is a new tensor: at a [32, 32]·[32, 163,840]
// product the packing took longer than the arithmetic. XNNPACK's float32 GEMM starts every
// output at its bias (0 here: the backend passes none), adds a(i, k)·b(k, j) for k in order
// over the whole shared dimension (each product rounded, then the sum), and its min/max
// clamp at ±∞ leaves every value as it is; that is what this loop does, four outputs j to
// the lanes, so the bits are the backend's (test/engine/batch-matmul-kernel.test.ts).
// Four rows or more: sixteen columns by two rows at a time (eight sums, six loads and sixteen
// operations a step of k: the adders' limit), over blocks of WIDE_BLOCK columns, each block's
// rows all done while its [K, WIDE_BLOCK] of b is in cache; the columns past the last sixteen
// eight by four rows, then four, then one. Measured at [32, 32]·[32, 81,920] (the NTK claims'):
// 7.8 → 6.3 ms against eight columns by four rows over the whole width (XNNPACK's order either
// way: only which outputs are computed side by side changed).
// Columns per block of wideMatMul's two-row tiles: b's [32, 256] (the NTK claims' K = 32) is 32 KB.
const WIDE_BLOCK = 256;

export function wideMatMul(aAt: usize, bAt: usize, outAt: usize, L: i32, K: i32, N: i32): void {
  const n8 = N & ~7;
  const n4 = N & ~3;
  const l4 = L & ~3;
  const rowA = (<usize>K) << 2;
  const rowB = (<usize>N) << 2;
  let j = 0;
  if (L < 4) {
    // One to three rows: thirty-two columns at a time, so that eight independent sums hide
    // the adder's latency (a row's eight-column sums alone wait on it).
    const n32 = N & ~31;
    for (; j < n32; j += 32) {
      for (let i = 0; i < L; i++) {
        const ai = aAt + (<usize>i) * rowA;
        let c0 = f32x4.splat(0);
        let c1 = f32x4.splat(0);
        let c2 = f32x4.splat(0);
        let c3 = f32x4.splat(0);
        let c4 = f32x4.splat(0);
        let c5 = f32x4.splat(0);
        let c6 = f32x4.splat(0);
        let c7 = f32x4.splat(0);
        let bk = bAt + ((<usize>j) << 2);
        for (let k = 0; k < K; k++) {
          const v = v128.load32_splat(ai + ((<usize>k) << 2));
          c0 = f32x4.add(c0, f32x4.mul(v, v128.load(bk)));
          c1 = f32x4.add(c1, f32x4.mul(v, v128.load(bk, 16)));
          c2 = f32x4.add(c2, f32x4.mul(v, v128.load(bk, 32)));
          c3 = f32x4.add(c3, f32x4.mul(v, v128.load(bk, 48)));
          c4 = f32x4.add(c4, f32x4.mul(v, v128.load(bk, 64)));
          c5 = f32x4.add(c5, f32x4.mul(v, v128.load(bk, 80)));
          c6 = f32x4.add(c6, f32x4.mul(v, v128.load(bk, 96)));
          c7 = f32x4.add(c7, f32x4.mul(v, v128.load(bk, 112)));
          bk += rowB;
        }
        const o = outAt + (<usize>i) * rowB + ((<usize>j) << 2);
        v128.store(o, c0);
        v128.store(o, c1, 16);
        v128.store(o, c2, 32);
        v128.store(o, c3, 48);
        v128.store(o, c4, 64);
        v128.store(o, c5, 80);
        v128.store(o, c6, 96);
        v128.store(o, c7, 112);
      }
    }
  } else {
    const n16 = N & ~15;
    const l2 = L & ~1;
    for (let j0 = 0; j0 < n16; j0 += WIDE_BLOCK) {
      const j1 = min(j0 + WIDE_BLOCK, n16);
      let i = 0;
      for (; i < l2; i += 2) {
        const a0 = aAt + (<usize>i) * rowA;
        const a1 = a0 + rowA;
        for (let jj = j0; jj < j1; jj += 16) {
          let c00 = f32x4.splat(0);
          let c01 = f32x4.splat(0);
          let c02 = f32x4.splat(0);
          let c03 = f32x4.splat(0);
          let c10 = f32x4.splat(0);
          let c11 = f32x4.splat(0);
          let c12 = f32x4.splat(0);
          let c13 = f32x4.splat(0);
          let bk = bAt + ((<usize>jj) << 2);
          for (let k = 0; k < K; k++) {
            const ko = (<usize>k) << 2;
            const b0 = v128.load(bk);
            const b1 = v128.load(bk, 16);
            const b2 = v128.load(bk, 32);
            const b3 = v128.load(bk, 48);
            const v0 = v128.load32_splat(a0 + ko);
            c00 = f32x4.add(c00, f32x4.mul(v0, b0));
            c01 = f32x4.add(c01, f32x4.mul(v0, b1));
            c02 = f32x4.add(c02, f32x4.mul(v0, b2));
            c03 = f32x4.add(c03, f32x4.mul(v0, b3));
            const v1 = v128.load32_splat(a1 + ko);
            c10 = f32x4.add(c10, f32x4.mul(v1, b0));
            c11 = f32x4.add(c11, f32x4.mul(v1, b1));
            c12 = f32x4.add(c12, f32x4.mul(v1, b2));
            c13 = f32x4.add(c13, f32x4.mul(v1, b3));
            bk += rowB;
          }
          const o0 = outAt + (<usize>i) * rowB + ((<usize>jj) << 2);
          v128.store(o0, c00);
          v128.store(o0, c01, 16);
          v128.store(o0, c02, 32);
          v128.store(o0, c03, 48);
          const o1 = o0 + rowB;
          v128.store(o1, c10);
          v128.store(o1, c11, 16);
          v128.store(o1, c12, 32);
          v128.store(o1, c13, 48);
        }
      }
      if (i < L) {
        // An odd L's last row, sixteen columns at a time.
        const ai = aAt + (<usize>i) * rowA;
        for (let jj = j0; jj < j1; jj += 16) {
          let c0 = f32x4.splat(0);
          let c1 = f32x4.splat(0);
          let c2 = f32x4.splat(0);
          let c3 = f32x4.splat(0);
          let bk = bAt + ((<usize>jj) << 2);
          for (let k = 0; k < K; k++) {
            const v = v128.load32_splat(ai + ((<usize>k) << 2));
            c0 = f32x4.add(c0, f32x4.mul(v, v128.load(bk)));
            c1 = f32x4.add(c1, f32x4.mul(v, v128.load(bk, 16)));
            c2 = f32x4.add(c2, f32x4.mul(v, v128.load(bk, 32)));
            c3 = f32x4.add(c3, f32x4.mul(v, v128.load(bk, 48)));
            bk += rowB;
          }
          const o = outAt + (<usize>i) * rowB + ((<usize>jj) << 2);
          v128.store(o, c0);
          v128.store(o, c1, 16);
          v128.store(o, c2, 32);
          v128.store(o, c3, 48);
        }
      }
    }
    j = n16;
  }
  for (; j < n8; j += 8) {
    const bj = bAt + ((<usize>j) << 2);
    let i = 0;
    for (; i < l4; i += 4) {
      const a0 = aAt + (<usize>i) * rowA;
      const a1 = a0 + rowA;
      const a2 = a1 + rowA;
      const a3 = a2 + rowA;
      let c00 = f32x4.splat(0);
      let c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0);
      let c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0);
      let c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0);
      let c31 = f32x4.splat(0);
      let bk = bj;
      for (let k = 0; k < K; k++) {
        const ko = (<usize>k) << 2;
        const b0 = v128.load(bk);
        const b1 = v128.load(bk, 16);
        const v0 = v128.load32_splat(a0 + ko);
        c00 = f32x4.add(c00, f32x4.mul(v0, b0));
        c01 = f32x4.add(c01, f32x4.mul(v0, b1));
        const v1 = v128.load32_splat(a1 + ko);
        c10 = f32x4.add(c10, f32x4.mul(v1, b0));
        c11 = f32x4.add(c11, f32x4.mul(v1, b1));
        const v2 = v128.load32_splat(a2 + ko);
        c20 = f32x4.add(c20, f32x4.mul(v2, b0));
        c21 = f32x4.add(c21, f32x4.mul(v2, b1));
        const v3 = v128.load32_splat(a3 + ko);
        c30 = f32x4.add(c30, f32x4.mul(v3, b0));
        c31 = f32x4.add(c31, f32x4.mul(v3, b1));
        bk += rowB;
      }
      const o0 = outAt + (<usize>i) * rowB + ((<usize>j) << 2);
      v128.store(o0, c00);
      v128.store(o0, c01, 16);
      const o1 = o0 + rowB;
      v128.store(o1, c10);
      v128.store(o1, c11, 16);
      const o2 = o1 + rowB;
      v128.store(o2, c20);
      v128.store(o2, c21, 16);
      const o3 = o2 + rowB;
      v128.store(o3, c30);
      v128.store(o3, c31, 16);
    }
    for (; i < L; i++) {
      const ai = aAt + (<usize>i) * rowA;
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let bk = bj;
      for (let k = 0; k < K; k++) {
        const v = v128.load32_splat(ai + ((<usize>k) << 2));
        c0 = f32x4.add(c0, f32x4.mul(v, v128.load(bk)));
        c1 = f32x4.add(c1, f32x4.mul(v, v128.load(bk, 16)));
        bk += rowB;
      }
      const o = outAt + (<usize>i) * rowB + ((<usize>j) << 2);
      v128.store(o, c0);
      v128.store(o, c1, 16);
    }
  }
  for (; j < n4; j += 4) {
    for (let i = 0; i < L; i++) {
      const ai = aAt + (<usize>i) * rowA;
      let c = f32x4.splat(0);
      let bk = bAt + ((<usize>j) << 2);
      for (let k = 0; k < K; k++) {
        c = f32x4.add(c, f32x4.mul(v128.load32_splat(ai + ((<usize>k) << 2)), v128.load(bk)));
        bk += rowB;
      }
      v128.store(outAt + (<usize>i) * rowB + ((<usize>j) << 2), c);
    }
  }
  for (; j < N; j++) {
    for (let i = 0; i < L; i++) {
      const ai = aAt + (<usize>i) * rowA;
      let c: f32 = 0;
      for (let k = 0; k < K; k++) c += load<f32>(ai + ((<usize>k) << 2)) * load<f32>(bAt + (<usize>k) * rowB + ((<usize>j) << 2));
      store<f32>(outAt + (<usize>i) * rowB + ((<usize>j) << 2), c);
    }
  }
}
