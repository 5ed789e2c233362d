/**
 * Replica-batched TensorFlow.js model of the linear VAE with learned σ² (see
 * learned-variance.ts). The objective is the EXPECTED ELBO per point in
 * closed form (the Gaussian expectation over q is exact for a linear
 * decoder), full batch over the data: deterministic, so training can reach
 * the stationary point to float32 precision, which the entropy-sum identity
 * needs (its gap is first order in the parameter error).
 *
 * Full batch through the data's mean m and covariance S (1/N), centred so
 * float32 keeps its digits: with μ(x) = V x + c and r = A x − d, A = I − W V,
 * d = W c + b,
 *   E‖r‖² = tr(A S Aᵀ) + ‖A m − d‖²,   E‖μ‖² = tr(V S Vᵀ) + ‖V m + c‖².
 *
 * Per-replica σ² mode (the falsifier trains σ² fixed in the same batch):
 * `fixedLogVariance[r]` = null learns log σ²; a number pins it (the parameter
 * still exists but its gradient is cut by a 0/1 mask).
 * Parameters: W [D, H], b [D], V [H, D], c [H], s [H] (log τ²), logVar [1].
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';

export interface LearnedVarianceModelOptions {
  D: number;
  H: number;
  /** N×D row-major. */
  data: ArrayLike<number>;
  /** One entry per replica, in trainer order: null = learn σ², a number = fix log σ² there. */
  fixedLogVariance: readonly (number | null)[];
  initScale?: number;
  /**
   * Start replicas from given parameters (keyed by replica label) instead of
   * the random initialisation: a second training phase with another
   * optimiser continues where the first stopped.
   */
  warmStart?: ReadonlyMap<string, ReplicaParams>;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * out[o + j] = Σ_k row[ro + k]·S[k, j] + add·m[j] for j < D (S is D×D row-major, each sum from 0
 * in k order), four columns j side by side; returns acc plus each sum times row[ro + j], added in
 * j order. The products A S and V S of objectiveAndGradient (o = ro there).
 */
function rowTimesS(row: ArrayLike<number>, ro: number, S: Float64Array, D: number, add: number, m: Float64Array, out: Float64Array, acc: number): number {
  let j = 0;
  for (; j + 3 < D; j += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < D; k++) {
      const a = row[ro + k];
      const o = k * D + j;
      s0 += a * S[o];
      s1 += a * S[o + 1];
      s2 += a * S[o + 2];
      s3 += a * S[o + 3];
    }
    acc += s0 * row[ro + j];
    out[ro + j] = s0 + add * m[j];
    acc += s1 * row[ro + j + 1];
    out[ro + j + 1] = s1 + add * m[j + 1];
    acc += s2 * row[ro + j + 2];
    out[ro + j + 2] = s2 + add * m[j + 2];
    acc += s3 * row[ro + j + 3];
    out[ro + j + 3] = s3 + add * m[j + 3];
  }
  for (; j < D; j++) {
    let sum = 0;
    for (let k = 0; k < D; k++) sum += row[ro + k] * S[k * D + j];
    acc += sum * row[ro + j];
    out[ro + j] = sum + add * m[j];
  }
  return acc;
}

export class LearnedVarianceLinearVae implements BatchedModel<null>, ReplicaKernel {
  readonly name = 'linear-vae-learned-variance';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly D: number;
  private readonly H: number;
  private readonly mean: tf.Tensor1D;
  private readonly cov: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;
  private readonly learnMask: tf.Tensor1D;
  private readonly fixedValue: tf.Tensor1D;
  private readonly initScale: number;
  private readonly fixed: readonly (number | null)[];
  private readonly warmStart?: ReadonlyMap<string, ReplicaParams>;
  /** Float64 data moments for the kernel step (the tensors above hold float32 copies). */
  private readonly mean64: Float64Array;
  private readonly cov64: Float64Array;
  /** Work arrays of the kernel step, every entry overwritten each call: A = I − WV, u, g, G = AS + umᵀ, P = VS + gmᵀ. */
  private readonly work: Record<'A' | 'u' | 'g' | 'G' | 'P', Float64Array>;

