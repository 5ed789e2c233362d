// AssemblyScript source of picked-row-sums.wasm: the sum of the rows of a matrix picked by a
// list of indices (a bootstrap resample's sums), src/stats/picked-row-sums.ts's pickedRowSumsJs
// (the readable specification) with f64x2 SIMD, bit for bit: out[t] = ((0 + rows[p_0][t]) +
// rows[p_1][t]) + …, the picks in order, for every column t. The two lanes are two columns
// (independent sums; an odd width's last column is the scalar form of the same adds), so each
// sum keeps the specification's order. test/stats/picked-row-sums.test.ts compares the two
// bitwise. Memory is the JavaScript side's (imported); it passes every address (bytes).

/** out [width] = Σ_i rows[pick[i]] (rows f64 [·, width] row-major at `rows`, pick i32 [J], out f64). */
export function sumRows(rows: usize, width: i32, pick: usize, J: i32, out: usize): void {
  const stride = (<usize>width) << 3;
  const pairs = width & ~1;
  // out starts at +0 (as the specification's zero-filled sums); then whole rows, in pick order
  // (each row read once, contiguously; the sums stay in cache).
  for (let t = 0; t < width; t++) store<f64>(out + ((<usize>t) << 3), 0);
  for (let i = 0; i < J; i++) {
    const row = rows + (<usize>load<i32>(pick + ((<usize>i) << 2))) * stride;
    let t = 0;
    for (; t < pairs; t += 2) {
      const o = (<usize>t) << 3;
      v128.store(out + o, f64x2.add(v128.load(out + o), v128.load(row + o)));
    }
    if (t < width) {
      const o = (<usize>t) << 3;
      store<f64>(out + o, load<f64>(out + o) + load<f64>(row + o));
    }
  }
}
