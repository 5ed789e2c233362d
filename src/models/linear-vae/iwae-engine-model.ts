/**
 * The linear Gaussian VAE trained on the importance-weighted bound (IWAE),
 * replica-batched: per replica and data point,
 *   log (1/K) Σ_k w_k,  log w_k = log p(x | z_k) + log p(z_k) − log q(z_k | x),
 * with z_k = μ + e^{s/2} ⊙ ε_k (see iwae-oracle.ts for the float64 reference),
 * averaged over the B points of the step. K = 1 is the ELBO with a Monte
 * Carlo KL term (same expectation and expected gradient as LinearVaeModel's
 * closed-form KL).
 *
 * Two encoder families:
 *   - learned diagonal (default): q(z|x) = N(V x + c, diag e^s), s a parameter;
 *   - fixed isotropic (`encoderLogVariance` = s₀): q(z|x) = N(V x + c, e^{s₀} I),
 *     s is then a constant of the model, not a parameter (paramShapes W, b, V, c).
 *     This family cannot match the posterior N(M⁻¹Wᵀ(x − b), σ_x² M⁻¹) unless
 *     σ_x² M⁻¹ = e^{s₀} I, so the ELBO and L_K have different optima (iwae-rate's
 *     test bed; with the learned diagonal family the linear VAE's optimum has a
 *     diagonal posterior, q is exact there and every L_K shares the ELBO's optimum).
 *
 * A fixed encoder mean (`fixedEncoderMean`, with a fixed variance): V and c
 * are constants of the model too, the decoder θ = (W, b) is all that trains
 * (biased-sa-rate: the IWAE θ-gradient at a fixed q is a biased estimate of
 * ∇_θ log p(x), bias O(1/K)); `initialDecoder` centres W's N(0, initScale²)
 * initialisation and sets b (a warm start near a point of interest).
 *
 * Mini-batches and noise are drawn exactly as LinearVaeModel draws them (the
 * same streams, the same padding), so an IWAE replica and an ELBO replica
 * with the same seed see the same data and noise. Padding: samples beyond a
 * replica's K get log-weight −1e30 (exp underflows to exactly 0, so they
 * carry no weight and no gradient), points beyond its B get weight 0.
 *
 * How the K log-weights of a point are pooled (log-mean-exp and softmax
 * weights) is one protected method per gradient path, so a deliberately
 * different pooling (the objective-is-elbo falsifier, iwae-elbo-objective.ts)
 * overrides exactly that and nothing else.
 *
 * The encoder gradient has one deliberate alternative, `encoderGradient:
 * 'dreg'` (kernel path only): the doubly reparameterised estimator of Tucker
 * et al. 2018 (eq. 7), ∂φ = Σ_k ω_k² (∂log w_k/∂z_k) ∂z_k/∂φ with ∂log w_k/∂z_k
 * taken with q's parameters held fixed (= Wᵀe_k/σ² − z_k + ε_k/σ). It has the
 * same expectation as the IWAE encoder gradient, ∇_φ L_K, but a signal-to-noise
 * ratio that grows with K instead of falling: the falsifier of iwae-snr sets
 * it, nothing else does. The decoder gradient is the IWAE one either way.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import { InvalidSettingError, type ReplicaSetting, type ReplicaStreams } from '../../engine/replica.ts';
import { LinearVaeModel, type LinearVaeModelOptions, type LinearVaeStepInputs } from './engine-model.ts';
import { addEncoderGradient, encoderMean, zeroedGradients } from './kernel-parts.ts';
import type { LinearVaeDims } from './params.ts';
import { WasmLinearVaeKernel, type LinearVaeKernelImplementation } from './kernel-wasm.ts';

const MASKED_LOG_WEIGHT = -1e30;
/** The s-gradient slot of a fixed-variance encoder: written by nobody. */
const NO_S = new Float64Array(0);

