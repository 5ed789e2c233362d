/**
 * The M-step of a Bernoulli or Poisson mixture as an engine model: for FIXED
 * responsibilities q (one matrix per replica), the ELBO per point in the
 * natural parameters θ = (a, η),
 *   π = softmax(a),  p(x_d | c) = h(x_d) exp(η_cd x_d − A(η_cd)),
 *   F(θ) = Σ_c q̄_c log π_c + Σ_c q̄_c Σ_d [x̄_cd η_cd − A(η_cd)] + κ,
 *   κ = (1/N) Σ_n H[q_n] + (1/N) Σ_n Σ_d log h(x_nd)   (constant in θ),
 * with q̄_c = (1/N) Σ_n q_nc and x̄_cd = Σ_n q_nc x_nd / (N q̄_c), is ascended
 * by the engine's trainer. Its maximiser is the closed-form M-step (π = q̄,
 * A'(η_cd) = x̄_cd); F is concave in θ, so plain gradient ascent converges.
 *   ∂F/∂a_c = q̄_c − π_c,   ∂F/∂η_cd = q̄_c (x̄_cd − A'(η_cd)).
 * Bernoulli: A = softplus, A' = sigmoid, h = 1. Poisson: A = A' = exp,
 * h(x) = 1/x!. Implements both paths: the closed-form kernel (what the claim
 * trains with) and the TensorFlow.js objective (autodiff; the tests compare
 * the two). Everything here is written independently of product-mixture.ts
 * (the float64 oracle it is judged against).
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { CountData } from './product-mixture.ts';

export type NaturalFamily = 'bernoulli' | 'poisson';

export interface MixtureMStepOptions {
  family: NaturalFamily;
  K: number;
  data: CountData;
  /** One N×K responsibility matrix per replica, in trainer order. */
  responsibilities: readonly Float64Array[];
  /** Standard deviation of the N(0, s²) jitter of the initial η around the data's natural parameter. */
  initScale?: number;
}

/** Per-replica sufficient statistics of q. */
export interface MixtureStats {
  qbar: Float64Array;
  /** K×D weighted data means. */
  xbar: Float64Array;
  /** κ: the θ-independent part of F. */
  constant: number;
}

function logFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}

export function mixtureStats(family: NaturalFamily, data: CountData, q: Float64Array, K: number): MixtureStats {
  const { N, D, x } = data;
  if (q.length !== N * K) throw new RangeError(`mixture M-step model: q has length ${q.length}, expected N×K = ${N * K}`);
  const qbar = new Float64Array(K);
  const xbar = new Float64Array(K * D);
  let entropy = 0;
  let base = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w <= 0) continue;
      qbar[c] += w;
      entropy -= w * Math.log(w);
      for (let d = 0; d < D; d++) xbar[c * D + d] += w * x[n * D + d];
    }
    if (family === 'poisson') for (let d = 0; d < D; d++) base -= logFactorial(x[n * D + d]);
  }
  for (let c = 0; c < K; c++) {
    if (!(qbar[c] > 0)) throw new RangeError(`mixture M-step model: component ${c} has no responsibility`);
    for (let d = 0; d < D; d++) xbar[c * D + d] /= qbar[c];
    qbar[c] /= N;
  }
  return { qbar, xbar, constant: (entropy + base) / N };
}

function softplus(e: number): number {
  return e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e));
}

function logPartition(family: NaturalFamily, e: number): number {
  return family === 'bernoulli' ? softplus(e) : Math.exp(e);
}

function meanOf(family: NaturalFamily, e: number): number {
  return family === 'bernoulli' ? 1 / (1 + Math.exp(-e)) : Math.exp(e);
}

export class ProductMixtureMStepModel implements BatchedModel<null>, ReplicaKernel {
  readonly name: string;
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  readonly stats: readonly MixtureStats[];
  private readonly family: NaturalFamily;
  private readonly K: number;
  private readonly D: number;
  private readonly initEta: Float64Array;
  private readonly initScale: number;
  private readonly tensors: { qbar: tf.Tensor2D; xbar: tf.Tensor3D; constant: tf.Tensor1D };

