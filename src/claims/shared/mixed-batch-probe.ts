/**
 * Does a replica's step depend on its batch-mates? The TF.js autodiff trainer
 * runs replicas of different B, K and β as one program, padded to the largest
 * B and K with weight masks that must keep the padding out of every replica's
 * objective (src/engine/minibatch.ts); the kernel trainer steps each replica
 * alone. Both draw a replica's rows and noise from its own streams in the
 * same order, so one SGD step (γ = 1) from a common point must give the same
 * θ_1 for a replica whether it ran in a mixed TF.js batch or alone on the
 * kernel trainer, up to float32 arithmetic.
 *
 * Probe: four replicas started at `point` with the claim's (B, K, β) and
 * three neighbours (K + 1; B ± 1; another β), one step in one TF.js batch,
 * each compared with its own solo kernel step. Tolerance: the largest
 * |θ_1(TF.js) − θ_1(kernel)| over coordinates, relative to 1 + |θ_1| and to
 * the step's own size, must stay ≤ 1e-4 (float32 accumulation over B·K
 * samples gives ~1e-6; a padding sample that leaks into a replica's
 * objective changes its step by a fraction of itself). Deterministic.
 */
import { createTrainer } from '../../engine/create-trainer.ts';
import type { ReplicaSetting } from '../../engine/replica.ts';
import type { BatchedModel, ReplicaParams } from '../../engine/trainer.ts';
import type { ReplicaKernel } from '../../engine/kernel-trainer.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { startingAt } from './gradient-probe.ts';

const TOLERANCE = 1e-4;

export interface MixedBatchProbeResult {
  ok: boolean;
  worst: number;
  detail: string;
}

export function probeMixedBatch<T>(
  model: BatchedModel<T> & ReplicaKernel,
  point: ReplicaParams,
  setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>,
  seedLabel: (string | number)[],
): MixedBatchProbeResult {
  const { batchSize: B, samples: K, beta } = setting;
  const N = model.dataSize;
  const otherB = B < N ? B + 1 : Math.max(1, B - 1);
  const settings = [
    { batchSize: B, samples: K, beta },
    { batchSize: B, samples: K + 1, beta },
    { batchSize: otherB, samples: K, beta },
    { batchSize: B, samples: K, beta: beta === 1 ? 0.5 : 1 },
  ];
  const replicas: ReplicaSetting[] = settings.map((s, i) => ({
    label: `mixed-batch probe ${i} (B = ${s.batchSize}, K = ${s.samples}, β = ${s.beta})`,
    seed: deriveSeed('mixed-batch-probe', ...seedLabel, i),
    schedule: { C: 1, alpha: 0 },
    ...s,
  }));
  const probe = startingAt(model, point);
  const names = Object.keys(model.paramShapes);
  const step = (rs: ReplicaSetting[], path: 'analytic' | 'autodiff'): ReplicaParams[] => {
    const trainer = createTrainer(probe, rs, { kind: 'sgd' }, path);
    try {
      trainer.advance();
      const after = trainer.readParams();
      return rs.map((_, r) => Object.fromEntries(names.map((n) => [n, after.replica(r)[n].slice()])));
    } finally {
      trainer.dispose();
    }
  };
  const batched = step(replicas, 'autodiff');
  let worst = 0;
  let where = '';
  replicas.forEach((replica, r) => {
    const [solo] = step([replica], 'analytic');
    let size = 0;
    for (const n of names) for (let i = 0; i < solo[n].length; i++) size = Math.max(size, Math.abs(solo[n][i] - point[n][i]));
    for (const n of names) {
      for (let i = 0; i < solo[n].length; i++) {
        const error = Math.abs(batched[r][n][i] - solo[n][i]) / (1 + Math.abs(solo[n][i]) + size);
        if (!(error <= worst)) {
          worst = Number.isNaN(error) ? Infinity : error;
          where = `${replica.label}, ${n}[${i}]`;
        }
      }
    }
  });
  const ok = worst <= TOLERANCE;
  const detail = `one SGD step of ${replicas.length} replicas mixing B, K and β in one TF.js batch against each replica's solo kernel step: largest deviation ${worst.toExponential(2)} (tolerance ${TOLERANCE})${where ? ` at ${where}` : ''}`;
  return { ok, worst, detail };
}
