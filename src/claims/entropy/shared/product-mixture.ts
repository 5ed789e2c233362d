/**
 * Shared arms of the Bernoulli- and Poisson-mixture entropy claims.
 *  - runMixture: EM in float64 from random responsibilities; after every
 *    M-step (exact q along the run, then hard and random q) evaluate F, S, B
 *    and the exact gap decomposition. A perturbation of the M-step's means
 *    (falsifiers) moves the gap by exactly Σ_c q̄_c Σ_d (m_cd − m'_cd) η(m'_cd).
 *    `baseMeasure: 'included'` tests the corrected identity F = S + B;
 *    'ignored' tests the plain F = S (for the Poisson mixture: the negative
 *    control, predicted to fail by B).
 *  - familyConformance: the family's float64 formulas against direct sums
 *    over its pmf (the identity cannot see a consistently wrong base measure).
 *  - mixtureEngineArm: the M-step by the engine's gradient ascent
 *    (ProductMixtureMStepModel, natural parameters, kernel trainer, SGD),
 *    measured by entropy-engine-arm.ts against the float64 ELBO from a value
 *    histogram (anchored to the point-by-point ELBO).
 * Verdicts: entropy-mixture-verdict.ts.
 */
import { z } from 'zod';
import { openUnitInterval, positiveInt, positiveNumber, unitInterval } from '../../../config/hyperparameters.ts';
import { RandomStream } from '../../../engine/rng.ts';
import { withBaseMeasureCorrection, type EntropyDiagnosis } from '../../../entropy/formulas.ts';
import { averageResponsibilities } from '../../../models/mixtures/gmm.ts';
import { diagnose, EmptyComponentError, eStep, mStep, type CountData, type ProductFamily, type ProductMixtureParams } from '../../../models/mixtures/product-mixture.ts';
import { hardResponsibilities, randomResponsibilities } from '../../../models/mixtures/responsibilities.ts';
import { elboFromHistogram, valueHistogram, elbo } from '../../../models/mixtures/product-mixture.ts';
import { ProductMixtureMStepModel, type NaturalFamily } from '../../../models/mixtures/product-mixture-engine.ts';
import type { Params64 } from '../../../entropy/finite-difference.ts';
import { xlogx } from '../../../entropy/formulas.ts';
import type { IdentityEvaluation } from './common.ts';
import { engineArmOptionsSchema, runEngineArm, type ArmReplica, type EngineArmRun } from './engine-arm.ts';
import { responsibilityKinds } from './schema.ts';

/** No perturbation: the M-step's means as they are (the claim). */
const noPerturbation = z.object({ kind: z.literal('none') });
/** m' = factor·m + (1 − factor)·target (Bernoulli: shrink toward ½); stays a mean in [0, 1]. */
const shrinkPerturbation = z.object({
  kind: z.literal('shrink'),
  factor: unitInterval('shrink factor'),
  target: openUnitInterval('shrink target'),
});
/** m' = factor·m (Poisson rates). */
const scalePerturbation = z.object({ kind: z.literal('scale'), factor: positiveNumber('rate scale factor') });
const perturbationKinds = { error: 'allowed perturbation.kind: "none", "shrink" or "scale"' };

/** A perturbation of the M-step's means (falsifiers). */
export const meanPerturbationSchema = z.discriminatedUnion('kind', [noPerturbation, shrinkPerturbation, scalePerturbation], perturbationKinds);
/** The perturbations that keep Bernoulli means in [0, 1] (a scale > 1 would not). */
export const bernoulliPerturbationSchema = z.discriminatedUnion('kind', [noPerturbation, shrinkPerturbation], {
  error: 'allowed perturbation.kind for Bernoulli means: "none" or "shrink" (a scale could leave [0, 1])',
});

export type MeanPerturbation = z.infer<typeof meanPerturbationSchema>;

/** EM and the evaluation points of a product-mixture run (runMixture). */
export const mixtureRunOptionsSchema = z.object({
  /** Mixture components. */
  K: positiveInt('mixture components K'),
  /** EM stops when the log-likelihood gains less than emTolerance (nats/point) or after maxEmIterations. */
  maxEmIterations: positiveInt('EM iteration cap'),
  emTolerance: positiveNumber('EM tolerance'),
  /** Where the identity is evaluated: along EM (exact posteriors), at hard and at random q (a judged run needs at least one). */
  responsibilities: responsibilityKinds,
  perturbation: meanPerturbationSchema,
  /** 'included': the corrected identity F = S + B; 'ignored': the plain F = S (the Poisson negative control). */
  baseMeasure: z.enum(['included', 'ignored'], { error: 'allowed baseMeasure: "included" or "ignored"' }),
});

