/**
 * The deep VAE kernel's WebAssembly SIMD port (src/models/deep-vae/kernel-wasm.ts,
 * source wasm/kernel.as.ts) against the JavaScript kernel it ports (kernel.ts):
 *   - it is what runs here (Node ≥ 20 has WebAssembly SIMD), so the
 *     comparisons below are not the JavaScript kernel against itself;
 *   - objective and gradient are bitwise equal (Object.is on every float) on
 *     the same draws, over odd and even dx and H, dz ∈ {1, 2, 3, 8},
 *     B ∈ {1, 3, 10} (and 2, 50 in the property: odd and even, the batch's
 *     pairs and row blocks with their tails), K ∈ {1, 2, 3}, soft-clip and ReLU,
 *     with and without a falsifier's gradient bias, parameters small to
 *     overflowing (both branches of the soft-clip, infinities and NaN), one
 *     kernel reused across growing and shrinking batches (its arrays laid out again);
 *   - the soft-clips that skip exponentials which cannot change a bit (the
 *     module's, and the hidden layer's clipAndSlopeSkipping) equal kernel.ts's
 *     clipAndSlope bitwise on every double tried, at both sides of every threshold;
 *   - 200 Adam steps through KernelTrainer give bitwise equal trajectories;
 *   - the committed binary is what the pinned compiler makes of the source
 *     (test/engine/wasm-kernel.test.ts, for every kernel).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { clipAndSlope, DeepVaeKernel } from '../../src/models/deep-vae/kernel.ts';
import { clipAndSlopeSkipping, deepVaeKernelImplementation, WasmDeepVaeKernel } from '../../src/models/deep-vae/kernel-wasm.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, SOFT_CLIP_SHARPNESS, type ClipRange } from '../../src/models/deep-vae/soft-clip.ts';
import { DeepVaeModel, PACKED_PARAM } from '../../src/models/deep-vae/engine-model.ts';
import { deepParamCount, type Activation, type DeepVaeDims } from '../../src/models/deep-vae/params.ts';
import { replica } from '../engine/linear-vae-helpers.ts';

const N = 13;

function dataFor(dx: number, seed: number): Float32Array {
  const rng = RandomStream.at('deep-vae-kernel-wasm-data', seed);
  return Float32Array.from({ length: N * dx }, () => rng.uniform());
}

interface Step {
  B: number;
  K: number;
  beta: number;
  activation: Activation;
  bias: boolean;
  /** Parameters N(0, scale²): 0.1 keeps every soft-clip unsaturated, 10 saturates many, 300 overflows e^x. */
  scale: number;
  seed: number;
}

/** Objective and gradient of both implementations on the same draws; the first difference, or null. */
function difference(js: DeepVaeKernel, wasm: DeepVaeKernel, dims: DeepVaeDims, s: Step): string | null {
  const P = deepParamCount(dims);
  const rng = RandomStream.at('deep-vae-kernel-wasm-theta', s.seed);
  const theta = Float32Array.from({ length: P }, () => s.scale * rng.normal());
  const bias = s.bias ? Float32Array.from({ length: P }, () => 0.3 * rng.normal()) : null;
  const rep = { batchSize: s.B, samples: s.K, beta: s.beta };
  const gJs = new Float64Array(P).fill(Number.NaN);
  const gWasm = new Float64Array(P).fill(Number.NaN);
  const oJs = js.objectiveAndGradient(theta, s.activation, bias, rep, replicaStreams(s.seed), gJs);
  const oWasm = wasm.objectiveAndGradient(theta, s.activation, bias, rep, replicaStreams(s.seed), gWasm);
  if (!Object.is(oJs, oWasm)) return `objective ${oJs} (js) ≠ ${oWasm} (wasm)`;
  for (let p = 0; p < P; p++) if (!Object.is(gJs[p], gWasm[p])) return `gradient[${p}] ${gJs[p]} (js) ≠ ${gWasm[p]} (wasm)`;
  return null;
}

function kernels(dims: DeepVaeDims, seed: number): { js: DeepVaeKernel; wasm: DeepVaeKernel } {
  const data = dataFor(dims.dx, seed);
  const decoderStd = 0.3 + 0.1 * (seed % 5);
  const js = new DeepVaeKernel(dims, data, decoderStd, 'js');
  const wasm = new DeepVaeKernel(dims, data, decoderStd);
  expect(js.implementation).toBe('js');
  expect(wasm.implementation).toBe('wasm-simd');
  return { js, wasm };
}

