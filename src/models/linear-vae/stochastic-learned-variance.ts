/**
 * The STOCHASTIC linear Gaussian VAE with a LEARNED decoder variance σ²
 * (D23's Figure 1 test bed: mini-batches of B points, K reparameterised
 * samples per point, Adam):
 *   p(z) = N(0, I_H),  p(x|z) = N(W z + b, σ² I_D),  q(z|x) = N(V x + c, diag e^s),
 * parameters W [D, H], b [D], V [H, D], c [H], s [H], logVar [1] (log σ²).
 * The objective of a step is the reparameterised Monte Carlo ELBO averaged
 * over B points drawn uniformly with replacement and K samples z_k = μ + τ⊙ε_k
 * each, the KL term in closed form (weighted by β). With r = x − b − Wμ,
 * ā = τ⊙ē and P = diag τ · M̄ · diag τ (ē, M̄ the draws' mean and second moment,
 * noise-statistics.ts),
 *   (1/K) Σ_k ‖x − W z_k − b‖² = ‖r‖² − 2 rᵀ W ā + tr(WᵀW P) =: Q,
 *   recon(x) = −(D/2) log(2π σ²) − Q/(2σ²),
 * exactly the K-sample average: the step draws (ē, M̄) from their joint law
 * (same distribution as K explicit draws, H + O(H²) random numbers a point).
 * Per-replica σ² mode, as in learned-variance-engine.ts: `fixedLogVariance[r]`
 * null learns log σ²; a number pins it there (falsifier in the same batch).
 * The kernel (objectiveAndGradient) and the TF.js objective see the same
 * draws: per point a row index from the data stream, then its statistics from
 * the noise stream. Tested against autodiff in test/engine/stochastic-learned-variance.test.ts.
 * The kernel's per-point loop runs as WebAssembly SIMD where that loads
 * (learned-variance-wasm.ts, bitwise the same results), else as the JavaScript below.
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { KernelImplementation } from '../../engine/wasm-kernel.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { addEncoderGradient, encoderMean, zeroedGradients } from './kernel-parts.ts';
import { drawNoiseStatistics } from './noise-statistics.ts';
import { WasmLearnedVarianceKernel } from './learned-variance-wasm.ts';

const LOG_2PI = Math.log(2 * Math.PI);

export interface StochasticLearnedVarianceOptions {
  D: number;
  H: number;
  /** N×D row-major (held as float32). */
  data: ArrayLike<number>;
  /** One entry per replica, in trainer order: null = learn log σ² (starting at initialLogVariance), a number = fix log σ² there. */
  fixedLogVariance: readonly (number | null)[];
  /** Starting log σ² of the learned replicas. */
  initialLogVariance: number;
  /** Standard deviation of the N(0, s²) initialisation of W and V (b, c, s start at 0). */
  initScale?: number;
  /**
   * 'auto' (default): objectiveAndGradient runs its per-point loop on the WebAssembly SIMD port
   * (learned-variance-wasm.ts, bitwise the same results) where that loads, else the JavaScript
   * kernel; 'js' always the JavaScript kernel (the specification the port is checked against).
   */
  kernelImplementation?: 'auto' | 'js';
}

export interface NoiseStatisticsBatch {
  x: tf.Tensor3D; // [R, Bmax, D]
  ebar: tf.Tensor3D; // [R, Bmax, H]
  M: tf.Tensor4D; // [R, Bmax, H, H]
  pointWeight: tf.Tensor2D; // [R, Bmax]
  beta: tf.Tensor1D; // [R]
}

export class StochasticLearnedVarianceLinearVae implements BatchedModel<NoiseStatisticsBatch>, ReplicaKernel {
  readonly name = 'linear-vae-stochastic-learned-variance';
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  readonly data: Float32Array;
  private readonly D: number;
  private readonly H: number;
  private readonly fixed: readonly (number | null)[];
  private readonly initialLogVariance: number;
  private readonly initScale: number;
  private readonly scratch: Record<'mu' | 'ebar' | 'M' | 'work' | 'abar' | 'gmu' | 'WtW' | 'tau', Float64Array>;
  private readonly rows: Record<'r' | 'Wa' | 'rho', Float64Array>;
  private readonly learnMask: tf.Tensor1D;
  private readonly fixedValue: tf.Tensor1D;
  private readonly wasm: WasmLearnedVarianceKernel | null;
  /** Which implementation objectiveAndGradient runs. */
  readonly kernelImplementation: KernelImplementation;
  /** A step's Σ_i w Q_i and Σ_i |μ_i|², from either implementation. */
  private readonly sums = new Float64Array(2);

