/**
 * The linear Gaussian VAE as a replica-batched TensorFlow.js model: the
 * reparameterised Monte Carlo ELBO with B data points and K samples per point,
 * the KL term in closed form (weighted by β), ascended by the trainer.
 *
 * Per-replica B and K share one program: the batch is padded to the largest
 * B and K, and a weight mask (1/(B_r K_r) on real entries, 0 on padding) keeps
 * padding out of both the objective and its gradient. Each replica draws only
 * B_r indices and B_r·K_r·dz normals per step, so its streams match a solo run.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { FusedKernelSteps, ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { drawReparameterisedBatch, type ReparameterisedBatch } from '../../engine/minibatch.ts';
import { linearVaeShapes, type LinearVaeDims } from './params.ts';
import { addEncoderGradient, encoderMean, zeroedGradients } from './kernel-parts.ts';
import { FusedLinearVaeSgd, WasmLinearVaeKernel, type LinearVaeKernelImplementation } from './kernel-wasm.ts';

export type LinearVaeStepInputs = ReparameterisedBatch;

export interface LinearVaeModelOptions {
  dims: LinearVaeDims;
  /** Data, row-major n × dx. */
  data: Float32Array | Float64Array;
  sigmaX: number;
  /** Standard deviation of the N(0, s²) initialisation of W and V. */
  initScale?: number;
  /**
   * 'auto' (default): the kernel step runs on the WebAssembly SIMD port where it loads
   * (kernel-wasm.ts, bitwise the same results), else on the JavaScript kernel below; 'js'
   * always runs the JavaScript kernel (the tests' reference).
   */
  kernelImplementation?: 'auto' | 'js';
}

export class LinearVaeModel implements BatchedModel<LinearVaeStepInputs>, ReplicaKernel {
  readonly name = 'linear-vae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  private readonly dims: LinearVaeDims;
  /** The data as float32, row-major n × dx (what every step reads). */
  readonly data: Float32Array;
  private readonly sigmaX: number;
  /** Standard deviation of the N(0, s²) initialisation of W and V (b, c, s start at 0). */
  readonly initScale: number;
  /** Per-point work arrays of the kernel step (dz-long). */
  private readonly scratch: Record<'mu' | 'z' | 'eps' | 'gz' | 'gmu' | 'std', Float64Array>;
  /** The WebAssembly port of objectiveAndGradient, or null (the JavaScript kernel runs). */
  private readonly wasm: WasmLinearVaeKernel | null;
  /** Which implementation objectiveAndGradient runs. */
  readonly kernelImplementation: LinearVaeKernelImplementation;

  constructor(opts: LinearVaeModelOptions) {
    const { dims, data, sigmaX } = opts;
    if (!(sigmaX > 0)) throw new RangeError(`σ_x = ${sigmaX}; allowed σ_x > 0`);
    if (data.length === 0 || data.length % dims.dx !== 0) {
      throw new RangeError(`data length ${data.length} is not a positive multiple of dx = ${dims.dx}`);
    }
    this.dims = dims;
    this.data = Float32Array.from(data);
    this.dataSize = data.length / dims.dx;
    this.sigmaX = sigmaX;
    this.initScale = opts.initScale ?? 0.1;
    this.paramShapes = linearVaeShapes(dims);
    const work = () => new Float64Array(dims.dz);
    this.scratch = { mu: work(), z: work(), eps: work(), gz: work(), gmu: work(), std: work() };
    this.wasm = opts.kernelImplementation === 'js' ? null : WasmLinearVaeKernel.create(dims, this.data, sigmaX);
    this.kernelImplementation = this.wasm === null ? 'js' : 'wasm-simd';
  }

