/**
 * The pieces iwae-snr rests on: the kernel's DReG encoder gradient (its
 * falsifier's engine) against TF.js autodiff of the DReG surrogate and
 * against the float64 reference's DReG on identical draws; the float64 DReG
 * having the IWAE gradient's mean (the control variate's premise) and a
 * variance that falls faster with K; the common-random-numbers identity
 * the B levels rest on (one seed: a B-batch is the average of B consecutive
 * single-point draws); and the measurement point's premises.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import type { ReplicaParams } from '../../src/engine/trainer.ts';
import { LinearIwaeModel } from '../../src/models/linear-vae/iwae-engine-model.ts';
import { iwaeDraw } from '../../src/models/linear-vae/iwae-oracle.ts';
import { zeroParams, type LinearVaeParams } from '../../src/models/linear-vae/params.ts';
import { DrawMoments, meanTest } from '../../src/stats/mean-test.ts';
import { snrPoint } from '../../src/claims/convergence/iwae-snr.check.ts';
import iwaeSnr from '../../src/claims/convergence/iwae-snr.ts';
import type { IwaeSnrConfig } from '../../src/claims/convergence/iwae-snr.check.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const quick = iwaeSnr.tiers.quick as IwaeSnrConfig;
const point = snrPoint(quick, 3, 'iwae-snr-test', 16);
const { dims, x32, p, params } = point;
const { dx, dz } = dims;
const sigmaX = quick.sigmaX;

function setting(B: number, K: number, seed: number): ReplicaSetting {
  return { label: `B=${B},K=${K}`, seed, schedule: { C: 1, alpha: 0 }, batchSize: B, samples: K, beta: 1 };
}

function gradBuffers(model: LinearIwaeModel): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(model.paramShapes).map(([nm, sh]) => [nm, new Float64Array(sh.reduce((a, b) => a * b, 1))]));
}

/** The rows and normals a kernel step with this setting reads, from twin streams (its documented order). */
function twinDraws(model: LinearIwaeModel, s: ReplicaSetting): { x: Float64Array; eps: Float64Array } {
  const twin = replicaStreams(s.seed);
  const { batchSize: B, samples: K } = s;
  const x = new Float64Array(B * dx);
  const eps = new Float64Array(B * K * dz);
  for (let i = 0; i < B; i++) {
    const row = twin.data.int(model.dataSize);
    x.set(model.data.subarray(row * dx, (row + 1) * dx), i * dx);
    for (let t = 0; t < K * dz; t++) eps[i * K * dz + t] = twin.noise.normal();
  }
  return { x, eps };
}

/**
 * TF.js autodiff of the DReG surrogate (Tucker et al. 2018) on given rows and
 * normals: (1/B) Σ_i Σ_k sg(ω̃_ik²) log w_ik, where z = μ(φ) + σ(φ) ε carries φ
 * and log q(z|x) is evaluated with q's parameters held constant (the stop
 * gradient of the "doubly reparameterised" estimator). Its φ-gradient is DReG's.
 */
