/**
 * The engine-conformance probes can pass AND fail: on the engine as it is they
 * pass; against a mismatched optimiser or schedule, or a model whose gradient
 * carries a bias, they fail. Deterministic (named seeds).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { ADAM_DEFAULTS, type OptimizerConfig } from '../../src/engine/optimizer.ts';
import { probeOptimizer, probeOptimizerPort } from '../../src/claims/shared/optimizer-probe.ts';
import { createKernelOptimizer, type KernelOptimizer } from '../../src/engine/kernel-optimizer.ts';
import { kernelOptimizerImplementation } from '../../src/engine/kernel-optimizer-wasm.ts';
import { ReferenceOptimizer, referenceStep } from '../../src/claims/shared/reference-optimizers.ts';
import { probeGradient } from '../../src/claims/shared/gradient-probe.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import { BiasedGradientLinearVae } from '../../src/claims/convergence/shared/falsifier-models.ts';
import { generateLinearGaussianData } from '../../src/models/linear-vae/data.ts';
import { dataMoments, elboGradient } from '../../src/models/linear-vae/oracle.ts';
import { toFloat64Params, zeroParams } from '../../src/models/linear-vae/params.ts';
import { replicaStreams } from '../../src/engine/replica.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('reference optimisers (float64, from the papers)', () => {
  it('γ_k = C k^{-α}', () => {
    expect(referenceStep(0.1, 0.5, 4)).toBeCloseTo(0.05, 15);
    expect(referenceStep(0.3, 0, 17)).toBe(0.3);
  });

  it('Adam with bias correction: the first step moves every coordinate by ≈ γ_1 in the sign of g', () => {
    const opt = new ReferenceOptimizer({ ...ADAM_DEFAULTS }, { C: 0.01, alpha: 0.5 }, 3);
    const theta = new Float64Array(3);
    opt.step(theta, [2, -0.5, 1e-3]);
    // m̂_1 = g, v̂_1 = g²: the update is γ g/(|g| + ε).
    const expected = [0.01 * (2 / (2 + 1e-8)), 0.01 * (-0.5 / (0.5 + 1e-8)), 0.01 * (1e-3 / (1e-3 + 1e-8))];
    expected.forEach((e, i) => expect(theta[i]).toBeCloseTo(e, 15));
  });
});

describe('optimizer probe: the trainer applies the stated optimiser and schedule', () => {
  const optimizers: OptimizerConfig[] = [{ kind: 'sgd' }, { ...ADAM_DEFAULTS }];
  for (const optimizer of optimizers) {
    for (const path of ['analytic', 'autodiff'] as const) {
      it(`${optimizer.kind}, ${path} path: within 1e-4 of the float64 reference`, () => {
        const r = probeOptimizer(optimizer, { C: 0.1, alpha: 0.5 }, path, path === 'analytic' ? 500 : 60);
        expect(r.ok, r.detail).toBe(true);
        // A correct engine stays ~100x inside the tolerance (float32 rounding only).
        expect(r.worst.error).toBeLessThan(1e-5);
      });
    }
  }

  const wrong: [string, Parameters<typeof probeOptimizer>[4]][] = [
    ['a step exponent α/2', { schedule: { C: 0.1, alpha: 0.25 } }],
    ['a step constant 5% off', { schedule: { C: 0.105, alpha: 0.5 } }],
    ['Adam where SGD is claimed', { optimizer: { ...ADAM_DEFAULTS } }],
  ];
  for (const [what, given] of wrong) {
    for (const path of ['analytic', 'autodiff'] as const) {
      it(`fails on ${what} (${path} path)`, () => {
        const r = probeOptimizer({ kind: 'sgd' }, { C: 0.1, alpha: 0.5 }, path, path === 'analytic' ? 500 : 60, given);
        expect(r.ok).toBe(false);
      });
    }
  }
  it('fails on Adam with β2 = 0.99 where 0.999 is claimed', () => {
    const r = probeOptimizer({ ...ADAM_DEFAULTS }, { C: 0.1, alpha: 0.5 }, 'analytic', 500, { optimizer: { ...ADAM_DEFAULTS, beta2: 0.99 } });
    expect(r.ok).toBe(false);
  });
});

describe('optimizer port probe: the kernel optimiser\'s WebAssembly port against its JavaScript code, bit for bit', () => {
  const forced = process.env.VAE_CLAIMS_OPTIMIZER_KERNEL === 'js';
  const schedules = [{ C: 0.1, alpha: 0.5 }, { C: 0.07, alpha: 0.25 }, { C: 0.13, alpha: 0.75 }];
  // The probe's blocks (u: 3, w: 4) over its 3 replicas.
  const totals = { u: 9, w: 12 };
  const sizes = { u: 3, w: 4 };
  /** The JavaScript optimiser, with `after` run after each apply (a deliberate bug). */
  const tampered = (cfg: OptimizerConfig, after: (js: KernelOptimizer, r: number, k: number) => void): KernelOptimizer => {
    const js = createKernelOptimizer(cfg, totals, sizes, 'js');
    return {
      apply: (p, g, o, r, gamma, k) => {
        js.apply(p, g, o, r, gamma, k);
        after(js, r, k);
      },
      moments: js.moments ? (n) => js.moments!(n) : undefined,
    };
  };
  const nextUp = (x: number) => {
    const b = new Float64Array([x]);
    const i = new BigInt64Array(b.buffer);
    i[0] += 1n;
    return b[0];
  };

  it.skipIf(forced)('runs here (the port loads), passes for SGD and Adam over 1000 steps, and probeOptimizer reports it on the analytic path only', () => {
    expect(kernelOptimizerImplementation()).toBe('wasm-simd');
    for (const cfg of [{ kind: 'sgd' } as const, { ...ADAM_DEFAULTS }]) {
      const r = probeOptimizerPort(cfg, schedules, 1000);
      expect(r?.ok, r?.detail).toBe(true);
    }
    expect(probeOptimizer({ ...ADAM_DEFAULTS }, schedules[0], 'analytic', 50).detail).toContain('WebAssembly SIMD port equals its JavaScript code');
    expect(probeOptimizer({ ...ADAM_DEFAULTS }, schedules[0], 'autodiff', 10).detail).not.toContain('WebAssembly');
  });

  it.skipIf(forced)('reads a difference of one ulp in one moment at one step, and a JavaScript optimiser with β1 in place of β2', () => {
    const ulp = probeOptimizerPort({ ...ADAM_DEFAULTS }, schedules, 200, tampered({ ...ADAM_DEFAULTS }, (js, r, k) => {
      if (k === 150 && r === 1) {
        const v = js.moments!('w').v;
        v[5] = nextUp(v[5]);
      }
    }));
    expect(ulp?.ok).toBe(false);
    expect(ulp?.detail).toMatch(/v of w\[5\] .* after step 150/);
    const swapped = probeOptimizerPort({ ...ADAM_DEFAULTS }, schedules, 200, createKernelOptimizer({ ...ADAM_DEFAULTS, beta2: ADAM_DEFAULTS.beta1 }, totals, sizes, 'js'));
    expect(swapped?.ok).toBe(false);
    const sgd = probeOptimizerPort({ kind: 'sgd' }, schedules, 200, tampered({ kind: 'sgd' }, () => {}));
    expect(sgd?.ok, sgd?.detail).toBe(true);
  });

  it.skipIf(!forced)('is skipped where the JavaScript optimiser is forced (nothing to compare)', () => {
    expect(probeOptimizerPort({ ...ADAM_DEFAULTS }, schedules, 10)).toBeNull();
  });
});

