/**
 * One step's mini-batches and reparameterisation noise for a replica batch,
 * padded to the largest B and K. Each replica draws only its own B_r row
 * indices (uniform with replacement: an unbiased gradient, as the theory
 * assumes) and B_r·K_r·dz normals, in a fixed order, so its streams match a
 * solo run. Weights are 1/(B K) per real sample and 1/B per real point, 0 on
 * padding, so padding never reaches the objective or its gradient.
 */
import { tf } from './backend.ts';
import type { ReplicaSetting, ReplicaStreams } from './replica.ts';

export interface ReparameterisedBatch {
  x: tf.Tensor3D; // [R, Bmax, dx]
  eps: tf.Tensor4D; // [R, Bmax, Kmax, dz]
  sampleWeight: tf.Tensor3D; // [R, Bmax, Kmax]
  pointWeight: tf.Tensor2D; // [R, Bmax]
  beta: tf.Tensor1D; // [R]
}

export function drawReparameterisedBatch(
  replicas: readonly ReplicaSetting[],
  streams: readonly ReplicaStreams[],
  data: Float32Array,
  dx: number,
  dz: number,
): ReparameterisedBatch {
  const dataSize = data.length / dx;
  const R = replicas.length;
  const Bmax = Math.max(...replicas.map((r) => r.batchSize));
  const Kmax = Math.max(...replicas.map((r) => r.samples));
  const x = new Float32Array(R * Bmax * dx);
  const eps = new Float32Array(R * Bmax * Kmax * dz);
  const sampleWeight = new Float32Array(R * Bmax * Kmax);
  const pointWeight = new Float32Array(R * Bmax);
  const beta = new Float32Array(R);
  for (let r = 0; r < R; r++) {
    const { batchSize: B, samples: K } = replicas[r];
    beta[r] = replicas[r].beta;
    for (let i = 0; i < B; i++) {
      const row = streams[r].data.int(dataSize);
      x.set(data.subarray(row * dx, (row + 1) * dx), (r * Bmax + i) * dx);
      pointWeight[r * Bmax + i] = 1 / B;
      for (let j = 0; j < K; j++) sampleWeight[(r * Bmax + i) * Kmax + j] = 1 / (B * K);
      for (let j = 0; j < K; j++) streams[r].noise.fillNormal(eps, ((r * Bmax + i) * Kmax + j) * dz, dz);
    }
  }
  return {
    x: tf.tensor3d(x, [R, Bmax, dx]),
    eps: tf.tensor4d(eps, [R, Bmax, Kmax, dz]),
    sampleWeight: tf.tensor3d(sampleWeight, [R, Bmax, Kmax]),
    pointWeight: tf.tensor2d(pointWeight, [R, Bmax]),
    beta: tf.tensor1d(beta),
  };
}

/**
 * Row indices [R, B] and noise [R, B, K, dz] for a batch whose replicas all
 * share one B and one K (models that gather their rows on the device, e.g.
 * the Gaussian and variant VAEs): replica r draws its B indices, then its
 * B·K·dz normals, from its own streams in that order. `model` names the
 * model in the error for mixed sizes.
 */
export function drawIndexedBatch(
  model: string,
  replicas: readonly ReplicaSetting[],
  streams: readonly ReplicaStreams[],
  dataSize: number,
  dz: number,
): { index: tf.Tensor2D; eps: tf.Tensor4D } {
  const R = replicas.length;
  const B = replicas[0].batchSize;
  const K = replicas[0].samples;
  if (replicas.some((r) => r.batchSize !== B || r.samples !== K)) {
    throw new RangeError(`${model}: every replica needs the same batch size and sample count (got B = ${replicas.map((r) => r.batchSize)}, K = ${replicas.map((r) => r.samples)})`);
  }
  const index = new Int32Array(R * B);
  const eps = new Float32Array(R * B * K * dz);
  for (let r = 0; r < R; r++) {
    streams[r].data.fillInt(index, dataSize, r * B, B);
    streams[r].noise.fillNormal(eps, r * B * K * dz, B * K * dz);
  }
  return { index: tf.tensor2d(index, [R, B], 'int32'), eps: tf.tensor4d(eps, [R, B, K, dz]) };
}
