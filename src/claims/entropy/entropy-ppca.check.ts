/**
 * entropy-ppca [LW22; W25]: probabilistic PCA with exact posteriors.
 *   S = −(D/2) log(2πe) − ½ log det C,   F − S = ½ (D − tr C⁻¹ S_μ) at ANY point.
 * Evaluated
 *   (1) float64 at the Tipping–Bishop ML solution and at every correctly
 *       built saddle (subsets of the top H+1 eigen-directions with every kept
 *       λ > σ², σ² = mean of the others): relative gap ≤ 1e-10;
 *   (2) as an engine arm (entropy-engine-arm.ts): TensorFlow.js autodiff of the
 *       exact log-likelihood (float32, full batch, γ_k = C k^{-α}, several
 *       seeds in one replica batch), its first steps, end-point gradient and
 *       objective against the float64 log-likelihood, |F − S| within the
 *       first-order bound of its measured gradient.
 * F is computed point by point from its definition with the exact posterior;
 * the predicted gap is the closed form (eigenvalues for eigen-built points,
 * Cholesky for trained ones) and the rescaling decomposition
 * (D/2)(1 − s/σ²) − ½ Σ_h (m_h − 1): a disagreement is `error`.
 * Falsifiers: σ² × 1.1 everywhere → ½ (D − tr C⁻¹ S_μ) ≠ 0; mis-built saddles
 * (a kept direction with λ < σ², its column clipped to 0) → ½ (1 − λ/σ²) per
 * such direction.
 * The public diagnose() (what users call) must give every quantity the claim
 * computes at the ML solution and at the engine's seed-0 end point (its
 * float32 parameters as downloaded): else `error` (shared/public-diagnose.ts).
 */
import { z } from 'zod';
import { positiveInt, positiveNumber, seedCount } from '../../config/hyperparameters.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { generateLowRankData } from '../../models/ppca/data.ts';
import {
  closedFormGap,
  dataStats,
  diagnoseExact,
  eigenSystem,
  logLikelihood,
  mlSolution,
  pointFromEigen,
  type DataStats,
  type EigenSystem,
  type StationaryPoint,
} from '../../models/ppca/oracle.ts';
import { PpcaEngineModel } from '../../models/ppca/engine-model.ts';
import type { PpcaParams } from '../../models/ppca/params.ts';
import type { Params64 } from '../../entropy/finite-difference.ts';
import { combine, prefixed, summariseIdentity, type IdentityEvaluation } from './shared/common.ts';
import { requirePublicDiagnose, type PublicDiagnosePoint } from './shared/public-diagnose.ts';
import { engineArmOptionsSchema, engineGapSeries, judgeEngineArm, runEngineArm, type ArmReplica, type EngineArmRun } from './shared/engine-arm.ts';
import { lowRankData } from './shared/schema.ts';
import { covarianceFileData, dataSource, fileRows, fromFile, ownData } from './shared/user-data.ts';
import type { AssumptionCheck, CheckResult, ClaimContext } from '../../contract/claim.ts';

export const ppcaEntropyConfigSchema = z
  .object({
    /** Synthetic low-rank data (src/models/ppca/data.ts), or the user's file (verify --data). */
    data: z.discriminatedUnion('source', [lowRankData.safeExtend(ownData), covarianceFileData], dataSource),
    /** Model latent dimension H < D (the ML σ² averages the D − H discarded eigenvalues). */
    H: positiveInt('latent dimension H'),
    /** Relative gap allowed at the float64 ML solution and saddles. */
    relativeTolerance: positiveNumber('relative gap tolerance'),
    /** The engine arm: seeds (replicas), full-batch SGD on the exact log-likelihood, its tolerances. */
    training: engineArmOptionsSchema.extend({ seeds: seedCount }),
    /** σ² multiplied by this at every evaluated point (1: the claim; 1.1: falsifier). */
    varianceScale: positiveNumber('σ² scale factor'),
    /** 'correct' saddles, or 'misbuilt' ones that keep a direction with λ < σ². */
    saddles: z.enum(['correct', 'misbuilt'], { error: 'allowed saddles: "correct" or "misbuilt"' }),
  })
  .superRefine((c, ctx) => {
    if (c.H >= c.data.D) ctx.addIssue({ code: 'custom', path: ['H'], message: `allowed latent dimension H: an integer 1 ≤ H < D = ${c.data.D} (σ²_ML averages the discarded eigenvalues)` });
  });

export type PpcaEntropyConfig = z.infer<typeof ppcaEntropyConfigSchema>;

interface Problem {
  x: Float64Array;
  stats: DataStats;
  eig: EigenSystem;
}

