// AssemblyScript source of iwae-oracle.wasm: one Monte Carlo draw of the linear VAE's IWAE
// bound over a data set and its reparameterised (or DReG) gradient: src/models/linear-vae/
// iwae-oracle.ts's iwaeDraw (with logWeights and normalise: the readable specification), bit
// for bit. Compiled by `npm run build:wasm` (pinned assemblyscript);
// test/convergence/iwae-oracle-wasm.test.ts compares its values and gradients with the
// JavaScript's bitwise.
//
// Why the bits are the JavaScript's: the same loops in the same order, every float64
// operation the specification's (a·b + c rounded twice: no fused multiply-add without relaxed
// SIMD, not enabled; binaryen does not reassociate floating point), accumulators started where
// the specification starts them (0, −∞, c_j, b_i); e^x and log x are V8's Math.exp and Math.log
// bit for bit (src/engine/wasm/fdlibm.as.ts, V8's fdlibm ported and tested against them), and
// so is the maximum (f64.max and Math.max agree: NaN if either is, +0 over −0).
// The point-independent constants (e^{s_j/2}, Σ_j s_j/2, the Gaussian's log normaliser, 1/2v,
// 1/v) are computed by JavaScript with the specification's expressions and passed in.
// Memory is the JavaScript side's (imported); it passes every address (bytes).

import { fdExp, fdLog } from '../../../engine/wasm/fdlibm.as';

@inline function f(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}

