/**
 * kernelPortProbe (src/claims/shared/kernel-port-probe.ts): the linear and deep VAE
 * kernels' WebAssembly ports pass it against their JavaScript kernels, and a port off
 * by one ulp in one coordinate, or in the objective, fails it and is named; so does a port
 * whose draws do not carry the streams' state from step to step, or that leaves the streams
 * elsewhere than the JavaScript kernel does.
 */
import { describe, expect, it } from 'vitest';
import { kernelPortProbe, type PortPoint } from '../../src/claims/shared/kernel-port-probe.ts';
import type { ReplicaKernel } from '../../src/engine/kernel-trainer.ts';
import { LinearVaeModel } from '../../src/models/linear-vae/engine-model.ts';
import { generateLinearGaussianData } from '../../src/models/linear-vae/data.ts';
import { DeepVaeModel, PACKED_PARAM } from '../../src/models/deep-vae/engine-model.ts';
import { deepParamCount } from '../../src/models/deep-vae/params.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { replicaStreams } from '../../src/engine/replica.ts';

const schedule = { C: 0.1, alpha: 0.5 };

/** `kernel` with one output nudged to the next float: what a port off by one rounding would give. */
function nudged(kernel: ReplicaKernel, which: 'objective' | number): ReplicaKernel {
  return {
    name: kernel.name,
    dataSize: kernel.dataSize,
    paramShapes: kernel.paramShapes,
    initialParams: (r, s) => kernel.initialParams(r, s),
    objectiveAndGradient(params, replica, streams, grad, index) {
      const objective = kernel.objectiveAndGradient(params, replica, streams, grad, index);
      if (which === 'objective') return objective * (1 + 2 ** -52);
      const first = Object.keys(kernel.paramShapes)[0];
      grad[first][which] *= 1 + 2 ** -52;
      return objective;
    },
  };
}

describe('kernelPortProbe', () => {
  const dims = { dx: 5, dz: 3 };
  const { x: data } = generateLinearGaussianData({ n: 40, dx: dims.dx, dz: dims.dz, noiseStd: 0.5, seed: 3 });
  const opts = { dims, data, sigmaX: 0.8 };
  const port = new LinearVaeModel(opts);
  const js = new LinearVaeModel({ ...opts, kernelImplementation: 'js' });
  const rng = RandomStream.at('kernel-port-probe-test');
  const params = Object.fromEntries(Object.entries(port.paramShapes).map(([n, shape]) => [n, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.3 * rng.normal())]));
  const points: PortPoint[] = [{ params, setting: { schedule, batchSize: 4, samples: 2, beta: 1 }, where: 'a random point' }];
  const name = (i: number) => `coordinate ${i}`;

  it('passes the linear VAE kernel\'s port against its JavaScript kernel', () => {
    expect(port.kernelImplementation).toBe('wasm-simd');
    const r = kernelPortProbe(js, port, points, ['test'], name);
    expect(r.ok, r.detail).toBe(true);
    expect(r.detail).toContain('on 3 steps\' draws');
  });

  it('passes the deep VAE kernel\'s port against its JavaScript kernel', () => {
    const ddims = { dx: 6, hidden: 5, dz: 2 };
    const drng = RandomStream.at('kernel-port-probe-test-deep');
    const ddata = Float32Array.from({ length: 9 * ddims.dx }, () => drng.uniform());
    const dopts = { dims: ddims, data: ddata, decoderStd: 0.5 };
    const theta = Float32Array.from({ length: deepParamCount(ddims) }, () => 0.4 * drng.normal());
    const r = kernelPortProbe(new DeepVaeModel({ ...dopts, kernelImplementation: 'js' }), new DeepVaeModel(dopts), [{ params: { [PACKED_PARAM]: theta }, setting: { schedule, batchSize: 3, samples: 2, beta: 1 }, where: 'a random point' }], ['test'], name);
    expect(r.ok, r.detail).toBe(true);
  });

  it('fails, naming the coordinate and the point, when one gradient coordinate is one ulp off', () => {
    const r = kernelPortProbe(js, nudged(port, 2), points, ['test'], name);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^coordinate 2 .* \(WebAssembly\) ≠ .* \(JavaScript\) at a random point, draw 0$/);
  });

  it('fails when the port draws every step from where the first step started (its streams\' state not carried), and when it leaves the streams elsewhere', () => {
    const frozen: ReplicaKernel = {
      name: port.name,
      dataSize: port.dataSize,
      paramShapes: port.paramShapes,
      initialParams: (r, st) => port.initialParams(r, st),
      // Fresh streams from the replica's seed on every call: each step the first step's rows and noise.
      objectiveAndGradient: (p, replica, _streams, grad) => port.objectiveAndGradient(p, replica, replicaStreams(replica.seed), grad),
    };
    const r = kernelPortProbe(js, frozen, points, ['test'], name);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/draw 1$/);
    let calls = 0;
    const extra: ReplicaKernel = {
      name: port.name,
      dataSize: port.dataSize,
      paramShapes: port.paramShapes,
      initialParams: (r2, st) => port.initialParams(r2, st),
      objectiveAndGradient(p, replica, streams, grad) {
        const o = port.objectiveAndGradient(p, replica, streams, grad);
        if (++calls === 3) streams.noise.normal(); // one normal more than the kernel uses, on the last step (PORT_STEPS = 3)
        return o;
      },
    };
    const r2 = kernelPortProbe(js, extra, points, ['test'], name);
    expect(r2.ok).toBe(false);
    expect(r2.detail).toMatch(/leaves the replica's streams in another state/);
  });

  it('fails when the objective is one ulp off', () => {
    const r = kernelPortProbe(js, nudged(port, 'objective'), points, ['test'], name);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^objective /);
  });
});