export interface LinearIwaeModelOptions extends LinearVaeModelOptions {
  /**
   * A fixed isotropic encoder variance e^{s₀} (s₀ = this value): q(z|x) =
   * N(V x + c, e^{s₀} I) and s is not a parameter. Absent: learned diagonal s.
   */
  encoderLogVariance?: number;
  /**
   * The encoder (φ = V, c, s) gradient of the kernel: 'iwae' (default) the
   * reparameterised gradient of the bound; 'dreg' the doubly reparameterised
   * one (Tucker et al. 2018), iwae-snr's falsifier. The TF.js objective has
   * only the bound, so a 'dreg' model refuses `objective`.
   */
  encoderGradient?: 'iwae' | 'dreg';
  /**
   * A fixed encoder mean μ(x) = V x + c (V dz × dx row-major, c dz; needs
   * `encoderLogVariance`): V and c are then not parameters, only W and b train.
   */
  fixedEncoderMean?: { V: ArrayLike<number>; c: ArrayLike<number> };
  /** W₀ = W + initScale·N(0, 1) (the usual draws), b₀ = b. Absent: W₀ = initScale·N(0, 1), b₀ = 0. */
  initialDecoder?: { W: ArrayLike<number>; b: ArrayLike<number> };
}

function requireUnitBeta(r: ReplicaSetting): void {
  if (r.beta !== 1) throw new InvalidSettingError(`replica "${r.label}": β = ${r.beta}; the IWAE objective has no KL weight, allowed β = 1`);
}

/** Per-K work arrays of the kernel step. */
interface Work {
  z: Float64Array; // K·dz
  e: Float64Array; // K·dx
  eps: Float64Array; // K·dz
  logW: Float64Array; // K
  omega: Float64Array; // K
  mu: Float64Array;
  gmu: Float64Array;
  std: Float64Array;
}

export class LinearIwaeModel implements BatchedModel<LinearVaeStepInputs>, ReplicaKernel {
  readonly name: string = 'linear-iwae';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  /** s₀ when the encoder variance is fixed (s is then not a parameter), else null. */
  readonly encoderLogVariance: number | null;
  /** Which encoder gradient the kernel computes (see LinearIwaeModelOptions.encoderGradient). */
  readonly encoderGradient: 'iwae' | 'dreg';
  /** The fixed encoder mean (float32, as the parameters would hold it), or null when V and c train. */
  readonly fixedEncoderMean: { V: Float32Array; c: Float32Array } | null;
  private readonly initialDecoder: { W: Float32Array; b: Float32Array } | null;
  /** Gradient slots of a fixed encoder mean: written, never read. */
  private readonly noV: Float64Array;
  private readonly noC: Float64Array;
  private readonly elbo: LinearVaeModel;
  private readonly dims: LinearVaeDims;
  private readonly sigmaX: number;
  private readonly work = new Map<number, Work>();
  /** The WebAssembly port of objectiveAndGradient (kernel-wasm.ts, the same bits), or null: the JavaScript kernel runs. */
  private readonly wasm: WasmLinearVaeKernel | null;
  /** The port's pooling of this model's poolKernel (portPooling), or null. */
  private readonly pooling: 'log-mean-exp' | 'mean' | null;
  /**
   * Which implementation objectiveAndGradient runs: the WebAssembly port where it loads
   * (kernelImplementation 'auto') and the port has this model's poolKernel (portPooling;
   * a subclass that pools otherwise runs the JavaScript kernel, which calls its poolKernel).
   */
  readonly kernelImplementation: LinearVaeKernelImplementation;
  private readonly options: LinearIwaeModelOptions;

