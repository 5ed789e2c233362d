/**
 * The kernel optimiser (src/engine/kernel-optimizer.ts) was rewritten for
 * speed with the same operations in the same order, then ported to WebAssembly
 * SIMD (kernel-optimizer-wasm.ts); these tests hold both, the JavaScript loops
 * and the port (given arrays of its own, copied, or the arrays of its memory the
 * kernel trainer keeps), to the code they replaced (copied below as the oracle),
 * bit for bit: SGD and bias-corrected Adam trajectories over several replicas
 * with every kind of step schedule (constant α = 0, [SGL25]'s α = 1/2, α = 1,
 * other C and α), interleaved as the kernel trainer applies them (replica by
 * replica within a step, so the per-step bias corrections are shared), over
 * odd and even parameter lengths (the port's SIMD pairs and scalar tails),
 * with gradients of every scale including tiny, huge, overflowing and non-finite
 * ones, compared with Object.is (NaN equals NaN; +0 and −0 differ).
 */
import { describe, expect, it } from 'vitest';
import { createKernelOptimizer, type KernelOptimizer } from '../../src/engine/kernel-optimizer.ts';
import { kernelOptimizerImplementation } from '../../src/engine/kernel-optimizer-wasm.ts';
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
  readonly m: Record<string, Float64Array> = {};
  readonly v: Record<string, Float64Array> = {};
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

/** Odd and even lengths: SIMD pairs, a scalar tail, a lone coordinate; replica slices start at odd and even offsets. */
const SHAPES: Record<string, number> = { W: 37, b: 6, s: 3, e: 1, q: 64 };
const SCHEDULES: StepSchedule[] = [
  { C: 0.05, alpha: 0.5 },
  { C: 0.03, alpha: 0 },
  { C: 0.2, alpha: 1 },
  { C: 1e-3, alpha: 0.25 },
  { C: 0.7, alpha: 0.75 },
  { C: 0.1, alpha: 0.5 },
];

type Cfg = { kind: 'sgd' } | { kind: 'adam'; beta1: number; beta2: number; epsilon: number };
/** Which optimiser is held to the oracle: the JavaScript loops, the port on arrays of the caller's (copied), the port on the arrays of its own memory (the kernel trainer's way). */
type Under = 'js' | 'port (copied)' | 'port (its storage)';
/** Where the JavaScript optimiser is forced (VAE_CLAIMS_OPTIMIZER_KERNEL=js), only it is tested. */
const FORCED_JS = process.env.VAE_CLAIMS_OPTIMIZER_KERNEL === 'js';
const UNDER: Under[] = FORCED_JS ? ['js'] : ['js', 'port (copied)', 'port (its storage)'];

function candidate(cfg: Cfg, totals: Record<string, number>, under: Under): KernelOptimizer {
  const a = createKernelOptimizer(cfg, totals, SHAPES, under === 'js' ? 'js' : 'auto');
  if (under !== 'js') expect(a.storage, 'the WebAssembly port did not load').toBeDefined();
  return a;
}

/** Gradients: from 1e-9 to 1e3 in scale (ε and the bias corrections matter at both ends), some exact zeros; with `extreme`, also ±1e200 (g² overflows), ±Infinity, NaN and −0. */
function drawGradient(noise: RandomStream, extreme: boolean): number {
  if (extreme) {
    const u = noise.int(400);
    if (u === 0) return Infinity;
    if (u === 1) return -Infinity;
    if (u === 2) return NaN;
    if (u === 3) return -0;
    if (u < 8) return noise.normal() * 1e200;
  }
  return noise.int(20) === 0 ? 0 : noise.normal() * 10 ** (noise.int(13) - 9);
}

/** θ, and for Adam also m and v (float64: a one-ulp difference in a moment rarely reaches a float32 θ within the run, so they are compared too). */
function trajectories(cfg: Cfg, steps: number, seed: number, under: Under, extreme = false): { fast: Record<string, Float32Array | Float64Array>; old: Record<string, Float32Array | Float64Array> } {
  const R = SCHEDULES.length;
  const totals = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, s * R]));
  const a = candidate(cfg, totals, under);
  const init = new RandomStream(seed);
  const start = Object.fromEntries(Object.entries(totals).map(([n, t]) => [n, Float32Array.from({ length: t }, () => init.normal())]));
  const storage = under === 'port (its storage)' ? a.storage : undefined;
  const fast = storage ? storage.params : Object.fromEntries(Object.entries(start).map(([n, v]) => [n, v.slice()]));
  if (storage) for (const [n, v] of Object.entries(start)) fast[n].set(v);
  const old = Object.fromEntries(Object.entries(start).map(([n, v]) => [n, v.slice()]));
  const b = cfg.kind === 'sgd' ? new OldSgd() : new OldAdam(cfg, totals);
  const offsets = SCHEDULES.map((_, r) => Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, r * s])));
  const grads = storage ? storage.grads : Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, new Float64Array(s)]));
  const noise = new RandomStream(seed + 1);
  for (let k = 1; k <= steps; k++) {
    for (let r = 0; r < R; r++) {
      for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] = drawGradient(noise, extreme);
      const gamma = stepSize(SCHEDULES[r], k);
      const mine = Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, g.slice()]));
      a.apply(fast, grads, offsets[r], r, gamma, k);
      b.apply(old, mine, offsets[r], r, gamma, k);
      // The optimiser reads the gradient, never writes it.
      for (const n of Object.keys(grads)) for (let i = 0; i < grads[n].length; i++) if (!Object.is(grads[n][i], mine[n][i])) expect.fail(`gradient ${n}[${i}] changed by apply`);
    }
  }
  if (b instanceof OldAdam) {
    const moments = (o: KernelOptimizer, n: string) => o.moments!(n);
    return {
      fast: { ...fast, ...Object.fromEntries(Object.keys(SHAPES).flatMap((n) => [[`m of ${n}`, moments(a, n).m], [`v of ${n}`, moments(a, n).v]])) },
      old: { ...old, ...Object.fromEntries(Object.keys(SHAPES).flatMap((n) => [[`m of ${n}`, b.m[n]], [`v of ${n}`, b.v[n]]])) },
    };
  }
  return { fast, old };
}

