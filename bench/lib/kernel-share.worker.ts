/**
 * One core's share of a kernel-trainer replica batch (worker thread): builds a
 * KernelTrainer on replicas [from, to) of the benchmark's batch and, on each
 * message {steps}, advances that many steps and replies when done. The kernel
 * path is JavaScript and WebAssembly (the linear VAE kernel's port, or its
 * JavaScript kernel with kernelImplementation 'js'), so a worker thread needs no
 * TensorFlow.js backend.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';

const { data, dims, sigmaX, replicas, kernelImplementation } = workerData as {
  data: Float32Array;
  dims: { dx: number; dz: number };
  sigmaX: number;
  replicas: ReplicaSetting[];
  kernelImplementation: 'auto' | 'js';
};
const trainer = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX, kernelImplementation }), replicas, { kind: 'sgd' });
parentPort!.on('message', (msg: { steps: number } | 'exit') => {
  if (msg === 'exit') {
    parentPort!.close();
    return;
  }
  for (let i = 0; i < msg.steps; i++) trainer.advance();
  parentPort!.postMessage('done');
});