export type MixtureRunOptions = z.infer<typeof mixtureRunOptionsSchema>;

function perturb(p: ProductMixtureParams, pert: MeanPerturbation): ProductMixtureParams {
  if (pert.kind === 'none') return p;
  const means =
    pert.kind === 'shrink' ? p.means.map((m) => pert.factor * m + (1 - pert.factor) * pert.target) : p.means.map((m) => pert.factor * m);
  return { ...p, means };
}

/** Σ_c q̄_c Σ_d (m_cd − m'_cd) η(m'_cd): the falsifier's closed-form shift of R_x after an M-step. */
export function perturbationGap(family: ProductFamily, fitted: ProductMixtureParams, perturbed: ProductMixtureParams, q: Float64Array, N: number): number {
  const { K, D } = fitted;
  const qbar = averageResponsibilities(q, N, K);
  let g = 0;
  for (let c = 0; c < K; c++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      const diff = fitted.means[c * D + d] - perturbed.means[c * D + d];
      if (diff !== 0) s += diff * family.natural(perturbed.means[c * D + d]);
    }
    g += qbar[c] * s;
  }
  return g;
}

export interface MixtureRun {
  evals: IdentityEvaluation[];
  /** Diagnosis (plain, B included in its decomposition) at the unperturbed EM solution. */
  atConvergence: EntropyDiagnosis;
  logLik: number;
  iterations: number;
  emMonotone: boolean;
  /** EM restarts after a component collapsed (see MAX_EM_RESTARTS). */
  restarts: number;
  /** The posterior of the last E-step (EM's fixed point when EM converged) and whether EM converged before its cap. */
  q: Float64Array;
  /** The M-step of that posterior: the EM solution. */
  params: ProductMixtureParams;
  converged: boolean;
  /** log-lik − F at the EM solution: KL(q ‖ posterior) ≥ 0, ≈ 0 at a converged EM fixed point. */
  convergenceGap: number;
  /** Largest decrease of the log-likelihood between EM iterations (0 when monotone). */
  worstDecrease: number;
  /** The data EM ran on, and the diagnosis of the EM solution at ITS exact posterior (the E-step that gives logLik). */
  data: CountData;
  atExactPosterior: EntropyDiagnosis;
}

function onGrid(t: number): boolean {
  for (let g = 1; g <= t; g = Math.max(g + 1, Math.round(g * 1.5))) if (g === t) return true;
  return false;
}

/** EM restarts allowed when a component collapses (all its responsibilities underflow to 0 in float64). */
export const MAX_EM_RESTARTS = 10;

export function runMixture(family: ProductFamily, data: CountData, opts: MixtureRunOptions, rng: RandomStream): MixtureRun {
  const { K } = opts;
  let evals: IdentityEvaluation[] = [];
  const evaluate = (label: string, q: Float64Array) => {
    const fitted = mStep(q, data, K);
    const p = perturb(fitted, opts.perturbation);
    const plain = diagnose(family, p, q, data);
    const shift = perturbationGap(family, fitted, p, q, data.N);
    const diag = opts.baseMeasure === 'included' ? withBaseMeasureCorrection(plain) : plain;
    const closedFormGap = shift + (opts.baseMeasure === 'ignored' ? plain.decomposition.baseMeasure : 0);
    evals.push({ label, diag, closedFormGap });
  };
  let params: ProductMixtureParams;
  let q: Float64Array = new Float64Array(0);
  let iterations = 0;
  let emMonotone = true;
  let worstDecrease = 0;
  let converged = false;
  let restarts = 0;
  // EM from random responsibilities. A component whose posteriors all fall below
  // e^-745 is exactly empty in float64 (seen in 4 of 50 calibration seeds of the
  // Bernoulli mixture); that is not a stationary point of a K-component mixture,
  // so EM restarts from fresh responsibilities of the same stream.
  for (;;) {
    try {
      evals = [];
      params = mStep(randomResponsibilities(data.N, K, rng), data, K);
      let previous = -Infinity;
      for (let t = 1; t <= opts.maxEmIterations; t++) {
        const e = eStep(family, params, data);
        if (e.logLik < previous - EM_MONOTONE_TOLERANCE * Math.abs(previous)) {
          emMonotone = false;
          worstDecrease = Math.max(worstDecrease, previous - e.logLik);
        }
        q = e.q;
        params = mStep(q, data, K);
        iterations = t;
        converged = e.logLik - previous < opts.emTolerance;
        const last = converged || t === opts.maxEmIterations;
        // Evaluate on a geometric grid of iterations (1, 2, 3, 4, 6, 9, 13, ...) and at the last one.
        if (opts.responsibilities.includes('exact') && (onGrid(t) || last)) evaluate(`EM iteration ${t} (posterior q)`, q);
        if (last) break;
        previous = e.logLik;
      }
      break;
    } catch (err) {
      if (!(err instanceof EmptyComponentError)) throw err;
      if (restarts >= MAX_EM_RESTARTS) {
        // Every start emptied a component: the data carry fewer components than K (seen on users' data, never on ours).
        throw new RangeError(
          `EM emptied a mixture component in each of its ${restarts + 1} starts (K = ${K} components on N = ${data.N} rows; ${err.message}): ` +
            `the data support fewer components than K; use fewer (--set K=…) or more rows`,
        );
      }
      restarts++;
    }
  }
  if (opts.responsibilities.includes('hard')) evaluate('hard q (argmax of the converged posterior)', hardResponsibilities(q, data.N, K));
  if (opts.responsibilities.includes('random')) evaluate('random q (flat Dirichlet rows)', randomResponsibilities(data.N, K, rng));
  const exact = eStep(family, params, data);
  const { logLik } = exact;
  const atConvergence = diagnose(family, params, q, data);
  return {
    evals,
    atConvergence,
    logLik,
    iterations,
    emMonotone,
    restarts,
    q,
    params,
    converged,
    convergenceGap: logLik - atConvergence.elbo,
    worstDecrease,
    data,
    atExactPosterior: diagnose(family, params, exact.q, data),
  };
}

