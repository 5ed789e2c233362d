/**
 * The TF.js trainer's Adam fused into one WebAssembly pass per parameter
 * (src/engine/tfjs-adam-kernel.ts, wasm/tfjs-adam.as.ts) must train the same bits as
 * its op chain (optimizer.ts, forced with VAE_CLAIMS_TFJS_ADAM_KERNEL=js): whole
 * trajectories of 40 steps compared with Object.is, over parameters whose per-replica
 * size reaches the lanes and the scalar tail, per-replica step sizes, default and other
 * (β1, β2, ε), and gradients of every scale (tiny, huge, zero). The run-time cross-check
 * (the chain beside the fused step at steps 1–4 and powers of two) passes on the way.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { createOptimizer, ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';
import { tfjsAdamImplementation } from '../../src/engine/tfjs-adam-kernel.ts';
import { RandomStream } from '../../src/engine/rng.ts';

const FORCE = 'VAE_CLAIMS_TFJS_ADAM_KERNEL';

beforeAll(async () => {
  await useBackend('wasm');
});
afterEach(() => {
  delete process.env[FORCE];
});

const SHAPES: Record<string, number[]> = { W: [3, 7, 5], b: [3, 5], s: [3, 1], big: [3, 4, 64] };

function trajectory(cfg: { beta1: number; beta2: number; epsilon: number }, label: string, steps: number): Float32Array[] {
  const stream = RandomStream.at('test/tfjs-adam', label);
  const params: Record<string, tf.Variable> = {};
  for (const [name, shape] of Object.entries(SHAPES)) {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    stream.fillNormal(v);
    const init = tf.tensor(v, shape);
    params[name] = tf.variable(init);
    init.dispose(); // the variable keeps the values
  }
  const gamma = tf.tensor1d([0.1, 0.003, 1.7]);
  const opt = createOptimizer({ kind: 'adam', ...cfg }, [0, 0, 0]);
  for (let k = 1; k <= steps; k++) {
    const grads: Record<string, tf.Tensor> = {};
    for (const [name, shape] of Object.entries(SHAPES)) {
      const g = new Float32Array(shape.reduce((a, b) => a * b, 1));
      stream.fillNormal(g);
      // Every scale: tiny, huge and exactly zero gradients among ordinary ones.
      for (let i = 0; i < g.length; i++) g[i] *= [1, 1e-30, 1e20, 0][stream.int(4)];
      grads[name] = tf.tensor(g, shape);
    }
    opt.apply(params, grads, gamma, k);
    tf.dispose(Object.values(grads));
  }
  const out = Object.values(params).map((p) => p.dataSync() as Float32Array);
  opt.dispose();
  tf.dispose([...Object.values(params), gamma]);
  return out;
}

describe('the fused TF.js Adam step trains the op chain’s bits', () => {
  it('runs fused here', () => {
    expect(tfjsAdamImplementation()).toBe('wasm-simd');
  });

  for (const [label, cfg] of [
    ['defaults', { beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, epsilon: ADAM_DEFAULTS.epsilon }],
    ['β1 = 0.5, β2 = 0.99, ε = 1e-4', { beta1: 0.5, beta2: 0.99, epsilon: 1e-4 }],
    ['β1 = 0', { beta1: 0, beta2: 0.999, epsilon: 1e-8 }],
  ] as const) {
    it(label, () => {
      const fused = trajectory(cfg, label, 40);
      process.env[FORCE] = 'js';
      expect(tfjsAdamImplementation()).toBe('js');
      const chain = trajectory(cfg, label, 40);
      delete process.env[FORCE];
      fused.forEach((a, i) => {
        const differ = Array.from(a).filter((x, j) => !Object.is(x, chain[i][j])).length;
        expect(differ).toBe(0);
      });
    });
  }

  it('leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    trajectory({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 'leak', 7);
    expect(tf.memory().numTensors).toBe(before);
  });
});
