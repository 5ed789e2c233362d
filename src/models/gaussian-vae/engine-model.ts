/**
 * The Gaussian VAE (see params.ts) as a replica-batched TensorFlow.js model:
 * the reparameterised Monte Carlo ELBO with B data points (uniform with
 * replacement, from each replica's own data stream) and K samples per point,
 * KL in closed form, ascended by the trainer.
 *
 * Per-replica σ²: fixedLogVariance[r] = null learns log σ² (VAE-1); a number
 * pins it (VAE-0, the falsifier; a 0/1 mask cuts its gradient), so both
 * train in one replica batch. All replicas share B and K.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { drawIndexedBatch } from '../../engine/minibatch.ts';
import { checkArch, gaussianVaeShapes, LATENT_SCALE_SCALE, LOG_VARIANCE_SCALE, type GaussianVaeArch } from './params.ts';

export interface GaussianVaeInputs {
  index: tf.Tensor2D; // [R, B] int32 rows of the data
  eps: tf.Tensor4D; // [R, B, K, H]
}

export interface GaussianVaeModelOptions {
  arch: GaussianVaeArch;
  /** N×D row-major. */
  data: Float32Array;
  fixedLogVariance: readonly (number | null)[];
  /** Per replica: train the latent scales ρ (true) or pin them at 0 (plain parameterisation). */
  learnLatentScale: readonly boolean[];
  /** Initial log σ² of the learned replicas. */
  initialLogVariance?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class GaussianVaeModel implements BatchedModel<GaussianVaeInputs> {
  readonly name = 'gaussian-vae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly arch: GaussianVaeArch;
  private readonly data: tf.Tensor2D;
  private readonly dataMean: Float32Array;
  private readonly learnMask: tf.Tensor1D;
  private readonly rhoMask: tf.Tensor3D;
  private readonly fixedValue: tf.Tensor1D;
  private readonly fixed: readonly (number | null)[];
  private readonly initialLogVariance: number;

  constructor(opts: GaussianVaeModelOptions) {
    const { arch, data } = opts;
    checkArch(arch);
    if (data.length === 0 || data.length % arch.D !== 0) throw new RangeError(`Gaussian VAE: data length ${data.length} is not a positive multiple of D = ${arch.D}`);
    this.arch = arch;
    this.dataSize = data.length / arch.D;
    this.paramShapes = gaussianVaeShapes(arch);
    this.data = tf.tensor2d(data, [this.dataSize, arch.D]);
    this.dataMean = new Float32Array(arch.D);
    for (let n = 0; n < this.dataSize; n++) for (let i = 0; i < arch.D; i++) this.dataMean[i] += data[n * arch.D + i] / this.dataSize;
    this.fixed = opts.fixedLogVariance;
    this.learnMask = tf.tensor1d(this.fixed.map((f) => (f === null ? 1 : 0)));
    this.fixedValue = tf.tensor1d(this.fixed.map((f) => f ?? 0));
    if (opts.learnLatentScale.length !== this.fixed.length) {
      throw new RangeError(`Gaussian VAE: learnLatentScale has ${opts.learnLatentScale.length} entries, fixedLogVariance ${this.fixed.length}`);
    }
    this.rhoMask = tf.tensor3d(opts.learnLatentScale.map((l) => (l ? LATENT_SCALE_SCALE : 0)), [this.fixed.length, 1, 1]);
    this.initialLogVariance = opts.initialLogVariance ?? 0;
  }

  initialParams(_replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const H = this.arch.latent;
    return {
      ...mlpVaeInitialWeights(this.arch, this.dataMean, streams),
      logVar: Float32Array.of(this.initialLogVariance / LOG_VARIANCE_SCALE),
      rho: new Float32Array(H),
    };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): GaussianVaeInputs {
    const R = replicas.length;
    if (R !== this.fixed.length) throw new RangeError(`Gaussian VAE: ${R} replicas but fixedLogVariance has ${this.fixed.length} entries`);
    return drawIndexedBatch('Gaussian VAE', replicas, streams, this.dataSize, this.arch.latent);
  }

  objective(params: Record<string, tf.Tensor>, inputs: GaussianVaeInputs): tf.Tensor1D {
    const { D, latent: H } = this.arch;
    const [R, B, K] = inputs.eps.shape;
    const p = params as Record<string, tf.Tensor3D>;
    const x = tf.gather(this.data, inputs.index) as unknown as tf.Tensor3D; // [R, B, D]
    const h = tf.matMul(x, p.We1).add(p.be1.expandDims(1)).tanh();
    const rho = p.rho.expandDims(1).mul(this.rhoMask); // [R, 1, H]: ρ = κ·stored, 0 where pinned
    const nu = tf.matMul(h, p.Wmu).add(p.bmu.expandDims(1)).mul(rho.exp()); // [R, B, H]
    const logTau2 = tf.matMul(h, p.Wlv).add(p.blv.expandDims(1)).add(rho.mul(2));
    const z = nu.expandDims(2).add(logTau2.mul(0.5).exp().expandDims(2).mul(inputs.eps)).reshape([R, B * K, H]);
    const g = tf.matMul(z.mul(rho.neg().exp()), p.Wd1).add(p.bd1.expandDims(1)).tanh();
    const f = tf.matMul(g, p.Wd2).add(p.bd2.expandDims(1)).reshape([R, B, K, D]);
    const sq = x.expandDims(2).sub(f).square().sum(-1).mean([1, 2]); // [R]: E‖x − f(z)‖² per point
    const logVar = (params.logVar as tf.Tensor2D).reshape([R]).mul(LOG_VARIANCE_SCALE).mul(this.learnMask).add(this.fixedValue);
    const recon = logVar.add(LOG_2PI).mul(-0.5 * D).sub(sq.div(logVar.exp().mul(2)));
    const kl = logTau2.exp().add(nu.square()).sub(1).sub(logTau2).sum(-1).mean(1).mul(0.5);
    return recon.sub(kl) as tf.Tensor1D;
  }

  disposeInputs(inputs: GaussianVaeInputs): void {
    tf.dispose([inputs.index, inputs.eps]);
  }

  dispose(): void {
    tf.dispose([this.data, this.learnMask, this.fixedValue, this.rhoMask]);
  }
}

/**
 * The two-hidden-layer MLP encoder and decoder shared by the Gaussian VAE
 * and D23's variants (src/models/variant-vae): weights N(0, 1/fan_in)
 * (LeCun), biases 0, the decoder output bias at the data mean; drawn from the
 * replica's init stream in the order We1, Wmu, Wlv, Wd1, Wd2.
 */
export function mlpVaeInitialWeights(arch: { D: number; hidden: number; latent: number }, dataMean: ArrayLike<number>, streams: ReplicaStreams): Record<'We1' | 'be1' | 'Wmu' | 'bmu' | 'Wlv' | 'blv' | 'Wd1' | 'bd1' | 'Wd2' | 'bd2', Float32Array> {
  const { D, hidden: Hd, latent: H } = arch;
  const w = (rows: number, cols: number) => Float32Array.from({ length: rows * cols }, () => streams.init.normal() / Math.sqrt(rows));
  return {
    We1: w(D, Hd),
    be1: new Float32Array(Hd),
    Wmu: w(Hd, H),
    bmu: new Float32Array(H),
    Wlv: w(Hd, H),
    blv: new Float32Array(H),
    Wd1: w(H, Hd),
    bd1: new Float32Array(Hd),
    Wd2: w(Hd, D),
    bd2: Float32Array.from(dataMean),
  };
}