function makeProblem(claimId: string, config: PpcaEntropyConfig, ctx: ClaimContext): Problem {
  // The user's rows (verify --data), else the synthetic low-rank data.
  const d = fromFile(config.data) ? fileRows(claimId, config.data, ctx.data) : generateLowRankData({ ...config.data, seed: deriveSeed(ctx.masterSeed, claimId, 'data') });
  const stats = dataStats(d.x, d.N, d.D);
  return { x: d.x, stats, eig: eigenSystem(stats) };
}

/** Subsets of {0..n−1} of size ≤ H. */
function subsets(n: number, H: number): number[][] {
  const out: number[][] = [[]];
  for (let k = 0; k < n; k++) {
    const grown = out.filter((s) => s.length < H).map((s) => [...s, k]);
    out.push(...grown);
  }
  return out;
}

/** Correct saddles: every valid stationary point from the top H+1 directions except the ML one. */
export function correctSaddles(stats: DataStats, eig: EigenSystem, H: number): StationaryPoint[] {
  const ml = [...Array(H).keys()].join(',');
  return subsets(Math.min(H + 1, stats.D), H)
    .filter((kept) => kept.join(',') !== ml)
    .map((kept) => pointFromEigen(stats, eig, H, kept))
    .filter((p) => p.valid);
}

/** Mis-built saddles: the top H−1 directions plus one of the two smallest (λ < σ²). */
export function misbuiltSaddles(stats: DataStats, eig: EigenSystem, H: number): StationaryPoint[] {
  const top = [...Array(H - 1).keys()];
  return [stats.D - 1, stats.D - 2].map((k) => pointFromEigen(stats, eig, H, [...top, k]));
}

function scaleVariance(pt: StationaryPoint, stats: DataStats, eig: EigenSystem, H: number, factor: number): StationaryPoint {
  if (factor === 1) return pt;
  // Keep W, scale σ²: rebuild the closed-form prediction along eigen-directions.
  const params = { ...pt.params, variance: pt.params.variance * factor };
  const base = pointFromEigen(stats, eig, H, pt.kept, { variance: pt.params.variance, varianceScale: factor });
  return { ...pt, params, predictedGap: base.predictedGap };
}

function evaluatePoint(label: string, pt: StationaryPoint, problem: Problem): IdentityEvaluation {
  return { label, diag: diagnoseExact(pt.params, problem.x, problem.stats.N), closedFormGap: pt.predictedGap };
}

/** Engine parameters (W, μ, log σ²) → the oracle's PpcaParams. */
export function ppcaFromEngine(p: Params64, D: number, H: number, varianceScale = 1): PpcaParams {
  return { D, H, W: p.W.slice(), mu: p.mu.slice(), variance: Math.exp(p.logVar[0]) * varianceScale };
}

/**
 * The rescaling direction: with exact posteriors F − S = ½(D − tr C⁻¹S_μ) = d/dt ℓ(C/t) at t = 1,
 * and C/t = (W/√t)(W/√t)ᵀ + (σ²/t) I: d_W = −½ W, d_μ = 0, d_logσ² = −1.
 */
export function ppcaDirection(p: Params64): Params64 {
  return { W: p.W.map((w) => -0.5 * w), mu: new Float64Array(p.mu.length), logVar: Float64Array.of(-1) };
}

function trainingKey(c: PpcaEntropyConfig): string {
  return JSON.stringify([c.data, c.H, c.training]);
}

function train(claimId: string, config: PpcaEntropyConfig, problem: Problem, masterSeed: number, progress: (f: number) => void): EngineArmRun {
  const { stats } = problem;
  const { D } = stats;
  const { H } = config;
  const replicas: ArmReplica[] = Array.from({ length: config.training.seeds }, (_, s) => ({
    label: `seed ${s}`,
    seed: deriveSeed(masterSeed, claimId, 'seed', s),
    exact: (p) => logLikelihood(ppcaFromEngine(p, D, H), stats),
    // F point by point with the exact posterior: the same number as the log-likelihood.
    anchor: (p) => diagnoseExact(ppcaFromEngine(p, D, H), problem.x, stats.N).elbo,
    direction: ppcaDirection,
  }));
  const model = new PpcaEngineModel({ stats, H });
  try {
    return runEngineArm(model, replicas, config.training, progress);
  } finally {
    model.dispose();
  }
}