// logWeights: μ = c + V x (point at xo), then each of K samples' z (noise at eo + k·dz),
// residual r and log w (iwae-oracle.ts's logWeights, its order).
@inline function logWeights(dx: i32, dz: i32, W: usize, b: usize, V: usize, c: usize, sigma: usize, xo: usize, eo: usize, K: i32, mu: usize, z: usize, r: usize, logW: usize, logNorm: f64, half: f64, halfSumS: f64): void {
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
    logWeights(dx, dz, W, b, V, c, sigma, xo, eo, K, mu, z, r, logW, logNorm, half, halfSumS);
    // normalise: log (1/K) Σ_k exp(power·logW_k) / power and ω ∝ exp(power·logW).
    let mx: f64 = -Infinity;
    for (let k = 0; k < K; k++) mx = max<f64>(mx, power * load<f64>(f(logW, k)));
    let sum: f64 = 0;
    for (let k = 0; k < K; k++) {
      const o = fdExp(power * load<f64>(f(logW, k)) - mx);
      store<f64>(f(omega, k), o);
      sum += o;
    }
    for (let k = 0; k < K; k++) store<f64>(f(omega, k), load<f64>(f(omega, k)) / sum);
    value += (mx + fdLog(sum / <f64>K)) / power;
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

/**
 * iwaeDecoderBlocks over n points: Kmax = Ks[L − 1] samples a point (noise at eps + i·Kmax·dz),
 * split for every level K = Ks[l] into Kmax/K blocks; exact log p(x_i) at logp [n] and
 * ∇_{W,b} log p(x_i) at exactGrad [n, d] (d = dx·dz + dx); cv: the control variate. Adds into
 * biases [L, d], gaps [L] and anchor [d + 1] (f64, zeroed by the caller) exactly as the
 * JavaScript does; work: mu dz, z Kmax·dz, r Kmax·dx, logW Kmax, then A, Acv (Kmax/K0 · d
 * each), Wp, W1 (Kmax/K0 each).
 */
export function decoderBlocks(dx: i32, dz: i32, n: i32, L: i32, KsAt: usize, power: f64, cv: i32, invV: f64, half: f64, logNorm: f64, halfSumS: f64, theta: usize, sigma: usize, x: usize, eps: usize, logp: usize, exactGrad: usize, biases: usize, gaps: usize, anchor: usize, work: usize): void {
  const W = theta;
  const b = f(W, dx * dz);
  const V = f(b, dx);
  const c = f(V, dz * dx);
  const d = dx * dz + dx;
  const K0 = load<i32>(KsAt);
  const Kmax = load<i32>(KsAt + ((<usize>(L - 1)) << 2));
  const mu = work;
  const z = f(mu, dz);
  const r = f(z, Kmax * dz);
  const logW = f(r, Kmax * dx);
  const first = Kmax / K0;
  const A = f(logW, Kmax);
  const Acv = f(A, first * d);
  const Wp = f(Acv, first * d);
  const W1 = f(Wp, first);
  const useCv = cv != 0;
  for (let pt = 0; pt < n; pt++) {
    const xo = f(x, pt * dx);
    logWeights(dx, dz, W, b, V, c, sigma, xo, f(eps, pt * Kmax * dz), Kmax, mu, z, r, logW, logNorm, half, halfSumS);
    const logZ = load<f64>(f(logp, pt));
    const mup = f(exactGrad, pt * d);
    let shift: f64 = -Infinity;
    for (let k = 0; k < Kmax; k++) shift = max<f64>(shift, power * load<f64>(f(logW, k)));
    let blocks = first;
    for (let t = 0; t < blocks * d; t++) {
      store<f64>(f(A, t), 0);
      store<f64>(f(Acv, t), 0);
    }
    for (let t = 0; t < blocks; t++) {
      store<f64>(f(Wp, t), 0);
      store<f64>(f(W1, t), 0);
    }
    for (let k = 0; k < Kmax; k++) {
      const blk = k / K0;
      const lw = load<f64>(f(logW, k));
      const wp = fdExp(power * lw - shift);
      const wk = useCv ? fdExp(lw - logZ) : 0;
      store<f64>(f(Wp, blk), load<f64>(f(Wp, blk)) + wp);
      store<f64>(f(W1, blk), load<f64>(f(W1, blk)) + wk);
      const o = blk * d;
      const ro = f(r, k * dx);
      const zo = f(z, k * dz);
      for (let i = 0; i < dx; i++) {
        const ri = load<f64>(f(ro, i)) * invV;
        const oi = o + i * dz;
        for (let j = 0; j < dz; j++) {
          const fv = ri * load<f64>(f(zo, j));
          store<f64>(f(A, oi + j), load<f64>(f(A, oi + j)) + wp * fv);
          if (useCv) store<f64>(f(Acv, oi + j), load<f64>(f(Acv, oi + j)) + wk * (fv - load<f64>(f(mup, i * dz + j))));
        }
        const ob = o + dx * dz + i;
        store<f64>(f(A, ob), load<f64>(f(A, ob)) + wp * ri);
        if (useCv) store<f64>(f(Acv, ob), load<f64>(f(Acv, ob)) + wk * (ri - load<f64>(f(mup, dx * dz + i))));
      }
    }
    for (let level = 0; level < L; level++) {
      const K = load<i32>(KsAt + ((<usize>level) << 2));
      if (level > 0) {
        // Merge groups of `ratio` blocks of the previous level into one (in place, as the JavaScript).
        const ratio = K / load<i32>(KsAt + ((<usize>(level - 1)) << 2));
        const next = blocks / ratio;
        for (let bNew = 0; bNew < next; bNew++) {
          let wp: f64 = 0;
          let w1: f64 = 0;
          const o = bNew * d;
          const q0 = bNew * ratio;
          if (q0 != bNew) {
            for (let t = 0; t < d; t++) {
              store<f64>(f(A, o + t), load<f64>(f(A, q0 * d + t)));
              store<f64>(f(Acv, o + t), load<f64>(f(Acv, q0 * d + t)));
            }
          }
          for (let q = q0; q < q0 + ratio; q++) {
            wp += load<f64>(f(Wp, q));
            w1 += load<f64>(f(W1, q));
            if (q == q0) continue;
            for (let t = 0; t < d; t++) {
              store<f64>(f(A, o + t), load<f64>(f(A, o + t)) + load<f64>(f(A, q * d + t)));
              store<f64>(f(Acv, o + t), load<f64>(f(Acv, o + t)) + load<f64>(f(Acv, q * d + t)));
            }
          }
          store<f64>(f(Wp, bNew), wp);
          store<f64>(f(W1, bNew), w1);
        }
        blocks = next;
      }
      const scale = 1 / (<f64>blocks * <f64>n);
      const bias = f(biases, level * d);
      const Kf = <f64>K;
      for (let bl = 0; bl < blocks; bl++) {
        const o = bl * d;
        const wpb = load<f64>(f(Wp, bl));
        for (let t = 0; t < d; t++) {
          let est = load<f64>(f(A, o + t)) / wpb - load<f64>(f(mup, t));
          if (useCv) est -= load<f64>(f(Acv, o + t)) / Kf;
          store<f64>(f(bias, t), load<f64>(f(bias, t)) + est * scale);
        }
        const bound = (shift + fdLog(wpb / Kf)) / power;
        let gap = logZ - bound;
        if (useCv) gap += load<f64>(f(W1, bl)) / Kf - 1;
        store<f64>(f(gaps, level), load<f64>(f(gaps, level)) + gap * scale);
      }
    }
    if (useCv) {
      const kn = <f64>Kmax * <f64>n;
      for (let t = 0; t < d; t++) store<f64>(f(anchor, t), load<f64>(f(anchor, t)) + load<f64>(f(Acv, t)) / kn);
      store<f64>(f(anchor, d), load<f64>(f(anchor, d)) + (load<f64>(f(W1, 0)) / <f64>Kmax - 1) / <f64>n);
    }
  }
}
