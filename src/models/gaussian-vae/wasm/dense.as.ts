// AssemblyScript source of dense.wasm: the dense layer of the Gaussian VAE's float64
// evaluation (src/models/gaussian-vae/evaluate.ts's denseJs, the readable specification)
// with f64x2 SIMD, bit for bit:
//   out[j] = b[j];  for each input i with x_i ≠ 0, in order:  out[j] += x_i · W[i, j]
// Output columns never interact, so two run side by side in the two lanes through the
// same float64 operations in the same order (f64 + and · are correctly rounded in
// WebAssembly as in JavaScript; no fused multiply-add outside relaxed SIMD, not enabled);
// an odd last column takes the scalar form. The zero test is JavaScript's `v === 0`
// (true for ±0, false for NaN), as f64 `==` is. The tanh of a hidden layer stays in
// JavaScript (Math.tanh, applied to the output in place). Memory is the JavaScript side's
// (imported); it passes every address (bytes), all float64.
export function dense(xAt: usize, rows: i32, wAt: usize, bAt: usize, cols: i32, outAt: usize): void {
  memory.copy(outAt, bAt, (<usize>cols) << 3);
  const pairs = cols & ~1;
  for (let i = 0; i < rows; i++) {
    const v = load<f64>(xAt + ((<usize>i) << 3));
    if (v == 0) continue;
    const vv = f64x2.splat(v);
    const row = wAt + ((<usize>(i * cols)) << 3);
    let j = 0;
    for (; j < pairs; j += 2) {
      const o = outAt + ((<usize>j) << 3);
      v128.store(o, f64x2.add(v128.load(o), f64x2.mul(vv, v128.load(row + ((<usize>j) << 3)))));
    }
    if (j < cols) {
      const o = outAt + ((<usize>j) << 3);
      store<f64>(o, load<f64>(o) + v * load<f64>(row + ((<usize>j) << 3)));
    }
  }
}
