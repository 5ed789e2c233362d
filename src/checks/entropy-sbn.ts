/**
 * entropy-sbn [LW22; W25]: sigmoid belief net with binary latents enumerated
 * exactly and Bernoulli observables. After the M-step at fixed q (π = q̄ in
 * closed form; W, b by Newton's method to a gradient of ~1e-13) the gap
 * F − S vanishes: ≤ 1e-6 nats/point. Evaluated along an EM run (exact
 * posteriors) and for random q (flat Dirichlet over the 2^H states).
 * Falsifier: after the M-step W × 0.8, b and π re-fitted at fixed q; the gap
 * is then exactly Σ_{d,h} W'_dh ∂F/∂W_dh (the b-part of R_x vanishes),
 * ≈ +0.17 in CLAIMS.md's calibration.
 */
import { RandomStream, deriveSeed } from '../engine/rng.ts';
import { generateSbnData } from '../models/sbn/data.ts';
import { diagnose, eStep, fitDecoder, mStep, stateCount, stateStats, weightGradient, type BinaryData, type SbnParams } from '../models/sbn/sbn.ts';
import { randomResponsibilities } from '../models/mixtures/responsibilities.ts';
import { combine, identityResult, type IdentityEvaluation } from './entropy-common.ts';
import type { CheckResult, ClaimContext } from '../../theory/claim.ts';

export interface SbnEntropyConfig {
  data: { N: number; D: number; weightScale: number };
  H: number;
  emIterations: number;
  randomQ: number;
  /** |F − S| allowed after the M-step, nats per point. */
  tolerance: number;
  /** After the M-step scale W by this and re-fit b, π (1 = no perturbation). */
  weightScale: number;
}

function logitMean(data: BinaryData, d: number): number {
  let m = 0;
  for (let n = 0; n < data.N; n++) m += data.x[n * data.D + d];
  m = (m + 0.5) / (data.N + 1);
  return Math.log(m / (1 - m));
}

export async function checkSbnEntropy(claimId: string, configs: readonly SbnEntropyConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  return configs.map((config, i) => {
    ctx.progress(i / configs.length);
    return checkOne(claimId, config, ctx.masterSeed);
  });
}

function evaluate(label: string, fitted: SbnParams, q: Float64Array, data: BinaryData, config: SbnEntropyConfig): IdentityEvaluation & { gradient: number } {
  if (config.weightScale === 1) return { label, diag: diagnose(fitted, q, data), closedFormGap: 0, gradient: 0 };
  const p: SbnParams = { ...fitted, W: fitted.W.map((w) => w * config.weightScale), b: fitted.b.slice(), pi: fitted.pi.slice() };
  const gradient = fitDecoder(p, stateStats(q, data, p.H), data.N, { fitWeights: false });
  const g = weightGradient(p, q, data);
  let predicted = 0;
  for (let i = 0; i < g.length; i++) predicted += p.W[i] * g[i];
  return { label: `${label}, W × ${config.weightScale} (b, π re-fitted)`, diag: diagnose(p, q, data), closedFormGap: predicted, gradient };
}

function checkOne(claimId: string, config: SbnEntropyConfig, masterSeed: number): CheckResult {
  const { H } = config;
  const data = generateSbnData({ ...config.data, H, seed: deriveSeed(masterSeed, claimId, 'data') });
  const init = RandomStream.at(masterSeed, claimId, 'init');
  let params: SbnParams = {
    H,
    D: data.D,
    W: Float64Array.from({ length: data.D * H }, () => 0.1 * init.normal()),
    b: Float64Array.from({ length: data.D }, (_, d) => logitMean(data, d)),
    pi: new Float64Array(H).fill(0.5),
  };
  const evals: IdentityEvaluation[] = [];
  let worstGradient = 0;
  let emMonotone = true;
  let previous = -Infinity;
  let logLik = NaN;
  for (let t = 1; t <= config.emIterations; t++) {
    const e = eStep(params, data);
    if (e.logLik < previous - 1e-10 * Math.abs(previous)) emMonotone = false;
    previous = logLik = e.logLik;
    const m = mStep(params, e.q, data);
    params = m.params;
    worstGradient = Math.max(worstGradient, m.gradient);
    const ev = evaluate(`EM iteration ${t} (exact posterior q)`, params, e.q, data, config);
    worstGradient = Math.max(worstGradient, ev.gradient);
    evals.push(ev);
  }
  const rng = RandomStream.at(masterSeed, claimId, 'random-q');
  for (let r = 0; r < config.randomQ; r++) {
    const q = randomResponsibilities(data.N, stateCount(H), rng);
    const m = mStep(params, q, data);
    worstGradient = Math.max(worstGradient, m.gradient);
    evals.push(evaluate(`random q #${r + 1} (flat Dirichlet over 2^H states)`, m.params, q, data, config));
  }
  const result = identityResult(evals, { tolerance: config.tolerance, scale: 'absolute', predictionTolerance: 1e-9 }, {
    metrics: {
      mStepGradient: { value: worstGradient, criterion: 'largest |∂F/∂(W, b)| per point left by Newton (stationarity of the M-step)' },
      logLikAtLastEStep: { value: logLik },
      states: { value: stateCount(H) },
    },
    notes: [`SBN H = ${H} (${stateCount(H)} states enumerated), D = ${data.D}, N = ${data.N}; ${config.emIterations} EM iterations, ${config.randomQ} random q`],
    assumptions: [
      { id: 'stationary-parameters', met: config.weightScale === 1, detail: config.weightScale === 1 ? 'W, b by Newton to machine precision; π = q̄' : `W scaled by ${config.weightScale} after the M-step` },
      { id: 'constant-base-measure', met: true, detail: 'Bernoulli observables and latents' },
      { id: 'em-monotone', met: emMonotone, detail: 'EM log-likelihood non-decreasing' },
    ],
  });
  result.verdict = combine(result.verdict);
  return result;
}
