/**
 * One core's share of the deep-VAE benchmark's replica batch (worker thread):
 * its own TensorFlow.js wasm backend, a ReplicaTrainer on replicas
 * [from, to), and on each message {steps} that many steps, then 'done'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../../src/engine/backend.ts';
import { deepTrainer } from './deep-vae-workload.ts';

const { from, to } = workerData as { from: number; to: number };
await useBackend('wasm');
const trainer = deepTrainer(from, to);
parentPort!.on('message', (msg: { steps: number } | 'exit') => {
  if (msg === 'exit') {
    trainer.dispose();
    parentPort!.close();
    return;
  }
  for (let i = 0; i < msg.steps; i++) trainer.advance();
  parentPort!.postMessage('done');
});
parentPort!.postMessage('ready');
