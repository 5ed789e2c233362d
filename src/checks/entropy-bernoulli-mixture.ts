/**
 * entropy-bernoulli-mixture [LW22; W25]: a Bernoulli mixture on binarised
 * real digits. After every M-step (any q) F = S with
 *   S = (1/N) Σ_n H[q_n] − H[π] − Σ_c q̄_c Σ_d H_B(p_cd)
 * to float64 rounding. Falsifier: p shrunk toward ½ after the M-step,
 * p' = 0.8 p + 0.1, predicted gap Σ_c q̄_c Σ_d (p − p') logit(p') > 0
 * ((p − p') and logit p' share the sign of p − ½, so it cannot cancel).
 */
import { RandomStream, deriveSeed } from '../engine/rng.ts';
import { BERNOULLI } from '../models/mixtures/bernoulli-mixture.ts';
import { binarisedDigits } from '../models/mixtures/count-data.ts';
import { runMixture, type MixtureRunOptions } from './entropy-product-mixture.ts';
import { combine, identityResult } from './entropy-common.ts';
import type { CheckResult, ClaimContext } from '../../theory/claim.ts';

export interface BernoulliMixtureEntropyConfig extends Omit<MixtureRunOptions, 'baseMeasure'> {
  data: { perDigit: number; pool: number };
  /** Relative gap |F − S|/|F| allowed after every M-step. */
  tolerance: number;
}

export async function checkBernoulliMixtureEntropy(
  claimId: string,
  configs: readonly BernoulliMixtureEntropyConfig[],
  ctx: ClaimContext,
): Promise<CheckResult[]> {
  return configs.map((config, i) => {
    ctx.progress(i / configs.length);
    const data = binarisedDigits(config.data);
    const run = runMixture(BERNOULLI, data, { ...config, baseMeasure: 'included' }, RandomStream.at(deriveSeed(ctx.masterSeed, claimId, 'responsibilities')));
    const result = identityResult(run.evals, { tolerance: config.tolerance, scale: 'relative', predictionTolerance: 1e-9 }, {
      metrics: {
        logLikAtConvergence: { value: run.logLik },
        emIterations: { value: run.iterations },
        N: { value: data.N },
        D: { value: data.D },
      },
      notes: [`binarised digits: N = ${data.N}, D = ${data.D} (pool ${config.data.pool}); EM stopped after ${run.iterations} iterations${run.restarts > 0 ? ` (after ${run.restarts} restart(s): a component collapsed)` : ''}`],
      assumptions: [
        { id: 'stationary-parameters', met: config.perturbation.kind === 'none', detail: `M-step output, perturbation ${JSON.stringify(config.perturbation)}` },
        { id: 'constant-base-measure', met: true, detail: 'Bernoulli: h(x) = 1' },
        { id: 'em-monotone', met: run.emMonotone, detail: 'EM log-likelihood non-decreasing' },
      ],
    });
    result.verdict = combine(result.verdict);
    return result;
  });
}