describe('gradient probe: the engine’s stochastic gradient is unbiased for the exact gradient', () => {
  const dims = { dx: 10, dz: 3 };
  const data = generateLinearGaussianData({ n: 500, dx: 10, dz: 3, noiseStd: 0.5, seed: 11 });
  const moments = dataMoments(data.x, 500, 10);
  const point = new LinearVaeModel({ dims, data: data.x, sigmaX: 1 }).initialParams(
    { label: 'p', seed: 3, schedule: { C: 1, alpha: 0 }, batchSize: 8, samples: 2, beta: 1 },
    replicaStreams(3),
  );
  const exact = (beta: number) => {
    const g = elboGradient(toFloat64Params(point, zeroParams(dims)), moments, 1, beta, zeroParams(dims));
    return Float64Array.from([...g.W, ...g.b, ...g.V, ...g.c, ...g.s]);
  };

  for (const path of ['analytic', 'autodiff'] as const) {
    it(`${path}: the linear VAE passes (B = 8, K = 2, β = 0.5)`, () => {
      const model = new LinearVaeModel({ dims, data: data.x, sigmaX: 1 });
      const r = probeGradient(model, point, exact(0.5), { setting: { batchSize: 8, samples: 2, beta: 0.5 }, draws: 1500, path, seedLabel: ['test', path], where: 'the test point' });
      expect(r.ok, r.detail).toBe(true);
    });

    it(`${path}: a bias of 0.05 in ∂b is seen`, () => {
      const model = new BiasedGradientLinearVae({ dims, data: data.x, sigmaX: 1 }, 0.05);
      const r = probeGradient(model, point, exact(1), { setting: { batchSize: 8, samples: 1, beta: 1 }, draws: 1500, path, seedLabel: ['test-bias', path], where: 'the test point' });
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/∂b\[/);
    });

    it(`${path}: the wrong β (the exact gradient of another objective) is seen`, () => {
      const model = new LinearVaeModel({ dims, data: data.x, sigmaX: 1 });
      const r = probeGradient(model, point, exact(1), { setting: { batchSize: 8, samples: 1, beta: 0.5 }, draws: 1500, path, seedLabel: ['test-beta', path], where: 'the test point' });
      expect(r.ok).toBe(false);
    });
  }
});

