// AssemblyScript source of iwae-oracle.wasm: one Monte Carlo draw of the linear VAE's IWAE
// bound over a data set and its reparameterised (or DReG) gradient: src/models/linear-vae/
// iwae-oracle.ts's iwaeDraw (with logWeights and normalise: the readable specification), bit
// for bit. Compiled by `node scripts/build-wasm.mjs` (pinned assemblyscript);
// test/convergence/iwae-oracle-wasm.test.ts compares its values and gradients with the
// JavaScript's bitwise.
//
// Why the bits are the JavaScript's: the same loops in the same order, every float64
// operation the specification's (a·b + c rounded twice: no fused multiply-add without relaxed
// SIMD, not enabled; binaryen does not reassociate floating point), accumulators started where
// the specification starts them (0, −∞, c_j, b_i); e^x and log x are V8's Math.exp and Math.log
// (imports), and so is the maximum (f64.max and Math.max agree: NaN if either is, +0 over −0).
// The point-independent constants (e^{s_j/2}, Σ_j s_j/2, the Gaussian's log normaliser, 1/2v,
// 1/v) are computed by JavaScript with the specification's expressions and passed in.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

@external("env", "exp") declare function jsExp(x: f64): f64;
@external("env", "log") declare function jsLog(x: f64): f64;

@inline function f(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}

/**
 * iwaeDraw over n points of x (f64 [n, dx]) with noise eps (point i's sample k at
 * (i·stride + k)·dz), parameters W [dx, dz], b [dx], V [dz, dx], c [dz], s [dz] (f64, the
 * blocks at theta in that order), sigma [dz] = e^{s/2}; the gradient's blocks in the same
 * layout at grad (overwritten), before the division by n, which is done here too; work:
 * mu dz, z K·dz, r K·dx, logW K, omega K, H dz (f64). Returns the bound averaged over the points.
 */
export function draw(dx: i32, dz: i32, n: i32, K: i32, stride: i32, power: f64, dreg: i32, invV: f64, half: f64, logNorm: f64, halfSumS: f64, theta: usize, sigma: usize, x: usize, eps: usize, grad: usize, work: usize): f64 {
  const W = theta;
  const b = f(W, dx * dz);
  const V = f(b, dx);
  const c = f(V, dz * dx);
  const gW = grad;
  const gb = f(gW, dx * dz);
  const gV = f(gb, dx);
  const gc = f(gV, dz * dx);
  const gs = f(gc, dz);
  const P = dx * dz + dx + dz * dx + dz + dz;
  const mu = work;
  const z = f(mu, dz);
  const r = f(z, K * dz);
  const logW = f(r, K * dx);
  const omega = f(logW, K);
  const H = f(omega, K);
  for (let i = 0; i < P; i++) store<f64>(f(grad, i), 0);
  let value: f64 = 0;
  for (let pt = 0; pt < n; pt++) {
    const xo = f(x, pt * dx);
    const eo = f(eps, pt * stride * dz);
    // logWeights: μ = c + V x, then each sample's z, residual r and log w.
    for (let j = 0; j < dz; j++) {
      let m = load<f64>(f(c, j));
      const vo = f(V, j * dx);
      for (let i = 0; i < dx; i++) m += load<f64>(f(vo, i)) * load<f64>(f(xo, i));
      store<f64>(f(mu, j), m);
    }
    for (let k = 0; k < K; k++) {
      const zo = f(z, k * dz);
      const eko = f(eo, k * dz);
      let zz: f64 = 0;
      let ee: f64 = 0;
      for (let j = 0; j < dz; j++) {
        const e = load<f64>(f(eko, j));
        const zj = load<f64>(f(mu, j)) + load<f64>(f(sigma, j)) * e;
        store<f64>(f(zo, j), zj);
        zz += zj * zj;
        ee += e * e;
      }
      let rr: f64 = 0;
      const ro = f(r, k * dx);
      for (let i = 0; i < dx; i++) {
        let m = load<f64>(f(b, i));
        const wo = f(W, i * dz);
        for (let j = 0; j < dz; j++) m += load<f64>(f(wo, j)) * load<f64>(f(zo, j));
        const ri = load<f64>(f(xo, i)) - m;
        store<f64>(f(ro, i), ri);
        rr += ri * ri;
      }
      store<f64>(f(logW, k), logNorm - rr * half - 0.5 * zz + halfSumS + 0.5 * ee);
    }
    // normalise: log (1/K) Σ_k exp(power·logW_k) / power and ω ∝ exp(power·logW).
    let mx: f64 = -Infinity;
    for (let k = 0; k < K; k++) mx = max<f64>(mx, power * load<f64>(f(logW, k)));
    let sum: f64 = 0;
    for (let k = 0; k < K; k++) {
      const o = jsExp(power * load<f64>(f(logW, k)) - mx);
      store<f64>(f(omega, k), o);
      sum += o;
    }
    for (let k = 0; k < K; k++) store<f64>(f(omega, k), load<f64>(f(omega, k)) / sum);
    value += (mx + jsLog(sum / <f64>K)) / power;
    for (let j = 0; j < dz; j++) store<f64>(f(H, j), 0);
    for (let k = 0; k < K; k++) {
      const om = load<f64>(f(omega, k));
      const zo = f(z, k * dz);
      const ro = f(r, k * dx);
      const ek = f(eo, k * dz);
      // h_k = Wᵀ r_k / v − z_k
      for (let j = 0; j < dz; j++) {
        let t: f64 = 0;
        for (let i = 0; i < dx; i++) t += load<f64>(f(W, i * dz + j)) * load<f64>(f(ro, i));
        const hk = t * invV - load<f64>(f(zo, j));
        const e = load<f64>(f(ek, j));
        const sj = load<f64>(f(sigma, j));
        if (dreg != 0) {
          const dk = hk + e / sj;
          store<f64>(f(H, j), load<f64>(f(H, j)) + om * om * dk);
          store<f64>(f(gs, j), load<f64>(f(gs, j)) + 0.5 * om * om * dk * sj * e);
        } else {
          store<f64>(f(H, j), load<f64>(f(H, j)) + om * hk);
          store<f64>(f(gs, j), load<f64>(f(gs, j)) + 0.5 * om * hk * sj * e);
        }
      }
      for (let i = 0; i < dx; i++) {
        const ri = om * load<f64>(f(ro, i)) * invV;
        store<f64>(f(gb, i), load<f64>(f(gb, i)) + ri);
        const wo = f(gW, i * dz);
        for (let j = 0; j < dz; j++) store<f64>(f(wo, j), load<f64>(f(wo, j)) + ri * load<f64>(f(zo, j)));
      }
    }
    for (let j = 0; j < dz; j++) {
      const Hj = load<f64>(f(H, j));
      store<f64>(f(gc, j), load<f64>(f(gc, j)) + Hj);
      if (dreg == 0) store<f64>(f(gs, j), load<f64>(f(gs, j)) + 0.5);
      const vo = f(gV, j * dx);
      for (let i = 0; i < dx; i++) store<f64>(f(vo, i), load<f64>(f(vo, i)) + Hj * load<f64>(f(xo, i)));
    }
  }
  const fn = <f64>n;
  for (let i = 0; i < P; i++) store<f64>(f(grad, i), load<f64>(f(grad, i)) / fn);
  return value / fn;
}