  constructor(opts: StochasticLearnedVarianceOptions) {
    const { D, H, data } = opts;
    if (!Number.isInteger(D) || !Number.isInteger(H) || H < 1 || H > D) throw new RangeError(`linear VAE: D = ${D}, H = ${H}; allowed integers 1 ≤ H ≤ D`);
    if (data.length === 0 || data.length % D !== 0) throw new RangeError(`linear VAE: data length ${data.length} is not a positive multiple of D = ${D}`);
    if (!Number.isFinite(opts.initialLogVariance)) throw new RangeError(`linear VAE: initial log σ² = ${opts.initialLogVariance}; allowed a finite number`);
    this.D = D;
    this.H = H;
    this.data = Float32Array.from(data);
    this.dataSize = data.length / D;
    this.fixed = opts.fixedLogVariance;
    this.initialLogVariance = opts.initialLogVariance;
    this.initScale = opts.initScale ?? 0.1;
    this.paramShapes = { W: [D, H], b: [D], V: [H, D], c: [H], s: [H], logVar: [1] };
    const h = () => new Float64Array(H);
    this.scratch = { mu: h(), ebar: h(), M: new Float64Array(H * H), work: new Float64Array(H * H), abar: h(), gmu: h(), WtW: new Float64Array(H * H), tau: h() };
    this.rows = { r: new Float64Array(D), Wa: new Float64Array(D), rho: new Float64Array(D) };
    this.learnMask = tf.tensor1d(this.fixed.map((f) => (f === null ? 1 : 0)));
    this.fixedValue = tf.tensor1d(this.fixed.map((f) => f ?? 0));
    this.wasm = opts.kernelImplementation === 'js' ? null : WasmLearnedVarianceKernel.create(D, H, this.data);
    this.kernelImplementation = this.wasm === null ? 'js' : 'wasm-simd';
  }

  private fixedOf(index: number, label: string): number | null {
    const f = this.fixed[index];
    if (f === undefined) throw new RangeError(`linear VAE: replica ${index} ("${label}") has no fixedLogVariance entry`);
    return f;
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const normal = (n: number) => Float32Array.from({ length: n }, () => this.initScale * streams.init.normal());
    return {
      W: normal(this.D * this.H),
      b: new Float32Array(this.D),
      V: normal(this.H * this.D),
      c: new Float32Array(this.H),
      s: new Float32Array(this.H),
      logVar: Float32Array.of(this.initialLogVariance),
    };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): NoiseStatisticsBatch {
    if (replicas.length !== this.fixed.length) throw new RangeError(`linear VAE: ${replicas.length} replicas but fixedLogVariance has ${this.fixed.length} entries`);
    const { D, H } = this;
    const R = replicas.length;
    const Bmax = Math.max(...replicas.map((r) => r.batchSize));
    const x = new Float32Array(R * Bmax * D);
    const ebar = new Float32Array(R * Bmax * H);
    const M = new Float32Array(R * Bmax * H * H);
    const pointWeight = new Float32Array(R * Bmax);
    const beta = new Float32Array(R);
    const { ebar: e64, M: M64, work } = this.scratch;
    for (let r = 0; r < R; r++) {
      const { batchSize: B, samples: K } = replicas[r];
      beta[r] = replicas[r].beta;
      for (let i = 0; i < B; i++) {
        const row = streams[r].data.int(this.dataSize);
        const at = r * Bmax + i;
        x.set(this.data.subarray(row * D, (row + 1) * D), at * D);
        pointWeight[at] = 1 / B;
        drawNoiseStatistics(streams[r].noise, K, H, e64, M64, work);
        ebar.set(e64, at * H);
        M.set(M64, at * H * H);
      }
    }
    return {
      x: tf.tensor3d(x, [R, Bmax, D]),
      ebar: tf.tensor3d(ebar, [R, Bmax, H]),
      M: tf.tensor4d(M, [R, Bmax, H, H]),
      pointWeight: tf.tensor2d(pointWeight, [R, Bmax]),
      beta: tf.tensor1d(beta),
    };
  }