/** EM's log-likelihood may fall by float64 rounding only (and the 1e-10 responsibility floor's effect, far below). */
export const EM_MONOTONE_TOLERANCE = 1e-12;

/**
 * Known answers for a family's float64 formulas, at the means an EM run
 * produced: the pmf sums to 1 and has mean m; H(m) = −Σ_x p log p;
 * E_m[log h] = Σ_x p log h; η(m) = log p(1|m) − log p(0|m) − log h(1) + log h(0)
 * (exponential family). Sums run over x = 0..x_max with the tail below 1e-18.
 * The entropy-sum identity cannot see some formula bugs itself: F = S + B
 * holds for ANY base-measure function as long as F, S and B use the same one
 * (a wrong log x! cancels), so these checks pin the family to its definition.
 * Tolerance 1e-9 relative: float64 sums of ≤ 200 terms (≈ 1e-14), while a
 * dropped series term or a wrong constant is ≥ 1e-3.
 */
export function familyConformance(family: ProductFamily, means: ArrayLike<number>, maxMeans = 64): string[] {
  const failures: string[] = [];
  const seen = new Set<number>();
  const picked: number[] = [];
  for (let i = 0; i < means.length && picked.length < maxMeans; i++) {
    const m = means[i];
    if (!seen.has(m)) {
      seen.add(m);
      picked.push(m);
    }
  }
  for (const m of picked) {
    const xMax = family.name.startsWith('Bernoulli') ? 1 : Math.ceil(m + 12 * Math.sqrt(m) + 40);
    let total = 0;
    let mean = 0;
    let entropy = 0;
    let base = 0;
    for (let x = 0; x <= xMax; x++) {
      const p = Math.exp(family.logDensity(x, m));
      total += p;
      mean += x * p;
      entropy -= xlogx(p);
      if (p > 0) base += p * family.logBase(x);
    }
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    const fail = (what: string, got: number, want: number) =>
      failures.push(`${family.name} at mean ${m}: ${what} = ${got.toPrecision(12)}, by direct summation over the pmf ${want.toPrecision(12)}`);
    if (!close(total, 1)) fail('Σ_x p(x)', total, 1);
    if (!close(mean, m)) fail('Σ_x x p(x)', mean, m);
    if (!close(family.entropy(m), entropy)) fail('the entropy formula', family.entropy(m), entropy);
    if (!close(family.expectedLogBase(m), base)) fail('E[log h(x)]', family.expectedLogBase(m), base);
    const p0 = family.logDensity(0, m);
    const p1 = family.logDensity(1, m);
    if (Number.isFinite(p0) && Number.isFinite(p1)) {
      const eta = p1 - p0 - family.logBase(1) + family.logBase(0);
      if (!close(family.natural(m), eta)) fail('the natural parameter', family.natural(m), eta);
    }
  }
  return failures;
}

/** The engine arm of a product mixture: which columns it uses, how it runs. */
export const mixtureEngineOptionsSchema = engineArmOptionsSchema.extend({
  /**
   * Columns kept in the engine arm: those whose data mean m has min(m, 1 − m) ≥ minColumnMean
   * (0 keeps every column). Why: a Bernoulli column that is (almost) always 0 has its M-step at
   * p = 0, η = −∞, which gradient ascent approaches only like log t; leaving such columns out
   * changes nothing else (the identity holds column by column for any q).
   */
  minColumnMean: z
    .number({ error: 'minColumnMean must be a number' })
    .min(0, { error: 'allowed minColumnMean: 0 ≤ value ≤ ½ (min(m, 1 − m) of a column mean)' })
    .max(0.5, { error: 'allowed minColumnMean: 0 ≤ value ≤ ½ (min(m, 1 − m) of a column mean)' }),
});

