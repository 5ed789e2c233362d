// AssemblyScript source of optimizer-kernel.wasm: the kernel trainer's Adam and SGD
// updates (src/engine/kernel-optimizer.ts's KernelAdam.apply and KernelSgd.apply, the
// readable specification) with f64x2 SIMD, bit for bit. Compiled by
// `npm run build:wasm` (pinned assemblyscript); test/engine/wasm-kernel.test.ts
// checks the committed binary is this source's output, and
// test/engine/kernel-optimizer-identity.test.ts that its trajectories equal the
// JavaScript optimiser's bitwise.
//
// Why the bits are the JavaScript optimiser's: coordinates never interact, so two run
// side by side in the two lanes, each through the same float64 operations in the same
// order as kernel-optimizer.ts's loop:
//   m = β1·m + b1·g;  v = β2·v + (b2·g)·g;  θ = f32(f64(θ) + (γ·(m / c1)) / (√(v / c2) + ε))
// with b1 = 1 − β1, b2 = 1 − β2, c1 = 1 − β1^k, c2 = 1 − β2^k computed by JavaScript
// (Math.pow) and passed in. f64 +, ·, / and √ are correctly rounded in WebAssembly as in
// JavaScript; there is no fused multiply-add outside relaxed SIMD (not enabled), and
// binaryen does not reassociate floating point. θ is float32: JavaScript's `p[j] += x` on
// a Float32Array widens p[j] (exact), adds in float64 and rounds to nearest float32 on the
// store, which is f64x2.promote_low_f32x4 / f64x2.add / f32x4.demote_f64x2_zero here
// (both round to nearest, ties to even). An odd length's last coordinate takes the scalar
// form of the same operations. Memory is the JavaScript side's (imported); it passes
// every address (bytes): θ float32, g, m, v float64, n coordinates each.
//
// Each update also returns its screen: the sum of θ·0 over the new float32 θ, 0 (or −0)
// when every entry is finite and NaN when one is not (0·±∞ and 0·NaN are NaN, and NaN
// survives every sum). It is what the kernel trainer's divergence screen computes after the
// update (kernel-trainer.ts), done here while each θ is in a register instead of in a
// second pass over the replica's parameters in JavaScript.

// A bias correction that has reached 1 (1 − β^k rounds to 1 once β^k < 2⁻⁵⁴: k > 354 for
// β1 = 0.9, k > 37,400 for β2 = 0.999) is not divided by: x / 1 = x exactly for every double
// (±0, ±∞, NaN included), so the bits are the same, and a division (the update's bottleneck
// with the square root: f64x2 division and square root are not pipelined) is saved.
export function adam(theta: usize, grad: usize, m: usize, v: usize, n: i32, beta1: f64, beta2: f64, b1: f64, b2: f64, gamma: f64, c1: f64, c2: f64, eps: f64): f64 {
  if (c1 == 1 && c2 == 1) return adamLoop(theta, grad, m, v, n, beta1, beta2, b1, b2, gamma, c1, c2, eps, false, false);
  else if (c1 == 1) return adamLoop(theta, grad, m, v, n, beta1, beta2, b1, b2, gamma, c1, c2, eps, false, true);
  return adamLoop(theta, grad, m, v, n, beta1, beta2, b1, b2, gamma, c1, c2, eps, true, true);
}

// One loop, specialised at each call above (inlined, the flags constant): divideM, divideV
// say whether m / c1 and v / c2 are computed (false only where the divisor is exactly 1).
@inline
function adamLoop(theta: usize, grad: usize, m: usize, v: usize, n: i32, beta1: f64, beta2: f64, b1: f64, b2: f64, gamma: f64, c1: f64, c2: f64, eps: f64, divideM: bool, divideV: bool): f64 {
  const B1 = f64x2.splat(beta1);
  const B2 = f64x2.splat(beta2);
  const A1 = f64x2.splat(b1);
  const A2 = f64x2.splat(b2);
  const G = f64x2.splat(gamma);
  const C1 = f64x2.splat(c1);
  const C2 = f64x2.splat(c2);
  const E = f64x2.splat(eps);
  const Z = f32x4.splat(0);
  let screen = f32x4.splat(0);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const o = <usize>i << 3;
    const g = v128.load(grad + o);
    const mj = f64x2.add(f64x2.mul(B1, v128.load(m + o)), f64x2.mul(A1, g));
    const vj = f64x2.add(f64x2.mul(B2, v128.load(v + o)), f64x2.mul(f64x2.mul(A2, g), g));
    v128.store(m + o, mj);
    v128.store(v + o, vj);
    const mh = divideM ? f64x2.div(mj, C1) : mj;
    const vh = divideV ? f64x2.div(vj, C2) : vj;
    const step = f64x2.div(f64x2.mul(G, mh), f64x2.add(f64x2.sqrt(vh), E));
    const t = theta + (<usize>i << 2);
    const p = f64x2.promote_low_f32x4(v128.load64_zero(t));
    const next = f32x4.demote_f64x2_zero(f64x2.add(p, step));
    v128.store64_lane(t, next, 0);
    screen = f32x4.add(screen, f32x4.mul(next, Z));
  }
  let last: f32 = 0;
  if (i < n) {
    const o = <usize>i << 3;
    const g = load<f64>(grad + o);
    const mj = beta1 * load<f64>(m + o) + b1 * g;
    const vj = beta2 * load<f64>(v + o) + b2 * g * g;
    store<f64>(m + o, mj);
    store<f64>(v + o, vj);
    const t = theta + (<usize>i << 2);
    const next = <f32>(<f64>load<f32>(t) + (gamma * (mj / c1)) / (sqrt<f64>(vj / c2) + eps));
    store<f32>(t, next);
    last = next * 0;
  }
  return <f64>(f32x4.extract_lane(screen, 0) + f32x4.extract_lane(screen, 1)) + <f64>last;
}

export function sgd(theta: usize, grad: usize, n: i32, gamma: f64): f64 {
  const G = f64x2.splat(gamma);
  const Z = f32x4.splat(0);
  let screen = f32x4.splat(0);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const t = theta + (<usize>i << 2);
    const p = f64x2.promote_low_f32x4(v128.load64_zero(t));
    const next = f32x4.demote_f64x2_zero(f64x2.add(p, f64x2.mul(G, v128.load(grad + (<usize>i << 3)))));
    v128.store64_lane(t, next, 0);
    screen = f32x4.add(screen, f32x4.mul(next, Z));
  }
  let last: f32 = 0;
  if (i < n) {
    const t = theta + (<usize>i << 2);
    const next = <f32>(<f64>load<f32>(t) + gamma * load<f64>(grad + (<usize>i << 3)));
    store<f32>(t, next);
    last = next * 0;
  }
  return <f64>(f32x4.extract_lane(screen, 0) + f32x4.extract_lane(screen, 1)) + <f64>last;
}
