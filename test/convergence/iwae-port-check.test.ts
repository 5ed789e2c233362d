/**
 * The IWAE claims' run-time port check (iwae-conformance.ts kernelPortAgainstJavaScript):
 * the model's JavaScript twin is the same model on the JavaScript kernel, subclasses
 * have none, and any difference between the port and the JavaScript kernel reads not ok,
 * naming the coordinate (kernel-port-probe.ts is tested for one-ulp differences itself).
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/engine/rng.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../src/engine/replica.ts';
import type { ReplicaParams } from '../../src/engine/trainer.ts';
import { LinearIwaeModel } from '../../src/models/linear-vae/iwae-engine-model.ts';
import { MeanLogWeightModel } from '../../src/models/linear-vae/iwae-elbo-objective.ts';
import { kernelPortAgainstJavaScript, type IwaeEngineSetup } from '../../src/claims/convergence/shared/iwae-conformance.ts';

const dims = { dx: 5, dz: 2 };
const rng = RandomStream.at('iwae-port-check');
const data = Float32Array.from({ length: 40 * dims.dx }, () => rng.normal());
const params: ReplicaParams = {
  W: Float32Array.from({ length: dims.dx * dims.dz }, () => 0.3 * rng.normal()),
  b: new Float32Array(dims.dx),
  V: Float32Array.from({ length: dims.dz * dims.dx }, () => 0.3 * rng.normal()),
  c: new Float32Array(dims.dz),
  s: new Float32Array(dims.dz),
};
const setting: ReplicaSetting = { label: 'port', seed: 5, schedule: { C: 1, alpha: 0 }, batchSize: 4, samples: 3, beta: 1 };

describe('IWAE kernel port check', () => {
  it('the twin runs the JavaScript kernel (a port-pooled subclass\'s is that subclass); JavaScript models have none', () => {
    const model = new LinearIwaeModel({ dims, data, sigmaX: 0.7 });
    expect(model.kernelImplementation).toBe('wasm-simd');
    expect(model.javascriptTwin()?.kernelImplementation).toBe('js');
    expect(new LinearIwaeModel({ dims, data, sigmaX: 0.7, kernelImplementation: 'js' }).javascriptTwin()).toBeNull();
    const mean = new MeanLogWeightModel({ dims, data, sigmaX: 0.7 }).javascriptTwin();
    expect(mean).toBeInstanceOf(MeanLogWeightModel);
    expect(mean!.kernelImplementation).toBe('js');
    expect(new MeanLogWeightModel({ dims, data, sigmaX: 0.7, kernelImplementation: 'js' }).javascriptTwin()).toBeNull();
  });

  it('passes on the engine as it is and says when no port runs', () => {
    const setup: IwaeEngineSetup = { model: new LinearIwaeModel({ dims, data, sigmaX: 0.7 }), dims, sigmaX: 0.7 };
    expect(kernelPortAgainstJavaScript(setup, params, setting, 'here', ['t'])).toMatchObject({ ok: true, detail: expect.stringMatching(/bit for bit/) });
    const js: IwaeEngineSetup = { ...setup, model: new LinearIwaeModel({ dims, data, sigmaX: 0.7, kernelImplementation: 'js' }) };
    expect(kernelPortAgainstJavaScript(js, params, setting, 'here', ['t'])).toMatchObject({ ok: true, detail: expect.stringMatching(/runs as JavaScript/) });
  });

  it('reads not ok, naming the coordinate, when the JavaScript kernel differs from the port by one ulp in one coordinate', () => {
    const model = new LinearIwaeModel({ dims, data, sigmaX: 0.7 });
    const twin = model.javascriptTwin()!;
    const original = twin.objectiveAndGradient.bind(twin);
    twin.objectiveAndGradient = (p: ReplicaParams, r: ReplicaSetting, s: ReplicaStreams, g: Record<string, Float64Array>) => {
      const value = original(p, r, s, g);
      g.V[3] = g.V[3] * (1 + 2 ** -52);
      return value;
    };
    model.javascriptTwin = () => twin;
    const out = kernelPortAgainstJavaScript({ model, dims, sigmaX: 0.7 }, params, setting, 'here', ['t']);
    expect(out.ok).toBe(false);
    expect(out.detail).toMatch(/∂V\[3\]/);
  });
});
