/**
 * The learned-variance linear VAE kernel's WebAssembly SIMD port
 * (src/models/linear-vae/learned-variance-wasm.ts, source wasm/learned-variance.as.ts)
 * against the JavaScript kernel it ports (StochasticLearnedVarianceLinearVae's per-point
 * loop, stochastic-learned-variance.ts):
 *   - it is what runs here (Node ≥ 20 has WebAssembly SIMD), so the comparisons below are
 *     not the JavaScript kernel against itself, and VAE_CLAIMS_LEARNED_VARIANCE_KERNEL=js
 *     turns it off;
 *   - objective and gradient are bitwise equal (Object.is on every float) on the same draws,
 *     over H ∈ {1, 2, 3, 4}, odd and even D (the SIMD pairs, the scalar tail, the spare
 *     lane), K ∈ {1, 2, 3, 100} (the explicit scatter and Bartlett), B from 1 to 2000,
 *     learned and fixed log σ², β ∈ {0.5, 1, 2}, parameters small to overflowing; one model
 *     reused across growing and shrinking batches;
 *   - both leave the replica's streams in the same state (same draws consumed);
 *   - Adam trajectories through KernelTrainer (a batch mixing B, K, β and fixed σ²) are bitwise equal.
 * The committed binary is what the pinned compiler makes of the source (test/engine/wasm-kernel.test.ts).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CounterNormalStream } from '../../src/engine/counter-normals.ts';
import { useBackend } from '../../src/engine/backend.ts';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { StochasticLearnedVarianceLinearVae } from '../../src/models/linear-vae/stochastic-learned-variance.ts';

const N = 37;

function dataFor(D: number, seed: number): Float32Array {
  const rng = RandomStream.at('learned-variance-kernel-wasm-data', seed);
  return Float32Array.from({ length: N * D }, (_, i) => 0.5 + 2 * rng.normal() * (1 + (i % D) * 0.1));
}

function models(D: number, H: number, seed: number, fixed: (number | null)[]): { js: StochasticLearnedVarianceLinearVae; wasm: StochasticLearnedVarianceLinearVae } {
  const data = dataFor(D, seed);
  const opts = { D, H, data, fixedLogVariance: fixed, initialLogVariance: Math.log(0.5) };
  const js = new StochasticLearnedVarianceLinearVae({ ...opts, kernelImplementation: 'js' });
  const wasm = new StochasticLearnedVarianceLinearVae(opts);
  expect(js.kernelImplementation).toBe('js');
  expect(wasm.kernelImplementation).toBe('wasm-simd');
  return { js, wasm };
}

/** Objective and gradient of both implementations on the same draws (replica `index`); the first difference, or null. */
function difference(js: StochasticLearnedVarianceLinearVae, wasm: StochasticLearnedVarianceLinearVae, s: { B: number; K: number; beta: number; scale: number; seed: number; index: number }): string | null {
  const rng = RandomStream.at('learned-variance-kernel-wasm-params', s.seed);
  const params: Record<string, Float32Array> = {};
  const gJs: Record<string, Float64Array> = {};
  const gWasm: Record<string, Float64Array> = {};
  for (const [name, shape] of Object.entries(js.paramShapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    params[name] = Float32Array.from({ length: n }, () => (name === 's' || name === 'logVar' ? s.scale / 2 : s.scale) * rng.normal());
    gJs[name] = new Float64Array(n).fill(Number.NaN);
    gWasm[name] = new Float64Array(n).fill(Number.NaN);
  }
  const rep: ReplicaSetting = { label: 'r', seed: s.seed + 1, schedule: { C: 1, alpha: 0 }, batchSize: s.B, samples: s.K, beta: s.beta };
  const sJs = replicaStreams(s.seed + 1);
  const sWasm = replicaStreams(s.seed + 1);
  const oJs = js.objectiveAndGradient(params, rep, sJs, gJs, s.index);
  const oWasm = wasm.objectiveAndGradient(params, rep, sWasm, gWasm, s.index);
  if (!Object.is(oJs, oWasm)) return `objective ${oJs} (js) ≠ ${oWasm} (wasm)`;
  for (const name in gJs) {
    for (let i = 0; i < gJs[name].length; i++) if (!Object.is(gJs[name][i], gWasm[name][i])) return `∂${name}[${i}] ${gJs[name][i]} (js) ≠ ${gWasm[name][i]} (wasm)`;
  }
  // The same draws consumed: the streams' next values agree.
  if (sJs.data.uniform() !== sWasm.data.uniform() || sJs.noise.normal() !== sWasm.noise.normal() || sJs.noise.uniform() !== sWasm.noise.uniform()) return 'the streams are left in different states';
  return null;
}

// The model holds two small TF.js tensors (its autodiff path's masks): a backend must be up.
beforeAll(async () => {
  await useBackend('wasm');
});

describe('learned-variance linear VAE kernel, WebAssembly SIMD port', () => {
  it('is the implementation that runs here (WebAssembly SIMD loads), unless VAE_CLAIMS_LEARNED_VARIANCE_KERNEL=js', () => {
    const opts = { D: 3, H: 2, data: dataFor(3, 0), fixedLogVariance: [null], initialLogVariance: 0 };
    expect(new StochasticLearnedVarianceLinearVae(opts).kernelImplementation).toBe('wasm-simd');
    const before = process.env.VAE_CLAIMS_LEARNED_VARIANCE_KERNEL;
    process.env.VAE_CLAIMS_LEARNED_VARIANCE_KERNEL = 'js';
    try {
      expect(new StochasticLearnedVarianceLinearVae(opts).kernelImplementation).toBe('js');
    } finally {
      if (before === undefined) delete process.env.VAE_CLAIMS_LEARNED_VARIANCE_KERNEL;
      else process.env.VAE_CLAIMS_LEARNED_VARIANCE_KERNEL = before;
    }
  });

  it('equals the JavaScript kernel bitwise over H, odd and even D, K, B, learned and fixed σ², β and parameter scale (one model through growing and shrinking batches)', () => {
    const shapes = [
      { D: 1, H: 1 },
      { D: 2, H: 1 },
      { D: 10, H: 2 },
      { D: 7, H: 2 },
      { D: 5, H: 3 },
      { D: 6, H: 3 },
      { D: 9, H: 4 },
    ];
    let checked = 0;
    shapes.forEach(({ D, H }, d) => {
      const { js, wasm } = models(D, H, d, [null, Math.log(0.3)]);
      for (const B of [3, 64, 1]) {
        for (const K of [1, 2, 3, 100]) {
          for (const beta of [0.5, 1, 2]) {
            for (const scale of [0.1, 1, 3, 1000]) {
              for (const index of [0, 1]) {
                const s = { B, K, beta, scale, seed: checked, index };
                expect(difference(js, wasm, s), `D = ${D}, H = ${H}, ${JSON.stringify(s)}`).toBeNull();
                checked++;
              }
            }
          }
        }
      }
    });
    expect(checked).toBe(7 * 3 * 4 * 3 * 4 * 2);
  });

  it('draws the noise statistics as the JavaScript does where the module stops: refilled normals (many rejections) and points left to JavaScript (one degree of freedom)', () => {
    // K = 3: χ²(2) and χ²(1) (H = 2; the latter left to JavaScript: `normal() ** 2`), or χ²(2) alone
    // (H = 1), Marsaglia–Tsang at a = 1 rejecting some of its normals: with B = 10,000 the module's
    // normals drawn ahead (64 to spare) run out and are refilled.
    const peek = vi.spyOn(CounterNormalStream.prototype, 'peekNormals');
    try {
      for (const H of [1, 2]) {
        const { js, wasm } = models(4, H, 40 + H, [null]);
        for (let seed = 0; seed < 6; seed++) {
          peek.mockClear();
          expect(difference(js, wasm, { B: 10_000, K: 3, beta: 1, scale: 0.5, seed: 500 + seed, index: 0 }), `H = ${H}, seed ${seed}`).toBeNull();
          if (H === 1) expect(peek.mock.calls.length, 'a refill of the normals drawn ahead').toBeGreaterThan(1);
        }
      }
    } finally {
      peek.mockRestore();
    }
  });

  it('equals it at the claim\'s sizes (D = 10, H = 2, K = 100, B = 2000) over many draws', () => {
    const { js, wasm } = models(10, 2, 99, [null, Math.log(0.3)]);
    for (let seed = 0; seed < 20; seed++) expect(difference(js, wasm, { B: 2000, K: 100, beta: 1, scale: 0.5, seed: 1000 + seed, index: seed % 2 })).toBeNull();
  });

  it('gives bitwise the same Adam trajectories through KernelTrainer (a batch mixing B, K, β and fixed σ²)', () => {
    const D = 7;
    const H = 3;
    const fixed = [null, Math.log(0.3), null];
    const { js, wasm } = models(D, H, 5, fixed);
    const replicas: ReplicaSetting[] = [
      { B: 8, K: 100, beta: 1 },
      { B: 5, K: 1, beta: 1 },
      { B: 12, K: 3, beta: 0.5 },
    ].map((c, r) => ({ label: `r${r}`, seed: deriveSeed('learned-variance-kernel-wasm', r), schedule: { C: 1e-2, alpha: 0 }, batchSize: c.B, samples: c.K, beta: c.beta }));
    const train = (m: StochasticLearnedVarianceLinearVae) => {
      const trainer = new KernelTrainer(m, replicas, ADAM_DEFAULTS);
      const objectives: number[] = [];
      for (let k = 0; k < 200; k++) objectives.push(...trainer.advance());
      return { objectives, values: trainer.readParams().values };
    };
    const a = train(js);
    const b = train(wasm);
    expect(b.objectives).toEqual(a.objectives);
    for (const p in a.values) {
      const first = b.values[p].findIndex((v, i) => !Object.is(v, a.values[p][i]));
      expect(first, first < 0 ? '' : `${p}[${first}]: ${a.values[p][first]} (js) ≠ ${b.values[p][first]} (wasm)`).toBe(-1);
    }
    // The trajectory moved, so equal ends are not equal starts.
    expect(new KernelTrainer(wasm, replicas, ADAM_DEFAULTS).readParams().values.W).not.toEqual(a.values.W);
  });
});