export type MixtureEngineOptions = z.infer<typeof mixtureEngineOptionsSchema>;

export interface MixtureEngineArm {
  run: EngineArmRun;
  data: CountData;
  qs: Float64Array[];
  columns: number;
}

/** Engine parameters → the oracle's mean parameters (π = softmax a, m = A'(η)). */
export function mixtureFromEngine(natural: NaturalFamily, K: number, D: number, p: Params64): ProductMixtureParams {
  let max = -Infinity;
  for (let c = 0; c < K; c++) max = Math.max(max, p.logits[c]);
  let z = 0;
  for (let c = 0; c < K; c++) z += Math.exp(p.logits[c] - max);
  const pi = Float64Array.from({ length: K }, (_, c) => Math.exp(p.logits[c] - max) / z);
  const means = Float64Array.from(p.eta, (e) => (natural === 'bernoulli' ? 1 / (1 + Math.exp(-e)) : Math.exp(e)));
  return { K, D, pi, means };
}

/** The rescaling direction: the natural parameters themselves (d_a = log π, d_η = η). */
export function mixtureDirection(natural: NaturalFamily, K: number, D: number, p: Params64): Params64 {
  return { logits: Float64Array.from(mixtureFromEngine(natural, K, D, p).pi, Math.log), eta: p.eta.slice() };
}

function selectColumns(data: CountData, minMean: number): CountData {
  if (!(minMean > 0)) return data;
  const keep: number[] = [];
  for (let d = 0; d < data.D; d++) {
    let m = 0;
    for (let n = 0; n < data.N; n++) m += data.x[n * data.D + d] / data.N;
    if (Math.min(m, 1 - m) >= minMean) keep.push(d);
  }
  if (keep.length === 0) throw new RangeError(`mixture engine arm: no column has min(m, 1 − m) ≥ ${minMean}`);
  const x = new Float64Array(data.N * keep.length);
  for (let n = 0; n < data.N; n++) keep.forEach((d, j) => (x[n * keep.length + j] = data.x[n * data.D + d]));
  return { x, N: data.N, D: keep.length };
}

/**
 * Train the M-step by the engine for each responsibility matrix (one replica
 * each) and measure it (entropy-engine-arm.ts): the exact ELBO from the value
 * histogram, anchored to the point-by-point ELBO at the end point.
 */
export function mixtureEngineArm(
  natural: NaturalFamily,
  family: ProductFamily,
  full: CountData,
  K: number,
  qs: readonly { label: string; q: Float64Array; seed: number }[],
  opts: MixtureEngineOptions,
): MixtureEngineArm {
  const data = selectColumns(full, opts.minColumnMean);
  const replicas: ArmReplica[] = qs.map(({ label, q, seed }) => {
    const hist = valueHistogram(q, data, K);
    return {
      label,
      seed,
      exact: (p) => elboFromHistogram(family, mixtureFromEngine(natural, K, data.D, p), hist),
      anchor: (p) => elbo(family, mixtureFromEngine(natural, K, data.D, p), q, data),
      direction: (p) => mixtureDirection(natural, K, data.D, p),
    };
  });
  const model = new ProductMixtureMStepModel({ family: natural, K, data, responsibilities: qs.map((r) => r.q) });
  try {
    return { run: runEngineArm(model, replicas, opts), data, qs: qs.map((r) => r.q), columns: data.D };
  } finally {
    model.dispose();
  }
}

/**
 * The engine arm's end points as a configuration evaluates them (perturbed for a falsifier; plain or B-corrected
 * identity), with the evaluated parameters and the plain diagnosis (what the public diagnose() reports).
 */
export function mixtureEngineEvaluations(
  arm: MixtureEngineArm,
  natural: NaturalFamily,
  family: ProductFamily,
  K: number,
  perturbation: MeanPerturbation,
  baseMeasure: 'included' | 'ignored',
): (IdentityEvaluation & { params: ProductMixtureParams; plain: EntropyDiagnosis })[] {
  return arm.run.replicas.map((r, i) => {
    const p = perturb(mixtureFromEngine(natural, K, arm.data.D, r.final), perturbation);
    const plain = diagnose(family, p, arm.qs[i], arm.data);
    return { label: `engine, ${r.label}`, diag: baseMeasure === 'included' ? withBaseMeasureCorrection(plain) : plain, params: p, plain };
  });
}
