/**
 * Known-answer and conformance checks that the entropy identities cannot make
 * themselves:
 *   - familyConformance: the Bernoulli and Poisson families agree with direct
 *     sums over their pmfs; a family whose E[log x!] drops a series term (the
 *     corrected identity F = S + B would not notice: it cancels) is flagged;
 *   - the diagnosis's bookkeeping: a diagnosis whose S or gap is assembled
 *     wrongly counts as unexplained (error), not as a pass;
 *   - mStepAgreement: an engine end point above the float64 M-step is flagged;
 *   - the Gaussian VAE's engine conformance on its first two steps passes on
 *     the engine, and flags an engine whose objective drops a KL term and an
 *     Adam step without bias correction.
 * Deterministic given the seeds; tolerances as in the modules under test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { deriveSeed } from '../../src/engine/rng.ts';
import { ReplicaTrainer } from '../../src/engine/trainer.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import { tf } from '../../src/engine/backend.ts';
import { familyConformance } from '../../src/claims/entropy/shared/product-mixture.ts';
import { BERNOULLI } from '../../src/models/mixtures/bernoulli-mixture.ts';
import { POISSON } from '../../src/models/mixtures/poisson-mixture.ts';
import { logFactorial } from '../../src/entropy/formulas.ts';
import { decomposition, diagnosis } from '../../src/entropy/formulas.ts';
import { summariseIdentity } from '../../src/claims/entropy/shared/common.ts';
import { mStepAgreement, type EngineArmRun } from '../../src/claims/entropy/shared/engine-arm.ts';
import { loadDigits } from '../../src/data/mnist.ts';
import { GaussianVaeModel, type GaussianVaeInputs } from '../../src/models/gaussian-vae/engine-model.ts';
import { checkGaussianVaeConformance } from '../../src/claims/entropy/entropy-gaussian-vae.conformance.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('family formulas against direct sums', () => {
  it('Bernoulli and Poisson pass', () => {
    expect(familyConformance(BERNOULLI, [0, 0.02, 0.3, 0.97, 1])).toEqual([]);
    expect(familyConformance(POISSON, [0, 0.5, 3.7, 14.2])).toEqual([]);
  });

  it('a Poisson family with a series term missing from E[log x!] is flagged', () => {
    const broken = {
      ...POISSON,
      expectedLogBase: (l: number) => POISSON.expectedLogBase(l) + Math.exp(2 * Math.log(l) - l - logFactorial(2)) * logFactorial(2),
      entropy: (l: number) => POISSON.entropy(l) - Math.exp(2 * Math.log(l) - l - logFactorial(2)) * logFactorial(2),
    };
    const failures = familyConformance(broken, [3.7]);
    expect(failures.some((f) => f.includes('entropy formula'))).toBe(true);
    expect(failures.some((f) => f.includes('E[log h(x)]'))).toBe(true);
  });
});

describe('diagnosis bookkeeping', () => {
  it('an S assembled with the wrong sign is unexplained (error), even when the stored gap looks right', () => {
    const good = diagnosis({ encoderEntropy: 1, priorEntropy: 0.5, decoderEntropy: 2 }, -1.5, decomposition(0, 0));
    const bad = { ...good, entropySum: 1 + 0.5 - 2, gap: 0, relativeGap: 0, decompositionError: 0 };
    const crit = { tolerance: 1e-9, scale: 'absolute' as const, predictionTolerance: 1e-9 };
    expect(summariseIdentity([{ label: 'good', diag: good }], crit).verdict).toBe('pass');
    expect(summariseIdentity([{ label: 'bad', diag: bad }], crit).verdict).toBe('error');
  });
});

describe('engine end point vs the float64 M-step', () => {
  it('an end point above the M-step is flagged', () => {
    const run = { replicas: [{ label: 'r', exactObjective: -5 }, { label: 's', exactObjective: -5 }] } as unknown as EngineArmRun;
    expect(mStepAgreement(run, [-5 + 1e-13, -5 + 1e-12]).failures).toEqual([]);
    expect(mStepAgreement(run, [-5.001, -5]).failures.length).toBe(1);
  });
});

describe('Gaussian VAE engine conformance', () => {
  const digits = loadDigits({ perDigit: 3, pool: 7 }); // 30 images of 4×4
  const arch = { D: digits.dim, hidden: 8, latent: 3 };
  const replicas: ReplicaSetting[] = [0, 1].map((i) => ({ label: `r${i}`, seed: deriveSeed('gvae-conformance-test', i), schedule: { C: 0.01, alpha: 0.5 }, batchSize: 8, samples: 2, beta: 1 }));
  const fixed = [null, Math.log(0.5)];
  const learnRho = [true, true];
  const optimizer = { kind: 'adam' as const, beta1: 0.9, beta2: 0.99, epsilon: 1e-8 };

  function conformance(model: GaussianVaeModel, opt: typeof optimizer = optimizer) {
    const snapshots: Record<string, Float32Array>[][] = [];
    const trainer = new ReplicaTrainer(model, replicas, opt);
    try {
      trainer.train({ steps: 2, measureAt: () => true, onMeasure: (k, p) => (snapshots[k] = replicas.map((_, r) => Object.fromEntries(Object.entries(p.replica(r)).map(([n, v]) => [n, v.slice()])))) });
    } finally {
      trainer.dispose();
    }
    const out = checkGaussianVaeConformance({
      model,
      replicas,
      checked: [0, 1],
      arch,
      data: digits.x,
      fixedLogVariance: fixed,
      learnLatentScale: learnRho,
      optimizer,
      schedule: replicas[0].schedule,
      snapshots,
      tolerances: { objective: 1e-5, gradient: 1e-3, update: 1e-3 },
      seed: 3,
    });
    model.dispose();
    return out;
  }

  const make = () => new GaussianVaeModel({ arch, data: digits.x, fixedLogVariance: fixed, learnLatentScale: learnRho, initialLogVariance: Math.log(0.1) });

  it('the engine conforms', () => {
    const c = conformance(make());
    expect(c.failures).toEqual([]);
    expect(c.objectiveError).toBeLessThan(1e-6);
  });

  it('an objective without the KL’s ν² term is flagged', () => {
    class NoMeanKl extends GaussianVaeModel {
      override objective(params: Record<string, tf.Tensor>, inputs: GaussianVaeInputs): tf.Tensor1D {
        // The same ELBO plus ½ E‖ν‖² (i.e. the KL's ν² term dropped), computed through the model's own encoder.
        const base = super.objective(params, inputs);
        const p = params as Record<string, tf.Tensor3D>;
        const x = tf.gather(tf.tensor2d(digits.x, [digits.n, arch.D]), inputs.index) as unknown as tf.Tensor3D;
        const h = tf.matMul(x, p.We1).add(p.be1.expandDims(1)).tanh();
        const rho = p.rho.expandDims(1).mul(10);
        const nu = tf.matMul(h, p.Wmu).add(p.bmu.expandDims(1)).mul(rho.exp());
        return base.add(nu.square().sum(-1).mean(1).mul(0.5)) as tf.Tensor1D;
      }
    }
    const c = conformance(new NoMeanKl({ arch, data: digits.x, fixedLogVariance: fixed, learnLatentScale: learnRho, initialLogVariance: Math.log(0.1) }));
    expect(c.failures.some((f) => f.includes('another objective'))).toBe(true);
  });

  it('an update that is not the stated Adam step is flagged', () => {
    // Trained with β2 = 0.999 but judged as β2 = 0.99: the second step's size differs.
    const snapshotsModel = make();
    const c = conformance(snapshotsModel, { ...optimizer, beta2: 0.999 });
    expect(c.failures.some((f) => f.includes('update rule'))).toBe(true);
  });
});
