/**
 * The verdict of a product-mixture entropy claim (Bernoulli, Poisson) from
 * its two arms (entropy-product-mixture.ts):
 *  - float64 EM: the identity after every M-step (summariseIdentity: an
 *    unexplained gap is `error`, an explained one above tolerance `fail`);
 *    EM monotone (a decrease beyond rounding means the E- or M-step is not
 *    exact: `error`); at EM convergence log-lik = F, i.e. KL(q ‖ posterior) = 0
 *    (a gap means the E-step is not the posterior: `error`); the family's
 *    formulas against direct sums over the pmf (`error`);
 *  - engine: judgeEngineArm at the (perturbed) end points.
 *  - the public diagnose() (what users call) must give every quantity the
 *    claim computes at EM's end point (with its q), at the EM solution
 *    without q (the exact posterior) and at the engine's first end point
 *    (with its q), else `error` (public-diagnose.ts).
 * Every part must pass (error dominates, then fail, then inconclusive).
 */
import { z } from 'zod';
import { positiveNumber } from '../../../config/hyperparameters.ts';
import type { AssumptionCheck, CheckResult, Metric } from '../../../contract/claim.ts';
import type { ProductFamily } from '../../../models/mixtures/product-mixture.ts';
import type { NaturalFamily } from '../../../models/mixtures/product-mixture-engine.ts';
import type { Verdict } from '../../../stats/verdict.ts';
import { combine, prefixed, summariseIdentity } from './common.ts';
import { requirePublicDiagnose, type PublicDiagnosePoint } from './public-diagnose.ts';
import { engineGapSeries, judgeEngineArm, mStepAgreement } from './engine-arm.ts';
import { elbo, mStep } from '../../../models/mixtures/product-mixture.ts';
import { familyConformance, mixtureEngineEvaluations, type MixtureEngineArm, type MixtureRun, type MixtureRunOptions } from './product-mixture.ts';

export const mixtureJudgeOptionsSchema = z.object({
  /** Relative gap |F − S|/|F| allowed after every M-step. */
  tolerance: positiveNumber('relative gap tolerance'),
  /**
   * (log-lik − F)/|log-lik| allowed at EM convergence: KL(q ‖ posterior) of
   * the last E-step's posterior, which the 1e-10 responsibility floor makes
   * ≈ 1e-10·K nats at most; a wrong E-step gives ≥ 1e-3.
   */
  convergenceTolerance: positiveNumber('convergence tolerance'),
});

export type MixtureJudgeOptions = z.infer<typeof mixtureJudgeOptionsSchema>;

export interface MixtureJudgeInput {
  claimId: string;
  natural: NaturalFamily;
  family: ProductFamily;
  run: MixtureRun;
  arm: MixtureEngineArm;
  config: MixtureRunOptions & MixtureJudgeOptions;
  notes: string[];
  metrics: Record<string, Metric>;
  assumptions: AssumptionCheck[];
  /** Extra verdicts of the claim (e.g. the validity of a negative control). */
  extra?: Verdict[];
}

export function judgeMixture(input: MixtureJudgeInput): CheckResult {
  const { natural, family, run, arm, config } = input;
  const notes: string[] = [];
  const f64 = summariseIdentity(run.evals, { tolerance: config.tolerance, scale: 'relative', predictionTolerance: 1e-9 });
  const relConvergence = run.convergenceGap / Math.abs(run.logLik);
  let convergence: Verdict = 'pass';
  if (!run.converged) {
    notes.push(`EM reached its cap of ${config.maxEmIterations} iterations before the gain fell below ${config.emTolerance}: log-lik = F at convergence not checked`);
  } else if (!(Math.abs(relConvergence) <= config.convergenceTolerance)) {
    convergence = 'error';
    notes.push(
      `at EM's fixed point log-lik − F = ${run.convergenceGap.toExponential(3)} nats/point (relative ${relConvergence.toExponential(2)}, allowed ` +
        `${config.convergenceTolerance.toExponential(0)}): q is not the posterior of the EM solution — the float64 E-step or log-likelihood is wrong`,
    );
  }
  const monotone: Verdict = run.emMonotone ? 'pass' : 'error';
  if (!run.emMonotone) notes.push(`EM decreased the log-likelihood by up to ${run.worstDecrease.toExponential(2)} nats/point: the float64 E- or M-step is not exact`);
  const familyFailures = familyConformance(family, run.params.means);
  if (familyFailures.length > 0) notes.push(...familyFailures.map((f) => `family formulas: ${f}`));
  const engineEvals = mixtureEngineEvaluations(arm, natural, family, config.K, config.perturbation, config.baseMeasure);
  const engine = judgeEngineArm(arm.run, engineEvals);
  // diagnose() reports the plain identity (B in its decomposition): compared with the claim's plain diagnoses.
  const kind = natural === 'bernoulli' ? 'bernoulli-mixture' : 'poisson-mixture';
  const by = 'mixture.diagnose';
  const publicPoints: PublicDiagnosePoint[] = [
    { label: "EM end point (last E-step's q)", model: { kind, params: run.params, q: run.q }, data: run.data, expected: run.atConvergence, by },
    { label: 'EM solution, exact posterior (no q given)', model: { kind, params: run.params }, data: run.data, expected: run.atExactPosterior, by: `${by} at mixture.eStep's posterior` },
    { label: engineEvals[0].label, model: { kind, params: engineEvals[0].params, q: arm.qs[0] }, data: arm.data, expected: engineEvals[0].plain, by },
  ];
  const agreement = mStepAgreement(arm.run, arm.qs.map((q) => elbo(family, mStep(q, arm.data, config.K), q, arm.data)));
  notes.push(...agreement.failures);
  return requirePublicDiagnose(input.claimId, {
    verdict: combine(
      f64.verdict,
      convergence,
      monotone,
      familyFailures.length > 0 ? 'error' : 'pass',
      engine.verdict,
      agreement.failures.length > 0 ? 'error' : 'pass',
      ...(input.extra ?? []),
    ),
    metrics: {
      ...f64.metrics,
      ...input.metrics,
      logLikAtConvergence: { value: run.logLik },
      convergenceGap: { value: relConvergence, criterion: `(log-lik − F)/|log-lik| ≤ ${config.convergenceTolerance.toExponential(0)} at EM convergence` },
      emIterations: { value: run.iterations },
      familyFormulaFailures: { value: familyFailures.length, criterion: '0 (entropy, E[log h], mean, normalisation, natural parameter against direct sums)' },
      ...prefixed('', engine.metrics),
      engineColumns: { value: arm.columns },
      engineOverMStep: { value: agreement.worstExcess, criterion: '(F(engine) − F(M-step))/max(1, |F|) ≤ 1e-10 (the closed-form M-step is the maximiser)' },
    },
    series: engineGapSeries(arm.run),
    notes: [...f64.notes, ...input.notes, ...notes, ...engine.notes],
    assumptions: input.assumptions,
  }, publicPoints);
}
