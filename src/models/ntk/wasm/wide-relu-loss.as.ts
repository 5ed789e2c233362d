// AssemblyScript source of wide-relu-loss.wasm: the elementwise part of the wide ReLU network's
// loss gradient (WideReluBatch.lossGradients, src/models/ntk/wide-relu.ts: the TensorFlow.js ops
// are the specification) in two passes over the backend's own tensors, bit for bit:
//   - every value is the float32 the ops compute: f32 +, −, ·, / round as the backend's float32
//     kernels do (no fused multiply-add: relaxed SIMD is not enabled);
//   - ReLU and step are the backend's: h above 0, else +0 (ReLU) or 0 (step), a NaN kept by
//     both (measured: ReLU(NaN) = NaN, ReLU(−0) = +0, step(NaN) = NaN); a sum starts
//     from 0 and adds its terms in index order, as the backend's Sum does, whether its axis is
//     innermost (the outputs: over a replica's units) or not (the gradients: over the inputs);
//   - passB goes four units at a time in the lanes of an f32x4 (elementwise, and the sums over
//     inputs are per unit); passA forms four units' products in the lanes, then each input's
//     sum takes them one at a time in unit order, four inputs side by side (independent sums).
// test/ntk/wide-relu-loss.test.ts holds both passes to the TensorFlow.js ops bit for bit.
// Memory is the backend's (imported); every address is a tensor's offset in it (bytes).

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

// The backend's ReLU: x above 0, NaN kept, else +0 (without a branch: signs are random).
@inline function relu(x: f32): f32 {
  return select<f32>(x, 0, (x > 0) | (x != x));
}

@inline function reluV(x: v128): v128 {
  return v128.and(x, v128.or(f32x4.gt(x, f32x4.splat(0)), f32x4.ne(x, x)));
}

/**
 * f[i, r] = Σ_j ReLU(H[i, c] + b[c])·a[c] + b0[r] (c = r·m + j, j in order from 0), and
 * g[i, r] = (f[i, r] − y[i]) / n, for the n inputs and R replicas of width m; H = X·W [n, R·m].
 */
export function passA(hAt: usize, bAt: usize, aAt: usize, b0At: usize, yAt: usize, n: i32, R: i32, m: i32, fAt: usize, gAt: usize): void {
  const units = R * m;
  const nf = <f32>n;
  const m4 = m & ~3;
  const stride = (<usize>units) << 2;
  for (let i = 0; i < n; i += 4) {
    const rows = min(4, n - i);
    // Rows past the last input repeat it (their sums are computed and dropped).
    const h0 = at(hAt, i * units);
    const h1 = rows > 1 ? h0 + stride : h0;
    const h2 = rows > 2 ? h1 + stride : h1;
    const h3 = rows > 3 ? h2 + stride : h2;
    for (let r = 0; r < R; r++) {
      let s0: f32 = 0;
      let s1: f32 = 0;
      let s2: f32 = 0;
      let s3: f32 = 0;
      const c0 = r * m;
      let j = 0;
      // Four units at a time: ReLU(h + b)·a in the lanes (elementwise), then each row's sum takes
      // the four products in unit order, one addition at a time (the sum's order).
      for (; j < m4; j += 4) {
        const c = c0 + j;
        const bv = v128.load(at(bAt, c));
        const av = v128.load(at(aAt, c));
        const p0 = f32x4.mul(reluV(f32x4.add(v128.load(at(h0, c)), bv)), av);
        const p1 = f32x4.mul(reluV(f32x4.add(v128.load(at(h1, c)), bv)), av);
        const p2 = f32x4.mul(reluV(f32x4.add(v128.load(at(h2, c)), bv)), av);
        const p3 = f32x4.mul(reluV(f32x4.add(v128.load(at(h3, c)), bv)), av);
        s0 = s0 + f32x4.extract_lane(p0, 0) + f32x4.extract_lane(p0, 1) + f32x4.extract_lane(p0, 2) + f32x4.extract_lane(p0, 3);
        s1 = s1 + f32x4.extract_lane(p1, 0) + f32x4.extract_lane(p1, 1) + f32x4.extract_lane(p1, 2) + f32x4.extract_lane(p1, 3);
        s2 = s2 + f32x4.extract_lane(p2, 0) + f32x4.extract_lane(p2, 1) + f32x4.extract_lane(p2, 2) + f32x4.extract_lane(p2, 3);
        s3 = s3 + f32x4.extract_lane(p3, 0) + f32x4.extract_lane(p3, 1) + f32x4.extract_lane(p3, 2) + f32x4.extract_lane(p3, 3);
      }
      for (; j < m; j++) {
        const c = c0 + j;
        const bc = load<f32>(at(bAt, c));
        const ac = load<f32>(at(aAt, c));
        s0 += relu(load<f32>(at(h0, c)) + bc) * ac;
        s1 += relu(load<f32>(at(h1, c)) + bc) * ac;
        s2 += relu(load<f32>(at(h2, c)) + bc) * ac;
        s3 += relu(load<f32>(at(h3, c)) + bc) * ac;
      }
      const b0 = load<f32>(at(b0At, r));
      output(i, r, R, s0, b0, nf, yAt, fAt, gAt);
      if (rows > 1) output(i + 1, r, R, s1, b0, nf, yAt, fAt, gAt);
      if (rows > 2) output(i + 2, r, R, s2, b0, nf, yAt, fAt, gAt);
      if (rows > 3) output(i + 3, r, R, s3, b0, nf, yAt, fAt, gAt);
    }
  }
}