  objective(params: Record<string, tf.Tensor>, inputs: NoiseStatisticsBatch): tf.Tensor1D {
    const { D, H } = this;
    const { x, ebar, M, pointWeight, beta } = inputs;
    const W = params.W as tf.Tensor3D; // [R, D, H]
    const b = params.b as tf.Tensor2D;
    const V = params.V as tf.Tensor3D; // [R, H, D]
    const c = params.c as tf.Tensor2D;
    const s = params.s as tf.Tensor2D; // [R, H]
    const R = W.shape[0];
    const logVar = (params.logVar as tf.Tensor2D).reshape([R]).mul(this.learnMask).add(this.fixedValue) as tf.Tensor1D; // fixed replicas: gradient 0
    const mu = tf.matMul(x, V, false, true).add(c.expandDims(1)) as tf.Tensor3D; // [R, B, H]
    const r = x.sub(b.expandDims(1)).sub(tf.matMul(mu, W, false, true)); // [R, B, D]
    const tau = s.mul(0.5).exp(); // [R, H]
    const abar = ebar.mul(tau.expandDims(1)) as tf.Tensor3D;
    const Wa = tf.matMul(abar, W, false, true); // [R, B, D]
    const P = M.mul(tau.reshape([R, 1, H, 1])).mul(tau.reshape([R, 1, 1, H]));
    const WtW = tf.matMul(W, W, true, false).reshape([R, 1, H, H]);
    const Q = r.square().sum(-1).sub(r.mul(Wa).sum(-1).mul(2)).add(P.mul(WtW).sum([-1, -2])); // [R, B]
    const v = logVar.exp().reshape([R, 1]);
    const recon = logVar.add(LOG_2PI).mul(-0.5 * D).reshape([R, 1]).sub(Q.div(v.mul(2)));
    const kl = s.exp().expandDims(1).add(mu.square()).sub(1).sub(s.expandDims(1)).sum(-1).mul(0.5); // [R, B]
    return recon.sub(kl.mul(beta.reshape([R, 1]))).mul(pointWeight).sum(1) as tf.Tensor1D;
  }

