/**
 * entropy-linear-vae [D23, linear VAE; LW22]: the linear Gaussian VAE with
 * learned σ² and a diagonal encoder, trained by the engine (float32, full
 * batch, closed-form expected ELBO, kernel trainer), reaches the PPCA ML
 * solution (σ² = σ²_ML, τ_h² = σ²_ML/λ_h, F = log-lik) and there F = S:
 *   |F − S| ≤ 1e-4 nats/point, F − S = (D/2)(1 − s̄/σ²) − ½ Σ_h (m_h − 1).
 * Training: phase 1 bias-corrected Adam (fast transient), phase 2 plain
 * gradient ascent with a decaying step from where Adam stopped (Adam's
 * O(γ) jitter alone would leave a gap ~1e-4 — first order in the parameter
 * error). Phase 2 runs as an engine arm (entropy-engine-arm.ts): its SGD steps
 * (on a fresh copy, where they are above float32 resolution), its end-point
 * gradient and objective against the convergence family's float64 ELBO, the
 * kernel against TensorFlow.js autodiff, and |F − S| within the first-order
 * bound of the measured gradient. Seeds and the falsifier (σ² fixed at 1)
 * train in one replica batch per phase. Evaluation is float64 (closed form)
 * at log-spaced checkpoints.
 * The public diagnose() (what users call) must give every quantity the claim
 * computes at each seed's end point, from the engine's float32 parameters as
 * downloaded (W, b, V, c, s, logVar; σ² fixed by fixedVariance for the
 * falsifier), and at seed 0's with σ² pinned through fixedVariance at its
 * learned e^{logVar} (the fixed-σ² path at σ² ≠ 1): else `error`
 * (shared/public-diagnose.ts). The points of every configuration trained in
 * one batch (the claim's and the falsifier's) count for each.
 */
import { z } from 'zod';
import { optimizer, positiveInt, positiveNumber, schedule, seedCount } from '../../config/hyperparameters.ts';
import { deriveSeed } from '../../engine/rng.ts';
import type { BatchedParams, ReplicaParams } from '../../engine/trainer.ts';
import { createTrainer } from '../../engine/create-trainer.ts';
import type { ReplicaSetting } from '../../engine/replica.ts';
import { logSpacedSteps } from '../../stats/grid.ts';
import { generateLowRankData } from '../../models/ppca/data.ts';
import { dataStats, eigenSystem, logLikelihood, mlSolution, type DataStats } from '../../models/ppca/oracle.ts';
import { dataMoments, expectedElbo, type DataMoments } from '../../models/linear-vae/oracle.ts';
import { LearnedVarianceLinearVae } from '../../models/linear-vae/learned-variance-engine.ts';
import { diagnoseLinearVae, type LearnedVarianceParams } from '../../models/linear-vae/learned-variance.ts';
import type { Params64 } from '../../entropy/finite-difference.ts';
import { combine, identityResult, type IdentityEvaluation } from './shared/common.ts';
import { publicDiagnoseAgreement, withPublicDiagnose, type PublicDiagnosePoint } from './shared/public-diagnose.ts';
import { armTolerancesSchema, judgeEngineArm, runEngineArm, stepChecksSchema, stepChecksWithin, subRun, type ArmReplica, type EngineArmRun } from './shared/engine-arm.ts';
import { fixedDecoderVariance, lowRankData } from './shared/schema.ts';
import { covarianceFileData, dataSource, fileRows, fromFile, ownData } from './shared/user-data.ts';
import type { CheckResult, ClaimContext } from '../../contract/claim.ts';
import type { EntropyDiagnosis } from '../../entropy/formulas.ts';
import { groupConfigs } from '../shared/config-groups.ts';

/** One phase of training: an optimiser and its schedule for some steps (the next phase warm-starts from it). */
const trainingPhaseSchema = z.object({ optimizer, schedule, steps: positiveInt('steps') });

