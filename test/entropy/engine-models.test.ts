/**
 * The engine models of the entropy claims' engine arms (the M-steps of the
 * Gaussian, Bernoulli and Poisson mixtures and of the sigmoid belief net as
 * engine models) against
 *   - TensorFlow.js autodiff of their own objective (the kernel's closed-form
 *     gradient is what the claims train with),
 *   - the float64 oracles: the kernel's objective is the oracle's ELBO at the
 *     mapped parameters, and the sufficient-statistics ELBOs used for
 *     difference quotients equal the point-by-point ELBO,
 * and the rescaling directions: ⟨d, ∇F⟩ = R_z + R_x of the oracle's exact
 * decomposition at arbitrary points (what the engine arm's bound rests on).
 * Tolerances: kernels and oracles are float64 (1e-10 relative); autodiff is
 * float32 over sums of ≤ 10³ terms of size O(10): 1e-4 relative to the
 * gradient's scale; central differences (h = 1e-5): 1e-6 relative.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { RandomStream, deriveSeed } from '../../src/engine/rng.ts';
import { replicaStreams, type ReplicaSetting } from '../../src/engine/replica.ts';
import type { BatchedModel } from '../../src/engine/trainer.ts';
import type { ReplicaKernel } from '../../src/engine/kernel-trainer.ts';
import { centralGradient, dot, maxAbs, toParams64, zerosLike, type Params64 } from '../../src/entropy/finite-difference.ts';
import { autodiffAt } from '../../src/claims/entropy/shared/engine-arm.ts';
import * as gmm from '../../src/models/mixtures/gmm.ts';
import { generateGmmData } from '../../src/models/mixtures/gmm-data.ts';
import { GmmMStepModel } from '../../src/models/mixtures/gmm-engine.ts';
import { gmmDirection, gmmFromEngine } from '../../src/claims/entropy/entropy-gmm.check.ts';
import * as mixture from '../../src/models/mixtures/product-mixture.ts';
import { BERNOULLI } from '../../src/models/mixtures/bernoulli-mixture.ts';
import { POISSON } from '../../src/models/mixtures/poisson-mixture.ts';
import { overdispersedCounts } from '../../src/models/mixtures/count-data.ts';
import { ProductMixtureMStepModel, type NaturalFamily } from '../../src/models/mixtures/product-mixture-engine.ts';
import { mixtureDirection, mixtureFromEngine } from '../../src/claims/entropy/shared/product-mixture.ts';
import { randomResponsibilities } from '../../src/models/mixtures/responsibilities.ts';
import * as sbn from '../../src/models/sbn/sbn.ts';
import { generateSbnData } from '../../src/models/sbn/data.ts';
import { SbnMStepModel } from '../../src/models/sbn/sbn-engine.ts';
import { sbnDirection, sbnFromEngine } from '../../src/claims/entropy/entropy-sbn.check.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

function settingsFor(labels: string[], N: number): ReplicaSetting[] {
  return labels.map((label, i) => ({ label, seed: deriveSeed('engine-models-test', i), schedule: { C: 0.1, alpha: 0 }, batchSize: N, samples: 1, beta: 1 }));
}

/** Random parameters of the model's shapes (float32-representable), scaled per parameter. */
function randomPoint(shapes: Record<string, number[]>, rng: RandomStream, scale: Record<string, number>, offset: Record<string, number> = {}): Params64 {
  return Object.fromEntries(
    Object.entries(shapes).map(([n, shape]) => [n, Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround((offset[n] ?? 0) + (scale[n] ?? 0.3) * rng.normal()))]),
  );
}

function kernelAt(model: ReplicaKernel, settings: ReplicaSetting[], p: Params64, r: number): { f: number; g: Params64 } {
  const view = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));
  const g = zerosLike(p);
  const f = model.objectiveAndGradient(view, settings[r], replicaStreams(settings[r].seed), g, r);
  return { f, g };
}

function expectClose(a: Params64, b: Params64, tol: number, what: string): void {
  const scale = Math.max(1e-12, maxAbs(b));
  for (const [name, v] of Object.entries(b)) for (let i = 0; i < v.length; i++) expect(Math.abs(a[name][i] - v[i]) / scale, `${what} ${name}[${i}]`).toBeLessThan(tol);
}

