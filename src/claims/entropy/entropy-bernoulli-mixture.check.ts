/**
 * entropy-bernoulli-mixture [LW22; W25]: a Bernoulli mixture on binarised
 * real digits. After every M-step (any q) F = S with
 *   S = (1/N) Σ_n H[q_n] − H[π] − Σ_c q̄_c Σ_d H_B(p_cd)
 * to float64 rounding. Two arms:
 *  - float64 EM (the exact reference): after every M-step along the run and
 *    for hard and random q, relative gap ≤ tolerance, the gap explained by
 *    the exact decomposition (else `error`); at EM convergence log-lik = F
 *    (KL(q ‖ posterior) = 0); EM monotone; the family's formulas checked
 *    against direct sums over the pmf (familyConformance).
 *  - engine: the M-step done by the engine's gradient ascent (kernel trainer,
 *    SGD) for the converged EM posterior and for random q, judged by
 *    entropy-engine-arm.ts (step and end-point conformance, a first-order
 *    bound from the measured gradient).
 * Falsifier: p shrunk toward ½ after the M-step, p' = 0.8 p + 0.1, predicted
 * gap Σ_c q̄_c Σ_d (p − p') logit(p') > 0 ((p − p') and logit p' share the
 * sign of p − ½, so it cannot cancel); applied to both arms' end points.
 */
import { z } from 'zod';
import { RandomStream, deriveSeed } from '../../engine/rng.ts';
import { BERNOULLI } from '../../models/mixtures/bernoulli-mixture.ts';
import { binarisedDigits } from '../../models/mixtures/count-data.ts';
import { randomResponsibilities } from '../../models/mixtures/responsibilities.ts';
import { judgeMixture, mixtureJudgeOptionsSchema } from './shared/mixture-verdict.ts';
import {
  bernoulliPerturbationSchema,
  mixtureEngineArm,
  mixtureEngineOptionsSchema,
  mixtureRunOptionsSchema,
  runMixture,
  type MixtureEngineArm,
} from './shared/product-mixture.ts';
import { digitData, digitRows } from './shared/schema.ts';
import { dataSource, fileData, fileRows, fromFile, ownData } from './shared/user-data.ts';
import type { CheckResult, ClaimContext } from '../../contract/claim.ts';

/** The mixture run (B is always included: Bernoulli's base measure is constant), its judging, binarised digits and the engine arm. */
export const bernoulliMixtureEntropyConfigSchema = mixtureRunOptionsSchema
  .omit({ baseMeasure: true })
  .extend(mixtureJudgeOptionsSchema.shape)
  .extend({
    perturbation: bernoulliPerturbationSchema,
    /** Binarised real digits, or the user's binary file (verify --data). */
    data: z.discriminatedUnion('source', [digitData.safeExtend(ownData), fileData], dataSource),
    engine: mixtureEngineOptionsSchema,
  })
  .superRefine((c, ctx) => {
    const N = fromFile(c.data) ? c.data.N : digitRows(c.data);
    if (c.K > N) {
      ctx.addIssue({ code: 'custom', path: ['K'], message: `allowed mixture components K: an integer 1 ≤ K ≤ N = ${N} (the data size${fromFile(c.data) ? '' : ', 10 × perDigit'})` });
    }
  });

export type BernoulliMixtureEntropyConfig = z.infer<typeof bernoulliMixtureEntropyConfigSchema>;

export async function checkBernoulliMixtureEntropy(
  claimId: string,
  configs: readonly BernoulliMixtureEntropyConfig[],
  ctx: ClaimContext,
): Promise<CheckResult[]> {
  const arms = new Map<string, MixtureEngineArm>();
  return configs.map((config, i) => {
    ctx.progress(i / configs.length);
    // The user's binary rows (verify --data), else binarised digits.
    const data = fromFile(config.data) ? fileRows(claimId, config.data, ctx.data) : binarisedDigits(config.data);
    const [source, pool] = fromFile(config.data) ? [`the user's binary data (${ctx.data?.file})`, ''] : ['binarised digits', ` (pool ${config.data.pool})`];
    const run = runMixture(BERNOULLI, data, { ...config, baseMeasure: 'included' }, RandomStream.at(deriveSeed(ctx.masterSeed, claimId, 'responsibilities')));
    // The engine arm trains once: falsifiers perturb its end points, not its training.
    const key = JSON.stringify([config.data, config.K, config.maxEmIterations, config.emTolerance, config.engine]);
    let arm = arms.get(key);
    if (!arm) {
      // The EM posterior mixed half and half with the uniform q: the posterior itself makes components whose weighted
      // column means are 0 or 1 (p → 0: gradient ascent only approaches η = −∞ like log t); the identity holds for any q.
      const mixed = run.q.map((v) => 0.5 * v + 0.5 / config.K);
      const qs = [
        { label: '½ EM posterior + ½ uniform q', q: mixed, seed: deriveSeed(ctx.masterSeed, claimId, 'engine', 0) },
        { label: 'random q', q: randomResponsibilities(data.N, config.K, RandomStream.at(ctx.masterSeed, claimId, 'engine-q')), seed: deriveSeed(ctx.masterSeed, claimId, 'engine', 1) },
      ];
      arm = mixtureEngineArm('bernoulli', BERNOULLI, data, config.K, qs, config.engine);
      arms.set(key, arm);
    }
    return judgeMixture({
      claimId,
      natural: 'bernoulli',
      family: BERNOULLI,
      run,
      arm,
      config: { ...config, baseMeasure: 'included' },
      notes: [`${source}: N = ${data.N}, D = ${data.D}${pool}; EM stopped after ${run.iterations} iterations${run.restarts > 0 ? ` (after ${run.restarts} restart(s): a component collapsed)` : ''}`],
      metrics: { N: { value: data.N }, D: { value: data.D } },
      assumptions: [
        { id: 'stationary-parameters', met: config.perturbation.kind === 'none', detail: `M-step output, perturbation ${JSON.stringify(config.perturbation)}` },
        { id: 'constant-base-measure', met: true, detail: 'Bernoulli: h(x) = 1' },
        { id: 'em-monotone', met: run.emMonotone, detail: 'EM log-likelihood non-decreasing' },
      ],
    });
  });
}
