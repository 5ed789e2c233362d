/**
 * The M-step of a Gaussian mixture as an engine model: for FIXED
 * responsibilities q (one matrix per replica) the ELBO per point is ascended
 * by the engine's trainer in the coordinates
 *   a (K logits, π = softmax a),  μ (K×D means),
 *   full: the Cholesky factor U_c of the PRECISION Λ_c = U_c U_cᵀ, stored as
 *         `precision` [K, D, D] with log U_ii on the diagonal and U_ij (i > j)
 *         below it (entries above are unused: gradient 0);
 *   shared-isotropic: ℓ = log of the shared precision 1/σ² (`logPrecision` [1]).
 * With q̄_c, x̄_c, S̄_c (weighted scatter around x̄_c), δ_c = x̄_c − μ_c,
 * Ŝ_c = S̄_c + δ_c δ_cᵀ and H̄_q = (1/N) Σ_n H[q_n]:
 *   F = Σ_c q̄_c [log π_c − (D/2) log 2π + Σ_i log U_c,ii − ½ tr(U_cᵀ Ŝ_c U_c)] + H̄_q
 *   ∂F/∂a_c = q̄_c − π_c,  ∂F/∂μ_c = q̄_c Λ_c δ_c,
 *   ∂F/∂(log U_ii) = q̄_c (1 − (Ŝ_c U_c)_ii U_ii),  ∂F/∂U_ij = −q̄_c (Ŝ_c U_c)_ij  (i > j);
 *   isotropic: F = Σ_c q̄_c [log π_c − (D/2) log 2π + (D/2) ℓ − ½ e^ℓ tr Ŝ_c] + H̄_q,
 *   ∂F/∂ℓ = Σ_c q̄_c (D − e^ℓ tr Ŝ_c)/2,  ∂F/∂μ_c = q̄_c e^ℓ δ_c.
 * Why the precision factor: F is concave in U (log det U − ½ tr UᵀŜU), so
 * gradient ascent reaches the M-step (Σ_c = S̄_c, μ_c = x̄_c, π = q̄) without
 * a projection. The kernel (closed form, what the claim trains with) and the
 * TensorFlow.js objective (autodiff, compared in the tests) are written
 * independently of gmm.ts, the float64 oracle they are judged against.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { CovarianceKind, Dataset } from './gmm.ts';

export interface GmmMStepOptions {
  kind: CovarianceKind;
  K: number;
  /** The data each replica sees (one per replica, same N and D; e.g. whitened per replica, see entropy-gmm.ts). */
  data: readonly Dataset[];
  /** One N×K responsibility matrix per replica, in trainer order. */
  responsibilities: readonly Float64Array[];
  /** The replicas' labels, in the same order: initialParams finds a replica's q by its label. */
  labels: readonly string[];
}

interface Stats {
  qbar: Float64Array;
  xbar: Float64Array;
  /** K×D×D weighted scatter around x̄_c. */
  scatter: Float64Array;
  entropy: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

function statsOf(data: Dataset, q: Float64Array, K: number): Stats {
  const { N, D, x } = data;
  if (q.length !== N * K) throw new RangeError(`GMM M-step model: q has length ${q.length}, expected N×K = ${N * K}`);
  const qbar = new Float64Array(K);
  const xbar = new Float64Array(K * D);
  let entropy = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w <= 0) continue;
      qbar[c] += w;
      entropy -= w * Math.log(w);
      for (let i = 0; i < D; i++) xbar[c * D + i] += w * x[n * D + i];
    }
  }
  for (let c = 0; c < K; c++) {
    if (!(qbar[c] > 0)) throw new RangeError(`GMM M-step model: component ${c} has no responsibility`);
    for (let i = 0; i < D; i++) xbar[c * D + i] /= qbar[c];
  }
  const scatter = new Float64Array(K * D * D);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < K; c++) {
      const w = q[n * K + c];
      if (w <= 0) continue;
      for (let i = 0; i < D; i++) {
        const di = x[n * D + i] - xbar[c * D + i];
        for (let j = 0; j < D; j++) scatter[c * D * D + i * D + j] += w * di * (x[n * D + j] - xbar[c * D + j]);
      }
    }
  }
  for (let c = 0; c < K; c++) for (let k = 0; k < D * D; k++) scatter[c * D * D + k] /= qbar[c];
  for (let c = 0; c < K; c++) qbar[c] /= N;
  return { qbar, xbar, scatter, entropy: entropy / N };
}

