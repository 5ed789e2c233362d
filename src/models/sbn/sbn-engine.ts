/**
 * The M-step of a sigmoid belief net as an engine model: for FIXED
 * responsibilities q over the 2^H latent states (one matrix per replica) the
 * ELBO per point is ascended by the engine's trainer in θ = (a, W, b),
 * π_h = sig(a_h), η_d(z) = W_dᵀ z + b_d. With the state statistics
 * w_z = Σ_n q_n(z), t_zd = Σ_n q_n(z) x_nd, q̄_h = (1/N) Σ_z w_z z_h and
 * H̄_q = (1/N) Σ_n H[q_n]:
 *   F = Σ_h [q̄_h log sig(a_h) + (1 − q̄_h) log sig(−a_h)]
 *       + (1/N) Σ_z Σ_d [t_zd η_d(z) − w_z softplus η_d(z)] + H̄_q,
 *   ∂F/∂a_h = q̄_h − sig(a_h),
 *   ∂F/∂W_dh = (1/N) Σ_z z_h r_zd,  ∂F/∂b_d = (1/N) Σ_z r_zd,  r_zd = t_zd − w_z sig η_d(z).
 * F is concave in θ (logistic regressions over the states), its maximiser is
 * the M-step of sbn.ts. Kernel (what the claim trains with) and TensorFlow.js
 * objective (autodiff, compared in the tests) are written independently of
 * sbn.ts, the float64 oracle they are judged against.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { BinaryData } from './sbn.ts';

export interface SbnMStepOptions {
  H: number;
  data: BinaryData;
  /** One N×2^H responsibility matrix per replica, in trainer order. */
  responsibilities: readonly Float64Array[];
  initScale?: number;
}

interface Stats {
  w: Float64Array;
  t: Float64Array;
  qbar: Float64Array;
  entropy: number;
}

function softplus(e: number): number {
  return e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e));
}

function sig(e: number): number {
  return 1 / (1 + Math.exp(-e));
}

export class SbnMStepModel implements BatchedModel<null>, ReplicaKernel {
  readonly name = 'sbn-m-step';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly H: number;
  private readonly D: number;
  private readonly S: number;
  private readonly stats: readonly Stats[];
  private readonly initBias: Float64Array;
  private readonly initScale: number;
  /** η_d(z) of the current step, state-major (S × D). */
  private readonly eta: Float64Array;
  private readonly tensors: { w: tf.Tensor2D; t: tf.Tensor3D; qbar: tf.Tensor2D; entropy: tf.Tensor1D; states: tf.Tensor2D };