export const linearVaeEntropyConfigSchema = z
  .object({
    /** Synthetic low-rank data (src/models/ppca/data.ts), or the user's file (verify --data). */
    data: z.discriminatedUnion('source', [lowRankData.safeExtend(ownData), covarianceFileData], dataSource),
    /** Latent dimension H < D (the PPCA ML σ² averages the D − H discarded eigenvalues). */
    H: positiveInt('latent dimension H'),
    seeds: seedCount,
    phases: z.array(trainingPhaseSchema, { error: 'phases must be a list' }).min(1, { error: 'allowed phases: at least one (the last is plain SGD)' }),
    /** null: σ² learned (the claim); a number: σ² fixed there (falsifier). */
    fixedVariance: fixedDecoderVariance,
    /** |F − S| allowed at the end, nats per point. */
    tolerance: positiveNumber('gap tolerance (nats/point)'),
    /** Agreement with the PPCA ML solution at the end. */
    ml: z.object({
      logLik: positiveNumber('log-likelihood shortfall tolerance'),
      variance: positiveNumber('σ² relative tolerance'),
      encoderVariance: positiveNumber('τ² relative tolerance'),
    }),
    checkpointsPerDecade: positiveInt('checkpoints per decade'),
    /**
     * The last phase (plain SGD) runs as an engine arm (entropy-engine-arm.ts): its first steps are
     * compared with γ_k ∇F of the float64 ELBO, the end point's engine gradient with the exact one, and
     * the identity is judged against the first-order bound the measured gradient allows.
     */
    arm: z.object({ stepChecks: stepChecksSchema, tolerances: armTolerancesSchema }),
  })
  .superRefine((c, ctx) => {
    if (c.H >= c.data.D) ctx.addIssue({ code: 'custom', path: ['H'], message: `allowed latent dimension H: an integer 1 ≤ H < D = ${c.data.D} (σ²_ML averages the discarded eigenvalues)` });
    const last = c.phases.length - 1;
    if (last < 0) return; // reported by phases.min(1)
    if (c.phases[last].optimizer.kind !== 'sgd') {
      ctx.addIssue({ code: 'custom', path: ['phases', last, 'optimizer', 'kind'], message: 'allowed optimizer.kind of the last phase: "sgd" (the engine arm checks its steps against γ_k ∇F)' });
    }
    stepChecksWithin(c.arm.stepChecks, c.phases[last].steps, ['arm', 'stepChecks'], ctx);
  });

export type LinearVaeEntropyConfig = z.infer<typeof linearVaeEntropyConfigSchema>;

function trainingKey(c: LinearVaeEntropyConfig): string {
  return JSON.stringify([c.data, c.H, c.seeds, c.phases, c.checkpointsPerDecade]);
}

interface Problem {
  x: Float64Array;
  N: number;
  D: number;
  moments: DataMoments;
  /** x̄ and the centred covariance, for diagnoseLinearVae (computed once, not per evaluation). */
  stats: DataStats;
  mlLogLik: number;
  mlVariance: number;
  /** σ²_ML / λ_h for the top H eigenvalues, increasing. */
  mlEncoderVariances: number[];
}

function makeProblem(claimId: string, c: LinearVaeEntropyConfig, ctx: ClaimContext): Problem {
  // The user's rows (verify --data; a copy, centred below), else the synthetic low-rank data.
  const d = fromFile(c.data) ? fileRows(claimId, c.data, ctx.data) : generateLowRankData({ ...c.data, seed: deriveSeed(ctx.masterSeed, claimId, 'data') });
  // Centred data: the offset only shifts b, and without it V couples to the mean (‖m‖² dominates E[x xᵀ]).
  const centre = dataStats(d.x, d.N, d.D).mean;
  for (let n = 0; n < d.N; n++) for (let i = 0; i < d.D; i++) d.x[n * d.D + i] -= centre[i];
  const stats = dataStats(d.x, d.N, d.D);
  const eig = eigenSystem(stats);
  const ml = mlSolution(stats, eig, c.H);
  return {
    x: d.x,
    N: d.N,
    D: d.D,
    moments: dataMoments(d.x, d.N, d.D),
    stats,
    mlLogLik: logLikelihood(ml.params, stats),
    mlVariance: ml.params.variance,
    mlEncoderVariances: Array.from(eig.values.slice(0, c.H), (l) => ml.params.variance / l).sort((a, b) => a - b),
  };
}

function toParams(p: ReplicaParams, fixedVariance: number | null): LearnedVarianceParams {
  return {
    W: Float64Array.from(p.W),
    b: Float64Array.from(p.b),
    V: Float64Array.from(p.V),
    c: Float64Array.from(p.c),
    s: Float64Array.from(p.s),
    variance: fixedVariance ?? Math.exp(p.logVar[0]),
  };
}

