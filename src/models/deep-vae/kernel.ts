/**
 * The deep Gaussian VAE's training step in closed form, one replica at a
 * time: the kernel trainer's (src/engine/kernel-trainer.ts) fused
 * draw → forward → backward for DeepVaeModel, with no TensorFlow.js op in it.
 *
 * Why: at the claims' sizes a TF.js step is per-op overhead (≈ 340 kernels a
 * step, of which the batched products are a fifth of the time), and the
 * measured profile of adam-rate-deep-vae's quick tier spent 16 of its 23 s in
 * TF.js autodiff. This kernel does the same arithmetic with none of it.
 *
 * What it computes is engine-model.ts's objective for one replica, on the
 * draws drawStep makes for it (per point: a row index from the data stream,
 * then K·dz normals from the noise stream, rounded to float32 as the TF.js
 * path holds them):
 *   (1/(BK)) Σ_{i,k} [log N(x_i; G(z_ik), c² I)] − β (1/B) Σ_i KL_i  (+ ⟨b, θ⟩ for a falsifier's bias b),
 * z_ik = μ(x_i) + e^{lv(x_i)/2} ⊙ ε_ik, with its gradient by backpropagation
 * written out below (ascent direction). Parameters are read as float32 (as
 * the engine holds them); everything else is float64.
 *
 * It is NOT the float64 reference of reference.ts (the measurement's oracle)
 * and imports nothing from it: the conformance check compares the two on the
 * same draws, and the tests compare this kernel with TF.js autodiff of the
 * engine's objective (test/convergence/deep-vae-kernel.test.ts). The
 * activations are this file's own too (`clipAndSlope`), checked against the
 * paper's formula by the claim's activation conformance.
 */
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, SOFT_CLIP_SHARPNESS, type ClipRange } from './soft-clip.ts';
import { deepParamCount, type Activation, type DeepVaeDims } from './params.ts';
import { WasmDeepVaeKernel } from './kernel-wasm.ts';

/**
 * Generalised soft-clipping f(t) = lo + (softplus(s(t − lo)) − softplus(s(t − hi)))/s
 * into out[at] and its slope f'(t) = σ(s(t − lo)) − σ(s(t − hi)) into slope[at].
 * Each softplus/sigmoid pair costs one exponential: with e = e^{−|a|},
 * softplus(a) = max(a, 0) + log1p(e), σ(a) = 1/(1 + e) for a ≥ 0 and e/(1 + e) below;
 * strictly inside the range one exponential serves both (see the branch).
 */
export function clipAndSlope(t: number, lo: number, hi: number, out: Float64Array, slope: Float64Array, at: number): void {
  const s = SOFT_CLIP_SHARPNESS;
  const a = s * (t - lo);
  const b = s * (t - hi);
  if (a > 40 && b < -40) {
    // Inside the range, both corners saturated: e^{−a}, e^{b} < e^{−40} ≈ 4·10⁻¹⁸ are below half an
    // ulp of softplus(a) = a + log1p(e^{−a}) and of σ(a) = 1, so f = t − e^{b}/s and f' = 1 − e^{b}
    // exactly in float64 (one exponential instead of four transcendental calls).
    const e = Math.exp(b);
    out[at] = t - e / s;
    slope[at] = 1 - e;
    return;
  }
  if (b < -40) {
    // Only the upper corner saturated (e.g. the hidden layers below 42): softplus(b) and σ(b) are
    // ≤ e^{b} < 4·10⁻¹⁸, and a − b = s(hi − lo) ≥ 200 makes them < e^{−200} of softplus(a) and σ(a),
    // so dropping them leaves the general branch's bits unchanged (clipAndSlopeGeneral; tested bit for bit).
    const ea = Math.exp(-Math.abs(a));
    out[at] = lo + ((a > 0 ? a : 0) + Math.log1p(ea)) / s;
    slope[at] = a >= 0 ? 1 / (1 + ea) : ea / (1 + ea);
    return;
  }
  if (a > 40) {
    // Only the lower corner saturated: softplus(a) = a and σ(a) = 1 to the last bit (e^{−a} < 4·10⁻¹⁸).
    const eb = Math.exp(-Math.abs(b));
    out[at] = lo + (a - ((b > 0 ? b : 0) + Math.log1p(eb))) / s;
    slope[at] = 1 - (b >= 0 ? 1 / (1 + eb) : eb / (1 + eb));
    return;
  }
  clipAndSlopeGeneral(t, lo, hi, out, slope, at);
}