/** Kernel vs autodiff vs the float64 oracle, and the direction against the decomposition, at random points. */
function checkModel<T>(
  model: BatchedModel<T> & ReplicaKernel,
  settings: ReplicaSetting[],
  points: Params64[],
  oracle: (p: Params64, r: number) => { exact: number; pointwise: number; decomposition: number },
  exact: (p: Params64, r: number) => number,
  direction: (p: Params64) => Params64,
): void {
  const inputs = model.drawStep(settings, settings.map((s) => replicaStreams(s.seed)));
  const auto = autodiffAt(model, settings, points, inputs);
  model.disposeInputs(inputs);
  points.forEach((p, r) => {
    const { f, g } = kernelAt(model, settings, p, r);
    const o = oracle(p, r);
    expect(Math.abs(f - o.pointwise) / Math.max(1, Math.abs(f)), 'kernel objective = oracle ELBO').toBeLessThan(1e-10);
    expect(Math.abs(o.exact - o.pointwise) / Math.max(1, Math.abs(f)), 'sufficient-statistics ELBO = point-by-point ELBO').toBeLessThan(1e-10);
    expect(Math.abs(auto.objective[r] - f) / Math.max(1, Math.abs(f)), 'autodiff objective').toBeLessThan(1e-5);
    expectClose(auto.gradient[r], g, 1e-4, 'autodiff gradient');
    const fd = centralGradient((q) => exact(q, r), p);
    expectClose(g, fd, 1e-6, 'kernel gradient vs central differences');
    // The rescaling direction: ⟨d, ∇F⟩ is the decomposition's R_z + R_x (B excluded).
    expect(Math.abs(dot(direction(p), fd) - o.decomposition), 'R_z + R_x = ⟨d, ∇F⟩').toBeLessThan(1e-6 * Math.max(1, Math.abs(f)));
  });
}

