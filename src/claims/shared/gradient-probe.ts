/**
 * Is the engine's stochastic gradient unbiased for the exact gradient of the
 * expected objective? [SGL25]'s theorems assume it (mini-batches drawn
 * uniformly, reparameterised noise); every bug that changes what the engine
 * differentiates — a dropped or scaled term, a constant bias, points drawn
 * from part of the data, noise of the wrong variance, the wrong objective —
 * breaks it, and does so at every parameter point.
 *
 * Probe: M replicas that all start at the same point θ (a wrapper replaces the
 * model's initialisation) with their own streams take ONE step of plain SGD
 * with γ = 1 through the same createTrainer path the claim trains with, so
 * θ_1 − θ = ĝ is one draw of the engine's stochastic gradient, produced by
 * the engine's own draw → objective → gradient → update code. The M draws'
 * mean is compared with the float64 exact gradient by a Bonferroni max-|z|
 * test (src/stats/mean-test.ts, family-wise false alarm 1e-4 per probe).
 *
 * θ_1 is float32: rounding adds at most half an ulp, 2^{-24}|θ_1|, per
 * coordinate. For gradients far above that it averages out; a gradient below
 * it rounds the same way in every draw (a bias no number of draws removes), so
 * a coordinate whose mean differs from the exact gradient by less than
 * 2^{-23}·max(|θ|, |θ_1|) counts as agreeing (meanTest's resolution): the
 * probe cannot see below float32's resolution, and says so by construction.
 */
import { createTrainer, type GradientPath } from '../../engine/create-trainer.ts';
import type { OptimizerConfig } from '../../engine/optimizer.ts';
import type { ReplicaSetting } from '../../engine/replica.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { DrawMoments, describeMeanTest, meanTest, type MeanTestResult } from '../../stats/mean-test.ts';

const SGD: OptimizerConfig = { kind: 'sgd' };
/** Replicas per trainer batch (bounds the TF.js tensors' size). */
const CHUNK = 1000;

/** The model, starting every replica at `point` (the model's other behaviour untouched). */
export function startingAt<T>(model: BatchedModel<T>, point: ReplicaParams): BatchedModel<T> {
  const wrapped = Object.create(model) as BatchedModel<T>;
  wrapped.initialParams = () => Object.fromEntries(Object.entries(point).map(([k, v]) => [k, Float32Array.from(v)]));
  return wrapped;
}

export interface GradientProbeOptions {
  /** Replica setting whose B, K, β the draws use. */
  setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>;
  draws: number;
  path: GradientPath;
  /** Names the probe's streams (e.g. the claim id and the point). */
  seedLabel: (string | number)[];
  /** Optional: sees every draw (flattened in paramShapes order; a fresh copy), e.g. to keep them for a second-moment test. */
  onDraw?: (draw: Float64Array) => void;
  /** Family-wise false-alarm rate of probeGradient's mean test (default 1e-4, mean-test.ts). */
  falseAlarm?: number;
}

/** The engine's stochastic gradient at `point`: moments of `draws` draws, flattened in paramShapes order. */
export function engineGradientDraws<T>(model: BatchedModel<T>, point: ReplicaParams, opts: GradientProbeOptions, resolution?: Float64Array): DrawMoments {
  const names = Object.keys(model.paramShapes);
  const sizes = names.map((n) => model.paramShapes[n].reduce((a, b) => a * b, 1));
  const p = sizes.reduce((a, b) => a + b, 0);
  const moments = new DrawMoments(p);
  const probe = startingAt(model, point);
  const draw = new Float64Array(p);
  for (let start = 0; start < opts.draws; start += CHUNK) {
    const count = Math.min(CHUNK, opts.draws - start);
    const replicas: ReplicaSetting[] = Array.from({ length: count }, (_, i) => ({
      label: `gradient probe draw ${start + i}`,
      seed: deriveSeed('gradient-probe', ...opts.seedLabel, start + i),
      schedule: { C: 1, alpha: 0 },
      ...opts.setting,
    }));
    const trainer = createTrainer(probe, replicas, SGD, opts.path);
    try {
      trainer.advance();
      const after = trainer.readParams();
      for (let r = 0; r < count; r++) {
        const theta = after.replica(r);
        let o = 0;
        names.forEach((name, j) => {
          const a = theta[name];
          const b = point[name];
          for (let i = 0; i < sizes[j]; i++) {
            if (resolution) resolution[o] = Math.max(resolution[o], 2 ** -23 * Math.max(Math.abs(a[i]), Math.abs(b[i])));
            draw[o++] = a[i] - b[i];
          }
        });
        moments.add(draw);
        opts.onDraw?.(draw.slice());
      }
    } finally {
      trainer.dispose();
    }
  }
  return moments;
}

export interface GradientProbeResult {
  ok: boolean;
  test: MeanTestResult;
  detail: string;
}

/** Compares the engine's mean stochastic gradient at `point` with `exact` (flattened in paramShapes order). */
export function probeGradient<T>(model: BatchedModel<T>, point: ReplicaParams, exact: ArrayLike<number>, opts: GradientProbeOptions & { where: string }): GradientProbeResult {
  const resolution = new Float64Array(exact.length);
  const moments = engineGradientDraws(model, point, opts, resolution);
  const test = meanTest(moments, exact, opts.falseAlarm, undefined, resolution);
  const names = Object.keys(model.paramShapes);
  const sizes = names.map((n) => model.paramShapes[n].reduce((a, b) => a * b, 1));
  const coordinate = (i: number) => {
    let o = i;
    for (let j = 0; j < names.length; j++) {
      if (o < sizes[j]) return `∂${names[j]}[${o}]`;
      o -= sizes[j];
    }
    return `coordinate ${i}`;
  };
  const { batchSize: B, samples: K, beta } = opts.setting;
  const detail = `${opts.path === 'analytic' ? 'kernel' : 'TF.js autodiff'} stochastic gradient at ${opts.where} (B = ${B}, K = ${K}, β = ${beta}) vs the float64 exact gradient: ${describeMeanTest(test, coordinate)}`;
  return { ok: test.ok, test, detail };
}
