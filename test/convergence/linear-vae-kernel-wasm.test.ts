/**
 * The linear VAE kernel's WebAssembly SIMD port (src/models/linear-vae/kernel-wasm.ts,
 * source wasm/kernel.as.ts) against the JavaScript kernel it ports
 * (LinearVaeModel.objectiveAndGradient, engine-model.ts):
 *   - it is what runs here (Node ≥ 20 has WebAssembly SIMD), so the comparisons
 *     below are not the JavaScript kernel against itself, and
 *     VAE_CLAIMS_LINEAR_VAE_KERNEL=js turns it off;
 *   - objective and gradient are bitwise equal (Object.is on every float) on the
 *     same draws, over odd and even dx and dz (the SIMD pairs and the scalar
 *     tails), B ∈ {1, 3, 32}, K ∈ {1, 2, 5}, β ∈ {0, 0.5, 1, 2}, σ_x ≠ 1,
 *     parameters small to overflowing (e^s = ∞, NaN), one model reused across
 *     growing and shrinking draws; and on random shapes and settings;
 *   - both leave the replica's streams in the same state (same draws consumed);
 *   - SGD and Adam trajectories through KernelTrainer (mixed B, K, β, a samples
 *     schedule) are bitwise equal;
 *   - the same for the IWAE bound's kernel (LinearIwaeModel: learned or fixed
 *     variance, a fixed encoder mean, the DReG encoder gradient), whose
 *     subclasses with their own pooling keep the JavaScript kernel;
 *   - the committed binary is what the pinned compiler makes of the source
 *     (test/engine/wasm-kernel.test.ts, for every kernel).
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import { CounterNormalStream } from '../../src/engine/counter-normals.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS, type OptimizerConfig } from '../../src/engine/optimizer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import { LinearIwaeModel, type LinearIwaeModelOptions } from '../../src/models/linear-vae/iwae-engine-model.ts';
import { MeanLogWeightModel } from '../../src/models/linear-vae/iwae-elbo-objective.ts';
import { linearVaeKernelImplementation } from '../../src/models/linear-vae/kernel-wasm.ts';
import type { LinearVaeDims } from '../../src/models/linear-vae/params.ts';
import { replica } from '../engine/linear-vae-helpers.ts';

const N = 17;

function dataFor(dx: number, seed: number, n = N): Float32Array {
  const rng = RandomStream.at('linear-vae-kernel-wasm-data', seed);
  return Float32Array.from({ length: n * dx }, () => 2 * rng.normal());
}

function models(dims: LinearVaeDims, seed: number, sigmaX = 0.7): { js: LinearVaeModel; wasm: LinearVaeModel } {
  const data = dataFor(dims.dx, seed);
  const js = new LinearVaeModel({ dims, data, sigmaX, kernelImplementation: 'js' });
  const wasm = new LinearVaeModel({ dims, data, sigmaX });
  expect(js.kernelImplementation).toBe('js');
  expect(wasm.kernelImplementation).toBe('wasm-simd');
  return { js, wasm };
}

interface Step {
  B: number;
  K: number;
  beta: number;
  /** W, b, V, c ~ N(0, scale²), s ~ N(0, (scale/2)²): 0.1 small, 3 large, 1000 overflows e^s (∞ and NaN in the results). */
  scale: number;
  seed: number;
}

type Kernel = LinearVaeModel | LinearIwaeModel;

