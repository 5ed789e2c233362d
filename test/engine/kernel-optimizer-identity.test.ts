/**
 * The kernel optimiser (src/engine/kernel-optimizer.ts) was rewritten for
 * speed with the same operations in the same order; these tests hold it to the
 * code it replaced (copied below as the oracle), bit for bit: SGD and
 * bias-corrected Adam trajectories over several replicas with every kind of
 * step schedule (constant α = 0, [SGL25]'s α = 1/2, α = 1, other C and α),
 * interleaved as the kernel trainer applies them (replica by replica within a
 * step, so the per-step bias corrections are shared), with gradients of
 * every scale including tiny and huge ones, compared with Object.is.
 */
import { describe, expect, it } from 'vitest';
import { createKernelOptimizer } from '../../src/engine/kernel-optimizer.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { stepSize, type StepSchedule } from '../../src/engine/schedule.ts';
import { ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';

// ---- The implementation before the rewrite (oracle) ----
class OldSgd {
  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, _r: number, gamma: number): void {
    for (const name in grads) {
      const p = params[name];
      const g = grads[name];
      const o = offsets[name];
      for (let i = 0; i < g.length; i++) p[o + i] += gamma * g[i];
    }
  }
}
class OldAdam {
  private readonly m: Record<string, Float64Array> = {};
  private readonly v: Record<string, Float64Array> = {};
  constructor(
    private readonly cfg: { beta1: number; beta2: number; epsilon: number },
    sizes: Record<string, number>,
  ) {
    for (const [name, size] of Object.entries(sizes)) {
      this.m[name] = new Float64Array(size);
      this.v[name] = new Float64Array(size);
    }
  }
  apply(params: Record<string, Float32Array>, grads: Record<string, Float64Array>, offsets: Record<string, number>, _r: number, gamma: number, k: number): void {
    const { beta1, beta2, epsilon } = this.cfg;
    const c1 = 1 - Math.pow(beta1, k);
    const c2 = 1 - Math.pow(beta2, k);
    for (const name in grads) {
      const p = params[name];
      const g = grads[name];
      const m = this.m[name];
      const v = this.v[name];
      const o = offsets[name];
      for (let i = 0; i < g.length; i++) {
        m[o + i] = beta1 * m[o + i] + (1 - beta1) * g[i];
        v[o + i] = beta2 * v[o + i] + (1 - beta2) * g[i] * g[i];
        p[o + i] += (gamma * (m[o + i] / c1)) / (Math.sqrt(v[o + i] / c2) + epsilon);
      }
    }
  }
}

const SHAPES: Record<string, number> = { W: 37, b: 5, s: 3 };
const SCHEDULES: StepSchedule[] = [
  { C: 0.05, alpha: 0.5 },
  { C: 0.03, alpha: 0 },
  { C: 0.2, alpha: 1 },
  { C: 1e-3, alpha: 0.25 },
  { C: 0.7, alpha: 0.75 },
  { C: 0.1, alpha: 0.5 },
];

type Cfg = { kind: 'sgd' } | { kind: 'adam'; beta1: number; beta2: number; epsilon: number };

function trajectories(cfg: Cfg, steps: number, seed: number): { fast: Record<string, Float32Array>; old: Record<string, Float32Array> } {
  const R = SCHEDULES.length;
  const totals = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, s * R]));
  const init = new RandomStream(seed);
  const start = Object.fromEntries(Object.entries(totals).map(([n, t]) => [n, Float32Array.from({ length: t }, () => init.normal())]));
  const fast = Object.fromEntries(Object.entries(start).map(([n, v]) => [n, v.slice()]));
  const old = Object.fromEntries(Object.entries(start).map(([n, v]) => [n, v.slice()]));
  const a = createKernelOptimizer(cfg, totals);
  const b = cfg.kind === 'sgd' ? new OldSgd() : new OldAdam(cfg, totals);
  const offsets = SCHEDULES.map((_, r) => Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, r * s])));
  const grads = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, new Float64Array(s)]));
  const noise = new RandomStream(seed + 1);
  for (let k = 1; k <= steps; k++) {
    for (let r = 0; r < R; r++) {
      // Gradients from 1e-9 to 1e3 in scale (ε and the bias corrections matter at both ends), some exact zeros.
      for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] = noise.int(20) === 0 ? 0 : noise.normal() * 10 ** (noise.int(13) - 9);
      const gamma = stepSize(SCHEDULES[r], k);
      a.apply(fast, grads, offsets[r], r, gamma, k);
      b.apply(old, grads, offsets[r], r, gamma, k);
    }
  }
  return { fast, old };
}

function expectBitwiseEqual(fast: Record<string, Float32Array>, old: Record<string, Float32Array>): void {
  for (const name of Object.keys(old)) {
    for (let i = 0; i < old[name].length; i++) {
      if (!Object.is(fast[name][i], old[name][i])) expect.fail(`${name}[${i}]: ${fast[name][i]} !== ${old[name][i]}`);
    }
  }
}

describe('kernel optimiser: the same bits as before the rewrite', () => {
  it.each([
    ['SGD', { kind: 'sgd' } as Cfg],
    ['Adam (defaults, bias-corrected)', { ...ADAM_DEFAULTS } as Cfg],
    ['Adam (β1 = 0.5, β2 = 0.9, ε = 1e-4)', { kind: 'adam', beta1: 0.5, beta2: 0.9, epsilon: 1e-4 } as Cfg],
    ['Adam (β1 = 0, β2 = 0.99, ε = 1e-12)', { kind: 'adam', beta1: 0, beta2: 0.99, epsilon: 1e-12 } as Cfg],
  ])('%s: 2000-step trajectories of 6 replicas with different schedules', (_name, cfg) => {
    for (const seed of [1, 77]) {
      const { fast, old } = trajectories(cfg, 2000, seed);
      expectBitwiseEqual(fast, old);
    }
  });

  it('Adam restarted at another k (the trainer may apply any k: the cached bias corrections follow it)', () => {
    const totals = { w: 4 };
    const cfg = { ...ADAM_DEFAULTS };
    const a = createKernelOptimizer(cfg, totals);
    const b = new OldAdam(cfg, totals);
    const pa = { w: new Float32Array(4).fill(1) };
    const pb = { w: new Float32Array(4).fill(1) };
    const g = { w: Float64Array.of(0.3, -2, 1e-7, 5) };
    for (const k of [1, 1, 2, 5, 3, 3, 100, 1, 7]) {
      a.apply(pa, g, { w: 0 }, 0, 0.1, k);
      b.apply(pb, g, { w: 0 }, 0, 0.1, k);
    }
    expectBitwiseEqual(pa, pb);
  });
});