interface Trajectory {
  steps: number[];
  /** [config index][seed] → diagnoses at the checkpoints. */
  diags: EntropyDiagnosis[][][];
  final: LearnedVarianceParams[][];
  /** The last phase as an engine arm, and each member's replica indices in it. */
  arm: EngineArmRun;
  replicasOf: number[][];
  seconds: number;
}

/** Engine parameters → float64 model parameters (σ² pinned for a fixed-variance replica). */
function paramsOf(p: Params64, fixedVariance: number | null): LearnedVarianceParams {
  return { W: p.W, b: p.b, V: p.V, c: p.c, s: p.s, variance: fixedVariance ?? Math.exp(p.logVar[0]) };
}

/**
 * The rescaling direction in engine coordinates. Decoder: η = ((Wz + b)/σ², −1/(2σ²)) scaled by t is
 * σ² → σ²/t with the mean fixed: d_logσ² = −1, R_x = −∂F/∂logσ² = (D/2)(1 − s̄/σ²). Prior N(0, I) has
 * no parameters; its rescaling is the latent scale z_h → e^ρ z_h (V_h, c_h × e^ρ, s_h + 2ρ, W_·h × e^−ρ:
 * the decoder sees the same Wz), with ∂F/∂ρ_h = −(m_h − 1): R_z = ½ Σ_h ∂F/∂ρ_h, so
 * d = (W: −½W, V: ½V, c: ½c, s: 1, logσ²: −1, b: 0).
 */
export function linearVaeDirection(p: Params64): Params64 {
  return {
    W: p.W.map((w) => -0.5 * w),
    b: new Float64Array(p.b.length),
    V: p.V.map((v) => 0.5 * v),
    c: p.c.map((v) => 0.5 * v),
    s: new Float64Array(p.s.length).fill(1),
    logVar: Float64Array.of(-1),
  };
}

function train(claimId: string, group: { index: number; config: LinearVaeEntropyConfig }[], problem: Problem, ctx: ClaimContext, progress: (f: number) => void): Trajectory {
  const t0 = performance.now();
  const base = group[0].config;
  const replicas: ReplicaSetting[] = [];
  const fixed: (number | null)[] = [];
  const owner: { g: number; seed: number }[] = [];
  const replicasOf: number[][] = group.map(() => []);
  group.forEach(({ index, config }, g) => {
    for (let s = 0; s < config.seeds; s++) {
      replicasOf[g].push(replicas.length);
      replicas.push({ label: `config ${index}, seed ${s}`, seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s), schedule: base.phases[0].schedule, batchSize: problem.N, samples: 1, beta: 1 });
      fixed.push(config.fixedVariance === null ? null : Math.log(config.fixedVariance));
      owner.push({ g, seed: s });
    }
  });
  const total = base.phases.reduce((a, p) => a + p.steps, 0);
  const checkpoints = new Set(logSpacedSteps(1, total, base.checkpointsPerDecade));
  const diags: EntropyDiagnosis[][][] = group.map(({ config }) => Array.from({ length: config.seeds }, () => []));
  const steps: number[] = [];
  let offset = 0;
  const record = (k: number, params: BatchedParams) => {
    steps.push(offset + k);
    owner.forEach(({ g, seed }, r) => {
      diags[g][seed].push(diagnoseLinearVae(toParams(params.replica(r), group[g].config.fixedVariance), problem.x, problem.N, problem.D, problem.stats));
    });
  };
  let warm: Map<string, ReplicaParams> | undefined;
  const last = base.phases.length - 1;
  if (base.phases[last].optimizer.kind !== 'sgd') throw new RangeError(`entropy-linear-vae: the last phase must be plain SGD (the engine arm checks its steps against γ_k ∇F), got ${base.phases[last].optimizer.kind}`);
  // Every phase but the last: the engine's trainer as configured (Adam), warm-starting the next phase.
  for (const phase of base.phases.slice(0, last)) {
    const model = new LearnedVarianceLinearVae({ D: problem.D, H: base.H, data: problem.x, fixedLogVariance: fixed, warmStart: warm });
    const trainer = createTrainer(model, replicas.map((r) => ({ ...r, schedule: phase.schedule })), phase.optimizer);
    try {
      trainer.train({
        steps: phase.steps,
        measureAt: (k) => checkpoints.has(offset + k) && k > 0,
        onMeasure: record,
        progressEvery: Math.max(1, Math.floor(phase.steps / 20)),
        onProgress: (k) => progress((offset + k) / total),
      });
      const params = trainer.readParams();
      warm = new Map(replicas.map((r, i) => [r.label, Object.fromEntries(Object.entries(params.replica(i)).map(([k, v]) => [k, v.slice()]))]));
    } finally {
      trainer.dispose();
      model.dispose();
    }
    offset += phase.steps;
  }
  // The last phase: plain SGD as an engine arm.
  const phase = base.phases[last];
  const armReplicas: ArmReplica[] = replicas.map((r, i) => {
    const fixedVariance = fixed[i] === null ? null : Math.exp(fixed[i] as number);
    return {
      label: r.label,
      seed: r.seed,
      // The convergence family's closed-form ELBO (uncentred moments): independent of this model's kernel.
      exact: (p) => {
        const q = paramsOf(p, fixedVariance);
        return expectedElbo(q, problem.moments, Math.sqrt(q.variance));
      },
      anchor: (p) => diagnoseLinearVae(paramsOf(p, fixedVariance), problem.x, problem.N, problem.D, problem.stats).elbo,
      direction: linearVaeDirection,
    };
  });
  const model = new LearnedVarianceLinearVae({ D: problem.D, H: base.H, data: problem.x, fixedLogVariance: fixed, warmStart: warm });
  // The warm start is near the optimum, where SGD's float32 steps are below the parameters' resolution: the step
  // checks run on a fresh (randomly initialised) copy, where the gradient is O(1).
  const probe = new LearnedVarianceLinearVae({ D: problem.D, H: base.H, data: problem.x, fixedLogVariance: fixed });
  let arm: EngineArmRun;
  try {
    arm = runEngineArm(
      model,
      armReplicas,
      { steps: phase.steps, schedule: phase.schedule, stepChecks: base.arm.stepChecks, tolerances: base.arm.tolerances },
      (f) => progress((offset + f * phase.steps) / total),
      { at: (k) => checkpoints.has(offset + k) && k > 0, see: record },
      probe,
    );
  } finally {
    model.dispose();
    probe.dispose();
  }
  const final = group.map((_, g) => replicasOf[g].map((r) => paramsOf(arm.replicas[r].final, fixed[r] === null ? null : Math.exp(fixed[r] as number))));
  return { steps: [...new Set(steps)], diags, final, arm, replicasOf, seconds: (performance.now() - t0) / 1000 };
}

