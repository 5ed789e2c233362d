/**
 * A user's own VAE as a replica-batched TensorFlow.js model, for the
 * convergence claims that train a deep VAE (adam-rate-deep-vae through
 * `withModel`). The user writes one replica's model, as they would for their
 * own training: parameters from `init`, and the ELBO of each row x for one
 * reparameterisation draw ε ~ N(0, I) in `elbo`. The engine does the rest as
 * for its own model: mini-batches uniform with replacement and noise from
 * each replica's own streams (src/engine/minibatch.ts), the mean over B rows
 * and K draws as the objective, autodiff, the claim's optimiser and schedule.
 *
 * One packed parameter, as the engine's deep VAE (engine-model.ts): every
 * replica's parameters are one flat vector `theta`, the blocks in the order
 * of init's keys. The claims' measurements (Polyak–Ruppert averages, the
 * falsifiers' gradient bias ⟨b, θ⟩, seed independence) then work on any model.
 *
 * The replicas are looped over (the user's elbo sees one replica's
 * parameters), so a step costs R calls of it: the user's model is the
 * general path, not the fast one.
 *
 * The measurement (`userElboGradientDraws`): the gradient of the expected
 * ELBO over every row, by TF.js autodiff in float32, for given noise draws
 * (the claims use antithetic pairs (ε, −ε) per row); independent draws feed
 * the unbiased U-statistic of ‖∇L‖².
 */
import { tf } from '../../engine/backend.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../engine/replica.ts';
import { packedGradientBias } from '../../engine/gradient-bias.ts';
import { drawReparameterisedBatch, type ReparameterisedBatch } from '../../engine/minibatch.ts';

/** The engine's single parameter name for a user's model: every block, flattened in init's key order. */
export const USER_PACKED_PARAM = 'theta';

/** What `init` is told about the data. */
export interface UserVaeInitContext {
  /** Columns per row. */
  dx: number;
  /** Column means of the training rows (e.g. to start a decoder's output bias there). */
  dataMean: Float64Array;
  /** Standard normal draws from the replica's own init stream: a replica's start depends on its seed only. */
  normal: () => number;
}

/** A user's VAE (one replica): what `withModel` takes. */
export interface UserVae {
  kind: 'user-vae';
  /** Reported in claim ids and reports, e.g. "my-vae". */
  name: string;
  /** Latent dimension: ε has this many coordinates per row. */
  latent: number;
  /** Initial parameters, by name (their order is the packed layout): shape and row-major values. */
  init(ctx: UserVaeInitContext): Record<string, { shape: number[]; values: ArrayLike<number> }>;
  /**
   * The ELBO of each row of x [n, dx] for the draw z = μ(x) + σ(x)·ε with
   * eps [n, latent] standard normal: a [n] tensor whose mean over rows and
   * draws is the objective to ascend (its expectation over ε the ELBO).
   * Differentiable in the parameters; must not keep tensors.
   */
  elbo(params: Record<string, tf.Tensor>, x: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor1D;
}

export function isUserVae(v: unknown): v is UserVae {
  const u = v as Partial<UserVae> | null;
  return u !== null && typeof u === 'object' && u.kind === 'user-vae' && typeof u.init === 'function' && typeof u.elbo === 'function';
}

export interface UserVaeBlock {
  name: string;
  shape: number[];
  size: number;
}

/** The packed layout of a user's model at data width dx (from one call of init, with zero draws). */
export function userVaeLayout(vae: UserVae, dx: number): UserVaeBlock[] {
  const shapes = vae.init({ dx, dataMean: new Float64Array(dx), normal: () => 0 });
  const blocks = Object.entries(shapes).map(([name, p]) => ({ name, shape: [...p.shape], size: p.shape.reduce((a, b) => a * b, 1) }));
  if (blocks.length === 0) throw new RangeError(`model "${vae.name}": init returned no parameters`);
  for (const b of blocks) {
    if (!b.shape.every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`model "${vae.name}": parameter ${b.name} has shape [${b.shape.join(', ')}]; allowed positive integer dimensions`);
  }
  return blocks;
}

/** θ packed → one tensor per block (tensors the caller's tidy owns). */
function unpack(theta: tf.Tensor1D, blocks: readonly UserVaeBlock[]): Record<string, tf.Tensor> {
  const parts = tf.split(theta, blocks.map((b) => b.size));
  return Object.fromEntries(blocks.map((b, i) => [b.name, parts[i].reshape(b.shape)]));
}

export interface UserVaeStepInputs extends ReparameterisedBatch {
  /** [R, P]: the injected gradient bias per replica; null when no replica carries one. */
  gradientBias: tf.Tensor2D | null;
}

export interface UserVaeModelOptions {
  vae: UserVae;
  /** Training rows, row-major n × dx. */
  data: Float32Array;
  dx: number;
  /** Falsifiers only: a constant vector (length P) added to the replica's stochastic gradient; null for none. */
  gradientBiasOf?: (replica: ReplicaSetting) => Float32Array | null;
}

export class UserVaeModel implements BatchedModel<UserVaeStepInputs> {
  readonly name: string;
  readonly dataSize: number;
  readonly paramShapes: Record<string, number[]>;
  readonly parameterCount: number;
  readonly blocks: readonly UserVaeBlock[];
  private readonly vae: UserVae;
  private readonly data: Float32Array;
  private readonly dx: number;
  private readonly dataMean: Float64Array;
  private readonly gradientBiasOf: (replica: ReplicaSetting) => Float32Array | null;