  constructor(opts: LinearIwaeModelOptions) {
    this.options = opts;
    // Its data, shapes, initialisation and TF.js objective only (never its kernel step): no WebAssembly instance.
    this.elbo = new LinearVaeModel({ ...opts, kernelImplementation: 'js' });
    this.dims = opts.dims;
    this.sigmaX = opts.sigmaX;
    this.dataSize = this.elbo.dataSize;
    const s0 = opts.encoderLogVariance;
    if (s0 !== undefined && !Number.isFinite(s0)) throw new RangeError(`encoderLogVariance = ${s0}; allowed a finite log-variance`);
    this.encoderLogVariance = s0 ?? null;
    const eg = opts.encoderGradient ?? 'iwae';
    if (eg !== 'iwae' && eg !== 'dreg') throw new RangeError(`encoderGradient = ${String(eg)}; allowed "iwae" or "dreg"`);
    this.encoderGradient = eg;
    const shapes = { ...this.elbo.paramShapes };
    if (s0 !== undefined) delete shapes.s;
    const { dx, dz } = opts.dims;
    const fm = opts.fixedEncoderMean;
    if (fm) {
      if (s0 === undefined) throw new RangeError('fixedEncoderMean needs a fixed encoder variance (encoderLogVariance)');
      if (fm.V.length !== dz * dx || fm.c.length !== dz) throw new RangeError(`fixedEncoderMean: V has ${fm.V.length} values, c ${fm.c.length}; allowed d_z·d_x = ${dz * dx} and d_z = ${dz}`);
      delete shapes.V;
      delete shapes.c;
    }
    this.fixedEncoderMean = fm ? { V: Float32Array.from(fm.V), c: Float32Array.from(fm.c) } : null;
    const d0 = opts.initialDecoder;
    if (d0 && (d0.W.length !== dx * dz || d0.b.length !== dx)) throw new RangeError(`initialDecoder: W has ${d0.W.length} values, b ${d0.b.length}; allowed d_x·d_z = ${dx * dz} and d_x = ${dx}`);
    this.initialDecoder = d0 ? { W: Float32Array.from(d0.W), b: Float32Array.from(d0.b) } : null;
    this.noV = new Float64Array(dz * dx);
    this.noC = new Float64Array(dz);
    this.paramShapes = shapes;
    this.pooling = this.portPooling();
    this.wasm = opts.kernelImplementation === 'js' || this.pooling === null ? null : WasmLinearVaeKernel.create(opts.dims, this.elbo.data, opts.sigmaX);
    this.kernelImplementation = this.wasm === null ? 'js' : 'wasm-simd';
  }

  /**
   * The same model on its JavaScript kernel, where this one runs the WebAssembly port (else
   * null): a claim's conformance compares the two bit for bit (kernel-port-probe.ts), since a
   * bug in the JavaScript kernel alone would otherwise pass unseen while the port runs.
   */
  javascriptTwin(): LinearIwaeModel | null {
    // A subclass runs the port only with a pooling the port has (portPooling), and its twin is the same class.
    if (this.wasm === null) return null;
    const Model = this.constructor as new (opts: LinearIwaeModelOptions) => LinearIwaeModel;
    return new Model({ ...this.options, kernelImplementation: 'js' });
  }

  /**
   * How the WebAssembly port pools a point's K log-weights to run this model's poolKernel:
   * 'log-mean-exp' (this class's), 'mean' (MeanLogWeightModel's), or null where it has no such
   * pooling (then the JavaScript kernel runs, calling poolKernel). A subclass whose poolKernel
   * the port has says so by overriding this.
   */
  protected portPooling(): 'log-mean-exp' | 'mean' | null {
    return this.poolKernel === LinearIwaeModel.prototype.poolKernel ? 'log-mean-exp' : null;
  }

  /** The standard deviation of the N(0, s²) initialisation of W and V (the others start at 0). */
  get initScale(): number {
    return this.elbo.initScale;
  }

  /** The data as the engine holds it (float32, row-major n × dx). */
  get data(): Float32Array {
    return this.elbo.data;
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const p = this.elbo.initialParams(replica, streams);
    if (this.encoderLogVariance !== null) delete p.s;
    if (this.fixedEncoderMean) {
      delete p.V;
      delete p.c;
    }
    if (this.initialDecoder) {
      for (let i = 0; i < p.W.length; i++) p.W[i] += this.initialDecoder.W[i];
      p.b.set(this.initialDecoder.b);
    }
    return p;
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): LinearVaeStepInputs {
    replicas.forEach(requireUnitBeta);
    return this.elbo.drawStep(replicas, streams);
  }

  /**
   * Pools the masked log-weights [R, Bmax, Kmax] of each point into its
   * bound log (1/K) Σ_k w_k, [R, Bmax] (autodiff differentiates through it).
   */
  protected poolLogWeights(logW: tf.Tensor3D, inputs: LinearVaeStepInputs, replicas: readonly ReplicaSetting[]): tf.Tensor2D {
    const { sampleWeight } = inputs;
    const R = replicas.length;
    const mask = tf.where(sampleWeight.greater(0), tf.zerosLike(sampleWeight), tf.fill(sampleWeight.shape, MASKED_LOG_WEIGHT));
    const lse = tf.logSumExp(logW.add(mask), 2); // [R, Bmax]
    const logK = tf.tensor1d(replicas.map((r) => Math.log(r.samples))).reshape([R, 1]);
    return lse.sub(logK) as tf.Tensor2D;
  }

