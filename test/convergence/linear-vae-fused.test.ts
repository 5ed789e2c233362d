/**
 * The linear VAE's fused SGD steps (kernel-wasm.ts's FusedLinearVaeSgd, wasm/kernel.as.ts's
 * fusedSgd: draws, step and SGD update of every replica in one module call per step) against
 * the kernel trainer's loop over replicas (objectiveAndGradient, then the optimiser), which is
 * checked against the JavaScript kernel and TensorFlow.js elsewhere
 * (linear-vae-kernel-wasm.test.ts, kernel-trainer.test.ts):
 *   - it is what the kernel trainer runs for SGD here, and the trajectories are bitwise the
 *     JavaScript kernel's (objectives and every parameter after every step) over odd and even
 *     d_x, d_z, B ∈ {1 … 32}, K ∈ {1, 2, 3}, β, several schedules, and normal counts B·K·d_z
 *     odd and even (a replica's next step then starts in the middle of a pair);
 *   - a replica trained in a batch is bitwise the replica trained alone;
 *   - where it must not run it does not: Adam, a samples schedule in the batch, a subclass
 *     that changes objectiveAndGradient, `fused: false`; the falsifiers' biased-gradient model
 *     runs it with its δ on ∂b, bitwise as its own loop;
 *   - divergence stops it where the loop stops, with the same error (objective or parameter)
 *     and the same parameters.
 */