export class GmmMStepModel implements BatchedModel<null>, ReplicaKernel {
  readonly name: string;
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly kind: CovarianceKind;
  private readonly K: number;
  private readonly D: number;
  private readonly stats: readonly Stats[];
  private readonly labels: readonly string[];
  private readonly tensors: { qbar: tf.Tensor2D; xbar: tf.Tensor3D; scatter: tf.Tensor4D; entropy: tf.Tensor1D; eye: tf.Tensor2D; lower: tf.Tensor2D };
  /** Work arrays of the kernel step: T = Ŝ U and Ŝ (D×D), δ (D). */
  private readonly work: { T: Float64Array; S: Float64Array; delta: Float64Array; U: Float64Array };

  constructor(opts: GmmMStepOptions) {
    const { kind, K } = opts;
    if (!Number.isInteger(K) || K < 1) throw new RangeError(`GMM M-step model: K = ${K}; allowed an integer ≥ 1`);
    const data = opts.data[0];
    if (!data || opts.data.length !== opts.responsibilities.length || opts.data.some((d) => d.N !== data.N || d.D !== data.D)) {
      throw new RangeError(`GMM M-step model: one data set per replica (${opts.responsibilities.length}), all of the same N × D; got ${opts.data.length}`);
    }
    const D = data.D;
    this.kind = kind;
    this.name = `gmm-m-step-${kind}`;
    this.K = K;
    this.D = D;
    this.dataSize = data.N;
    this.paramShapes = kind === 'full' ? { logits: [K], means: [K, D], precision: [K, D, D] } : { logits: [K], means: [K, D], logPrecision: [1] };
    this.stats = opts.responsibilities.map((q, r) => statsOf(opts.data[r], q, K));
    if (opts.labels.length !== this.stats.length) throw new RangeError(`${this.name}: ${opts.labels.length} labels for ${this.stats.length} responsibility matrices`);
    this.labels = opts.labels;
    const R = this.stats.length;
    const lower = new Float32Array(D * D);
    for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) lower[i * D + j] = 1;
    this.tensors = {
      qbar: tf.tensor2d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.qbar))), [R, K]),
      xbar: tf.tensor3d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.xbar))), [R, K, D]),
      scatter: tf.tensor4d(Float32Array.from(this.stats.flatMap((s) => Array.from(s.scatter))), [R, K, D, D]),
      entropy: tf.tensor1d(Float32Array.from(this.stats.map((s) => s.entropy))),
      eye: tf.eye(D),
      lower: tf.tensor2d(lower, [D, D]),
    };
    this.work = { T: new Float64Array(D * D), S: new Float64Array(D * D), delta: new Float64Array(D), U: new Float64Array(D * D) };
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    if (replica.batchSize !== this.dataSize) {
      throw new RangeError(`${this.name} replica "${replica.label}": batch size ${replica.batchSize}; this model trains full batch, allowed B = N = ${this.dataSize}`);
    }
    const { K, D } = this;
    const index = this.labels.indexOf(replica.label);
    if (index < 0) throw new RangeError(`${this.name}: no responsibilities for replica "${replica.label}"`);
    // A start whose curvature is O(q̄_c) in units where the components' spread is O(1) (the check whitens each
    // replica's data so): each mean at its weighted data mean x̄_c jittered by N(0, ½²) (O(1) gradients for the
    // step checks, no far-away mean whose large Ŝ_c would need a tiny step), unit precision, uniform π.
    const xbar = this.stats[index].xbar;
    const means = new Float32Array(K * D);
    for (let c = 0; c < K; c++) for (let i = 0; i < D; i++) means[c * D + i] = xbar[c * D + i] + 0.5 * streams.init.normal();
    const out: ReplicaParams = { logits: new Float32Array(K), means };
    if (this.kind === 'full') out.precision = new Float32Array(K * D * D);
    else out.logPrecision = new Float32Array(1);
    return out;
  }

  drawStep(replicas: readonly ReplicaSetting[]): null {
    if (replicas.length !== this.stats.length) throw new RangeError(`${this.name}: ${replicas.length} replicas but ${this.stats.length} responsibility matrices`);
    return null;
  }

  objective(params: Record<string, tf.Tensor>): tf.Tensor1D {
    const { K, D } = this;
    const { qbar, xbar, scatter, entropy, eye, lower } = this.tensors;
    const a = params.logits as tf.Tensor2D;
    const R = a.shape[0];
    const logPi = a.sub(a.logSumExp(1, true)); // [R, K]
    const delta = xbar.sub(params.means); // [R, K, D]
    let perComponent: tf.Tensor; // [R, K]: Σ log U_ii − ½ tr UᵀŜU
    if (this.kind === 'full') {
      const P = params.precision as tf.Tensor4D;
      const U = P.mul(lower).add(P.exp().mul(eye)).reshape([R * K, D, D]) as tf.Tensor3D;
      const logDet = P.mul(eye).sum([2, 3]);
      const SU = tf.matMul(scatter.reshape([R * K, D, D]) as tf.Tensor3D, U);
      const trScatter = SU.mul(U).sum([1, 2]).reshape([R, K]);
      const Ud = tf.matMul(delta.reshape([R * K, 1, D]) as tf.Tensor3D, U).reshape([R, K, D]); // δᵀU
      perComponent = logDet.sub(trScatter.add(Ud.square().sum(2)).mul(0.5));
    } else {
      const l = (params.logPrecision as tf.Tensor2D).reshape([R, 1]);
      const trS = scatter.mul(eye).sum([2, 3]).add(delta.square().sum(2)); // tr Ŝ_c
      perComponent = l.mul(D / 2).sub(l.exp().mul(trS).mul(0.5));
    }
    return qbar.mul(logPi.add(perComponent).sub((D / 2) * LOG_2PI)).sum(1).add(entropy) as tf.Tensor1D;
  }

  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, _streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const { K, D } = this;
    const s = this.stats[index];
    if (!s) throw new RangeError(`${this.name}: replica ${index} ("${replica.label}") has no responsibilities`);
    const { T, S, delta, U } = this.work;
    const a = params.logits;
    const mu = params.means;
    let max = -Infinity;
    for (let c = 0; c < K; c++) max = Math.max(max, a[c]);
    let z = 0;
    for (let c = 0; c < K; c++) z += Math.exp(a[c] - max);
    const lse = max + Math.log(z);
    let f = s.entropy;
    if (this.kind === 'shared-isotropic') grad.logPrecision[0] = 0;
    for (let c = 0; c < K; c++) {
      const qc = s.qbar[c];
      const logPi = a[c] - lse;
      grad.logits[c] = qc - Math.exp(logPi);
      for (let i = 0; i < D; i++) delta[i] = s.xbar[c * D + i] - mu[c * D + i];
      let term: number;
      if (this.kind === 'full') {
        const P = params.precision;
        const o = c * D * D;
        let logDet = 0;
        for (let i = 0; i < D; i++) {
          for (let j = 0; j < D; j++) U[i * D + j] = j < i ? P[o + i * D + j] : j === i ? Math.exp(P[o + i * D + i]) : 0;
          logDet += P[o + i * D + i];
        }
        for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) S[i * D + j] = s.scatter[o + i * D + j] + delta[i] * delta[j];
        // T = Ŝ U; tr(Uᵀ Ŝ U) = Σ_ij T_ij U_ij.
        let tr = 0;
        for (let i = 0; i < D; i++) {
          for (let j = 0; j < D; j++) {
            let t = 0;
            for (let k = j; k < D; k++) t += S[i * D + k] * U[k * D + j];
            T[i * D + j] = t;
            tr += t * U[i * D + j];
          }
        }
        term = logDet - 0.5 * tr;
        const gP = grad.precision;
        for (let i = 0; i < D; i++) {
          for (let j = 0; j < D; j++) gP[o + i * D + j] = j < i ? -qc * T[i * D + j] : j === i ? qc * (1 - T[i * D + i] * U[i * D + i]) : 0;
        }
        // ∂μ_c = q̄_c U Uᵀ δ.
        for (let j = 0; j < D; j++) {
          let v = 0;
          for (let k = j; k < D; k++) v += U[k * D + j] * delta[k];
          S[j] = v; // reuse: Uᵀδ
        }
        for (let i = 0; i < D; i++) {
          let v = 0;
          for (let j = 0; j <= i; j++) v += U[i * D + j] * S[j];
          grad.means[c * D + i] = qc * v;
        }
      } else {
        const l = params.logPrecision[0];
        const lam = Math.exp(l);
        let trS = 0;
        for (let i = 0; i < D; i++) trS += s.scatter[c * D * D + i * D + i] + delta[i] * delta[i];
        term = (D / 2) * l - 0.5 * lam * trS;
        grad.logPrecision[0] += 0.5 * qc * (D - lam * trS);
        for (let i = 0; i < D; i++) grad.means[c * D + i] = qc * lam * delta[i];
      }
      f += qc * (logPi - (D / 2) * LOG_2PI + term);
    }
    return f;
  }

  disposeInputs(): void {}

  dispose(): void {
    tf.dispose(Object.values(this.tensors));
  }
}