// f = sum + b0 (the .add(b0) after the sum), g = (f − y) / n (.sub(y).div(n)).
@inline function output(i: i32, r: i32, R: i32, sum: f32, b0: f32, nf: f32, yAt: usize, fAt: usize, gAt: usize): void {
  const o = i * R + r;
  const f = sum + b0;
  store<f32>(at(fAt, o), f);
  store<f32>(at(gAt, o), (f - load<f32>(at(yAt, i))) / nf);
}

/**
 * ∂H[i, c] = step(H[i, c] + b[c])·a[c]·g[i, r] (each product rounded), and the gradients
 * ∂b[c] = Σ_i ∂H[i, c], ∂a[c] = Σ_i ReLU(H[i, c] + b[c])·g[i, r] (sums over i in order from 0).
 * step is 1 where h > 0, NaN where h is NaN, else 0 (TensorFlow.js's Step with α = 0).
 */
export function passB(hAt: usize, bAt: usize, aAt: usize, gAt: usize, n: i32, R: i32, m: i32, dHAt: usize, gbAt: usize, gaAt: usize): void {
  const units = R * m;
  const m4 = m & ~3;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let c = 0; c < units; c++) {
    store<f32>(at(gbAt, c), 0);
    store<f32>(at(gaAt, c), 0);
  }
  for (let i = 0; i < n; i++) {
    const hi = at(hAt, i * units);
    const di = at(dHAt, i * units);
    for (let r = 0; r < R; r++) {
      const gs = load<f32>(at(gAt, i * R + r));
      const gv = f32x4.splat(gs);
      const c0 = r * m;
      let j = 0;
      for (; j < m4; j += 4) {
        const c = c0 + j;
        const x = f32x4.add(v128.load(at(hi, c)), v128.load(at(bAt, c)));
        const pos = f32x4.gt(x, zero);
        // step: 1 above 0, the NaN itself where x is NaN (x ≠ x), else 0.
        const st = v128.bitselect(one, v128.bitselect(x, zero, f32x4.ne(x, x)), pos);
        const d = f32x4.mul(f32x4.mul(st, v128.load(at(aAt, c))), gv);
        v128.store(at(di, c), d);
        v128.store(at(gbAt, c), f32x4.add(v128.load(at(gbAt, c)), d));
        const nan = f32x4.ne(x, x);
        const r = v128.and(x, v128.or(pos, nan));
        v128.store(at(gaAt, c), f32x4.add(v128.load(at(gaAt, c)), f32x4.mul(r, gv)));
      }
      for (; j < m; j++) {
        const c = c0 + j;
        const x = load<f32>(at(hi, c)) + load<f32>(at(bAt, c));
        const st: f32 = x > 0 ? 1 : x != x ? x : 0;
        const d = st * load<f32>(at(aAt, c)) * gs;
        store<f32>(at(di, c), d);
        store<f32>(at(gbAt, c), load<f32>(at(gbAt, c)) + d);
        store<f32>(at(gaAt, c), load<f32>(at(gaAt, c)) + relu(x) * gs);
      }
    }
  }
}
