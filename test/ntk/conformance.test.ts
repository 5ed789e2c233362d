/**
 * The engine-conformance checks the NTK claims run on their own replicas
 * (src/claims/ntk/shared/training.ts, src/claims/ntk/shared/relu-kernel-mean.ts): they
 * accept the engine as it is and reject it with a deliberately broken
 * gradient, step or kernel (a factor 2 in one group, a dropped group), so a
 * claim reports `error` instead of judging a broken engine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { WideReluBatch } from '../../src/models/ntk/wide-relu.ts';
import { gradientAgreement, stepAgreement, type GdSetup } from '../../src/claims/ntk/shared/training.ts';
import { autodiffAgreement } from '../../src/claims/ntk/shared/relu-kernel-mean.ts';

const arch = { d: 8, width: 32, sigmaW: Math.SQRT2, sigmaB: 0.1 };
const n = 10;
const data = sphereInputs(n, arch.d, 12);
const replicas = [0, 1].map((k) => ({ label: `${k}`, seed: 40 + k, parameterisation: 'ntk' as const, antisymmetric: true }));
const setup = (ridge: GdSetup['ridge']): GdSetup => ({
  bed: { d: arch.d, n, sigmaW: arch.sigmaW, sigmaB: arch.sigmaB },
  widths: [32, 64, 128],
  seeds: 2,
  steps: 10,
  etaFactor: 1,
  parameterisation: 'ntk',
  ridge,
  targetScale: 1,
  exciteBottom: 0,
  testPoints: 4,
  antisymmetric: true,
  kernelMean: { blockUnits: 32, offDiagonalBins: 2, falseAlarm: 1e-4, maxShapeResolution: 0.02, maxScaleResolution: 0.1 },
});

describe('engine conformance checks', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('accept the engine and reject a loss gradient, a step or a kernel that is off', () => {
    const before = tf.memory().numTensors;
    const X = tf.tensor2d(Float32Array.from(data.x), [n, arch.d]);
    const Xt = X.transpose() as tf.Tensor2D;
    const y = tf.tensor2d(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), [n, 1]);
    const fresh = () => new WideReluBatch(arch, replicas);
    let batch = fresh();
    expect(gradientAgreement(batch, X, Xt, y).ok).toBe(true);
    expect(autodiffAgreement(batch, X).ok).toBe(true);
    batch.dispose();
    for (const ridge of [null, { lambdaPrime: 0.05, toward: 'init' as const }, { lambdaPrime: 0.05, toward: 'zero' as const }]) {
      batch = fresh();
      const ok = stepAgreement(batch, setup(ridge), 5, X, Xt, y);
      expect({ ridge, ok: ok.ok, worst: ok.worst < 1e-4 }).toEqual({ ridge, ok: true, worst: true });
      batch.dispose();
    }
    // A loss gradient with the readout weights' part doubled: both the gradient and the step checks object.
    batch = fresh();
    const original = batch.lossGradients.bind(batch);
    batch.lossGradients = (...args) => {
      const out = original(...args);
      const doubled = out.grads.a.mul(2);
      out.grads.a.dispose();
      out.grads.a = doubled;
      return out;
    };
    expect(gradientAgreement(batch, X, Xt, y).ok).toBe(false);
    expect(stepAgreement(batch, setup(null), 5, X, Xt, y).ok).toBe(false);
    batch.dispose();
    // A tangent kernel without its first layer.
    batch = fresh();
    const kernels = batch.tangentKernels.bind(batch);
    batch.tangentKernels = (...args) => {
      const k = kernels(...args);
      const total = k.total.sub(k.groups.W) as tf.Tensor3D;
      k.total.dispose();
      return { ...k, total };
    };
    const broken = autodiffAgreement(batch, X);
    expect(broken.ok).toBe(false);
    expect(broken.group).toBe('total');
    batch.dispose();
    tf.dispose([X, Xt, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
