/**
 * The engine arm's harness (src/claims/entropy/shared/engine-arm.ts) and the shared
 * verdict logic (src/claims/entropy/shared/common.ts):
 *   - a clean engine arm (GMM M-step, kernel trainer) is certified stationary
 *     and passes; an end point perturbed like a falsifier fails;
 *   - an engine whose gradient is scaled in one block (same stationary point)
 *     is caught by the step checks, one whose gradient is offset (another
 *     stationary point) by the end-point check: `error`, not a pass or an
 *     inconclusive;
 *   - too few steps: `inconclusive` (the premise was not reached);
 *   - a gap the decomposition does not explain: `error`;
 *   - the rescaling directions of PPCA and the learned-variance linear VAE:
 *     ⟨d, ∇F⟩ = R_z + R_x at arbitrary points;
 *   - the gap recorded along training for the report (engineGapSeries)
 *     closes, and at the end point equals the directly measured F − S.
 * Everything is deterministic given the seeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import type { ReplicaSetting, ReplicaStreams } from '../../src/engine/replica.ts';
import type { ReplicaParams } from '../../src/engine/trainer.ts';
import { centralGradient, dot, type Params64 } from '../../src/entropy/finite-difference.ts';
import { engineGapSeries, judgeEngineArm, runEngineArm, ulp32, type ArmReplica, type EngineArmOptions } from '../../src/claims/entropy/shared/engine-arm.ts';
import { summariseIdentity } from '../../src/claims/entropy/shared/common.ts';
import { decomposition, diagnosis } from '../../src/entropy/formulas.ts';
import * as gmm from '../../src/models/mixtures/gmm.ts';
import { generateGmmData } from '../../src/models/mixtures/gmm-data.ts';
import { GmmMStepModel, type GmmMStepOptions } from '../../src/models/mixtures/gmm-engine.ts';
import { gmmDirection, gmmFromEngine } from '../../src/claims/entropy/entropy-gmm.check.ts';
import { randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';
import { generateLowRankData } from '../../src/models/ppca/data.ts';
import { dataStats, diagnoseExact, logLikelihood } from '../../src/models/ppca/oracle.ts';
import { ppcaDirection, ppcaFromEngine } from '../../src/claims/entropy/entropy-ppca.check.ts';
import { diagnoseLinearVae } from '../../src/models/linear-vae/learned-variance.ts';
import { dataMoments, expectedElbo } from '../../src/models/linear-vae/oracle.ts';
import { linearVaeDirection } from '../../src/claims/entropy/entropy-linear-vae.check.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const data = generateGmmData({ N: 200, D: 2, K: 2, separation: 3, seed: 7 });
const K = 2;
const q = randomResponsibilities(data.N, K, RandomStream.at('engine-arm-test', 'q'));
const stats = gmm.responsibilityStats(q, data, K);
const labels = ['only'];
const replicas: ArmReplica[] = [
  {
    label: 'only',
    seed: 11,
    exact: (p) => gmm.elboFromStats(gmmFromEngine('full', K, data.D, p), stats),
    anchor: (p) => gmm.elbo(gmmFromEngine('full', K, data.D, p), q, data),
    direction: (p) => gmmDirection('full', K, data.D, p),
  },
];
const options: EngineArmOptions = {
  steps: 1500,
  schedule: { C: 0.3, alpha: 0.1 },
  stepChecks: [1, 2],
  tolerances: { step: 1e-3, gradient: 1e-6, objective: 1e-9, stallFactor: 4 },
};
const modelOptions: GmmMStepOptions = { kind: 'full', K, data: [data], responsibilities: [q], labels };

/** A GMM M-step model whose kernel gradient is altered (a deliberate engine bug). */
class Broken extends GmmMStepModel {
  constructor(private readonly alter: (grad: Record<string, Float64Array>) => void) {
    super(modelOptions);
  }
  override objectiveAndGradient(params: ReplicaParams, replica: ReplicaSetting, streams: ReplicaStreams, grad: Record<string, Float64Array>, index: number): number {
    const f = super.objectiveAndGradient(params, replica, streams, grad, index);
    this.alter(grad);
    return f;
  }
}

function evaluations(finals: Params64[], perturb = 1) {
  return finals.map((p) => {
    const params = gmmFromEngine('full', K, data.D, p);
    params.covs = params.covs.map((v) => v * perturb);
    return { label: 'end point', diag: gmm.diagnose(params, q, data) };
  });
}

function run(model: GmmMStepModel, opts = options) {
  try {
    return runEngineArm(model, replicas, opts);
  } finally {
    model.dispose();
  }
}