  constructor(opts: UserVaeModelOptions) {
    const { vae, data, dx } = opts;
    if (!Number.isInteger(vae.latent) || vae.latent < 1) throw new RangeError(`model "${vae.name}": latent = ${vae.latent}; allowed an integer ≥ 1`);
    if (data.length === 0 || data.length % dx !== 0) throw new RangeError(`data length ${data.length} is not a positive multiple of dx = ${dx}`);
    this.vae = vae;
    this.name = `user-vae/${vae.name}`;
    this.data = data;
    this.dx = dx;
    this.dataSize = data.length / dx;
    this.blocks = userVaeLayout(vae, dx);
    this.parameterCount = this.blocks.reduce((a, b) => a + b.size, 0);
    this.paramShapes = { [USER_PACKED_PARAM]: [this.parameterCount] };
    this.dataMean = new Float64Array(dx);
    for (let i = 0; i < data.length; i++) this.dataMean[i % dx] += data[i] / this.dataSize;
    this.gradientBiasOf = opts.gradientBiasOf ?? (() => null);
  }

  initialParams(replica: ReplicaSetting, streams: ReplicaStreams): ReplicaParams {
    const init = this.vae.init({ dx: this.dx, dataMean: Float64Array.from(this.dataMean), normal: () => streams.init.normal() });
    const theta = new Float32Array(this.parameterCount);
    let offset = 0;
    for (const b of this.blocks) {
      const p = init[b.name];
      if (!p || p.values.length !== b.size) throw new RangeError(`model "${this.vae.name}": init gave parameter ${b.name} ${p ? `${p.values.length} values` : 'no values'} for replica "${replica.label}"; allowed ${b.size} (shape [${b.shape.join(', ')}])`);
      for (let i = 0; i < b.size; i++) theta[offset + i] = p.values[i];
      offset += b.size;
    }
    return { [USER_PACKED_PARAM]: theta };
  }

  drawStep(replicas: readonly ReplicaSetting[], streams: readonly ReplicaStreams[]): UserVaeStepInputs {
    const batch = drawReparameterisedBatch(replicas, streams, this.data, this.dx, this.vae.latent);
    const gradientBias = packedGradientBias(replicas, this.gradientBiasOf, this.parameterCount);
    return { ...batch, gradientBias };
  }

  /** Per replica: Σ over its B rows and K draws of elbo × 1/(BK) (padding weighs 0), plus ⟨b, θ⟩ for a falsifier's bias. */
  objective(params: Record<string, tf.Tensor>, inputs: UserVaeStepInputs): tf.Tensor1D {
    const { x, eps, sampleWeight, gradientBias } = inputs;
    const [R, Bmax, Kmax, dz] = eps.shape;
    const theta = params[USER_PACKED_PARAM] as tf.Tensor2D;
    const thetas = tf.unstack(theta) as tf.Tensor1D[];
    const xs = tf.unstack(x) as tf.Tensor2D[];
    const epss = tf.unstack(eps.reshape([R, Bmax * Kmax, dz])) as tf.Tensor2D[];
    const weights = tf.unstack(sampleWeight.reshape([R, Bmax * Kmax])) as tf.Tensor1D[];
    const perReplica = thetas.map((t, r) => {
      // Each row repeated for its K draws: rows (b, k) in eps's order.
      const rows = Kmax === 1 ? xs[r] : (xs[r].expandDims(1).tile([1, Kmax, 1]).reshape([Bmax * Kmax, this.dx]) as tf.Tensor2D);
      const e = this.vae.elbo(unpack(t, this.blocks), rows, epss[r]);
      return e.mul(weights[r]).sum();
    });
    const objective = tf.stack(perReplica) as tf.Tensor1D;
    return gradientBias === null ? objective : (objective.add(theta.mul(gradientBias).sum(1)) as tf.Tensor1D);
  }

  disposeInputs(inputs: UserVaeStepInputs): void {
    tf.dispose([inputs.x, inputs.eps, inputs.sampleWeight, inputs.pointWeight, inputs.beta]);
    if (inputs.gradientBias) inputs.gradientBias.dispose();
  }
}

/**
 * Draws of the expected ELBO's gradient over all rows at θ (packed, float64
 * in, float32 autodiff): for each noise draw, ∇θ of the mean of elbo over
 * `rows` [m, dx] with that draw's noise [m, latent] (e.g. every row twice,
 * with ε and −ε: an antithetic pair). Written into `out[j]` (length P each).
 */
export function userElboGradientDraws(vae: UserVae, blocks: readonly UserVaeBlock[], theta: ArrayLike<number>, rows: tf.Tensor2D, noise: readonly ArrayLike<number>[], out: Float64Array[]): void {
  const m = rows.shape[0];
  const t = tf.tensor1d(Float32Array.from(theta));
  try {
    noise.forEach((eps, j) => {
      tf.tidy(() => {
        const e = tf.tensor2d(Float32Array.from(eps), [m, vae.latent]);
        const g = tf.grad((th: tf.Tensor) => vae.elbo(unpack(th as tf.Tensor1D, blocks), rows, e).mean())(t);
        out[j].set(g.dataSync());
      });
    });
  } finally {
    t.dispose();
  }
}
