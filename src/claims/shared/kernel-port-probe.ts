/**
 * A closed-form kernel as it runs (its WebAssembly SIMD port, where that loads)
 * against the JavaScript kernel it ports, on the same draws: the objective and every
 * gradient coordinate must be the same float (Object.is). The port is tested bit for
 * bit in the test suite, but a claim's run checks it again because a held-out bug in
 * either (or a mutant of the JavaScript kernel, which the port would bypass) must not
 * pass unseen: the two are one specification, and any difference reads `error`.
 * The linear and deep VAE conformance checks and d23-figure-1 call it with their own points.
 */
import { deriveSeed } from '../../engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../engine/replica.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import type { ReplicaParams } from '../../engine/trainer.ts';

/** Steps' draws compared per probed point: a wrong coordinate shows on the first draw that touches it; 3 cover the data rows a single draw may miss (B = 1). */
export const PORT_STEPS = 3;

export interface PortPoint {
  params: ReplicaParams;
  /** The replica's setting (B, K, β and the schedule); its seed is drawn per step. */
  setting: Omit<ReplicaSetting, 'label' | 'seed'>;
  /** Where the point is, for the report ("seed 0's final point (B = 1, …)"). */
  where: string;
}

/**
 * `port` and `js` must be the same model with the two implementations; `coordinate(i)`
 * names the i-th gradient coordinate in paramShapes order (for the report).
 */
export function kernelPortProbe(js: ReplicaKernel, port: ReplicaKernel, points: readonly PortPoint[], seedLabel: (string | number)[], coordinate: (i: number) => string): { ok: boolean; detail: string } {
  const models = [js, port];
  let compared = 0;
  for (const [p, point] of points.entries()) {
    // One pair of equal streams per point, drawn on step after step as in training: a port whose
    // draws do not carry the streams' state from one step to the next (its rows or its normals
    // again from where the previous step started) differs from the second step on.
    const seed = deriveSeed(...seedLabel, 'kernel-port', p);
    const replica: ReplicaSetting = { label: 'kernel-port', seed, ...point.setting };
    const streams = models.map(() => replicaStreams(seed));
    for (let step = 0; step < PORT_STEPS; step++) {
      const grads = models.map((m) => Object.fromEntries(Object.entries(m.paramShapes).map(([n, shape]) => [n, new Float64Array(shape.reduce((x, y) => x * y, 1))])));
      const objectives = models.map((m, i) => m.objectiveAndGradient(point.params, replica, streams[i], grads[i], 0));
      const at = `${point.where}, draw ${step}`;
      if (!Object.is(objectives[0], objectives[1])) return { ok: false, detail: `objective ${objectives[1]} (WebAssembly) ≠ ${objectives[0]} (JavaScript) at ${at}` };
      const flat = grads.map((g) => Object.keys(js.paramShapes).flatMap((n) => [...g[n]]));
      const i = flat[0].findIndex((v, k) => !Object.is(v, flat[1][k]));
      if (i >= 0) return { ok: false, detail: `${coordinate(i)} ${flat[1][i]} (WebAssembly) ≠ ${flat[0][i]} (JavaScript) at ${at}` };
      compared++;
    }
    if (streams[0].data.uniform() !== streams[1].data.uniform() || streams[0].noise.normal() !== streams[1].noise.normal()) {
      return { ok: false, detail: `the WebAssembly port leaves the replica's streams in another state than the JavaScript kernel after ${PORT_STEPS} steps at ${point.where}` };
    }
  }
  const size = Object.values(js.paramShapes).reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
  return { ok: true, detail: `the kernel's WebAssembly SIMD port equals its JavaScript kernel bit for bit (objective and all ${size} gradient coordinates) on ${compared} steps' draws at ${points.map((p) => p.where).join(', ')}` };
}

/** Names the i-th gradient coordinate of `kernel` in paramShapes order ("∂W[3]"), for kernelPortProbe's report. */
export function paramCoordinate(kernel: Pick<ReplicaKernel, 'paramShapes'>): (i: number) => string {
  const names = Object.keys(kernel.paramShapes);
  const sizes = names.map((n) => kernel.paramShapes[n].reduce((a, b) => a * b, 1));
  return (i) => {
    let o = i;
    for (let j = 0; j < names.length; j++) {
      if (o < sizes[j]) return `∂${names[j]}[${o}]`;
      o -= sizes[j];
    }
    return `coordinate ${i}`;
  };
}