function expectBitwiseEqual(fast: Record<string, Float32Array | Float64Array>, old: Record<string, Float32Array | Float64Array>): void {
  for (const name of Object.keys(old)) {
    for (let i = 0; i < old[name].length; i++) {
      if (!Object.is(fast[name][i], old[name][i])) expect.fail(`${name}[${i}]: ${fast[name][i]} !== ${old[name][i]}`);
    }
  }
}

const CONFIGS: [string, Cfg][] = [
  ['SGD', { kind: 'sgd' }],
  ['Adam (defaults, bias-corrected)', { ...ADAM_DEFAULTS }],
  ['Adam (β1 = 0.5, β2 = 0.9, ε = 1e-4)', { kind: 'adam', beta1: 0.5, beta2: 0.9, epsilon: 1e-4 }],
  ['Adam (β1 = 0, β2 = 0.99, ε = 1e-12)', { kind: 'adam', beta1: 0, beta2: 0.99, epsilon: 1e-12 }],
];
const CASES = UNDER.flatMap((under) => CONFIGS.map(([name, cfg]) => [under, name, cfg] as const));

describe('kernel optimiser: the same bits as before the rewrite, in JavaScript and in its WebAssembly port', () => {
  it.skipIf(FORCED_JS)('the port loads here (else the port cases below would test nothing)', () => {
    expect(kernelOptimizerImplementation()).toBe('wasm-simd');
  });

  it.each(CASES)('%s, %s: 2000-step trajectories of 6 replicas with different schedules', (under, _name, cfg) => {
    for (const seed of [1, 77]) {
      const { fast, old } = trajectories(cfg, 2000, seed, under);
      expectBitwiseEqual(fast, old);
    }
  });

  it.each(CASES)('%s, %s: gradients that overflow or are not finite (Inf, NaN and −0 where the oracle has them)', (under, _name, cfg) => {
    const { fast, old } = trajectories(cfg, 300, 5, under, true);
    // The extreme gradients must have produced every kind of value, or the case tests less than it says.
    const all = Object.keys(SHAPES).flatMap((n) => [...old[n]]);
    expect(all.some(Number.isNaN)).toBe(true);
    if (cfg.kind === 'sgd') expect(all.some((x) => x === Infinity || x === -Infinity)).toBe(true);
    expect(all.some(Number.isFinite)).toBe(true);
    expectBitwiseEqual(fast, old);
  });

  it.each(UNDER)('%s: Adam restarted at another k (the trainer may apply any k: the cached bias corrections follow it)', (under) => {
    const totals = { w: 5 };
    const cfg = { ...ADAM_DEFAULTS };
    const a = createKernelOptimizer(cfg, totals, totals, under === 'js' ? 'js' : 'auto');
    const b = new OldAdam(cfg, totals);
    const pa = under === 'port (its storage)' ? a.storage!.params : { w: new Float32Array(5) };
    pa.w.fill(1);
    const pb = { w: new Float32Array(5).fill(1) };
    const g = { w: Float64Array.of(0.3, -2, 1e-7, 5, -0.01) };
    // k = 400: β1^k rounds 1 − β1^k to 1 (the port skips that division); k = 40,000 and 10⁶: both.
    for (const k of [1, 1, 2, 5, 3, 3, 100, 1, 7, 400, 40_000, 1e6, 400, 2]) {
      a.apply(pa, g, { w: 0 }, 0, 0.1, k);
      b.apply(pb, g, { w: 0 }, 0, 0.1, k);
    }
    expectBitwiseEqual(pa, pb);
    expectBitwiseEqual(a.moments!('w'), { m: b.m.w, v: b.v.w });
  });

  it.skipIf(FORCED_JS)('the port refuses a slice outside the sizes it was made for (the JavaScript loops would read past their moments)', () => {
    const a = createKernelOptimizer({ ...ADAM_DEFAULTS }, { w: 4 }, { w: 2 });
    expect(a.storage).toBeDefined();
    expect(() => a.apply({ w: new Float32Array(4) }, { w: new Float64Array(3) }, { w: 0 }, 0, 0.1, 1)).toThrow(RangeError);
    expect(() => a.apply({ w: new Float32Array(4) }, { w: new Float64Array(2) }, { w: 3 }, 0, 0.1, 1)).toThrow(RangeError);
  });
});