export async function checkPpcaEntropy(claimId: string, configs: readonly PpcaEntropyConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  const cache = new Map<string, EngineArmRun>();
  return configs.map((config, i) => {
    const problem = makeProblem(claimId, config, ctx);
    const key = trainingKey(config);
    if (!cache.has(key)) {
      cache.set(key, train(claimId, config, problem, ctx.masterSeed, (f) => ctx.progress((i + f) / configs.length)));
    }
    return evaluate(claimId, config, problem, cache.get(key)!);
  });
}

function evaluate(claimId: string, config: PpcaEntropyConfig, problem: Problem, run: EngineArmRun): CheckResult {
  const { stats, eig } = problem;
  const { H } = config;
  const f = config.varianceScale;
  const ml = mlSolution(stats, eig, H);
  const saddles = config.saddles === 'correct' ? correctSaddles(stats, eig, H) : misbuiltSaddles(stats, eig, H);
  const f64: IdentityEvaluation[] = [evaluatePoint('ML solution (top H eigen-directions)', scaleVariance(ml, stats, eig, H, f), problem)];
  for (const s of saddles) {
    const kind = config.saddles === 'correct' ? 'saddle' : 'mis-built saddle';
    f64.push(evaluatePoint(`${kind}, kept directions {${s.kept.join(', ')}}`, scaleVariance(s, stats, eig, H, f), problem));
  }
  const mlLogLik = logLikelihood(ml.params, stats);
  const trainedEvals: IdentityEvaluation[] = run.replicas.map((r) => {
    const params = ppcaFromEngine(r.final, stats.D, H, f);
    return { label: `engine-trained, ${r.label}`, diag: diagnoseExact(params, problem.x, stats.N), closedFormGap: closedFormGap(params, stats) };
  });
  const worstLogLikShortfall = run.replicas.reduce((m, r) => Math.max(m, mlLogLik - r.exactObjective), 0);
  const a = summariseIdentity(f64, { tolerance: config.relativeTolerance, scale: 'relative', predictionTolerance: 1e-9 });
  const b = judgeEngineArm(run, trainedEvals);
  const saddleCount = saddles.length;
  const data = { x: problem.x, N: stats.N, D: stats.D };
  // The ML solution and the engine's seed 0 (its float32 W, μ and σ² = e^{logVar} as float64 PpcaParams, σ² scaled as the claim scales it).
  const publicPoints: PublicDiagnosePoint[] = [
    { label: f64[0].label, model: { kind: 'ppca', params: scaleVariance(ml, stats, eig, H, f).params }, data, expected: f64[0].diag, by: "the PPCA oracle's diagnoseExact" },
    { label: trainedEvals[0].label, model: { kind: 'ppca', params: ppcaFromEngine(run.replicas[0].final, stats.D, H, f) }, data, expected: trainedEvals[0].diag, by: "the PPCA oracle's diagnoseExact" },
  ];
  return requirePublicDiagnose(claimId, {
    verdict: combine(a.verdict, b.verdict),
    metrics: {
      measuredGap: { value: a.worst.diag.gap },
      predictedGap: { value: a.worst.closedFormGap ?? a.worst.diag.decomposition.total },
      ...prefixed('f64', a.metrics),
      ...b.metrics,
      trainedLogLikShortfall: { value: worstLogLikShortfall, criterion: 'log-lik_ML − log-lik at the engine end points (a saddle or the ML solution: reported)' },
      saddles: { value: saddleCount },
    },
    series: engineGapSeries(run),
    notes: [...a.notes.map((n) => `float64: ${n}`), ...b.notes, `eigenvalues of S: ${Array.from(eig.values, (v) => v.toFixed(4)).join(', ')}`],
    assumptions: assumptionChecks(config, saddles, ml.params.variance),
  }, publicPoints);
}

function assumptionChecks(config: PpcaEntropyConfig, saddles: StationaryPoint[], mlVariance: number): AssumptionCheck[] {
  return [
    {
      id: 'stationary-parameters',
      met: config.varianceScale === 1 && saddles.every((s) => s.valid),
      detail:
        `σ² scale ${config.varianceScale}; ${saddles.length} ${config.saddles} saddle(s), ` +
        `${saddles.filter((s) => s.valid).length} with every kept λ > σ² (ML σ² = ${mlVariance.toFixed(5)})`,
    },
    { id: 'exact-posteriors', met: true, detail: 'q_n = N(M⁻¹Wᵀ(x − μ), σ² M⁻¹) for every evaluated point' },
    {
      id: 'engine-training',
      met: true,
      detail: `${config.training.seeds} seeds, full batch, SGD ascent, γ_k = ${config.training.schedule.C}·k^{-${config.training.schedule.alpha}}, ${config.training.steps} steps`,
    },
  ];
}
