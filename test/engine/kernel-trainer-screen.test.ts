/**
 * The kernel trainer screens every replica's parameters for non-finite values
 * after each update with four running sums of v·0 (kernel-trainer.ts): a
 * non-finite value at any position (every residue mod 4, the tail after the
 * last group of four, slices shorter than four) must stop training with a
 * DivergenceError that names the parameter and the value; finite values never do.
 * Both ways the screen is done: by the optimiser's WebAssembly port while it updates
 * (src/engine/wasm/optimizer.as.ts returns the sum of θ·0), and by the trainer's own pass
 * (the JavaScript optimisers, VAE_CLAIMS_OPTIMIZER_KERNEL=js), for SGD and Adam.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KernelTrainer, type ReplicaKernel } from '../../src/engine/kernel-trainer.ts';
import { DivergenceError } from '../../src/engine/trainer.ts';

function kernel(size: number, at: number, value: number): ReplicaKernel {
  return {
    name: 'screen-probe',
    dataSize: 1,
    paramShapes: { w: [size], c: [2] },
    initialParams: () => ({ w: new Float32Array(size).fill(1), c: new Float32Array(2) }),
    objectiveAndGradient: (_p, _r, _s, grad) => {
      grad.w.fill(-0.5);
      grad.c.fill(6e37); // c nears the float32 limit (3.4e38) but stays finite for five steps
      if (at >= 0) grad.w[at] = value;
      return 0;
    },
  };
}

const replica = { label: 'probe', seed: 5, schedule: { C: 1, alpha: 0 }, batchSize: 1, samples: 1, beta: 1 };

describe.each(['wasm', 'js'])('kernel trainer: finiteness screen (optimiser %s)', (impl) => {
  beforeEach(() => {
    if (impl === 'js') process.env.VAE_CLAIMS_OPTIMIZER_KERNEL = 'js';
  });
  afterEach(() => {
    delete process.env.VAE_CLAIMS_OPTIMIZER_KERNEL;
  });

  it.each([1, 3, 4, 5, 8, 11])('catches ±∞ and NaN at every position of a slice of %i (SGD)', (size) => {
    for (let at = 0; at < size; at++) {
      for (const value of [Infinity, -Infinity, NaN, 1e300]) {
        const t = new KernelTrainer(kernel(size, at, value), [replica, { ...replica, label: 'second', seed: 6 }], { kind: 'sgd' });
        let error: unknown;
        try {
          t.advance();
        } catch (e) {
          error = e;
        }
        expect(error, `size ${size}, at ${at}, ${value}`).toBeInstanceOf(DivergenceError);
        // 1e300 is finite as a float64 gradient but overflows the float32 parameter to ∞.
        expect((error as Error).message).toContain(`parameter w is ${value === 1e300 ? Infinity : value}`);
      }
    }
  });

  it.each([1, 4, 5])('catches NaN and ±∞ at every position of a slice of %i (Adam)', (size) => {
    for (let at = 0; at < size; at++) {
      for (const value of [Infinity, NaN]) {
        const t = new KernelTrainer(kernel(size, at, value), [replica], { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
        expect(() => t.advance(), `size ${size}, at ${at}, ${value}`).toThrow(DivergenceError);
      }
    }
  });

  it('lets finite values through, even near the float32 limit', () => {
    const t = new KernelTrainer(kernel(9, 2, -1), [replica], { kind: 'sgd' });
    for (let k = 0; k < 5; k++) t.advance();
    const c = t.readParams().values.c[0];
    expect(Number.isFinite(c)).toBe(true);
    expect(c).toBeGreaterThan(2.9e38);
  });
});