/** clipAndSlope without the saturated shortcuts (four transcendental calls); the shortcuts give the same bits. */
export function clipAndSlopeGeneral(t: number, lo: number, hi: number, out: Float64Array, slope: Float64Array, at: number): void {
  const s = SOFT_CLIP_SHARPNESS;
  const a = s * (t - lo);
  const b = s * (t - hi);
  const ea = Math.exp(-Math.abs(a));
  const eb = Math.exp(-Math.abs(b));
  const spa = (a > 0 ? a : 0) + Math.log1p(ea);
  const spb = (b > 0 ? b : 0) + Math.log1p(eb);
  const sga = a >= 0 ? 1 / (1 + ea) : ea / (1 + ea);
  const sgb = b >= 0 ? 1 / (1 + eb) : eb / (1 + eb);
  out[at] = lo + (spa - spb) / s;
  slope[at] = sga - sgb;
}

/**
 * Σ_i a[ao + i]·b[bo + i] in the kernel's fixed order: two running sums, over
 * even and over odd i (an odd length's last term goes to the even sum), then
 * added. Fixed so that a two-lane (f64x2) SIMD version of this kernel gives the same bits.
 */
function dot2(a: Float64Array, ao: number, b: Float64Array, bo: number, L: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < L; i += 2) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
  }
  if (i < L) s0 += a[ao + i] * b[bo + i];
  return s0 + s1;
}

type ActivationFn = (t: number, out: Float64Array, slope: Float64Array, at: number) => void;

const softHidden: ActivationFn = (t, out, slope, at) => clipAndSlope(t, HIDDEN_RANGE.lo, HIDDEN_RANGE.hi, out, slope, at);
const softMean: ActivationFn = (t, out, slope, at) => clipAndSlope(t, MEAN_RANGE.lo, MEAN_RANGE.hi, out, slope, at);
const softLogVar: ActivationFn = (t, out, slope, at) => clipAndSlope(t, LOG_VARIANCE_RANGE.lo, LOG_VARIANCE_RANGE.hi, out, slope, at);
const reluFn: ActivationFn = (t, out, slope, at) => {
  out[at] = t > 0 ? t : 0;
  slope[at] = t > 0 ? 1 : 0;
};
const identityFn: ActivationFn = (t, out, slope, at) => {
  out[at] = t;
  slope[at] = 1;
};

const ACTIVATIONS: Record<Activation, { hidden: ActivationFn; mean: ActivationFn; logVar: ActivationFn }> = {
  'soft-clip': { hidden: softHidden, mean: softMean, logVar: softLogVar },
  relu: { hidden: reluFn, mean: identityFn, logVar: identityFn },
};

/** The kernel's activation for a range, for the conformance check against the paper's formula. */
export function kernelSoftClip(t: number, range: ClipRange): number {
  const out = new Float64Array(1);
  clipAndSlope(t, range.lo, range.hi, out, new Float64Array(1), 0);
  return out[0];
}

export class DeepVaeKernel {
  private readonly P: number;
  /** Block offsets in the packed vector (params.ts's layout: W1, b1, Wm, Wv, bm, bv, W2, b2, W3, b3). */
  private readonly o: { W1: number; b1: number; Wh: number; bh: number; W2: number; b2: number; W3: number; b3: number };
  private readonly logNorm: number;
  private readonly invVar: number;
  // Scratch, per point / sample.
  private readonly a1: Float64Array;
  private readonly d1: Float64Array;
  private readonly head: Float64Array;
  private readonly dHead: Float64Array;
  private readonly sd: Float64Array;
  private readonly z: Float64Array;
  private readonly gz: Float64Array;
  /** The data widened to float64 (exact); empty when the WebAssembly port runs (it holds its own copy). */
  private readonly data64: Float64Array;
  private readonly a2: Float64Array;
  private readonly d2: Float64Array;
  private readonly da2: Float64Array;
  private readonly gHead: Float64Array;
  private readonly dh1: Float64Array;
  private readonly out1: Float64Array;
  private readonly slope1: Float64Array;
  /** The step's draws (grown on demand): B row offsets, then B·K·dz normals. */
  private rows = new Int32Array(0);
  private readonly theta: Float64Array;
  private noise = new Float64Array(0);
  /** The WebAssembly SIMD port of objectiveAndGradient's arithmetic (kernel-wasm.ts, bitwise this file's), or null: this file's loop runs. */
  private readonly wasm: WasmDeepVaeKernel | null;

