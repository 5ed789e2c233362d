// AssemblyScript source of tfjs-adam.wasm: one bias-corrected Adam step of the TF.js
// trainer (src/engine/optimizer.ts's Adam, whose chain of TensorFlow.js ops is the
// readable specification) for one parameter of R replicas, fused into one pass, bit for
// bit. Each op of the chain is one float32 operation per element, correctly rounded in
// the WebAssembly backend (mul, add, div, sqrt; the scalars are float32 tensors), so the
// same operations in the same order give the same bits:
//   m' = m·β1 + g·(1−β1);   v' = v·β2 + (g·g)·(1−β2);
//   θ' = θ + ((m'/c1) / (√(v'/c2) + ε))·γ_r
// four elements side by side in the lanes of an f32x4 (each lane rounded as the scalar
// operation; no fused multiply-add outside relaxed SIMD, not enabled). Memory is the
// backend's own (imported); every address (bytes) is a tensor's offset in it. The scalars
// arrive as f32 (the float32 values the op chain's scalar tensors hold).
export function adamStep(pAt: usize, gAt: usize, mAt: usize, vAt: usize, gammaAt: usize, pOut: usize, mOut: usize, vOut: usize, R: i32, per: i32, b1: f32, a1: f32, b2: f32, a2: f32, c1: f32, c2: f32, eps: f32): void {
  const B1 = f32x4.splat(b1);
  const A1 = f32x4.splat(a1);
  const B2 = f32x4.splat(b2);
  const A2 = f32x4.splat(a2);
  const C1 = f32x4.splat(c1);
  const C2 = f32x4.splat(c2);
  const E = f32x4.splat(eps);
  const n4 = per & ~3;
  for (let r = 0; r < R; r++) {
    const gamma = load<f32>(gammaAt + ((<usize>r) << 2));
    const G = f32x4.splat(gamma);
    const base = (<usize>(r * per)) << 2;
    let i = 0;
    for (; i < n4; i += 4) {
      const o = base + ((<usize>i) << 2);
      const g = v128.load(gAt + o);
      const m = f32x4.add(f32x4.mul(v128.load(mAt + o), B1), f32x4.mul(g, A1));
      const v = f32x4.add(f32x4.mul(v128.load(vAt + o), B2), f32x4.mul(f32x4.mul(g, g), A2));
      v128.store(mOut + o, m);
      v128.store(vOut + o, v);
      const u = f32x4.div(f32x4.div(m, C1), f32x4.add(f32x4.sqrt(f32x4.div(v, C2)), E));
      v128.store(pOut + o, f32x4.add(v128.load(pAt + o), f32x4.mul(u, G)));
    }
    for (; i < per; i++) {
      const o = base + ((<usize>i) << 2);
      const g = load<f32>(gAt + o);
      const m = load<f32>(mAt + o) * b1 + g * a1;
      const v = load<f32>(vAt + o) * b2 + g * g * a2;
      store<f32>(mOut + o, m);
      store<f32>(vOut + o, v);
      const u = m / c1 / (Mathf.sqrt(v / c2) + eps);
      store<f32>(pOut + o, load<f32>(pAt + o) + u * gamma);
    }
  }
}