function dregSurrogateGradient(pr: ReplicaParams, x: Float64Array, eps: Float64Array, B: number, K: number): Record<'V' | 'c' | 's', Float64Array> {
  const v = sigmaX * sigmaX;
  let out: Record<'V' | 'c' | 's', Float64Array> = { V: new Float64Array(0), c: new Float64Array(0), s: new Float64Array(0) };
  tf.tidy(() => {
    const V = tf.variable(tf.tensor2d(pr.V, [dz, dx]));
    const c = tf.variable(tf.tensor1d(pr.c));
    const s = tf.variable(tf.tensor1d(pr.s));
    const W = tf.tensor2d(pr.W, [dx, dz]);
    const b = tf.tensor1d(pr.b);
    const X = tf.tensor2d(Float32Array.from(x), [B, dx]);
    const E = tf.tensor3d(Float32Array.from(eps), [B, K, dz]);
    const logW = (mu: tf.Tensor2D, sv: tf.Tensor1D, mu0: tf.Tensor2D, s0: tf.Tensor1D) => {
      const z = mu.expandDims(1).add(sv.mul(0.5).exp().mul(E)); // [B, K, dz]
      const mean = tf.matMul(z.reshape([B * K, dz]), W, false, true).add(b).reshape([B, K, dx]);
      const logLik = X.expandDims(1).sub(mean).square().sum(-1).mul(-0.5 / v);
      const logPrior = z.square().sum(-1).mul(-0.5);
      // log q(z|x) up to constants, with q's parameters (mu0, s0) as given.
      const logQ = z.sub(mu0.expandDims(1)).square().div(s0.exp()).sum(-1).mul(-0.5).sub(s0.sum().mul(0.5));
      return logLik.add(logPrior).sub(logQ) as tf.Tensor2D; // [B, K]
    };
    const mu0 = tf.matMul(X, V.transpose()).add(c) as tf.Tensor2D;
    const omega = tf.softmax(logW(mu0, s, mu0, s), -1);
    const w2 = tf.tensor2d(omega.dataSync(), [B, K]).square(); // a constant: the stop gradient
    const muConst = tf.tensor2d(mu0.dataSync(), [B, dz]);
    const sConst = tf.tensor1d(s.dataSync());
    const { grads } = tf.variableGrads(() => {
      const mu = tf.matMul(X, V.transpose()).add(c) as tf.Tensor2D;
      return logW(mu, s, muConst, sConst).mul(w2).sum().div(B) as tf.Scalar;
    }, [V, c, s]);
    out = {
      V: Float64Array.from(grads[V.name].dataSync()),
      c: Float64Array.from(grads[c.name].dataSync()),
      s: Float64Array.from(grads[s.name].dataSync()),
    };
    [V, c, s].forEach((t) => t.dispose());
  });
  return out;
}

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / scale);
  return d;
}

