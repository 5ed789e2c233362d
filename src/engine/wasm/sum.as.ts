// AssemblyScript source of sum.wasm: TensorFlow.js's WebAssembly backend's float32 Sum over
// one axis that is not the innermost, with f32x4 SIMD, bit for bit, and without the
// backend's transpose. The backend moves the reduced axis innermost (a transposed copy),
// then sums each output's values in order from 0, one float32 addition at a time
// (measured against it: test/engine/sum-kernel.test.ts). Here x is read as
// [outer, R, inner] where it lies: every output (o, c) gets 0 + x[o, 0, c] + x[o, 1, c] + …
// in that order, four outputs c side by side in the lanes of an f32x4 (which round each lane
// as the scalar addition does), so the bits are the backend's.
// Memory is the backend's own (imported); addresses are bytes; no data, no allocation.
export function sumMiddle(xAt: usize, outAt: usize, outer: i32, R: i32, inner: i32): void {
  const n4 = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const out = outAt + ((<usize>(o * inner)) << 2);
    const x0 = xAt + ((<usize>(o * R * inner)) << 2);
    let c = 0;
    for (; c < n4; c += 4) v128.store(out + ((<usize>c) << 2), f32x4.splat(0));
    for (; c < inner; c++) store<f32>(out + ((<usize>c) << 2), 0);
    for (let r = 0; r < R; r++) {
      const row = x0 + ((<usize>(r * inner)) << 2);
      c = 0;
      for (; c < n4; c += 4) {
        const at = out + ((<usize>c) << 2);
        v128.store(at, f32x4.add(v128.load(at), v128.load(row + ((<usize>c) << 2))));
      }
      for (; c < inner; c++) {
        const at = out + ((<usize>c) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(row + ((<usize>c) << 2)));
      }
    }
  }
}
