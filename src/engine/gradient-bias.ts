/**
 * The falsifiers' injected gradient bias for one step of a replica batch with
 * a packed parameter of P values: [R, P] (a replica without one gets zeros),
 * or null when no replica carries one. Models add ⟨b, θ⟩ to the objective, so
 * b is added to the replica's stochastic gradient.
 */
import { tf } from './backend.ts';
import type { ReplicaSetting } from './replica.ts';

export function packedGradientBias(replicas: readonly ReplicaSetting[], biasOf: (replica: ReplicaSetting) => Float32Array | null, P: number): tf.Tensor2D | null {
  const biases = replicas.map(biasOf);
  if (biases.every((b) => b === null)) return null;
  const flat = new Float32Array(replicas.length * P);
  biases.forEach((b, r) => {
    if (b === null) return;
    if (b.length !== P) throw new RangeError(`gradient bias of replica "${replicas[r].label}" has ${b.length} values; allowed ${P}`);
    flat.set(b, r * P);
  });
  return tf.tensor2d(flat, [replicas.length, P]);
}