  initialParams(_replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const { dx, dz } = this.dims;
    const normal = (n: number, scale: number) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = scale * streams.init.normal();
      return out;
    };
    return {
      W: normal(dx * dz, this.initScale),
      b: new Float32Array(dx),
      V: normal(dz * dx, this.initScale),
      c: new Float32Array(dz),
      s: new Float32Array(dz),
    };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): LinearVaeStepInputs {
    return drawReparameterisedBatch(replicas, streams, this.data, this.dims.dx, this.dims.dz);
  }

  objective(params: Record<string, tf.Tensor>, inputs: LinearVaeStepInputs): tf.Tensor1D {
    const { dx, dz } = this.dims;
    const { x, eps, sampleWeight, pointWeight, beta } = inputs;
    const [R, Bmax, Kmax] = eps.shape;
    const W = params.W as tf.Tensor3D; // [R, dx, dz]
    const b = params.b as tf.Tensor2D; // [R, dx]
    const V = params.V as tf.Tensor3D; // [R, dz, dx]
    const c = params.c as tf.Tensor2D; // [R, dz]
    const s = params.s as tf.Tensor2D; // [R, dz]

    const mu = tf.matMul(x, V, false, true).add(c.expandDims(1)); // [R, Bmax, dz]
    const std = s.mul(0.5).exp().reshape([R, 1, 1, dz]);
    const z = mu.expandDims(2).add(std.mul(eps)).reshape([R, Bmax * Kmax, dz]);
    const mean = tf.matMul(z, W, false, true).add(b.expandDims(1)).reshape([R, Bmax, Kmax, dx]);
    const sqErr = x.expandDims(2).sub(mean).square().sum(-1); // [R, Bmax, Kmax]
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * this.sigmaX * this.sigmaX);
    const recon = sqErr.mul(-0.5 / (this.sigmaX * this.sigmaX)).add(logNorm).mul(sampleWeight).sum([1, 2]);
    const kl = s.exp().expandDims(1).add(mu.square()).sub(1).sub(s.expandDims(1)).sum(-1).mul(0.5); // [R, Bmax]
    const klTerm = kl.mul(pointWeight).sum(1);
    return recon.sub(beta.mul(klTerm)) as tf.Tensor1D;
  }

  /**
   * The same objective for one replica with its gradient in closed form
   * (the kernel trainer's step). Draws exactly what drawStep draws for this
   * replica: per point, a row index from the data stream, then K·dz normals.
   * With g_m = w (x − m)/σ_x² (w = 1/(BK)) and z = μ + e^{s/2} ε:
   *   ∂W = Σ g_m zᵀ,  ∂b = Σ g_m,  g_z = Wᵀ g_m,
   *   ∂μ_i = Σ_k g_z − (β/B) μ_i,  ∂V = Σ_i ∂μ_i x_iᵀ,  ∂c = Σ_i ∂μ_i,
   *   ∂s_j = Σ g_z,j ε_j e^{s_j/2}/2 − (β/2)(e^{s_j} − 1).
   * Where the WebAssembly port loaded, it runs instead: the same draws, the same bits.
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    if (this.wasm !== null) return this.wasm.objectiveAndGradient(params, replica, streams, grad);
    const { dx, dz } = this.dims;
    const { W, b, s } = params;
    const g = zeroedGradients(grad);
    const { gW, gb, gs } = g;
    const { batchSize: B, samples: K, beta } = replica;
    const data = this.data;
    const scratch = this.scratch;
    const { mu, z, eps, gz, gmu, std } = scratch;
    const w = 1 / (B * K);
    const invVar = 1 / (this.sigmaX * this.sigmaX);
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * this.sigmaX * this.sigmaX);
    let recon = 0;
    let muSq = 0;
    for (let j = 0; j < dz; j++) std[j] = Math.exp(0.5 * s[j]);
    for (let i = 0; i < B; i++) {
      const row = streams.data.int(this.dataSize) * dx;
      encoderMean(params, data, row, dx, dz, mu);
      for (let j = 0; j < dz; j++) {
        gmu[j] = 0;
        muSq += mu[j] * mu[j];
      }
      for (let kk = 0; kk < K; kk++) {
        for (let j = 0; j < dz; j++) {
          eps[j] = streams.noise.normal();
          z[j] = mu[j] + std[j] * eps[j];
          gz[j] = 0;
        }
        let sq = 0;
        for (let q = 0; q < dx; q++) {
          let m = b[q];
          for (let j = 0; j < dz; j++) m += W[q * dz + j] * z[j];
          const e = data[row + q] - m;
          sq += e * e;
          const gq = w * e * invVar;
          gb[q] += gq;
          for (let j = 0; j < dz; j++) {
            gW[q * dz + j] += gq * z[j];
            gz[j] += gq * W[q * dz + j];
          }
        }
        recon += w * (-0.5 * invVar * sq + logNorm);
        for (let j = 0; j < dz; j++) {
          gmu[j] += gz[j];
          gs[j] += 0.5 * gz[j] * eps[j] * std[j];
        }
      }
      for (let j = 0; j < dz; j++) gmu[j] -= (beta / B) * mu[j];
      addEncoderGradient(g, gmu, data, row, dx, dz);
    }
    // KL(q‖p) averaged over the B points: ½ Σ_j (e^{s_j} − 1 − s_j) + ½ mean_i |μ_i|².
    let klConst = 0;
    for (let j = 0; j < dz; j++) {
      const es = Math.exp(s[j]);
      klConst += es - 1 - s[j];
      gs[j] -= 0.5 * beta * (es - 1);
    }
    const kl = 0.5 * klConst + (0.5 * muSq) / B;
    return recon - beta * kl;
  }

  /**
   * SGD steps of `replicas` fused into the WebAssembly port (kernel-wasm.ts's FusedLinearVaeSgd:
   * objectiveAndGradient's port and the optimiser port's SGD in one call per step, the same bits),
   * or null where the port does not run here or the model is not this class's own kernel (a
   * subclass that changes objectiveAndGradient, as a falsifier's, steps through its override).
   */
  fusedSgd(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): FusedKernelSteps | null {
    if (this.objectiveAndGradient !== LinearVaeModel.prototype.objectiveAndGradient) return null;
    return this.fusedSgdSteps(replicas, streams);
  }

  /**
   * The fused SGD steps of this model's kernel, with `gradientBiasB` (δ) added to every ∂b_q and
   * δ·Σ_q b_q to the objective after each step where given: for a subclass whose
   * objectiveAndGradient adds exactly that (the falsifiers' BiasedGradientLinearVae).
   */
  protected fusedSgdSteps(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[], gradientBiasB?: number): FusedKernelSteps | null {
    if (this.wasm === null) return null;
    return FusedLinearVaeSgd.create(this.dims, this.data, this.sigmaX, replicas, streams, gradientBiasB);
  }

  disposeInputs(inputs: LinearVaeStepInputs): void {
    tf.dispose([inputs.x, inputs.eps, inputs.sampleWeight, inputs.pointWeight, inputs.beta]);
  }
}