  /**
   * The same objective for one replica with its gradient in closed form, on the
   * same draws. With ρ = r − W ā, v = σ², weight 1/B per point:
   *   ∂b = ρ/v,  ∂W = (ρ μᵀ + r āᵀ − W P)/v,  ∂μ = Wᵀρ/v − β μ  (→ ∂V = ∂μ xᵀ, ∂c = ∂μ),
   *   ∂s_j = [(Wᵀr)_j ā_j − (WᵀW P)_jj]/(2v) − (β/2)(τ_j² − 1),
   *   ∂log σ² = Q̄/(2v) − D/2 (0 when σ² is fixed), Q̄ the batch mean of Q.
   */
  objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const { D, H } = this;
    const { s } = params;
    const fixed = this.fixedOf(index, replica.label);
    const logVar = fixed ?? params.logVar[0];
    const v = Math.exp(logVar);
    const { batchSize: B, beta } = replica;
    const w = 1 / B;
    const { tau } = this.scratch;
    for (let j = 0; j < H; j++) tau[j] = Math.exp(0.5 * s[j]);
    const sums = this.sums;
    if (this.wasm !== null) this.wasm.step(params, tau, replica, streams, grad, w, v, sums);
    else this.pointLoop(params, replica, streams, grad, w, v, sums);
    const sumQ = sums[0];
    const muSq = sums[1];
    const gs = grad.s;
    let klConst = 0;
    for (let j = 0; j < H; j++) {
      const t2 = tau[j] * tau[j];
      klConst += t2 - 1 - s[j];
      gs[j] -= 0.5 * beta * (t2 - 1);
    }
    grad.logVar[0] = fixed === null ? sumQ / (2 * v) - D / 2 : 0;
    const kl = 0.5 * klConst + (0.5 * muSq) / B;
    return -0.5 * D * (LOG_2PI + logVar) - sumQ / (2 * v) - beta * kl;
  }

  /**
   * The JavaScript kernel's per-point loop (the port's specification): draws each point's row and
   * noise statistics, writes ∂W, ∂b, ∂V, ∂c and ∂s's data term into `grad` (zeroed first), and
   * `sums` ← (Σ_i w Q_i, Σ_i |μ_i|²); τ = e^{s/2} is in the scratch already.
   */
  private pointLoop(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, w: number, v: number, sums: Float64Array): void {
    const { D, H } = this;
    const { W, b } = params;
    const g = zeroedGradients(grad);
    const { gW, gb, gs } = g;
    const { batchSize: B, samples: K, beta } = replica;
    const { mu, ebar, M, work, abar, gmu, WtW, tau } = this.scratch;
    const { r, Wa, rho } = this.rows;
    const data = this.data;
    for (let j = 0; j < H; j++) {
      for (let l = 0; l < H; l++) {
        let a = 0;
        for (let q = 0; q < D; q++) a += W[q * H + j] * W[q * H + l];
        WtW[j * H + l] = a;
      }
    }
    let sumQ = 0;
    let muSq = 0;
    for (let i = 0; i < B; i++) {
      const row = streams.data.int(this.dataSize) * D;
      drawNoiseStatistics(streams.noise, K, H, ebar, M, work);
      encoderMean(params, data, row, D, H, mu);
      for (let j = 0; j < H; j++) {
        abar[j] = tau[j] * ebar[j];
        muSq += mu[j] * mu[j];
      }
      // P = diag τ M̄ diag τ, in place of M̄.
      for (let j = 0; j < H; j++) for (let l = 0; l < H; l++) M[j * H + l] *= tau[j] * tau[l];
      let Q = 0;
      for (let q = 0; q < D; q++) {
        let wm = b[q];
        let wa = 0;
        for (let j = 0; j < H; j++) {
          wm += W[q * H + j] * mu[j];
          wa += W[q * H + j] * abar[j];
        }
        r[q] = data[row + q] - wm;
        Wa[q] = wa;
        rho[q] = r[q] - wa;
        Q += r[q] * r[q] - 2 * r[q] * wa;
      }
      for (let j = 0; j < H; j++) for (let l = 0; l < H; l++) Q += WtW[j * H + l] * M[j * H + l];
      sumQ += w * Q;
      const wv = w / v;
      for (let q = 0; q < D; q++) {
        gb[q] += wv * rho[q];
        for (let j = 0; j < H; j++) {
          let wp = 0;
          for (let l = 0; l < H; l++) wp += W[q * H + l] * M[l * H + j];
          gW[q * H + j] += wv * (rho[q] * mu[j] + r[q] * abar[j] - wp);
        }
      }
      for (let j = 0; j < H; j++) {
        let wrho = 0;
        let wr = 0;
        for (let q = 0; q < D; q++) {
          wrho += W[q * H + j] * rho[q];
          wr += W[q * H + j] * r[q];
        }
        let wtwp = 0;
        for (let l = 0; l < H; l++) wtwp += WtW[j * H + l] * M[l * H + j];
        gs[j] += (wv / 2) * (wr * abar[j] - wtwp);
        gmu[j] = wv * wrho - w * beta * mu[j];
      }
      addEncoderGradient(g, gmu, data, row, D, H);
    }
    sums[0] = sumQ;
    sums[1] = muSq;
  }

  disposeInputs(inputs: NoiseStatisticsBatch): void {
    tf.dispose([inputs.x, inputs.ebar, inputs.M, inputs.pointWeight, inputs.beta]);
  }

  dispose(): void {
    tf.dispose([this.learnMask, this.fixedValue]);
  }
}