/** Objective and gradient of both implementations on the same draws; the first difference, or null. */
function difference(js: Kernel, wasm: Kernel, s: Step): string | null {
  const rng = RandomStream.at('linear-vae-kernel-wasm-params', s.seed);
  const params: Record<string, Float32Array> = {};
  const gJs: Record<string, Float64Array> = {};
  const gWasm: Record<string, Float64Array> = {};
  for (const [name, shape] of Object.entries(js.paramShapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    params[name] = Float32Array.from({ length: n }, () => (name === 's' ? s.scale / 2 : s.scale) * rng.normal());
    gJs[name] = new Float64Array(n).fill(Number.NaN);
    gWasm[name] = new Float64Array(n).fill(Number.NaN);
  }
  const rep = replica({ label: 'r', seed: s.seed + 1, schedule: { C: 1, alpha: 0.5 }, batchSize: s.B, samples: s.K, beta: js instanceof LinearIwaeModel ? 1 : s.beta });
  const sJs = replicaStreams(s.seed + 1);
  const sWasm = replicaStreams(s.seed + 1);
  const oJs = js.objectiveAndGradient(params, rep, sJs, gJs);
  const oWasm = wasm.objectiveAndGradient(params, rep, sWasm, gWasm);
  if (!Object.is(oJs, oWasm)) return `objective ${oJs} (js) ≠ ${oWasm} (wasm)`;
  for (const name in gJs) {
    for (let i = 0; i < gJs[name].length; i++) if (!Object.is(gJs[name][i], gWasm[name][i])) return `∂${name}[${i}] ${gJs[name][i]} (js) ≠ ${gWasm[name][i]} (wasm)`;
  }
  // The same draws consumed: the streams' next values agree.
  if (sJs.data.uniform() !== sWasm.data.uniform() || sJs.noise.normal() !== sWasm.noise.normal()) return 'the streams are left in different states';
  return null;
}

describe('linear VAE kernel, WebAssembly SIMD port', () => {
  it('is the implementation that runs here (WebAssembly SIMD loads), unless VAE_CLAIMS_LINEAR_VAE_KERNEL=js', () => {
    expect(linearVaeKernelImplementation()).toBe('wasm-simd');
    const dims = { dx: 3, dz: 2 };
    const before = process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL;
    process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL = 'js';
    try {
      expect(linearVaeKernelImplementation()).toBe('js');
      expect(new LinearVaeModel({ dims, data: dataFor(3, 0), sigmaX: 1 }).kernelImplementation).toBe('js');
    } finally {
      if (before === undefined) delete process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL;
      else process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL = before;
    }
    expect(new LinearVaeModel({ dims, data: dataFor(3, 0), sigmaX: 1 }).kernelImplementation).toBe('wasm-simd');
  });

  it('equals the JavaScript kernel bitwise on every shape, B, K, β and parameter scale (one model through growing and shrinking draws)', () => {
    const shapes: LinearVaeDims[] = [
      { dx: 1, dz: 1 },
      { dx: 2, dz: 2 },
      { dx: 10, dz: 3 },
      { dx: 7, dz: 4 },
      { dx: 5, dz: 1 },
      { dx: 4, dz: 8 },
      { dx: 13, dz: 5 },
    ];
    let checked = 0;
    shapes.forEach((dims, d) => {
      const { js, wasm } = models(dims, d, d === 2 ? 1 : 0.7);
      for (const B of [3, 32, 1]) {
        for (const K of [2, 5, 1]) {
          for (const beta of [0, 0.5, 1, 2]) {
            for (const scale of [0.1, 1, 3, 1000]) {
              const s: Step = { B, K, beta, scale, seed: checked };
              expect(difference(js, wasm, s), `${JSON.stringify(dims)} ${JSON.stringify(s)}`).toBeNull();
              checked++;
            }
          }
        }
      }
    });
    expect(checked).toBe(7 * 3 * 3 * 4 * 4);
  });

  it('draws its rows and noise in its module as the streams\' own fills do (many steps on one pair of streams, odd counts, 100,003 rows), and through a stream\'s own fills where it has them', () => {
    const dims: LinearVaeDims = { dx: 2, dz: 3 };
    const rows = 100_003;
    const data = dataFor(dims.dx, 5, rows);
    const js = new LinearVaeModel({ dims, data, sigmaX: 0.9, kernelImplementation: 'js' });
    const wasm = new LinearVaeModel({ dims, data, sigmaX: 0.9 });
    expect(wasm.kernelImplementation).toBe('wasm-simd');
    const rng = RandomStream.at('linear-vae-kernel-wasm-draws');
    const params: Record<string, Float32Array> = {};
    for (const [name, shape] of Object.entries(js.paramShapes)) params[name] = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.3 * rng.normal());
    const grads = () => Object.fromEntries(Object.keys(params).map((name) => [name, new Float64Array(params[name].length)]));
    const sJs = replicaStreams(77);
    const sWasm = replicaStreams(77);
    // B·K·d_z odd (7·1·3, 5·3·3) leaves a normal in the stream's buffer for the next step.
    const settings = [
      [7, 1],
      [32, 1],
      [5, 3],
      [1, 2],
      [64, 1],
      [3, 1],
    ];
    for (let t = 0; t < 60; t++) {
      const [B, K] = settings[t % settings.length];
      const rep = replica({ label: 'r', seed: 77, schedule: { C: 1, alpha: 0.5 }, batchSize: B, samples: K, beta: 1 });
      const gJs = grads();
      const gWasm = grads();
      const oJs = js.objectiveAndGradient(params, rep, sJs, gJs);
      const oWasm = wasm.objectiveAndGradient(params, rep, sWasm, gWasm);
      expect(Object.is(oJs, oWasm), `step ${t}: ${oJs} (js) ≠ ${oWasm} (wasm)`).toBe(true);
      expect(gWasm).toEqual(gJs);
    }
    expect(sWasm.data.uniform()).toBe(sJs.data.uniform());
    expect(sWasm.noise.normal()).toBe(sJs.noise.normal());

    // Streams with fills of their own: the port uses them, not the base classes' (a replay stream's values).
    // (The JavaScript kernel draws one at a time, the port fills: both are overridden alike, as a replay stream does.)
    class OwnRows extends RandomStream {
      calls = 0;
      private t = 0;
      override int(n: number): number {
        return (7 * this.t++ + 3) % n;
      }
      override fillInt(out: Int32Array, n: number, offset = 0, count = out.length - offset): void {
        this.calls++;
        for (let i = 0; i < count; i++) out[offset + i] = this.int(n);
      }
    }
    class OwnNoise extends CounterNormalStream {
      calls = 0;
      private t = 0;
      override normal(): number {
        return 0.25 * (this.t++ % 5) - 0.5;
      }
      override fillNormal(out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
        this.calls++;
        for (let i = 0; i < count; i++) out[offset + i] = this.normal();
      }
    }
    const own = () => ({ ...replicaStreams(78), data: new OwnRows(1), noise: new OwnNoise(2) });
    const oJs = own();
    const oWasm = own();
    const rep = replica({ label: 'r', seed: 78, schedule: { C: 1, alpha: 0.5 }, batchSize: 9, samples: 2, beta: 1 });
    const gJs = grads();
    const gWasm = grads();
    expect(wasm.objectiveAndGradient(params, rep, oWasm, gWasm)).toBe(js.objectiveAndGradient(params, rep, oJs, gJs));
    expect(gWasm).toEqual(gJs);
    expect([oWasm.data.calls, oWasm.noise.calls]).toEqual([1, 1]);
    // A stream that overrides only int() (the base fillInt calls it): its rows, not the generator's.
    class OwnInt extends RandomStream {
      private t = 0;
      override int(n: number): number {
        return (5 * this.t++ + 1) % n;
      }
    }
    const onlyInt = () => ({ ...replicaStreams(79), data: new OwnInt(3) });
    const iJs = onlyInt();
    const iWasm = onlyInt();
    const gJs2 = grads();
    const gWasm2 = grads();
    expect(wasm.objectiveAndGradient(params, rep, iWasm, gWasm2)).toBe(js.objectiveAndGradient(params, rep, iJs, gJs2));
    expect(gWasm2).toEqual(gJs2);
  });

  it('makes its normals in JavaScript where VAE_CLAIMS_COUNTER_NORMALS_KERNEL=js (read when the model is made), the same values', () => {
    const dims: LinearVaeDims = { dx: 4, dz: 3 };
    const ported = vi.spyOn(CounterNormalStream.prototype, 'fillNormalPorted');
    const before = process.env.VAE_CLAIMS_COUNTER_NORMALS_KERNEL;
    try {
      process.env.VAE_CLAIMS_COUNTER_NORMALS_KERNEL = 'js';
      const { js, wasm } = models(dims, 3);
      delete process.env.VAE_CLAIMS_COUNTER_NORMALS_KERNEL;
      expect(difference(js, wasm, { B: 5, K: 2, beta: 1, scale: 1, seed: 4 })).toBeNull();
      expect(ported).not.toHaveBeenCalled();
      const { js: js2, wasm: wasm2 } = models(dims, 3);
      expect(difference(js2, wasm2, { B: 5, K: 2, beta: 1, scale: 1, seed: 4 })).toBeNull();
      expect(ported).toHaveBeenCalled();
    } finally {
      ported.mockRestore();
      if (before === undefined) delete process.env.VAE_CLAIMS_COUNTER_NORMALS_KERNEL;
      else process.env.VAE_CLAIMS_COUNTER_NORMALS_KERNEL = before;
    }
  });

  it('equals the JavaScript kernel bitwise on random shapes and settings (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          dx: fc.integer({ min: 1, max: 24 }),
          dz: fc.integer({ min: 1, max: 9 }),
          sigmaX: fc.constantFrom(0.3, 1, 1.7),
          B: fc.integer({ min: 1, max: 40 }),
          K: fc.integer({ min: 1, max: 6 }),
          beta: fc.constantFrom(0, 0.25, 1, 3),
          scale: fc.constantFrom(0.05, 0.5, 2, 1000),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ dx, dz, sigmaX, ...s }) => {
          const { js, wasm } = models({ dx, dz }, s.seed, sigmaX);
          expect(difference(js, wasm, s), `${JSON.stringify({ dx, dz, sigmaX })} ${JSON.stringify(s)}`).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  const optimizers: [string, OptimizerConfig][] = [
    ['SGD', { kind: 'sgd' }],
    ['Adam', ADAM_DEFAULTS],
  ];
  for (const [name, optimizer] of optimizers) {
    it(`trains bitwise as the JavaScript kernel does: 300 ${name} steps through KernelTrainer (mixed B, K, β, a samples schedule)`, () => {
      const dims: LinearVaeDims = { dx: 10, dz: 3 };
      const cases = [
        { B: 32, K: 1, beta: 1 },
        { B: 3, K: 4, beta: 0.5 },
        { B: 1, K: 2, beta: 2 },
        { B: 7, K: 1, beta: 0 },
      ];
      const replicas: ReplicaSetting[] = cases.map((c, r) =>
        replica({ label: `r${r}`, seed: deriveSeed('linear-vae-kernel-wasm', r), schedule: { C: name === 'SGD' ? 5e-3 : 1e-2, alpha: 0.5 }, batchSize: c.B, samples: c.K, beta: c.beta }),
      );
      replicas.push({ ...replicas[0], label: 'scheduled K', seed: deriveSeed('linear-vae-kernel-wasm', 'scheduled'), samplesSchedule: { K0: 1, a: 0.3, Kmax: 5 } });
      const data = dataFor(dims.dx, 99, 200);
      const train = (kernelImplementation: 'auto' | 'js') => {
        const model = new LinearVaeModel({ dims, data, sigmaX: 1, kernelImplementation });
        const trainer = new KernelTrainer(model, replicas, optimizer);
        const objectives: number[] = [];
        for (let k = 0; k < 300; k++) objectives.push(...trainer.advance());
        return { implementation: model.kernelImplementation, objectives, values: trainer.readParams().values };
      };
      const js = train('js');
      const wasm = train('auto');
      expect([js.implementation, wasm.implementation]).toEqual(['js', 'wasm-simd']);
      expect(wasm.objectives).toEqual(js.objectives);
      for (const p in js.values) {
        const first = wasm.values[p].findIndex((v, i) => !Object.is(v, js.values[p][i]));
        expect(first, first < 0 ? '' : `${p}[${first}]: ${js.values[p][first]} (js) ≠ ${wasm.values[p][first]} (wasm)`).toBe(-1);
      }
      // The trajectory moved, so equal ends are not equal starts.
      const start = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX: 1 }), replicas, optimizer).readParams().values;
      expect(start.W).not.toEqual(js.values.W);
    });
  }

  describe('the IWAE bound\'s kernel (LinearIwaeModel)', () => {
    type Variant = 'learned' | 'fixed variance' | 'fixed mean' | 'DReG' | 'DReG, fixed variance' | 'mean pooling' | 'mean pooling, fixed variance';
    const VARIANTS: Variant[] = ['learned', 'fixed variance', 'fixed mean', 'DReG', 'DReG, fixed variance', 'mean pooling', 'mean pooling, fixed variance'];
    function iwaeModels(dims: LinearVaeDims, variant: Variant, seed: number, sigmaX = 0.7): { js: LinearIwaeModel; wasm: LinearIwaeModel } {
      const rng = RandomStream.at('linear-vae-kernel-wasm-iwae', seed);
      const opts: LinearIwaeModelOptions = { dims, data: dataFor(dims.dx, seed), sigmaX };
      if (variant.endsWith('fixed variance') || variant === 'fixed mean') opts.encoderLogVariance = 0.5 - (seed % 3) * 0.4;
      if (variant.startsWith('DReG')) opts.encoderGradient = 'dreg';
      if (variant === 'fixed mean') opts.fixedEncoderMean = { V: Array.from({ length: dims.dz * dims.dx }, () => rng.normal()), c: Array.from({ length: dims.dz }, () => rng.normal()) };
      // MeanLogWeightModel (iwae-rate's objective-is-elbo falsifier): the port's mean pooling.
      const Model = variant.startsWith('mean pooling') ? MeanLogWeightModel : LinearIwaeModel;
      const js = new Model({ ...opts, kernelImplementation: 'js' });
      const wasm = new Model(opts);
      expect([js.kernelImplementation, wasm.kernelImplementation]).toEqual(['js', 'wasm-simd']);
      return { js, wasm };
    }

    it('equals the JavaScript kernel bitwise for every variant, shape, B, K and parameter scale (one model through growing and shrinking draws)', () => {
      const shapes: LinearVaeDims[] = [
        { dx: 1, dz: 1 },
        { dx: 10, dz: 3 },
        { dx: 7, dz: 4 },
        { dx: 4, dz: 8 },
      ];
      let checked = 0;
      shapes.forEach((dims, d) => {
        for (const variant of VARIANTS) {
          const { js, wasm } = iwaeModels(dims, variant, d, d === 1 ? 1 : 0.7);
          for (const B of [3, 16, 1]) {
            for (const K of [4, 1, 9]) {
              for (const scale of [0.1, 1, 3, 1000]) {
                const s: Step = { B, K, beta: 1, scale, seed: checked };
                expect(difference(js, wasm, s), `${JSON.stringify(dims)} ${variant} ${JSON.stringify(s)}`).toBeNull();
                checked++;
              }
            }
          }
        }
      });
      expect(checked).toBe(4 * 7 * 3 * 3 * 4);
    });

    it('equals the JavaScript kernel bitwise on random shapes and settings (property)', () => {
      fc.assert(
        fc.property(
          fc.record({
            dx: fc.integer({ min: 1, max: 24 }),
            dz: fc.integer({ min: 1, max: 9 }),
            sigmaX: fc.constantFrom(0.3, 1, 1.7),
            variant: fc.constantFrom(...VARIANTS),
            B: fc.integer({ min: 1, max: 20 }),
            K: fc.integer({ min: 1, max: 12 }),
            scale: fc.constantFrom(0.05, 0.5, 2, 1000),
            seed: fc.integer({ min: 0, max: 1e6 }),
          }),
          ({ dx, dz, sigmaX, variant, ...s }) => {
            const { js, wasm } = iwaeModels({ dx, dz }, variant, s.seed, sigmaX);
            expect(difference(js, wasm, { ...s, beta: 1 }), `${JSON.stringify({ dx, dz, sigmaX, variant })} ${JSON.stringify(s)}`).toBeNull();
          },
        ),
        { numRuns: 150 },
      );
    });

    it('trains bitwise as the JavaScript kernel does: 300 SGD steps (B, K mixed; learned and fixed variance)', () => {
      const dims: LinearVaeDims = { dx: 10, dz: 3 };
      const replicas: ReplicaSetting[] = [
        { B: 8, K: 4 },
        { B: 16, K: 2 },
        { B: 3, K: 7 },
      ].map((c, r) => replica({ label: `r${r}`, seed: deriveSeed('linear-vae-kernel-wasm-iwae', r), schedule: { C: 5e-3, alpha: 0.5 }, batchSize: c.B, samples: c.K, beta: 1 }));
      const data = dataFor(dims.dx, 7, 200);
      for (const encoderLogVariance of [undefined, 0.5]) {
        const train = (kernelImplementation: 'auto' | 'js') => {
          const model = new LinearIwaeModel({ dims, data, sigmaX: 1, encoderLogVariance, kernelImplementation });
          const trainer = new KernelTrainer(model, replicas, { kind: 'sgd' });
          const objectives: number[] = [];
          for (let k = 0; k < 300; k++) objectives.push(...trainer.advance());
          return { implementation: model.kernelImplementation, objectives, values: trainer.readParams().values };
        };
        const js = train('js');
        const wasm = train('auto');
        expect([js.implementation, wasm.implementation]).toEqual(['js', 'wasm-simd']);
        expect(wasm.objectives).toEqual(js.objectives);
        for (const p in js.values) expect(wasm.values[p].findIndex((v, i) => !Object.is(v, js.values[p][i])), p).toBe(-1);
        expect(js.values.W).not.toEqual(new KernelTrainer(new LinearIwaeModel({ dims, data, sigmaX: 1, encoderLogVariance }), replicas, { kind: 'sgd' }).readParams().values.W);
      }
    });

    it('a subclass with a poolKernel the port does not have runs the JavaScript kernel (which calls it), MeanLogWeightModel the port, and VAE_CLAIMS_LINEAR_VAE_KERNEL=js turns the port off', () => {
      const opts = { dims: { dx: 3, dz: 2 }, data: dataFor(3, 1), sigmaX: 1, encoderLogVariance: 0 };
      class MaxPooling extends LinearIwaeModel {
        protected override poolKernel(logW: Float64Array, K: number, omega: Float64Array): number {
          let best = 0;
          for (let k = 0; k < K; k++) if (logW[k] > logW[best]) best = k;
          omega.fill(0, 0, K);
          omega[best] = 1;
          return logW[best];
        }
      }
      class MeanPlusOne extends MeanLogWeightModel {
        protected override poolKernel(logW: Float64Array, K: number, omega: Float64Array): number {
          return super.poolKernel(logW, K, omega) + 1;
        }
      }
      expect(new MaxPooling(opts).kernelImplementation).toBe('js');
      expect(new MaxPooling(opts).javascriptTwin()).toBeNull();
      expect(new MeanPlusOne(opts).kernelImplementation).toBe('js');
      expect(new MeanLogWeightModel(opts).kernelImplementation).toBe('wasm-simd');
      const twin = new MeanLogWeightModel(opts).javascriptTwin();
      expect(twin).toBeInstanceOf(MeanLogWeightModel);
      expect(twin!.kernelImplementation).toBe('js');
      const before = process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL;
      process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL = 'js';
      try {
        expect(new LinearIwaeModel(opts).kernelImplementation).toBe('js');
      } finally {
        if (before === undefined) delete process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL;
        else process.env.VAE_CLAIMS_LINEAR_VAE_KERNEL = before;
      }
      expect(new LinearIwaeModel(opts).kernelImplementation).toBe('wasm-simd');
    });
  });
});