describe('the DReG encoder gradient (iwae-snr falsifier engine)', () => {
  const dreg = new LinearIwaeModel({ dims, data: x32, sigmaX, encoderGradient: 'dreg' });
  const iwae = new LinearIwaeModel({ dims, data: x32, sigmaX });

  it.each([
    [1, 1],
    [1, 8],
    [4, 16],
  ])('kernel = TF.js autodiff of the DReG surrogate = float64 reference on identical draws (B = %i, K = %i)', (B, K) => {
    const s = setting(B, K, 11 + B + K);
    const g = gradBuffers(dreg);
    dreg.objectiveAndGradient(params, s, replicaStreams(s.seed), g);
    const { x, eps } = twinDraws(dreg, s);
    const auto = dregSurrogateGradient(params, x, eps, B, K);
    const ref = iwaeDraw(p, { dims, sigmaX, x, n: B, K, eps, encoderGradient: 'dreg' }).grad;
    for (const nm of ['V', 'c', 's'] as const) {
      // float32 autodiff: 1e-4 of the scale; the float64 reference: rounding.
      expect(maxRelativeDiff(g[nm], auto[nm]), `kernel vs autodiff ∂${nm}`).toBeLessThan(1e-4);
      expect(maxRelativeDiff(g[nm], ref[nm]), `kernel vs reference ∂${nm}`).toBeLessThan(1e-10);
    }
    // The decoder gradient is the IWAE one.
    const gi = gradBuffers(iwae);
    iwae.objectiveAndGradient(params, s, replicaStreams(s.seed), gi);
    for (const nm of ['W', 'b'] as const) expect(maxRelativeDiff(g[nm], gi[nm])).toBe(0);
    // At K = 1 DReG is the sticking-the-landing gradient: ω = 1, no score term, so it differs from the IWAE one.
    if (K > 1) expect(maxRelativeDiff(g.c, gi.c)).toBeGreaterThan(1e-3);
  });

  it('the TF.js objective refuses a DReG model (autodiff would give the IWAE gradient)', () => {
    const inputs = dreg.drawStep([setting(1, 4, 3)], [replicaStreams(3)]);
    try {
      const vars = Object.fromEntries(Object.entries(dreg.paramShapes).map(([nm, sh]) => [nm, tf.tensor(params[nm], [1, ...sh])]));
      expect(() => dreg.objective(vars, inputs, [setting(1, 4, 3)])).toThrow(/kernel path only/);
      Object.values(vars).forEach((t) => t.dispose());
    } finally {
      dreg.disposeInputs(inputs);
    }
  });

  it('the float64 DReG has the IWAE encoder gradient\'s mean (the control variate is mean 0) and a smaller spread at K = 64', () => {
    const K = 64;
    const rng = RandomStream.at('iwae-snr-test', 'cv');
    const x = Float64Array.from(x32.subarray(0, dx));
    const eps = new Float64Array(K * dz);
    const r = zeroParams(dims);
    const d = zeroParams(dims);
    const moments = new DrawMoments(dz * dx + 2 * dz);
    const flat = (g: LinearVaeParams) => [...g.V, ...g.c, ...g.s];
    let varR = 0;
    let varD = 0;
    const M = 3000;
    const sumR = new Float64Array(dz * dx + 2 * dz);
    const sumD = new Float64Array(sumR.length);
    for (let m = 0; m < M; m++) {
      rng.fillNormal(eps);
      iwaeDraw(p, { dims, sigmaX, x, n: 1, K, eps }, r);
      iwaeDraw(p, { dims, sigmaX, x, n: 1, K, eps, encoderGradient: 'dreg' }, d);
      const fr = flat(r);
      const fd = flat(d);
      moments.add(fr.map((v, i) => v - fd[i]));
      fr.forEach((v, i) => {
        sumR[i] += v;
        sumD[i] += fd[i];
        varR += v * v;
        varD += fd[i] * fd[i];
      });
    }
    const t = meanTest(moments, new Float64Array(sumR.length), 1e-4);
    expect(t.ok, `max |t| ${t.maxAbsZ} > ${t.threshold}`).toBe(true);
    const tr = (q: number, sum: Float64Array) => q / M - sum.reduce((u, v) => u + (v / M) ** 2, 0);
    // DReG's variance is O(1/K³) against IWAE's O(1/K): at K = 64 it is far smaller.
    expect(tr(varD, sumD)).toBeLessThan(0.05 * tr(varR, sumR));
  });
});

describe('common random numbers across levels (one replica seed)', () => {
  it('a B = 4 engine gradient is the average of four consecutive B = 1 gradients from the same seed (one data point, copies)', () => {
    const model = new LinearIwaeModel({ dims, data: x32, sigmaX });
    const K = 8;
    const g4 = gradBuffers(model);
    model.objectiveAndGradient(params, setting(4, K, 21), replicaStreams(21), g4);
    const streams = replicaStreams(21);
    const g1 = gradBuffers(model);
    const avg = gradBuffers(model);
    for (let i = 0; i < 4; i++) {
      model.objectiveAndGradient(params, setting(1, K, 21), streams, g1);
      for (const nm of Object.keys(avg)) for (let t = 0; t < avg[nm].length; t++) avg[nm][t] += g1[nm][t] / 4;
    }
    for (const nm of Object.keys(avg)) expect(maxRelativeDiff(g4[nm], avg[nm]), nm).toBeLessThan(1e-12);
  });
});

describe('the measurement point', () => {
  it('bounded weights, q not the posterior, ∇_θ log p(x) ≠ 0, every row the same point', () => {
    expect(point.weightMargin).toBeGreaterThan(0);
    expect(Math.hypot(...point.gradLogP)).toBeGreaterThan(0.1);
    for (let r = 1; r < 16; r++) for (let i = 0; i < dx; i++) expect(x32[r * dx + i]).toBe(x32[i]);
    // A negative log-variance shift makes q narrower than the posterior somewhere: the margin turns negative.
    const narrow = snrPoint({ ...quick, encoder: { ...quick.encoder, logVarianceShift: -0.5 } }, 3, 'iwae-snr-test', 1);
    expect(narrow.weightMargin).toBeLessThan(0);
  });
});