  constructor(
    private readonly dims: DeepVaeDims,
    /** Row-major N × dx, as the engine holds it. */
    private readonly data: Float32Array,
    decoderStd: number,
    /** 'auto': the WebAssembly SIMD port where it loads (same bits, faster); 'js': this file's loop always (tests, benchmarks). */
    implementation: 'auto' | 'js' = 'auto',
  ) {
    const { dx, hidden: H, dz } = dims;
    this.P = deepParamCount(dims);
    const W1 = 0;
    const b1 = W1 + H * dx;
    const Wh = b1 + H;
    const bh = Wh + 2 * dz * H;
    const W2 = bh + 2 * dz;
    const b2 = W2 + H * dz;
    const W3 = b2 + H;
    const b3 = W3 + dx * H;
    this.o = { W1, b1, Wh, bh, W2, b2, W3, b3 };
    const v = decoderStd * decoderStd;
    this.invVar = 1 / v;
    this.logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    this.a1 = new Float64Array(H);
    this.d1 = new Float64Array(H);
    this.head = new Float64Array(2 * dz);
    this.dHead = new Float64Array(2 * dz);
    this.sd = new Float64Array(dz);
    this.z = new Float64Array(dz);
    this.gz = new Float64Array(dz);
    this.a2 = new Float64Array(H);
    this.d2 = new Float64Array(H);
    this.da2 = new Float64Array(H);
    this.gHead = new Float64Array(2 * dz);
    this.dh1 = new Float64Array(H);
    this.out1 = new Float64Array(1);
    this.slope1 = new Float64Array(1);
    this.wasm = implementation === 'auto' ? WasmDeepVaeKernel.create(dims, this.P, data, this.logNorm, this.invVar) : null;
    // The JavaScript loop's float64 copies of θ and the data: not needed where the port runs (it holds its own).
    this.theta = new Float64Array(this.wasm ? 0 : this.P);
    this.data64 = this.wasm ? new Float64Array(0) : Float64Array.from(data);
  }

  /** Which arithmetic objectiveAndGradient runs: the WebAssembly SIMD port or this file's loop. */
  get implementation(): 'wasm-simd' | 'js' {
    return this.wasm ? 'wasm-simd' : 'js';
  }

  /**
   * This replica's step draws, exactly as drawStep makes them: B row indices
   * from the data stream and B·K·dz normals from the noise stream (point-major,
   * then sample, then coordinate), rounded to float32 as the TF.js path holds
   * them. Returns views of the kernel's scratch (valid until the next draw).
   */
  draw(replica: Pick<ReplicaSetting, 'batchSize' | 'samples'>, streams: ReplicaStreams): { rows: Int32Array; eps: Float64Array } {
    const { batchSize: B, samples: K } = replica;
    const count = B * K * this.dims.dz;
    if (this.rows.length < B) this.rows = new Int32Array(B);
    if (this.noise.length < count) this.noise = new Float64Array(count);
    const n = this.data.length / this.dims.dx;
    for (let i = 0; i < B; i++) this.rows[i] = streams.data.int(n);
    for (let i = 0; i < count; i++) this.noise[i] = Math.fround(streams.noise.normal());
    return { rows: this.rows.subarray(0, B), eps: this.noise.subarray(0, count) };
  }

