/**
 * D23's VAE-2 and VAE-3 (params.ts) as one replica-batched TensorFlow.js model:
 * the reparameterised Monte Carlo ELBO with B data points (uniform with
 * replacement, from each replica's own data stream) and K samples per point,
 * the KL to the variant's prior in closed form, ascended by the trainer. The
 * variant is chosen per replica by 0/1 masks (the other variant's parameters
 * get zero gradient), so both variants train in one replica batch.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { drawIndexedBatch } from '../../engine/minibatch.ts';
import { mlpVaeInitialWeights } from '../gaussian-vae/engine-model.ts';
import { checkVariantArch, VARIANCE_SCALE, variantVaeShapes, type VaeVariant, type VariantVaeArch } from './params.ts';

export interface VariantVaeInputs {
  index: tf.Tensor2D; // [R, B] int32 rows of the data
  eps: tf.Tensor4D; // [R, B, K, H]
}

export interface VariantVaeModelOptions {
  arch: VariantVaeArch;
  /** N×D row-major. */
  data: Float32Array;
  /** Per replica. */
  variants: readonly VaeVariant[];
}

const LOG_2PI = Math.log(2 * Math.PI);

export class VariantVaeModel implements BatchedModel<VariantVaeInputs> {
  readonly name = 'variant-vae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly arch: VariantVaeArch;
  private readonly data: tf.Tensor2D;
  private readonly dataMean: Float32Array;
  /** log of the data's per-dimension variances and of their mean. */
  private readonly logVarD: Float32Array;
  private readonly logVarMean: number;
  /** [R, 1, 1]: 1 for VAE-3 replicas, 0 for VAE-2. */
  private readonly m3: tf.Tensor3D;
  private readonly m2: tf.Tensor3D;
  private readonly variants: readonly VaeVariant[];

  constructor(opts: VariantVaeModelOptions) {
    const { arch, data } = opts;
    checkVariantArch(arch);
    if (data.length === 0 || data.length % arch.D !== 0) throw new RangeError(`variant VAE: data length ${data.length} is not a positive multiple of D = ${arch.D}`);
    this.arch = arch;
    this.dataSize = data.length / arch.D;
    this.paramShapes = variantVaeShapes(arch);
    this.data = tf.tensor2d(data, [this.dataSize, arch.D]);
    const N = this.dataSize;
    const D = arch.D;
    this.dataMean = new Float32Array(D);
    const mean = new Float64Array(D);
    for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) mean[i] += data[n * D + i] / N;
    this.dataMean.set(mean);
    const v = new Float64Array(D);
    for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) v[i] += (data[n * D + i] - mean[i]) ** 2 / N;
    for (let i = 0; i < D; i++) {
      let varies = false;
      for (let n = 1; n < N && !varies; n++) varies = data[n * D + i] !== data[i];
      if (!varies) throw new RangeError(`variant VAE: every dimension of the data must vary, dimension ${i} does not (a constant dimension makes σ_d → 0 and the ELBO unbounded)`);
    }
    const meanVar = v.reduce((a, b) => a + b, 0) / D;
    this.logVarMean = Math.log(meanVar);
    this.logVarD = Float32Array.from(v, (vi) => Math.log(vi) - this.logVarMean);
    this.variants = opts.variants;
    this.m3 = tf.tensor3d(opts.variants.map((x) => (x === 'vae3' ? 1 : 0)), [opts.variants.length, 1, 1]);
    this.m2 = tf.tensor3d(opts.variants.map((x) => (x === 'vae2' ? 1 : 0)), [opts.variants.length, 1, 1]);
  }

  initialParams(_replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const { D, hidden: Hd, latent: H } = this.arch;
    // Weights N(0, 1/fan_in) (LeCun), biases 0; the decoder mean starts at the data mean, σ²(z) at the
    // data's per-dimension variance (VAE-3; VAE-2's σ² at their mean), Wv = 0 (σ² independent of z at first),
    // α² = 1 (the prior N(0, I)).
    return {
      ...mlpVaeInitialWeights(this.arch, this.dataMean, streams),
      Wv: new Float32Array(Hd * D),
      logVar: Float32Array.of(this.logVarMean / VARIANCE_SCALE),
      logVarD: this.logVarD.map((l) => l / VARIANCE_SCALE),
      rho: new Float32Array(H),
      logAlpha: new Float32Array(H),
    };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): VariantVaeInputs {
    const R = replicas.length;
    if (R !== this.variants.length) throw new RangeError(`variant VAE: ${R} replicas but ${this.variants.length} variants`);
    return drawIndexedBatch('variant VAE', replicas, streams, this.dataSize, this.arch.latent);
  }

  objective(params: Record<string, tf.Tensor>, inputs: VariantVaeInputs): tf.Tensor1D {
    const { D, latent: H } = this.arch;
    const [R, B, K] = inputs.eps.shape;
    const p = params as Record<string, tf.Tensor3D>;
    const k = VARIANCE_SCALE;
    const x = tf.gather(this.data, inputs.index) as unknown as tf.Tensor3D; // [R, B, D]
    const h = tf.matMul(x, p.We1).add(p.be1.expandDims(1)).tanh();
    const rho = p.rho.expandDims(1).mul(k); // [R, 1, H]
    const nu = tf.matMul(h, p.Wmu).add(p.bmu.expandDims(1)).mul(rho.exp()); // [R, B, H]
    const logTau2 = tf.matMul(h, p.Wlv).add(p.blv.expandDims(1)).add(rho.mul(2));
    const z = nu.expandDims(2).add(logTau2.mul(0.5).exp().expandDims(2).mul(inputs.eps)).reshape([R, B * K, H]);
    // VAE-3's decoder reads z e^{−ρ}; VAE-2's reads z through unit-norm latent rows of Wd1.
    const zDec = z.mul(rho.mul(this.m3).neg().exp());
    const rowNorm = p.Wd1.square().sum(2, true).sqrt(); // [R, H, 1]
    const Wd1 = p.Wd1.mul(this.m2.div(rowNorm).add(this.m3));
    const g = tf.matMul(zDec, Wd1).add(p.bd1.expandDims(1)).tanh(); // [R, BK, Hd]
    const f = tf.matMul(g, p.Wd2).add(p.bd2.expandDims(1)); // [R, BK, D]
    // log σ_d²(z): the shared shift, plus VAE-3's per-dimension bias and z-dependent head.
    const hetero = tf.matMul(g, p.Wv).add(p.logVarD.expandDims(1).mul(k)).mul(this.m3);
    const logVar = hetero.add((params.logVar as tf.Tensor2D).mul(k).expandDims(1)); // [R, BK, D]
    const xr = x.expandDims(2).tile([1, 1, K, 1]).reshape([R, B * K, D]);
    const r2 = xr.sub(f).square();
    const logLik = logVar.add(LOG_2PI).mul(-0.5).sub(r2.mul(logVar.neg().exp()).mul(0.5)).sum(-1).mean(1); // [R]
    const logAlpha2 = p.logAlpha.expandDims(1).mul(k).mul(this.m2); // [R, 1, H]
    const kl = logTau2.exp().add(nu.square()).div(logAlpha2.exp()).sub(1).sub(logTau2).add(logAlpha2).sum(-1).mean(1).mul(0.5);
    return logLik.sub(kl) as tf.Tensor1D;
  }

  disposeInputs(inputs: VariantVaeInputs): void {
    tf.dispose([inputs.index, inputs.eps]);
  }

  dispose(): void {
    tf.dispose([this.data, this.m3, this.m2]);
  }
}
