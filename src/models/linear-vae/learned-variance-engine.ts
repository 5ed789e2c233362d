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

export class LearnedVarianceLinearVae implements BatchedModel<null> {
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

  disposeInputs(): void {}

  dispose(): void {
    tf.dispose([this.mean, this.cov, this.eye, this.learnMask, this.fixedValue]);
  }
}