  constructor(opts: SbnMStepOptions) {
    const { H, data } = opts;
    if (!Number.isInteger(H) || H < 1 || H > 12) throw new RangeError(`SBN M-step model: H = ${H}; allowed an integer 1 ≤ H ≤ 12`);
    const { N, D, x } = data;
    const S = 1 << H;
    this.H = H;
    this.D = D;
    this.S = S;
    this.dataSize = N;
    this.paramShapes = { logits: [H], W: [D, H], b: [D] };
    this.stats = opts.responsibilities.map((q) => {
      if (q.length !== N * S) throw new RangeError(`SBN M-step model: q has length ${q.length}, expected N × 2^H = ${N * S}`);
      const w = new Float64Array(S);
      const t = new Float64Array(S * D);
      let entropy = 0;
      for (let n = 0; n < N; n++) {
        for (let z = 0; z < S; z++) {
          const v = q[n * S + z];
          if (v <= 0) continue;
          w[z] += v;
          entropy -= v * Math.log(v);
          for (let d = 0; d < D; d++) t[z * D + d] += v * x[n * D + d];
        }
      }
      const qbar = new Float64Array(H);
      for (let z = 0; z < S; z++) for (let h = 0; h < H; h++) if ((z >> h) & 1) qbar[h] += w[z] / N;
      return { w, t, qbar, entropy: entropy / N };
    });
    this.initScale = opts.initScale ?? 0.1;
    this.eta = new Float64Array(S * D);
    this.initBias = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      let m = 0;
      for (let n = 0; n < N; n++) m += x[n * D + d];
      m = (m + 0.5) / (N + 1);
      this.initBias[d] = Math.log(m / (1 - m));
    }
    const R = this.stats.length;
    const states = new Float32Array(S * H);
    for (let z = 0; z < S; z++) for (let h = 0; h < H; h++) states[z * H + h] = (z >> h) & 1;
    this.tensors = {
      w: tf.tensor2d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.w, (v) => v / N))), [R, S]),
      t: tf.tensor3d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.t, (v) => v / N))), [R, S, D]),
      qbar: tf.tensor2d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.qbar))), [R, H]),
      entropy: tf.tensor1d(Float32Array.from(this.stats.map((s) => s.entropy))),
      states: tf.tensor2d(states, [S, H]),
    };
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    if (replica.batchSize !== this.dataSize) {
      throw new RangeError(`${this.name} replica "${replica.label}": batch size ${replica.batchSize}; this model trains full batch, allowed B = N = ${this.dataSize}`);
    }
    const W = new Float32Array(this.D * this.H);
    for (let i = 0; i < W.length; i++) W[i] = this.initScale * streams.init.normal();
    return { logits: new Float32Array(this.H), W, b: Float32Array.from(this.initBias) };
  }

  drawStep(replicas: readonly ReplicaSetting[]): null {
    if (replicas.length !== this.stats.length) throw new RangeError(`${this.name}: ${replicas.length} replicas but ${this.stats.length} responsibility matrices`);
    return null;
  }

  objective(params: Record<string, tf.Tensor>): tf.Tensor1D {
    const { w, t, qbar, entropy, states } = this.tensors;
    const a = params.logits as tf.Tensor2D; // [R, H]
    const W = params.W as tf.Tensor3D; // [R, D, H]
    const b = params.b as tf.Tensor2D; // [R, D]
    const R = a.shape[0];
    // log sig(a) = −softplus(−a), log sig(−a) = −softplus(a) (tf.logSigmoid's custom gradient fails under variableGrads on wasm).
    const prior = qbar.mul(tf.softplus(a.neg())).add(tf.scalar(1).sub(qbar).mul(tf.softplus(a))).sum(1).neg();
    const eta = tf.matMul(states.expandDims(0).tile([R, 1, 1]) as tf.Tensor3D, W, false, true).add(b.expandDims(1)); // [R, S, D]
    const decoder = t.mul(eta).sub(w.expandDims(2).mul(tf.softplus(eta))).sum([1, 2]);
    return prior.add(decoder).add(entropy) as tf.Tensor1D;
  }

  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, _streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const { H, D, S } = this;
    const s = this.stats[index];
    if (!s) throw new RangeError(`${this.name}: replica ${index} ("${replica.label}") has no responsibilities`);
    const { logits: a, W, b } = params;
    const N = this.dataSize;
    let f = s.entropy;
    for (let h = 0; h < H; h++) {
      f += -s.qbar[h] * softplus(-a[h]) - (1 - s.qbar[h]) * softplus(a[h]);
      grad.logits[h] = s.qbar[h] - sig(a[h]);
    }
    grad.W.fill(0);
    grad.b.fill(0);
    // η_d(z) = b_d + Σ_{h ∈ z} W_dh, added in increasing h, is η_d(z without its top bit) + W_d,top:
    // the same additions in the same order, so each state's η is one addition from a smaller state's.
    const eta = this.eta;
    for (let d = 0; d < D; d++) eta[d] = b[d];
    for (let z = 1; z < S; z++) {
      const top = 31 - Math.clz32(z);
      const from = (z ^ (1 << top)) * D;
      const row = z * D;
      for (let d = 0; d < D; d++) eta[row + d] = eta[from + d] + W[d * H + top];
    }
    let dec = 0;
    for (let z = 0; z < S; z++) {
      for (let d = 0; d < D; d++) {
        const e = eta[z * D + d];
        // softplus(e) and sig(e) as the functions above compute them; for e > 0 both take
        // Math.exp(−e), computed once here (the same value).
        let sp: number;
        let sg: number;
        if (e > 0) {
          const u = Math.exp(-e);
          sp = e + Math.log1p(u);
          sg = 1 / (1 + u);
        } else {
          sp = Math.log1p(Math.exp(e));
          sg = 1 / (1 + Math.exp(-e));
        }
        dec += s.t[z * D + d] * e - s.w[z] * sp;
        const r = s.t[z * D + d] - s.w[z] * sg;
        grad.b[d] += r / N;
        for (let h = 0; h < H; h++) if ((z >> h) & 1) grad.W[d * H + h] += r / N;
      }
    }
    return f + dec / N;
  }

  disposeInputs(): void {}

  dispose(): void {
    tf.dispose(Object.values(this.tensors));
  }
}