  objective(params: Record<string, tf.Tensor>, inputs: LinearVaeStepInputs, replicas: readonly ReplicaSetting[]): tf.Tensor1D {
    if (this.encoderGradient !== 'iwae') throw new Error(`the ${this.encoderGradient} encoder gradient exists on the kernel path only; autodiff of the bound would give the IWAE gradient`);
    const { dx, dz } = this.dims;
    const { x, eps, pointWeight } = inputs;
    const [R, Bmax, Kmax] = eps.shape;
    const W = params.W as tf.Tensor3D; // [R, dx, dz]
    const b = params.b as tf.Tensor2D; // [R, dx]
    const fm = this.fixedEncoderMean;
    const V = fm ? tf.tensor3d(fm.V, [1, dz, dx]).tile([R, 1, 1]) : (params.V as tf.Tensor3D); // [R, dz, dx]
    const c = fm ? tf.tensor2d(fm.c, [1, dz]).tile([R, 1]) : (params.c as tf.Tensor2D); // [R, dz]
    const s = this.encoderLogVariance === null ? (params.s as tf.Tensor2D) : tf.fill([R, dz], this.encoderLogVariance); // [R, dz]
    const v = this.sigmaX * this.sigmaX;

    const mu = tf.matMul(x, V, false, true).add(c.expandDims(1)); // [R, Bmax, dz]
    const std = s.mul(0.5).exp().reshape([R, 1, 1, dz]);
    const z = mu.expandDims(2).add(std.mul(eps)); // [R, Bmax, Kmax, dz]
    const mean = tf.matMul(z.reshape([R, Bmax * Kmax, dz]), W, false, true).add(b.expandDims(1)).reshape([R, Bmax, Kmax, dx]);
    const sqErr = x.expandDims(2).sub(mean).square().sum(-1); // [R, Bmax, Kmax]
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    // log p(x|z) + log p(z) − log q(z|x); the (2π)^{dz/2} factors cancel.
    const halfSumS = s.sum(-1).mul(0.5).reshape([R, 1, 1]);
    const logW = sqErr
      .mul(-0.5 / v)
      .add(logNorm)
      .sub(z.square().sum(-1).mul(0.5))
      .add(halfSumS)
      .add(eps.square().sum(-1).mul(0.5)) as tf.Tensor3D;
    return this.poolLogWeights(logW, inputs, replicas).mul(pointWeight).sum(1) as tf.Tensor1D;
  }

  /**
   * One point's bound log (1/K) Σ_k w_k from its K log-weights, and the
   * self-normalised weights ω_k = w_k / Σ_j w_j (its gradient with respect to
   * each log w_k) written into omega. The max-shift keeps exp from overflowing.
   */
  protected poolKernel(logW: Float64Array, K: number, omega: Float64Array): number {
    let maxLogW = -Infinity;
    for (let k = 0; k < K; k++) if (logW[k] > maxLogW) maxLogW = logW[k];
    let total = 0;
    for (let k = 0; k < K; k++) {
      omega[k] = Math.exp(logW[k] - maxLogW);
      total += omega[k];
    }
    for (let k = 0; k < K; k++) omega[k] /= total;
    return maxLogW + Math.log(total) - Math.log(K);
  }

