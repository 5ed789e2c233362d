/**
 * PPCA as a replica-batched TensorFlow.js model: full-batch gradient ascent
 * on the exact log-likelihood per point (exact posteriors: the ELBO equals
 * the log-likelihood), from the data's sufficient statistics in float32:
 *   log p = −½ [D log 2π + log det C + tr(C⁻¹ S_μ)],  C = W Wᵀ + σ² I,
 * via Woodbury with M = WᵀW + σ² I_H (H×H, factorised by smallSpdTerms):
 *   log det C = (D − H) log σ² + log det M,
 *   tr(C⁻¹ S_μ) = (tr S_μ − tr(M⁻¹ Wᵀ S_μ W)) / σ²,
 *   S_μ = S + d dᵀ,  d = m − μ.
 * Parameters per replica: W [D, H], mu [D], logVar [1] (σ² = e^logVar).
 * Deterministic: no mini-batches, no noise (every replica must use B = N).
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import type { DataStats } from './oracle.ts';
import { smallSpdTerms } from './small-spd.ts';

export interface PpcaModelOptions {
  stats: DataStats;
  H: number;
  /** Standard deviation of the N(0, s²) initialisation of W. */
  initScale?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class PpcaEngineModel implements BatchedModel<null> {
  readonly name = 'ppca';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly D: number;
  private readonly H: number;
  private readonly initScale: number;
  private readonly mean: tf.Tensor1D;
  private readonly cov: tf.Tensor2D;

  constructor(opts: PpcaModelOptions) {
    const { stats, H } = opts;
    if (!Number.isInteger(H) || H < 1 || H > stats.D) throw new RangeError(`PPCA H = ${H}; allowed an integer 1 ≤ H ≤ D = ${stats.D}`);
    this.D = stats.D;
    this.H = H;
    this.dataSize = stats.N;
    this.initScale = opts.initScale ?? 0.1;
    this.paramShapes = { W: [this.D, H], mu: [this.D], logVar: [1] };
    this.mean = tf.tensor1d(Float32Array.from(stats.mean));
    this.cov = tf.tensor2d(Float32Array.from(stats.cov), [this.D, this.D]);
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    if (replica.batchSize !== this.dataSize) {
      throw new RangeError(`PPCA replica "${replica.label}": batch size ${replica.batchSize}; the PPCA model trains full batch, allowed B = N = ${this.dataSize}`);
    }
    const W = new Float32Array(this.D * this.H);
    for (let i = 0; i < W.length; i++) W[i] = this.initScale * streams.init.normal();
    return { W, mu: new Float32Array(this.D), logVar: new Float32Array(1) };
  }

  drawStep(): null {
    return null;
  }

  /** Log-likelihood per point for every replica, [R]. */
  objective(params: Record<string, tf.Tensor>): tf.Tensor1D {
    const { D, H } = this;
    const W = params.W as tf.Tensor3D; // [R, D, H]
    const mu = params.mu as tf.Tensor2D; // [R, D]
    const logVar = (params.logVar as tf.Tensor2D).reshape([-1]); // [R]
    const R = W.shape[0];
    const v = logVar.exp();
    const d = this.mean.expandDims(0).sub(mu); // [R, D]
    const trS = this.cov.mul(tf.eye(D)).sum().add(d.square().sum(1)); // [R]
    const WtW = tf.matMul(W, W, true, false); // [R, H, H]
    const M = WtW.add(tf.eye(H).expandDims(0).mul(v.reshape([R, 1, 1]))) as tf.Tensor3D;
    const SW = tf.matMul(this.cov.expandDims(0).tile([R, 1, 1]) as tf.Tensor3D, W); // [R, D, H]
    const Wd = tf.matMul(d.expandDims(1), W).reshape([R, H]); // dᵀW
    const A = tf.matMul(W, SW, true, false).add(Wd.expandDims(2).mul(Wd.expandDims(1))) as tf.Tensor3D; // Wᵀ S_μ W
    const { logDet, trace } = smallSpdTerms(M, A);
    const logDetC = logVar.mul(D - H).add(logDet);
    const trCinvS = trS.sub(trace).div(v);
    return logDetC.add(trCinvS).add(D * LOG_2PI).mul(-0.5) as tf.Tensor1D;
  }

  disposeInputs(): void {}

  dispose(): void {
    tf.dispose([this.mean, this.cov]);
  }
}