/** x and its k nearest doubles on each side. */
function neighbours(x: number, k: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const step = (v: number, up: boolean) => {
    if (v === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
    view.setFloat64(0, v);
    view.setBigInt64(0, view.getBigInt64(0) + ((v > 0) === up ? 1n : -1n));
    return view.getFloat64(0);
  };
  const out = [x];
  for (let dir = 0; dir < 2; dir++) {
    let v = x;
    for (let i = 0; i < k; i++) out.push((v = step(v, dir === 0)));
  }
  return out;
}

const RANGES: [string, ClipRange][] = [
  ['hidden', HIDDEN_RANGE],
  ['mean', MEAN_RANGE],
  ['logVar', LOG_VARIANCE_RANGE],
];

/** Inputs at both sides of every threshold of the soft-clip's branches and short cuts, for a range. */
function thresholds({ lo, hi }: ClipRange): number[] {
  const s = SOFT_CLIP_SHARPNESS;
  const corners = [40, -40, -60, 0, 1, -1, -38, -100, -600, -685, -708, -745, -745.2, -746, 700, 710];
  const at = [0, 2 ** -30, -(2 ** -30), 2 ** -31, 2 ** -29, Number.MIN_VALUE, 2 ** -1022, 1e-300, 0.5, 1, -1, ...corners.flatMap((c) => [lo + c / s, hi + c / s])];
  return at.flatMap((x) => neighbours(x, 3)).concat([-0, Infinity, -Infinity, Number.NaN, Number.MAX_VALUE, -Number.MAX_VALUE]);
}

describe('deep VAE kernel, WebAssembly SIMD port', () => {
  it('is the implementation that runs here (WebAssembly SIMD loads), unless VAE_CLAIMS_DEEP_VAE_KERNEL=js', () => {
    expect(deepVaeKernelImplementation()).toBe('wasm-simd');
    const dims = { dx: 3, hidden: 2, dz: 1 };
    const before = process.env.VAE_CLAIMS_DEEP_VAE_KERNEL;
    process.env.VAE_CLAIMS_DEEP_VAE_KERNEL = 'js';
    try {
      expect(deepVaeKernelImplementation()).toBe('js');
      expect(new DeepVaeKernel(dims, dataFor(3, 0), 0.5).implementation).toBe('js');
    } finally {
      if (before === undefined) delete process.env.VAE_CLAIMS_DEEP_VAE_KERNEL;
      else process.env.VAE_CLAIMS_DEEP_VAE_KERNEL = before;
    }
    expect(new DeepVaeKernel(dims, dataFor(3, 0), 0.5).implementation).toBe('wasm-simd');
  });

  it('its soft-clips equal kernel.ts\'s clipAndSlope bitwise at every threshold and on random doubles', () => {
    const wasm = WasmDeepVaeKernel.create({ dx: 2, hidden: 2, dz: 1 }, deepParamCount({ dx: 2, hidden: 2, dz: 1 }), new Float32Array(2), 0, 1);
    expect(wasm).not.toBeNull();
    let n = 0;
    const same = (t: number, name: string, range: ClipRange) => {
      const out = new Float64Array(1);
      const slope = new Float64Array(1);
      clipAndSlope(t, range.lo, range.hi, out, slope, 0);
      const outS = new Float64Array(1);
      const slopeS = new Float64Array(1);
      clipAndSlopeSkipping(t, range.lo, range.hi, outS, slopeS, 0);
      if (!Object.is(out[0], outS[0]) || !Object.is(slope[0], slopeS[0])) return `clipAndSlopeSkipping (${name}) at ${t}: (${outS[0]}, ${slopeS[0]}) ≠ (${out[0]}, ${slope[0]})`;
      if (name !== 'hidden') {
        const w = wasm!.activation(t, name as 'mean' | 'logVar');
        if (!Object.is(out[0], w.value) || !Object.is(slope[0], w.slope)) return `module (${name}) at ${t}: (${w.value}, ${w.slope}) ≠ (${out[0]}, ${slope[0]})`;
      }
      n++;
      return null;
    };
    for (const [name, range] of RANGES) for (const t of thresholds(range)) expect(same(t, name, range)).toBeNull();
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.double({ min: -100, max: 100 }), fc.double({ min: -1e-6, max: 1e-6 })), (t) => {
        for (const [name, range] of RANGES) expect(same(t, name, range)).toBeNull();
      }),
      { numRuns: 20_000 },
    );
    expect(n).toBeGreaterThan(60_000);
  });

  it('equals the JavaScript kernel bitwise on every shape, activation, B, K and bias (one kernel through growing draws)', () => {
    const shapes: DeepVaeDims[] = [
      { dx: 1, hidden: 1, dz: 1 },
      { dx: 6, hidden: 5, dz: 2 },
      { dx: 7, hidden: 3, dz: 1 },
      { dx: 13, hidden: 9, dz: 3 },
      { dx: 20, hidden: 8, dz: 8 },
      { dx: 49, hidden: 16, dz: 2 },
      { dx: 25, hidden: 7, dz: 8 },
    ];
    let checked = 0;
    shapes.forEach((dims, d) => {
      const { js, wasm } = kernels(dims, d);
      for (const activation of ['soft-clip', 'relu'] as const) {
        for (const B of [1, 3, 10]) {
          for (const K of [1, 2, 3]) {
            for (const scale of [0.1, 1, 10, 300]) {
              const s: Step = { B, K, beta: B === 3 ? 0 : 0.7, activation, bias: K === 2, scale, seed: checked };
              expect(difference(js, wasm, dims, s), `${JSON.stringify(dims)} ${JSON.stringify(s)}`).toBeNull();
              checked++;
            }
          }
        }
      }
    });
    expect(checked).toBe(7 * 2 * 3 * 3 * 4);
  });

  it('equals the JavaScript kernel bitwise on random shapes and settings (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          dx: fc.integer({ min: 1, max: 40 }),
          hidden: fc.integer({ min: 1, max: 21 }),
          dz: fc.constantFrom(1, 2, 3, 8),
          B: fc.constantFrom(1, 2, 3, 10, 50),
          K: fc.constantFrom(1, 2, 3),
          beta: fc.constantFrom(0, 0.5, 1, 2),
          activation: fc.constantFrom<Activation>('soft-clip', 'relu'),
          bias: fc.boolean(),
          scale: fc.constantFrom(0.1, 0.7, 3, 10, 300),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ dx, hidden, dz, ...s }) => {
          const dims = { dx, hidden, dz };
          const { js, wasm } = kernels(dims, s.seed);
          expect(difference(js, wasm, dims, s), `${JSON.stringify(dims)} ${JSON.stringify(s)}`).toBeNull();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('trains bitwise as the JavaScript kernel does: 200 Adam steps through KernelTrainer (mixed B, K, β, ReLU, a gradient bias)', () => {
    const dims: DeepVaeDims = { dx: 15, hidden: 7, dz: 3 };
    const P = deepParamCount(dims);
    const cases = [
      { B: 10, K: 1, beta: 1, activation: 'soft-clip' as const, bias: false },
      { B: 3, K: 2, beta: 0.5, activation: 'relu' as const, bias: false },
      { B: 1, K: 3, beta: 2, activation: 'soft-clip' as const, bias: true },
    ];
    const replicas: ReplicaSetting[] = cases.map((c, r) =>
      replica({ label: `r${r}`, seed: deriveSeed('deep-vae-kernel-wasm', r), schedule: { C: 1e-2, alpha: 0.5 }, batchSize: c.B, samples: c.K, beta: c.beta }),
    );
    const at = (r: ReplicaSetting) => cases[replicas.findIndex((x) => x.label === r.label)];
    const biasRng = RandomStream.at('deep-vae-kernel-wasm-bias');
    const bias = Float32Array.from({ length: P }, () => 0.3 * biasRng.normal());
    const train = (kernelImplementation: 'auto' | 'js') => {
      const model = new DeepVaeModel({
        dims,
        data: dataFor(dims.dx, 99),
        decoderStd: 0.4,
        activationOf: (r) => at(r).activation,
        gradientBiasOf: (r) => (at(r).bias ? bias : null),
        init: { weightScale: 1.5, outputBiasAtDataMean: true },
        kernelImplementation,
      });
      const trainer = new KernelTrainer(model, replicas, ADAM_DEFAULTS);
      const objectives: number[] = [];
      for (let k = 0; k < 200; k++) objectives.push(...trainer.advance());
      return { objectives, theta: trainer.readParams().values[PACKED_PARAM] };
    };
    const js = train('js');
    const wasm = train('auto');
    expect(wasm.objectives).toEqual(js.objectives);
    const first = wasm.theta.findIndex((v, i) => !Object.is(v, js.theta[i]));
    expect(first, first < 0 ? '' : `θ[${first}]: ${js.theta[first]} (js) ≠ ${wasm.theta[first]} (wasm)`).toBe(-1);
    // The trajectory moved (200 steps of a real step size), so equal ends are not equal starts.
    const start = new KernelTrainer(new DeepVaeModel({ dims, data: dataFor(dims.dx, 99), decoderStd: 0.4, init: { weightScale: 1.5, outputBiasAtDataMean: true } }), replicas, ADAM_DEFAULTS);
    expect(start.readParams().values[PACKED_PARAM]).not.toEqual(js.theta);
  });
});