describe('meanTest resolution', () => {
  it('a difference below the draws\' resolution counts as agreeing; above it, it is judged', async () => {
    const { DrawMoments, meanTest } = await import('../../src/stats/mean-test.ts');
    const m = new DrawMoments(2);
    // Coordinate 0 is tiny and rounds the same way every draw: a constant offset of 3e-11 with almost no noise.
    for (let i = 0; i < 400; i++) m.add([3e-6 + 1e-7 * ((i % 7) - 3), (i % 5) - 2]);
    expect(meanTest(m, [0, 0]).ok).toBe(false);
    expect(meanTest(m, [0, 0], undefined, undefined, [1e-5, 0]).ok).toBe(true);
    expect(meanTest(m, [0, 0], undefined, undefined, [1e-7, 0]).ok).toBe(false);
  });
});

describe('a user\'s elementwise optimiser runs on both trainers', () => {
  // Heavy-ball momentum as an elementwise rule: state [velocity].
  const momentum = {
    kind: 'custom' as const,
    name: 'momentum',
    stateSize: 1,
    step: (theta: number, g: number, state: Float64Array, o: number, gamma: number) => {
      state[o] = 0.9 * state[o] + g;
      return theta + gamma * state[o];
    },
  };
  for (const path of ['analytic', 'autodiff'] as const) {
    it(`${path} path: the trainer applies the user's rule and the schedule exactly (its own rule replayed in float64)`, () => {
      const r = probeOptimizer(momentum, { C: 0.05, alpha: 0.5 }, path, path === 'analytic' ? 400 : 40);
      expect(r.ok, r.detail).toBe(true);
      expect(r.detail).toMatch(/the user's optimiser "momentum"/);
    });
  }
  it('and the probe sees a trainer that gets the schedule wrong for it', () => {
    const r = probeOptimizer(momentum, { C: 0.05, alpha: 0.5 }, 'analytic', 200, { schedule: { C: 0.05, alpha: 0.25 } });
    expect(r.ok).toBe(false);
  });
});
