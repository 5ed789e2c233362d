/**
 * Gaussian VAE (VAE-1): the float64 evaluator and the engine's float32 Monte
 * Carlo objective agree on the same data and noise; the decomposition
 * F − S = (D/2)(1 − s/σ²) − ½Σ(m_h − 1) explains the gap; the latent scales ρ
 * are a pure reparameterisation along the rescaling direction
 * (reconstruction unchanged, ∂F/∂ρ_h = −(m_h − 1)); training leaks no tensors.
 * Tolerances: float32 forward pass through two tanh MLPs, values O(10–100):
 * 1e-3 relative. Finite differences (h = 1e-5) of the float64 evaluator:
 * rounding ≈ 1e-14/1e-5 = 1e-9, truncation h²·O(1); allowed 1e-6.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { replicaStreams } from '../../src/engine/replica.ts';
import { RandomStream, deriveSeed } from '../../src/engine/rng.ts';
import { ReplicaTrainer } from '../../src/engine/trainer.ts';
import { loadDigits } from '../../src/data/mnist.ts';
import { GaussianVaeModel } from '../../src/models/gaussian-vae/engine-model.ts';
import { diagnoseGaussianVae } from '../../src/models/gaussian-vae/evaluate.ts';
import { GAUSSIAN_VAE_PARAM_NAMES, gaussianVaeShapes, LATENT_SCALE_SCALE, LOG_VARIANCE_SCALE, type GaussianVaeParams } from '../../src/models/gaussian-vae/params.ts';
import { diagnose } from '../../src/entropy/diagnose.ts';

const digits = loadDigits({ perDigit: 2, pool: 7 }); // 20 images of 4×4
const arch = { D: digits.dim, hidden: 8, latent: 3 };
const K = 3;
const eps = new Float64Array(digits.n * K * arch.latent);
RandomStream.at('gvae-test-eps').fillNormal(eps);
const set = { x: digits.x, N: digits.n, eps, K };

beforeAll(async () => {
  await useBackend('wasm');
});

function params(model: GaussianVaeModel, label: string): GaussianVaeParams {
  const replica = { label, seed: deriveSeed('gvae-test', label), schedule: { C: 1, alpha: 0 }, batchSize: 1, samples: 1, beta: 1 };
  const p = model.initialParams(replica, replicaStreams(replica.seed)) as GaussianVaeParams;
  const rng = RandomStream.at('gvae-test-rho', label);
  for (let h = 0; h < arch.latent; h++) p.rho[h] = Math.fround((0.3 * rng.normal()) / LATENT_SCALE_SCALE);
  p.logVar[0] = Math.fround(-1.5 / LOG_VARIANCE_SCALE);
  return p;
}

describe('Gaussian VAE', () => {
  it('the float64 evaluator matches the engine objective on the same data and noise; the decomposition explains F − S', () => {
    const model = new GaussianVaeModel({ arch, data: digits.x, fixedLogVariance: [null], learnLatentScale: [true] });
    const p = params(model, 'a');
    const shapes = gaussianVaeShapes(arch);
    const before = tf.memory().numTensors;
    const engine = tf.tidy(() => {
      const tensors = Object.fromEntries(GAUSSIAN_VAE_PARAM_NAMES.map((k) => [k, tf.tensor(Float32Array.from(p[k]), [1, ...shapes[k]])]));
      const inputs = {
        index: tf.tensor2d(Int32Array.from({ length: digits.n }, (_, i) => i), [1, digits.n], 'int32'),
        eps: tf.tensor4d(Float32Array.from(eps), [1, digits.n, K, arch.latent]),
      };
      return model.objective(tensors, inputs).dataSync()[0];
    });
    expect(tf.memory().numTensors).toBe(before);
    const d = diagnoseGaussianVae(p, arch, set);
    expect(Math.abs(engine - d.elbo)).toBeLessThan(1e-3 * Math.max(1, Math.abs(d.elbo)));
    expect(d.decompositionError).toBeLessThan(1e-10);
    expect(Math.abs(d.gap)).toBeGreaterThan(1e-2);
    model.dispose();
  });

  it('latent scales ρ move along the rescaling direction only: ∂F/∂ρ_h = −(m_h − 1), decoder entropy and s unchanged', () => {
    const model = new GaussianVaeModel({ arch, data: digits.x, fixedLogVariance: [null], learnLatentScale: [true] });
    const p = params(model, 'b');
    const base = diagnoseGaussianVae(p, arch, set);
    const h = 1e-5;
    for (let j = 0; j < arch.latent; j++) {
      const shifted = (e: number) => {
        const q = { ...p, rho: Float64Array.from(p.rho) } as GaussianVaeParams;
        q.rho[j] += e / LATENT_SCALE_SCALE;
        return diagnoseGaussianVae(q, arch, set);
      };
      const up = shifted(h);
      const dn = shifted(-h);
      expect(Math.abs(up.meanSquaredError - base.meanSquaredError)).toBeLessThan(1e-12);
      expect(Math.abs((up.elbo - dn.elbo) / (2 * h) + (base.secondMoments[j] - 1))).toBeLessThan(1e-6);
    }
    model.dispose();
  });

  it('the entropy diagnostic returns the same diagnosis for the trained model', () => {
    const model = new GaussianVaeModel({ arch, data: digits.x, fixedLogVariance: [null], learnLatentScale: [true] });
    const p = params(model, 'c');
    const d = diagnose({ kind: 'gaussian-vae', params: p, arch, samples: 2 }, { x: digits.x, N: digits.n, D: digits.dim });
    expect(d.decompositionError).toBeLessThan(1e-10);
    expect(d.entropySum).toBeCloseTo(d.encoderEntropy - d.priorEntropy - d.decoderEntropy, 12);
    model.dispose();
  });

  it('trains VAE-1 and VAE-0 replicas in one batch without leaking tensors; VAE-0 keeps σ² = 1', () => {
    const before = tf.memory().numTensors;
    const model = new GaussianVaeModel({ arch, data: digits.x, fixedLogVariance: [null, 0], learnLatentScale: [true, true] });
    const replicas = [0, 1].map((i) => ({ label: `r${i}`, seed: deriveSeed('gvae-train', i), schedule: { C: 1e-2, alpha: 0.5 }, batchSize: 5, samples: 2, beta: 1 }));
    const trainer = new ReplicaTrainer(model, replicas, { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    trainer.train({ steps: 3 });
    const mid = tf.memory().numTensors;
    trainer.train({ steps: 3 });
    expect(tf.memory().numTensors).toBe(mid);
    const p = trainer.readParams();
    const d0 = diagnoseGaussianVae(p.replica(1) as unknown as GaussianVaeParams, arch, set, { fixedLogVariance: 0 });
    expect(d0.variance).toBe(1);
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
