// AssemblyScript source of gd-step.wasm: one gradient-descent update of a stored weight tensor
// (runGradientDescent, src/models/ntk/gd.ts: its TensorFlow.js ops are the specification) in one
// pass over the backend's own tensors, bit for bit:
//   without ridge   p − g·κ                        (g.mul(gradCoef), p.sub(step))
//   with ridge      p − (g·κ + (p − p̄)·λ)          (… .add(p.sub(anchor).mul(ridgeCoef)), p.sub(step))
// p, g, p̄ [rows, cols]; κ, λ [1, cols], broadcast over the rows. Every operation is the float32
// one the backend's elementwise kernels do (no fused multiply-add: relaxed SIMD is not enabled),
// four columns to the lanes of an f32x4. test/ntk/gd-step.test.ts holds it to the ops bit for bit.
// Memory is the backend's (imported); every address is a tensor's offset in it (bytes).

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

export function update(pAt: usize, gAt: usize, kAt: usize, anchorAt: usize, lAt: usize, ridge: i32, rows: i32, cols: i32, outAt: usize): void {
  const c4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let c = 0;
    if (ridge != 0) {
      for (; c < c4; c += 4) {
        const p = v128.load(at(pAt, o + c));
        const step = f32x4.add(f32x4.mul(v128.load(at(gAt, o + c)), v128.load(at(kAt, c))), f32x4.mul(f32x4.sub(p, v128.load(at(anchorAt, o + c))), v128.load(at(lAt, c))));
        v128.store(at(outAt, o + c), f32x4.sub(p, step));
      }
      for (; c < cols; c++) {
        const p = load<f32>(at(pAt, o + c));
        const step = load<f32>(at(gAt, o + c)) * load<f32>(at(kAt, c)) + (p - load<f32>(at(anchorAt, o + c))) * load<f32>(at(lAt, c));
        store<f32>(at(outAt, o + c), p - step);
      }
    } else {
      for (; c < c4; c += 4) {
        const p = v128.load(at(pAt, o + c));
        v128.store(at(outAt, o + c), f32x4.sub(p, f32x4.mul(v128.load(at(gAt, o + c)), v128.load(at(kAt, c)))));
      }
      for (; c < cols; c++) {
        const p = load<f32>(at(pAt, o + c));
        store<f32>(at(outAt, o + c), p - load<f32>(at(gAt, o + c)) * load<f32>(at(kAt, c)));
      }
    }
  }
}