  /**
   * The same bound for one replica with its gradient in closed form (kernel
   * trainer). Same draws as drawStep. With ω_k the softmax of log w_k over the
   * K samples of a point, e_k = x − W z_k − b and g_k = Wᵀe_k/σ² − z_k:
   *   ∂W = (1/B) Σ ω_k e_k z_kᵀ/σ²,  ∂b = (1/B) Σ ω_k e_k/σ²,
   *   ∂μ = (1/B) Σ_k ω_k g_k,  ∂V = Σ ∂μ xᵀ,  ∂c = Σ ∂μ,
   *   ∂s_j = (1/B) Σ ω_k (g_kj ε_kj e^{s_j/2} + 1)/2  (learned s only).
   * With encoderGradient 'dreg' the encoder terms are instead, with
   * d_k = g_k + ε_k e^{−s/2} (∂log w_k/∂z_k at fixed q):
   *   ∂μ = (1/B) Σ_k ω_k² d_k,  ∂s_j = (1/B) Σ ω_k² d_kj ε_kj e^{s_j/2}/2.
   * Where the WebAssembly port loaded, it runs instead: the same draws, the same bits.
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>): number {
    requireUnitBeta(replica);
    if (this.wasm !== null) {
      const fixedMean = this.fixedEncoderMean;
      const settings = {
        encoder: fixedMean ?? { V: params.V, c: params.c },
        fixedEncoderMean: fixedMean !== null,
        s: this.encoderLogVariance === null ? params.s : null,
        fixedLogVariance: this.encoderLogVariance ?? 0,
        dreg: this.encoderGradient === 'dreg',
        meanPool: this.pooling === 'mean',
      };
      return this.wasm.iwaeObjectiveAndGradient(params, settings, replica, streams, grad);
    }
    const { dx, dz } = this.dims;
    const { W, b } = params;
    const learned = this.encoderLogVariance === null;
    const dreg = this.encoderGradient === 'dreg';
    const fixed = this.encoderLogVariance ?? 0;
    const fm = this.fixedEncoderMean;
    const g = zeroedGradients(learned ? grad : { W: grad.W, b: grad.b, V: fm ? this.noV : grad.V, c: fm ? this.noC : grad.c, s: NO_S });
    const encoder = fm ?? params;
    const { gW, gb, gs } = g;
    const { batchSize: B, samples: K } = replica;
    let w = this.work.get(K);
    if (!w) {
      const arr = (n: number) => new Float64Array(n);
      w = { z: arr(K * dz), e: arr(K * dx), eps: arr(K * dz), logW: arr(K), omega: arr(K), mu: arr(dz), gmu: arr(dz), std: arr(dz) };
      this.work.set(K, w);
    }
    const { z, e, eps, logW, omega, mu, gmu, std } = w;
    const data = this.elbo.data;
    const v = this.sigmaX * this.sigmaX;
    const logNorm = -0.5 * dx * Math.log(2 * Math.PI * v);
    let halfSumS = 0;
    for (let j = 0; j < dz; j++) {
      const sj = learned ? params.s[j] : fixed;
      std[j] = Math.exp(0.5 * sj);
      halfSumS += 0.5 * sj;
    }
    let objective = 0;
    for (let i = 0; i < B; i++) {
      const row = streams.data.int(this.dataSize) * dx;
      encoderMean(encoder, data, row, dx, dz, mu);
      gmu.fill(0);
      for (let k = 0; k < K; k++) {
        let zz = 0;
        let ee = 0;
        for (let j = 0; j < dz; j++) {
          const n = streams.noise.normal();
          eps[k * dz + j] = n;
          const zj = mu[j] + std[j] * n;
          z[k * dz + j] = zj;
          zz += zj * zj;
          ee += n * n;
        }
        let sq = 0;
        for (let q = 0; q < dx; q++) {
          let m = b[q];
          for (let j = 0; j < dz; j++) m += W[q * dz + j] * z[k * dz + j];
          const r = data[row + q] - m;
          e[k * dx + q] = r;
          sq += r * r;
        }
        logW[k] = -0.5 * sq / v + logNorm - 0.5 * zz + halfSumS + 0.5 * ee;
      }
      objective += this.poolKernel(logW, K, omega) / B;
      for (let k = 0; k < K; k++) {
        const om = omega[k] / B;
        for (let q = 0; q < dx; q++) {
          const gq = (om * e[k * dx + q]) / v;
          gb[q] += gq;
          for (let j = 0; j < dz; j++) gW[q * dz + j] += gq * z[k * dz + j];
        }
        for (let j = 0; j < dz; j++) {
          let wte = 0;
          for (let q = 0; q < dx; q++) wte += W[q * dz + j] * e[k * dx + q];
          const gk = wte / v - z[k * dz + j];
          if (dreg) {
            const dk = gk + eps[k * dz + j] / std[j];
            const om2 = omega[k] * om;
            gmu[j] += om2 * dk;
            if (learned) gs[j] += 0.5 * om2 * dk * eps[k * dz + j] * std[j];
          } else {
            gmu[j] += om * gk;
            if (learned) gs[j] += 0.5 * om * (gk * eps[k * dz + j] * std[j] + 1);
          }
        }
      }
      if (!fm) addEncoderGradient(g, gmu, data, row, dx, dz);
    }
    return objective;
  }

  disposeInputs(inputs: LinearVaeStepInputs): void {
    this.elbo.disposeInputs(inputs);
  }
}
