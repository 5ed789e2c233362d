/**
 * Picks the trainer for a model: the fused analytic KernelTrainer when the
 * model supplies its gradient (ReplicaKernel), else the TensorFlow.js autodiff
 * ReplicaTrainer. Both follow the same streams and update rules; the kernel
 * path is checked against autodiff in test/engine/kernel-trainer.test.ts.
 */
import { hasKernel, KernelTrainer } from './kernel-trainer.ts';
import type { OptimizerConfig } from './optimizer.ts';
import type { ReplicaSetting } from './replica.ts';
import { ReplicaTrainer, type BatchedModel, type Trainer } from './trainer.ts';

export type GradientPath = 'analytic' | 'autodiff';

export function createTrainer<TInputs>(
  model: BatchedModel<TInputs>,
  replicas: readonly ReplicaSetting[],
  optimizer: OptimizerConfig,
  path: GradientPath = 'analytic',
): Trainer {
  // A TF.js optimiser object updates TF.js variables: it runs on the autodiff trainer.
  if (path === 'analytic' && hasKernel(model) && optimizer.kind !== 'tfjs') return new KernelTrainer(model, replicas, optimizer);
  return new ReplicaTrainer(model, replicas, optimizer);
}