describe('engine models of the entropy claims’ engine arms', () => {
  for (const kind of ['full', 'shared-isotropic'] as const) {
    it(`GMM M-step (${kind}): kernel = autodiff = oracle; ⟨d, ∇F⟩ = R_z + R_x`, () => {
      const data = generateGmmData({ N: 120, D: 3, K: 3, separation: 2, seed: 5 });
      const rng = RandomStream.at('engine-models-gmm', kind);
      const qs = [randomResponsibilities(data.N, 3, rng), randomResponsibilities(data.N, 3, rng)];
      const labels = ['a', 'b'];
      const model = new GmmMStepModel({ kind, K: 3, data: [data, data], responsibilities: qs, labels });
      const settings = settingsFor(labels, data.N);
      const points = labels.map(() => randomPoint(model.paramShapes, rng, { logits: 0.5, means: 1, precision: 0.3, logPrecision: 0.3 }));
      const stats = qs.map((q) => gmm.responsibilityStats(q, data, 3));
      const toOracle = (p: Params64) => gmmFromEngine(kind, 3, data.D, p);
      checkModel(
        model,
        settings,
        points,
        (p, r) => {
          const d = gmm.diagnose(toOracle(p), qs[r], data);
          return { exact: gmm.elboFromStats(toOracle(p), stats[r]), pointwise: d.elbo, decomposition: d.decomposition.total };
        },
        (p, r) => gmm.elboFromStats(toOracle(p), stats[r]),
        (p) => gmmDirection(kind, 3, data.D, p),
      );
      model.dispose();
    });
  }

  for (const natural of ['bernoulli', 'poisson'] as NaturalFamily[]) {
    it(`${natural} mixture M-step: kernel = autodiff = oracle; ⟨d, ∇F⟩ = R_z + R_x`, () => {
      const family = natural === 'bernoulli' ? BERNOULLI : POISSON;
      const counts = overdispersedCounts({ N: 150, D: 4, K: 2, rateMin: 1, rateMax: 6, dispersionShape: 3, seed: 2 });
      const data = natural === 'bernoulli' ? { ...counts, x: counts.x.map((v) => (v > 2 ? 1 : 0)) } : counts;
      const rng = RandomStream.at('engine-models-mixture', natural);
      const qs = [randomResponsibilities(data.N, 3, rng), randomResponsibilities(data.N, 3, rng)];
      const labels = ['a', 'b'];
      const model = new ProductMixtureMStepModel({ family: natural, K: 3, data, responsibilities: qs });
      const settings = settingsFor(labels, data.N);
      const points = labels.map(() => randomPoint(model.paramShapes, rng, { logits: 0.5, eta: 0.5 }, { eta: natural === 'poisson' ? 1 : 0 }));
      const hists = qs.map((q) => mixture.valueHistogram(q, data, 3));
      const toOracle = (p: Params64) => mixtureFromEngine(natural, 3, data.D, p);
      checkModel(
        model,
        settings,
        points,
        (p, r) => {
          const d = mixture.diagnose(family, toOracle(p), qs[r], data);
          return { exact: mixture.elboFromHistogram(family, toOracle(p), hists[r]), pointwise: d.elbo, decomposition: d.decomposition.prior + d.decomposition.decoder };
        },
        (p, r) => mixture.elboFromHistogram(family, toOracle(p), hists[r]),
        (p) => mixtureDirection(natural, 3, data.D, p),
      );
      model.dispose();
    });
  }

  it('SBN M-step: kernel = autodiff = oracle; ⟨d, ∇F⟩ = R_z + R_x', () => {
    const H = 3;
    const data = generateSbnData({ N: 120, D: 5, H, weightScale: 1, seed: 3 });
    const rng = RandomStream.at('engine-models-sbn');
    const qs = [randomResponsibilities(data.N, 1 << H, rng), randomResponsibilities(data.N, 1 << H, rng)];
    const labels = ['a', 'b'];
    const model = new SbnMStepModel({ H, data, responsibilities: qs });
    const settings = settingsFor(labels, data.N);
    const points = labels.map(() => randomPoint(model.paramShapes, rng, { logits: 0.7, W: 0.7, b: 0.5 }));
    const stats = qs.map((q) => sbn.stateStats(q, data, H));
    const entropies = qs.map((q) => sbn.encoderEntropy(q, data.N, H));
    const toOracle = (p: Params64) => sbnFromEngine(H, data.D, p);
    checkModel(
      model,
      settings,
      points,
      (p, r) => {
        const d = sbn.diagnose(toOracle(p), qs[r], data);
        return { exact: sbn.elboFromStats(toOracle(p), stats[r], data.N, entropies[r]), pointwise: d.elbo, decomposition: d.decomposition.total };
      },
      (p, r) => sbn.elboFromStats(toOracle(p), stats[r], data.N, entropies[r]),
      sbnDirection,
    );
    model.dispose();
  });

  it('SBN M-step kernel: objective and gradient are the plain loops\' bit for bit (η from a smaller state\'s, one exp for η > 0), any H', () => {
    // The plain loops: η summed over the state's bits in increasing h, softplus and sig each with its own exp.
    const softplus = (e: number) => (e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e)));
    const sig = (e: number) => 1 / (1 + Math.exp(-e));
    for (const H of [1, 2, 3, 5, 8]) {
      const data = generateSbnData({ N: 40, D: 6, H, weightScale: 1.5, seed: 10 + H });
      const rng = RandomStream.at('engine-models-sbn-plain', H);
      const S = 1 << H;
      const q = randomResponsibilities(data.N, S, rng);
      const model = new SbnMStepModel({ H, data, responsibilities: [q] });
      const [setting] = settingsFor(['a'], data.N);
      for (let trial = 0; trial < 4; trial++) {
        const scale = [0.3, 2, 8, 40][trial];
        const params = { logits: Float32Array.from({ length: H }, () => scale * rng.normal()), W: Float32Array.from({ length: data.D * H }, () => scale * rng.normal()), b: Float32Array.from({ length: data.D }, () => scale * rng.normal()) };
        const grad = { logits: new Float64Array(H), W: new Float64Array(data.D * H), b: new Float64Array(data.D) };
        const got = model.objectiveAndGradient(params, setting, replicaStreams(1), grad, 0);
        // w, t, q̄ as the model derives them (its own loop over points), the entropy term likewise.
        const w = new Float64Array(S);
        const t = new Float64Array(S * data.D);
        for (let n = 0; n < data.N; n++) {
          for (let z = 0; z < S; z++) {
            const v = q[n * S + z];
            if (v <= 0) continue;
            w[z] += v;
            for (let d = 0; d < data.D; d++) t[z * data.D + d] += v * data.x[n * data.D + d];
          }
        }
        const qbar = new Float64Array(H);
        for (let z = 0; z < S; z++) for (let h = 0; h < H; h++) if ((z >> h) & 1) qbar[h] += w[z] / data.N;
        const gW = new Float64Array(data.D * H);
        const gb = new Float64Array(data.D);
        const ga = new Float64Array(H);
        let ent = 0;
        for (let i = 0; i < q.length; i++) if (q[i] > 0) ent -= q[i] * Math.log(q[i]);
        let f = ent / data.N;
        for (let h = 0; h < H; h++) {
          f += -qbar[h] * softplus(-params.logits[h]) - (1 - qbar[h]) * softplus(params.logits[h]);
          ga[h] = qbar[h] - sig(params.logits[h]);
        }
        let dec = 0;
        for (let z = 0; z < S; z++) {
          for (let d = 0; d < data.D; d++) {
            let e = params.b[d];
            for (let h = 0; h < H; h++) if ((z >> h) & 1) e += params.W[d * H + h];
            dec += t[z * data.D + d] * e - w[z] * softplus(e);
            const r = t[z * data.D + d] - w[z] * sig(e);
            gb[d] += r / data.N;
            for (let h = 0; h < H; h++) if ((z >> h) & 1) gW[d * H + h] += r / data.N;
          }
        }
        const want = f + dec / data.N;
        expect(Object.is(got, want), `H = ${H}, scale ${scale}: ${got} vs ${want}`).toBe(true);
        expect(Array.from(grad.W)).toEqual(Array.from(gW));
        expect(Array.from(grad.b)).toEqual(Array.from(gb));
        expect(Array.from(grad.logits)).toEqual(Array.from(ga));
      }
      model.dispose();
    }
  });

  it('float32 parameter copies survive toParams64', () => {
    const p = toParams64({ a: Float32Array.of(0.1, -2) });
    expect(p.a[0]).toBe(Math.fround(0.1));
  });
});