import { describe, expect, it } from 'vitest';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import { ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';
import { KernelTrainer } from '../../src/engine/kernel-trainer.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import type { LinearVaeDims } from '../../src/models/linear-vae/params.ts';
import { BiasedGradientLinearVae } from '../../src/claims/convergence/shared/falsifier-models.ts';

function dataFor(dx: number, n: number): Float32Array {
  const rng = RandomStream.at('linear-vae-fused-data', dx, n);
  return Float32Array.from({ length: n * dx }, () => 2 * rng.normal());
}

/** [B, K, β, C, α]: normal counts B·K·d_z odd and even, β = 0 … 2, two exponents. */
const SETTINGS: [number, number, number, number, number][] = [
  [32, 1, 1, 5e-3, 0.5],
  [7, 1, 0.5, 1e-2, 0.5],
  [1, 3, 1, 2e-3, 0.6],
  [5, 2, 2, 5e-3, 0.5],
  [3, 1, 0, 5e-3, 0.5],
];

function replicas(tag: string): ReplicaSetting[] {
  return SETTINGS.map(([B, K, beta, C, alpha], r) => ({ label: `r${r}`, seed: deriveSeed('linear-vae-fused', tag, r), schedule: { C, alpha }, batchSize: B, samples: K, beta }));
}

/** The first difference of two trainers' objectives or parameters, or '' where there is none. */
function difference(a: KernelTrainer, b: KernelTrainer, oa: Float32Array, ob: Float32Array): string {
  for (let r = 0; r < oa.length; r++) if (!Object.is(oa[r], ob[r])) return `objective ${r}: ${oa[r]} ≠ ${ob[r]}`;
  const pa = a.viewParams().values;
  const pb = b.viewParams().values;
  for (const n in pa) {
    const i = pa[n].findIndex((v, j) => !Object.is(v, pb[n][j]));
    if (i >= 0) return `${n}[${i}]: ${pa[n][i]} ≠ ${pb[n][i]}`;
  }
  return '';
}

describe('linear VAE fused SGD steps', () => {
  const shapes: LinearVaeDims[] = [
    { dx: 10, dz: 3 },
    { dx: 5, dz: 2 },
    { dx: 7, dz: 5 },
    { dx: 1, dz: 1 },
  ];
  for (const dims of shapes) {
    it(`run for SGD and train bitwise as the JavaScript kernel's loop does (d_x = ${dims.dx}, d_z = ${dims.dz}; 150 steps, every step compared)`, () => {
      const data = dataFor(dims.dx, 61);
      const rs = replicas(`${dims.dx}x${dims.dz}`);
      const fused = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX: 0.7 }), rs, { kind: 'sgd' });
      const loop = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX: 0.7, kernelImplementation: 'js' }), rs, { kind: 'sgd' });
      const port = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX: 0.7 }), rs, { kind: 'sgd' }, { fused: false });
      expect([fused.isFused, loop.isFused, port.isFused]).toEqual([true, false, false]);
      const start = fused.readParams().values.W;
      for (let k = 1; k <= 150; k++) {
        const of = fused.advance();
        const ol = loop.advance();
        const op = port.advance();
        expect(difference(fused, loop, of, ol), `step ${k}, against the JavaScript kernel`).toBe('');
        expect(difference(fused, port, of, op), `step ${k}, against the port's loop`).toBe('');
      }
      expect(fused.readParams().values.W).not.toEqual(start);
    });
  }

  it('train a replica in a batch bitwise as the same replica alone', () => {
    const dims = { dx: 10, dz: 3 };
    const data = dataFor(10, 40);
    const model = new LinearVaeModel({ dims, data, sigmaX: 1 });
    const rs = replicas('alone');
    const batch = new KernelTrainer(model, rs, { kind: 'sgd' });
    const alone = new KernelTrainer(model, [rs[1]], { kind: 'sgd' });
    expect([batch.isFused, alone.isFused]).toEqual([true, true]);
    for (let k = 0; k < 100; k++) {
      const ob = batch.advance();
      const oa = alone.advance();
      expect(Object.is(ob[1], oa[0]), `step ${k + 1}`).toBe(true);
    }
    const b = batch.viewParams();
    const a = alone.viewParams();
    for (const n of ['W', 'b', 'V', 'c', 's']) expect(Array.from(b.replica(1)[n])).toEqual(Array.from(a.replica(0)[n]));
  });

  it('do not run for Adam, a samples schedule in the batch, a subclass with its own objectiveAndGradient, or fused: false', () => {
    const dims = { dx: 4, dz: 2 };
    const data = dataFor(4, 40);
    const model = new LinearVaeModel({ dims, data, sigmaX: 1 });
    const rs = replicas('off');
    expect(new KernelTrainer(model, rs, ADAM_DEFAULTS).isFused).toBe(false);
    expect(new KernelTrainer(model, [...rs, { ...rs[0], label: 'scheduled', samplesSchedule: { K0: 1, a: 0.3, Kmax: 4 } }], { kind: 'sgd' }).isFused).toBe(false);
    expect(new KernelTrainer(model, rs, { kind: 'sgd' }, { fused: false }).isFused).toBe(false);
    class Scaled extends LinearVaeModel {
      override objectiveAndGradient(...args: Parameters<LinearVaeModel['objectiveAndGradient']>): number {
        return 2 * super.objectiveAndGradient(...args);
      }
    }
    class Rebiased extends BiasedGradientLinearVae {
      override objectiveAndGradient(...args: Parameters<LinearVaeModel['objectiveAndGradient']>): number {
        return 2 * super.objectiveAndGradient(...args);
      }
    }
    expect(new KernelTrainer(new Scaled({ dims, data, sigmaX: 1 }), rs, { kind: 'sgd' }).isFused).toBe(false);
    expect(new KernelTrainer(new Rebiased({ dims, data, sigmaX: 1 }, 0.25), rs, { kind: 'sgd' }).isFused).toBe(false);
  });

  it("run for the falsifiers' biased-gradient model (δ on ∂b in the module) and train bitwise as its JavaScript kernel's loop does", () => {
    const dims = { dx: 5, dz: 3 };
    const data = dataFor(5, 40);
    const rs = replicas('biased');
    const fused = new KernelTrainer(new BiasedGradientLinearVae({ dims, data, sigmaX: 1 }, 0.25), rs, { kind: 'sgd' });
    const loop = new KernelTrainer(new BiasedGradientLinearVae({ dims, data, sigmaX: 1, kernelImplementation: 'js' }, 0.25), rs, { kind: 'sgd' });
    const plain = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX: 1 }), rs, { kind: 'sgd' });
    expect([fused.isFused, loop.isFused, plain.isFused]).toEqual([true, false, true]);
    for (let k = 1; k <= 100; k++) {
      const of = fused.advance();
      const ol = loop.advance();
      plain.advance();
      expect(difference(fused, loop, of, ol), `step ${k}`).toBe('');
    }
    // The bias moved b (the fused steps did not train the plain model).
    expect(fused.readParams().values.b).not.toEqual(plain.readParams().values.b);
  });

  const divergences: [string, number][] = [
    ['a parameter overflowing float32 in the update', 1e38],
    ['the objective once the parameters are large', 3],
  ];
  for (const [what, C] of divergences) {
    it(`stop where the loop stops, with the same error and parameters: ${what}`, () => {
      const dims = { dx: 6, dz: 3 };
      const data = dataFor(6, 50);
      const rs = replicas('diverge').map((r, i) => (i === 3 ? { ...r, schedule: { C, alpha: 0 } } : r));
      const run = (fused: boolean) => {
        const t = new KernelTrainer(new LinearVaeModel({ dims, data, sigmaX: 1 }), rs, { kind: 'sgd' }, { fused });
        for (let k = 1; k <= 500; k++) {
          try {
            t.advance();
          } catch (e) {
            return { fused: t.isFused, k, message: (e as Error).message, name: (e as Error).name, values: t.readParams().values };
          }
        }
        return { fused: t.isFused, k: Infinity, message: '', name: '', values: t.readParams().values };
      };
      const f = run(true);
      const l = run(false);
      expect([f.fused, l.fused]).toEqual([true, false]);
      expect(f.k).toBeLessThan(500);
      expect(f.name).toBe('DivergenceError');
      expect(f.message).toContain('r3');
      expect(C > 1e30 ? /parameter/.test(f.message) : /objective/.test(f.message), f.message).toBe(true);
      expect({ k: f.k, message: f.message }).toEqual({ k: l.k, message: l.message });
      for (const n in l.values) expect(Array.from(f.values[n]), n).toEqual(Array.from(l.values[n]));
    });
  }
});