  /**
   * Draws this replica's step (draw above), writes the
   * gradient of its objective into `grad` (length P, overwritten) and returns the objective.
   */
  objectiveAndGradient(theta32: Float32Array, activation: Activation, bias: Float32Array | null, replica: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>, streams: ReplicaStreams, grad: Float64Array): number {
    const { dx, hidden: H, dz } = this.dims;
    const { W1, b1, Wh, bh, W2, b2, W3, b3 } = this.o;
    const { batchSize: B, samples: K, beta } = replica;
    const act = ACTIVATIONS[activation];
    const { a1, d1, head, dHead, sd, z, gz, a2, d2, da2, gHead, dh1, out1, slope1, invVar } = this;
    const data = this.data64;
    const drawn = this.draw(replica, streams);
    if (this.wasm) return this.wasm.objectiveAndGradient(theta32, activation, bias, B, K, beta, drawn.rows, drawn.eps, grad);
    // The float32 parameters widened once (exact): every array below is float64.
    const theta = this.theta;
    theta.set(theta32);
    grad.fill(0);
    const w = 1 / (B * K);
    let recon = 0;
    let kl = 0;
    for (let i = 0; i < B; i++) {
      const xo = drawn.rows[i] * dx;
      // Encoder: h1 = f_h(W1 x + b1), heads = (μ, log σ²) = f(Wh h1 + bh).
      for (let h = 0; h < H; h++) {
        act.hidden(theta[b1 + h] + dot2(theta, W1 + h * dx, data, xo, dx), a1, d1, h);
      }
      for (let j = 0; j < 2 * dz; j++) {
        (j < dz ? act.mean : act.logVar)(theta[bh + j] + dot2(theta, Wh + j * H, a1, 0, H), head, dHead, j);
      }
      // KL(q(z|x_i) ‖ N(0, I)) = ½ Σ_j (e^{lv} + μ² − 1 − lv), weight β/B; its ascent gradient seeds gHead.
      for (let j = 0; j < dz; j++) {
        const mu = head[j];
        const lv = head[dz + j];
        const e = Math.exp(lv);
        sd[j] = Math.exp(0.5 * lv);
        kl += 0.5 * (e + mu * mu - 1 - lv);
        gHead[j] = -(beta / B) * mu;
        gHead[dz + j] = -(beta / B) * 0.5 * (e - 1);
      }
      for (let k = 0; k < K; k++) {
        // This sample's noise, read in place from the draws.
        const eo = (i * K + k) * dz;
        for (let j = 0; j < dz; j++) {
          z[j] = head[j] + sd[j] * drawn.eps[eo + j];
        }
        // Decoder hidden layer: h2 = f_h(W2 z + b2).
        for (let h = 0; h < H; h++) {
          act.hidden(theta[b2 + h] + dot2(theta, W2 + h * dz, z, 0, dz), a2, d2, h);
          da2[h] = 0;
        }
        // Output G = f_μ(W3 h2 + b3) and its backward pass, one pixel at a time:
        // ∂/∂G_q of −w ‖x − G‖²/(2c²) is w (x_q − G_q)/c², through f_μ'.
        let sq = 0;
        for (let q = 0; q < dx; q++) {
          const wo = W3 + q * H;
          act.mean(theta[b3 + q] + dot2(theta, wo, a2, 0, H), out1, slope1, 0);
          const r = data[xo + q] - out1[0];
          sq += r * r;
          const dd = w * r * invVar * slope1[0];
          grad[b3 + q] += dd;
          for (let h = 0; h < H; h++) {
            grad[wo + h] += dd * a2[h];
            da2[h] += theta[wo + h] * dd;
          }
        }
        recon += w * (this.logNorm - 0.5 * invVar * sq);
        // Decoder hidden layer backward; g_z = W2ᵀ (∂h2) accumulated over h, coordinate by coordinate.
        gz.fill(0);
        for (let h = 0; h < H; h++) {
          const dd = da2[h] * d2[h];
          grad[b2 + h] += dd;
          const wo = W2 + h * dz;
          for (let j = 0; j < dz; j++) {
            grad[wo + j] += dd * z[j];
            gz[j] += theta[wo + j] * dd;
          }
        }
        // Through z = μ + e^{lv/2} ε: ∂z/∂μ = 1, ∂z/∂lv = ½ e^{lv/2} ε.
        for (let j = 0; j < dz; j++) {
          gHead[j] += gz[j];
          gHead[dz + j] += gz[j] * 0.5 * sd[j] * drawn.eps[eo + j];
        }
      }
      // Encoder backward: heads, then the hidden layer.
      dh1.fill(0);
      for (let j = 0; j < 2 * dz; j++) {
        const dd = gHead[j] * dHead[j];
        grad[bh + j] += dd;
        const wo = Wh + j * H;
        for (let h = 0; h < H; h++) {
          grad[wo + h] += dd * a1[h];
          dh1[h] += theta[wo + h] * dd;
        }
      }
      for (let h = 0; h < H; h++) {
        const dd = dh1[h] * d1[h];
        grad[b1 + h] += dd;
        const wo = W1 + h * dx;
        for (let q = 0; q < dx; q++) grad[wo + q] += dd * data[xo + q];
      }
    }
    let objective = recon - (beta / B) * kl;
    if (bias !== null) {
      for (let p = 0; p < this.P; p++) {
        objective += bias[p] * theta[p];
        grad[p] += bias[p];
      }
    }
    return objective;
  }
}