  constructor(opts: LearnedVarianceModelOptions) {
    const { D, H, data } = opts;
    if (!Number.isInteger(D) || !Number.isInteger(H) || H < 1 || H > D) throw new RangeError(`linear VAE: D = ${D}, H = ${H}; allowed integers 1 ≤ H ≤ D`);
    if (data.length === 0 || data.length % D !== 0) throw new RangeError(`linear VAE: data length ${data.length} is not a positive multiple of D = ${D}`);
    this.D = D;
    this.H = H;
    this.dataSize = data.length / D;
    this.initScale = opts.initScale ?? 0.1;
    this.fixed = opts.fixedLogVariance;
    this.warmStart = opts.warmStart;
    this.paramShapes = { W: [D, H], b: [D], V: [H, D], c: [H], s: [H], logVar: [1] };
    const N = this.dataSize;
    const mean = new Float64Array(D);
    for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) mean[i] += data[n * D + i] / N;
    const cov = new Float64Array(D * D);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) cov[i * D + j] += ((data[n * D + i] - mean[i]) * (data[n * D + j] - mean[j])) / N;
    }
    this.mean64 = mean;
    this.cov64 = cov;
    this.work = { A: new Float64Array(D * D), u: new Float64Array(D), g: new Float64Array(H), G: new Float64Array(D * D), P: new Float64Array(H * D) };
    this.mean = tf.tensor1d(Float32Array.from(mean));
    this.cov = tf.tensor2d(Float32Array.from(cov), [D, D]);
    this.eye = tf.eye(D);
    this.learnMask = tf.tensor1d(this.fixed.map((f) => (f === null ? 1 : 0)));
    this.fixedValue = tf.tensor1d(this.fixed.map((f) => f ?? 0));
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    if (replica.batchSize !== this.dataSize) {
      throw new RangeError(`linear VAE replica "${replica.label}": batch size ${replica.batchSize}; this model trains full batch, allowed B = N = ${this.dataSize}`);
    }
    const warm = this.warmStart?.get(replica.label);
    if (warm) {
      return Object.fromEntries(Object.keys(this.paramShapes).map((k) => [k, Float32Array.from(warm[k])]));
    }
    const normal = (n: number) => Float32Array.from({ length: n }, () => this.initScale * streams.init.normal());
    return {
      W: normal(this.D * this.H),
      b: new Float32Array(this.D),
      V: normal(this.H * this.D),
      c: new Float32Array(this.H),
      s: new Float32Array(this.H),
      logVar: new Float32Array(1),
    };
  }

  drawStep(replicas: readonly ReplicaSetting[]): null {
    if (replicas.length !== this.fixed.length) {
      throw new RangeError(`linear VAE: ${replicas.length} replicas but fixedLogVariance has ${this.fixed.length} entries`);
    }
    return null;
  }

  objective(params: Record<string, tf.Tensor>): tf.Tensor1D {
    const { D } = this;
    const W = params.W as tf.Tensor3D; // [R, D, H]
    const b = params.b as tf.Tensor2D;
    const V = params.V as tf.Tensor3D; // [R, H, D]
    const c = params.c as tf.Tensor2D;
    const s = params.s as tf.Tensor2D; // [R, H]
    const R = W.shape[0];
    const learned = (params.logVar as tf.Tensor2D).reshape([R]);
    const logVar = learned.mul(this.learnMask).add(this.fixedValue); // fixed replicas: gradient 0, value pinned
    const A = this.eye.expandDims(0).sub(tf.matMul(W, V)) as tf.Tensor3D; // [R, D, D]
    const d = tf.matMul(W, c.expandDims(2)).reshape([R, D]).add(b); // [R, D]
    const m = this.mean.expandDims(0).expandDims(2).tile([R, 1, 1]) as tf.Tensor3D; // [R, D, 1]
    const S = this.cov.expandDims(0).tile([R, 1, 1]) as tf.Tensor3D;
    const Am = tf.matMul(A, m).reshape([R, D]);
    const sq = tf.matMul(A, S).mul(A).sum([1, 2]).add(Am.sub(d).square().sum(1)); // E‖r‖²
    const Vm = tf.matMul(V, m).reshape([R, -1]);
    const muSq = tf.matMul(V, S).mul(V).sum([1, 2]).add(Vm.add(c).square().sum(1)); // E‖μ‖²
    const tau2 = s.exp();
    const spread = W.square().sum(1).mul(tau2).sum(1); // Σ_h ‖W_h‖² τ_h²
    const kl = muSq.add(tau2.sub(1).sub(s).sum(1)).mul(0.5);
    const v = logVar.exp();
    return logVar.add(LOG_2PI).mul(-0.5 * D).sub(sq.add(spread).div(v.mul(2))).sub(kl) as tf.Tensor1D;
  }

  /**
   * The same expected ELBO for one replica with its gradient in closed form
   * (kernel trainer). With u = A m − d, g = V m + c, v = σ², τ² = e^s,
   * Q = E‖r‖² + Σ_h ‖W_h‖² τ_h²:
   *   ∂W = [(A S + u mᵀ) Vᵀ + u cᵀ − W diag τ²]/v,  ∂b = u/v,
   *   ∂V = Wᵀ(A S + u mᵀ)/v − (V S + g mᵀ),  ∂c = Wᵀu/v − g,
   *   ∂s_h = −‖W_h‖² τ_h²/(2v) − (τ_h² − 1)/2,  ∂log σ² = Q/(2v) − D/2 (0 when σ² is fixed).
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, _streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const { D, H } = this;
    const { W, b, V, c, s } = params;
    const m = this.mean64;
    const S = this.cov64;
    const fixed = this.fixed[index];
    if (fixed === undefined) throw new RangeError(`linear VAE: replica ${index} ("${replica.label}") has no fixedLogVariance entry`);
    const logVar = fixed ?? params.logVar[0];
    const v = Math.exp(logVar);
    // A = I − W V (D×D), u = A m − d with d = W c + b, g = V m + c.
    // Every sum below starts from 0 and takes its terms in the plain loop's order; where four
    // sums are independent (four columns j, or four rows i) they run side by side, so the adder's
    // latency is paid once per four terms (the same bits; 81% of entropy-linear-vae's run was here).
    const { A, u, g, G, P } = this.work;
    for (let i = 0; i < D; i++) {
      let j = 0;
      for (; j + 3 < D; j += 4) {
        let w0 = 0;
        let w1 = 0;
        let w2 = 0;
        let w3 = 0;
        for (let h = 0; h < H; h++) {
          const wih = W[i * H + h];
          const o = h * D + j;
          w0 += wih * V[o];
          w1 += wih * V[o + 1];
          w2 += wih * V[o + 2];
          w3 += wih * V[o + 3];
        }
        A[i * D + j] = (i === j ? 1 : 0) - w0;
        A[i * D + j + 1] = (i === j + 1 ? 1 : 0) - w1;
        A[i * D + j + 2] = (i === j + 2 ? 1 : 0) - w2;
        A[i * D + j + 3] = (i === j + 3 ? 1 : 0) - w3;
      }
      for (; j < D; j++) {
        let wv = 0;
        for (let h = 0; h < H; h++) wv += W[i * H + h] * V[h * D + j];
        A[i * D + j] = (i === j ? 1 : 0) - wv;
      }
    }
    for (let i = 0; i < D; i++) {
      let am = 0;
      for (let j = 0; j < D; j++) am += A[i * D + j] * m[j];
      let wc = 0;
      for (let h = 0; h < H; h++) wc += W[i * H + h] * c[h];
      u[i] = am - wc - b[i];
    }
    for (let h = 0; h < H; h++) {
      let vm = c[h];
      for (let j = 0; j < D; j++) vm += V[h * D + j] * m[j];
      g[h] = vm;
    }
    // G = A S + u mᵀ (D×D); Er2 = tr(A S Aᵀ) + ‖u‖².
    let er2 = 0;
    for (let i = 0; i < D; i++) {
      er2 = rowTimesS(A, i * D, S, D, u[i], m, G, er2);
      er2 += u[i] * u[i];
    }
    // P = V S + g mᵀ (H×D); Emu2 = tr(V S Vᵀ) + ‖g‖².
    let emu2 = 0;
    for (let h = 0; h < H; h++) {
      emu2 = rowTimesS(V, h * D, S, D, g[h], m, P, emu2);
      emu2 += g[h] * g[h];
    }
    let spread = 0;
    let klConst = 0;
    const gW = grad.W;
    const gV = grad.V;
    for (let h = 0; h < H; h++) {
      const tau2 = Math.exp(s[h]);
      let wh = 0;
      for (let i = 0; i < D; i++) wh += W[i * H + h] * W[i * H + h];
      spread += wh * tau2;
      klConst += tau2 - 1 - s[h];
      grad.s[h] = (-wh * tau2) / (2 * v) - 0.5 * (tau2 - 1);
      let wtu = 0;
      for (let i = 0; i < D; i++) wtu += W[i * H + h] * u[i];
      grad.c[h] = wtu / v - g[h];
      let j = 0;
      for (; j + 3 < D; j += 4) {
        let t0 = 0;
        let t1 = 0;
        let t2 = 0;
        let t3 = 0;
        for (let i = 0; i < D; i++) {
          const wih = W[i * H + h];
          const o = i * D + j;
          t0 += wih * G[o];
          t1 += wih * G[o + 1];
          t2 += wih * G[o + 2];
          t3 += wih * G[o + 3];
        }
        gV[h * D + j] = t0 / v - P[h * D + j];
        gV[h * D + j + 1] = t1 / v - P[h * D + j + 1];
        gV[h * D + j + 2] = t2 / v - P[h * D + j + 2];
        gV[h * D + j + 3] = t3 / v - P[h * D + j + 3];
      }
      for (; j < D; j++) {
        let wtg = 0;
        for (let i = 0; i < D; i++) wtg += W[i * H + h] * G[i * D + j];
        gV[h * D + j] = wtg / v - P[h * D + j];
      }
      let i = 0;
      for (; i + 3 < D; i += 4) {
        let t0 = 0;
        let t1 = 0;
        let t2 = 0;
        let t3 = 0;
        for (let q = 0; q < D; q++) {
          const vhq = V[h * D + q];
          t0 += G[i * D + q] * vhq;
          t1 += G[(i + 1) * D + q] * vhq;
          t2 += G[(i + 2) * D + q] * vhq;
          t3 += G[(i + 3) * D + q] * vhq;
        }
        gW[i * H + h] = (t0 + u[i] * c[h] - W[i * H + h] * tau2) / v;
        gW[(i + 1) * H + h] = (t1 + u[i + 1] * c[h] - W[(i + 1) * H + h] * tau2) / v;
        gW[(i + 2) * H + h] = (t2 + u[i + 2] * c[h] - W[(i + 2) * H + h] * tau2) / v;
        gW[(i + 3) * H + h] = (t3 + u[i + 3] * c[h] - W[(i + 3) * H + h] * tau2) / v;
      }
      for (; i < D; i++) {
        let gvt = 0;
        for (let q = 0; q < D; q++) gvt += G[i * D + q] * V[h * D + q];
        gW[i * H + h] = (gvt + u[i] * c[h] - W[i * H + h] * tau2) / v;
      }
    }
    for (let i = 0; i < D; i++) grad.b[i] = u[i] / v;
    const Q = er2 + spread;
    grad.logVar[0] = fixed === null ? Q / (2 * v) - D / 2 : 0;
    return -0.5 * D * (logVar + LOG_2PI) - Q / (2 * v) - 0.5 * (emu2 + klConst);
  }

  disposeInputs(): void {}

  dispose(): void {
    tf.dispose([this.mean, this.cov, this.eye, this.learnMask, this.fixedValue]);
  }
}