export async function checkLinearVaeEntropy(claimId: string, configs: readonly LinearVaeEntropyConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(configs.length);
  let done = 0;
  for (const group of groupConfigs(configs, trainingKey)) {
    const problem = makeProblem(claimId, group[0].config, ctx);
    const traj = train(claimId, group, problem, ctx, (f) => ctx.progress((done + f * group.length) / configs.length));
    const evaluated = group.map(({ config }, g) => evaluate(config, problem, traj, g));
    const agreement = publicDiagnoseAgreement(claimId, evaluated.flatMap((e) => e.publicPoints));
    group.forEach(({ index }, g) => (results[index] = withPublicDiagnose(evaluated[g].result, agreement)));
    done += group.length;
  }
  return results;
}

function evaluate(config: LinearVaeEntropyConfig, problem: Problem, traj: Trajectory, g: number): { result: CheckResult; publicPoints: PublicDiagnosePoint[] } {
  const perSeed = traj.diags[g];
  const params = traj.final[g];
  const finals = params.map((p) => diagnoseLinearVae(p, problem.x, problem.N, problem.D, problem.stats));
  const evals: IdentityEvaluation[] = finals.map((diag, s) => ({ label: `seed ${s}, step ${traj.steps[traj.steps.length - 1]}`, diag }));
  const engine = judgeEngineArm(subRun(traj.arm, traj.replicasOf[g]), evals);
  const varianceError = Math.max(...params.map((p) => Math.abs(p.variance / problem.mlVariance - 1)));
  const logLikShortfall = Math.max(...finals.map((d) => problem.mlLogLik - d.elbo));
  const encoderError = Math.max(
    ...params.map((p) => {
      const tau2 = Array.from(p.s, Math.exp).sort((a, b) => a - b);
      return Math.max(...tau2.map((t, h) => Math.abs(t / problem.mlEncoderVariances[h] - 1)));
    }),
  );
  // The statement "the optimum is the PPCA ML solution", judged at the engine's end point.
  const mlVerdict =
    Math.abs(logLikShortfall) <= config.ml.logLik && varianceError <= config.ml.variance && encoderError <= config.ml.encoderVariance ? 'pass' : 'fail';
  const mean = (k: number, f: (d: EntropyDiagnosis) => number) => perSeed.reduce((a, d) => a + f(d[k]), 0) / perSeed.length;
  const result = identityResult(evals, { tolerance: config.tolerance, scale: 'absolute', predictionTolerance: 1e-9 }, {
    metrics: {
      logLikShortfall: { value: logLikShortfall, criterion: `|log-lik_ML − F| ≤ ${config.ml.logLik} (the optimum is the PPCA ML solution)` },
      varianceRelativeError: { value: varianceError, criterion: `|σ²/σ²_ML − 1| ≤ ${config.ml.variance}` },
      encoderVarianceRelativeError: { value: encoderError, criterion: `max_h |τ_h²/(σ²_ML/λ_h) − 1| ≤ ${config.ml.encoderVariance}` },
      mlVariance: { value: problem.mlVariance },
      trainingSeconds: { value: traj.seconds },
      ...engine.metrics,
    },
    series: {
      gap: {
        x: traj.steps,
        y: { '|F − S| (seed mean)': traj.steps.map((_, k) => mean(k, (d) => Math.abs(d.gap))) },
        xLabel: 'training step',
        yLabel: '|F − S| (nats/point)',
        logX: true,
        logY: true,
      },
      elbo: {
        x: traj.steps,
        y: { 'ELBO F': traj.steps.map((_, k) => mean(k, (d) => d.elbo)), 'entropy sum S': traj.steps.map((_, k) => mean(k, (d) => d.entropySum)) },
        xLabel: 'training step',
        yLabel: 'nats/point (seed mean)',
        logX: true,
      },
    },
    notes: [
      `PPCA ML: log-lik ${problem.mlLogLik.toFixed(6)}, σ² ${problem.mlVariance.toFixed(6)}, σ²/λ_h ${problem.mlEncoderVariances.map((v) => v.toFixed(5)).join(', ')}`,
      `phases: ${config.phases.map((p) => `${p.optimizer.kind} γ_k = ${p.schedule.C}·k^{-${p.schedule.alpha}} × ${p.steps}`).join(' then ')}`,
      ...engine.notes,
    ],
    assumptions: [
      { id: 'learned-variance', met: config.fixedVariance === null, detail: config.fixedVariance === null ? 'σ² learned' : `σ² fixed at ${config.fixedVariance}` },
      { id: 'stationary-point', met: Math.abs(logLikShortfall) <= config.ml.logLik, detail: `log-lik_ML − F = ${logLikShortfall.toExponential(2)}` },
    ],
  });
  result.verdict = combine(result.verdict, mlVerdict, engine.verdict);
  // Each seed's end point as a user downloads it from the engine: float32 arrays, σ² as e^{logVar} (or fixed).
  const data = { x: problem.x, N: problem.N, D: problem.D };
  const publicPoints: PublicDiagnosePoint[] = traj.replicasOf[g].map((r, s) => {
    const p = traj.arm.replicas[r].final;
    const f32 = (v: Float64Array) => Float32Array.from(v);
    return {
      label: `config ${config.fixedVariance === null ? 'σ² learned' : `σ² fixed at ${config.fixedVariance}`}, ${evals[s].label}`,
      model: {
        kind: 'linear-vae',
        params: { W: f32(p.W), b: f32(p.b), V: f32(p.V), c: f32(p.c), s: f32(p.s), logVar: f32(p.logVar) },
        ...(config.fixedVariance === null ? {} : { fixedVariance: config.fixedVariance }),
      },
      data,
      expected: finals[s],
      by: 'diagnoseLinearVae',
    };
  });
  // Seed 0 with σ² pinned through fixedVariance at the value it has: the claim's own evaluation again.
  const own = publicPoints[0].model;
  if (config.fixedVariance === null && own.kind === 'linear-vae') {
    publicPoints.push({ ...publicPoints[0], label: `${publicPoints[0].label}, σ² pinned at its learned e^{logVar} by fixedVariance`, model: { ...own, fixedVariance: params[0].variance } });
  }
  return { result, publicPoints };
}