  constructor(opts: MixtureMStepOptions) {
    const { family, K, data } = opts;
    if (!Number.isInteger(K) || K < 1) throw new RangeError(`mixture M-step model: K = ${K}; allowed an integer ≥ 1`);
    this.family = family;
    this.name = `${family}-mixture-m-step`;
    this.K = K;
    this.D = data.D;
    this.dataSize = data.N;
    this.paramShapes = { logits: [K], eta: [K, data.D] };
    this.stats = opts.responsibilities.map((q) => mixtureStats(family, data, q, K));
    this.initScale = opts.initScale ?? 0.1;
    // Start at the natural parameter of each column's overall mean (clamped away from the boundary).
    this.initEta = new Float64Array(data.D);
    for (let d = 0; d < data.D; d++) {
      let m = 0;
      for (let n = 0; n < data.N; n++) m += data.x[n * data.D + d] / data.N;
      this.initEta[d] = family === 'bernoulli' ? Math.log(Math.min(Math.max(m, 1e-3), 1 - 1e-3) / (1 - Math.min(Math.max(m, 1e-3), 1 - 1e-3))) : Math.log(Math.max(m, 1e-3));
    }
    const R = this.stats.length;
    this.tensors = {
      qbar: tf.tensor2d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.qbar))), [R, K]),
      xbar: tf.tensor3d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.xbar))), [R, K, data.D]),
      constant: tf.tensor1d(Float32Array.from(this.stats.map((s) => s.constant))),
    };
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    if (replica.batchSize !== this.dataSize) {
      throw new RangeError(`${this.name} replica "${replica.label}": batch size ${replica.batchSize}; this model trains full batch, allowed B = N = ${this.dataSize}`);
    }
    const eta = new Float32Array(this.K * this.D);
    for (let c = 0; c < this.K; c++) for (let d = 0; d < this.D; d++) eta[c * this.D + d] = this.initEta[d] + this.initScale * streams.init.normal();
    return { logits: new Float32Array(this.K), eta };
  }

  drawStep(replicas: readonly ReplicaSetting[]): null {
    if (replicas.length !== this.stats.length) throw new RangeError(`${this.name}: ${replicas.length} replicas but ${this.stats.length} responsibility matrices`);
    return null;
  }

  objective(params: Record<string, tf.Tensor>): tf.Tensor1D {
    const a = params.logits as tf.Tensor2D; // [R, K]
    const eta = params.eta as tf.Tensor3D; // [R, K, D]
    const { qbar, xbar, constant } = this.tensors;
    const logPi = a.sub(a.logSumExp(1, true));
    const A = this.family === 'bernoulli' ? tf.softplus(eta) : eta.exp();
    const perComponent = xbar.mul(eta).sub(A).sum(2); // [R, K]
    return qbar.mul(logPi.add(perComponent)).sum(1).add(constant) as tf.Tensor1D;
  }

  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, _streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const { K, D, family } = this;
    const s = this.stats[index];
    if (!s) throw new RangeError(`${this.name}: replica ${index} ("${replica.label}") has no responsibilities`);
    const a = params.logits;
    const eta = params.eta;
    let max = -Infinity;
    for (let c = 0; c < K; c++) max = Math.max(max, a[c]);
    let z = 0;
    for (let c = 0; c < K; c++) z += Math.exp(a[c] - max);
    const lse = max + Math.log(z);
    let f = s.constant;
    for (let c = 0; c < K; c++) {
      const logPi = a[c] - lse;
      grad.logits[c] = s.qbar[c] - Math.exp(logPi);
      let comp = 0;
      for (let d = 0; d < D; d++) {
        const e = eta[c * D + d];
        const xb = s.xbar[c * D + d];
        comp += xb * e - logPartition(family, e);
        grad.eta[c * D + d] = s.qbar[c] * (xb - meanOf(family, e));
      }
      f += s.qbar[c] * (logPi + comp);
    }
    return f;
  }

  disposeInputs(): void {}

  dispose(): void {
    tf.dispose(Object.values(this.tensors));
  }
}