describe('engine arm', () => {
  it('ulp32 is the float32 spacing', () => {
    expect(ulp32(1)).toBe(2 ** -23);
    expect(ulp32(1.5)).toBe(2 ** -23);
    expect(ulp32(-3)).toBe(2 ** -22);
    expect(ulp32(0)).toBe(2 ** -149);
  });

  it('central differences recover a known gradient', () => {
    const g = centralGradient((p) => p.a[0] ** 3 + 2 * p.a[0] * p.b[0], { a: Float64Array.of(1.5), b: Float64Array.of(-2) });
    expect(g.a[0]).toBeCloseTo(3 * 1.5 ** 2 - 4, 7);
    expect(g.b[0]).toBeCloseTo(3, 7);
  });

  it('a clean engine is certified stationary and passes; a perturbed end point fails', () => {
    const arm = run(new GmmMStepModel(modelOptions));
    const [r] = arm.replicas;
    expect(r.failures).toEqual([]);
    expect(r.certified).toBe(true);
    expect(r.stepError).toBeLessThan(1e-6);
    expect(judgeEngineArm(arm, evaluations([r.final])).verdict).toBe('pass');
    expect(judgeEngineArm(arm, evaluations([r.final], 1.2)).verdict).toBe('fail');
    // For the report: |F − S| = |⟨d, ∇F⟩| along training, log-spaced steps up to the end point, where it is the measured gap.
    const { engineGap } = engineGapSeries(arm);
    expect(engineGap.x[0]).toBe(1);
    expect(engineGap.x.at(-1)).toBe(options.steps);
    expect(engineGap.x.length).toBeGreaterThan(15);
    const gaps = engineGap.y.only;
    expect(gaps).toHaveLength(engineGap.x.length);
    const measured = Math.abs(evaluations([r.final])[0].diag.gap);
    expect(Math.abs(gaps.at(-1)! - measured)).toBeLessThan(1e-8 + 1e-3 * measured);
    expect(gaps.at(-1)!).toBeLessThan(1e-3 * Math.max(...gaps));
  });

  it('a gradient scaled in one block (same stationary point) is caught by the step checks: error', () => {
    const arm = run(new Broken((g) => g.logits.forEach((v, i) => (g.logits[i] = 1.05 * v))));
    const [r] = arm.replicas;
    expect(r.failures.some((f) => f.startsWith('step 1'))).toBe(true);
    expect(judgeEngineArm(arm, evaluations([r.final])).verdict).toBe('error');
  });

  it('a gradient with an offset (another stationary point) is caught at the end point: error', () => {
    // Zero at the start (no step-check signal), 1e-3 afterwards: the engine settles where its own gradient vanishes.
    let calls = 0;
    const arm = run(new Broken((g) => (calls++ > 4 ? (g.means[0] += 1e-3) : undefined)));
    const [r] = arm.replicas;
    expect(r.failures.some((f) => f.startsWith('end point'))).toBe(true);
    expect(judgeEngineArm(arm, evaluations([r.final])).verdict).toBe('error');
  });

  it('too few steps: inconclusive (the premise was not reached)', () => {
    const arm = run(new GmmMStepModel(modelOptions), { ...options, steps: 20 });
    expect(arm.replicas[0].certified).toBe(false);
    expect(judgeEngineArm(arm, evaluations(arm.replicas.map((r) => r.final))).verdict).toBe('inconclusive');
  });

  it('rescaling directions of PPCA and the linear VAE: ⟨d, ∇F⟩ = R_z + R_x', () => {
    const rng = RandomStream.at('engine-arm-test', 'directions');
    const low = generateLowRankData({ N: 150, D: 4, signal: [3, 1], noiseStd: 0.5, seed: 9 });
    const s = dataStats(low.x, low.N, low.D);
    const f32 = (n: number, scale: number, offset = 0) => Float64Array.from({ length: n }, () => Math.fround(offset + scale * rng.normal()));
    const pp: Params64 = { W: f32(8, 0.8), mu: f32(4, 0.3), logVar: f32(1, 0.2, -0.5) };
    const dp = diagnoseExact(ppcaFromEngine(pp, 4, 2), low.x, low.N);
    const gp = centralGradient((p) => logLikelihood(ppcaFromEngine(p, 4, 2), s), pp);
    expect(Math.abs(dot(ppcaDirection(pp), gp) - dp.decomposition.total)).toBeLessThan(1e-7);
    const lp: Params64 = { W: f32(8, 0.7), b: f32(4, 0.3), V: f32(8, 0.4), c: f32(2, 0.2), s: f32(2, 0.4), logVar: f32(1, 0.2, -0.5) };
    const m = dataMoments(low.x, low.N, low.D);
    const asParams = (p: Params64) => ({ W: p.W, b: p.b, V: p.V, c: p.c, s: p.s, variance: Math.exp(p.logVar[0]) });
    const dl = diagnoseLinearVae(asParams(lp), low.x, low.N, low.D);
    const gl = centralGradient((p) => expectedElbo(asParams(p), m, Math.exp(0.5 * p.logVar[0])), lp);
    expect(Math.abs(dot(linearVaeDirection(lp), gl) - dl.decomposition.total)).toBeLessThan(1e-7);
  });
});

describe('identity verdicts', () => {
  const point = (gap: number, predicted: number) => ({ label: 'p', diag: diagnosis({ encoderEntropy: 1, priorEntropy: 0.5, decoderEntropy: 2 }, -1.5 + gap, decomposition(predicted, 0)) });
  const crit = { tolerance: 1e-9, scale: 'absolute' as const, predictionTolerance: 1e-9 };

  it('an explained gap within tolerance passes, beyond it fails', () => {
    expect(summariseIdentity([point(0, 0)], crit).verdict).toBe('pass');
    expect(summariseIdentity([point(0.3, 0.3)], crit).verdict).toBe('fail');
  });

  it('an unexplained gap is an error naming the point and the amount', () => {
    const s = summariseIdentity([point(0, 0), point(0.7, 0.2)], crit);
    expect(s.verdict).toBe('error');
    expect(s.notes.join(' ')).toMatch(/unexplained 5\.000e-1 nats\/point/);
  });
});
