/**
 * entropy-poisson-mixture [W25: non-constant base measures]: a Poisson
 * mixture fitted by EM to over-dispersed counts. The base measure 1/x! is not
 * constant, so after the M-step F = S + B with
 *   B = Σ_c q̄_c Σ_d E_{Pois(λ_cd)}[log x!] − (1/N) Σ_n Σ_d log x_nd!,
 * and the plain identity F = S fails by B. Two arms (as the Bernoulli
 * mixture, see entropy-bernoulli-mixture.ts and entropy-mixture-verdict.ts):
 * float64 EM (the exact reference, corrected identity ≤ 1e-9 relative) and
 * the engine's gradient-ascent M-step for the EM posterior and a random q.
 * The negative control must be valid: |B| at the EM solution must exceed
 * minControlGap (0.5 nats) — on well-specified Poisson data B is ≈ 0.01, too
 * small to tell a missing B from noise (reported for comparison); an invalid
 * control leaves the claim `inconclusive`.
 * Why the family's formulas are checked against direct sums
 * (familyConformance): F = S + B holds for ANY base-measure function used
 * consistently, so a wrong E[log x!] or log x! cancels from the identity and
 * only such a known-answer check sees it.
 * Falsifiers: the plain identity (base measure ignored) must fail by B;
 * rates scaled by 1.2 after the M-step must fail by Σ_c q̄_c Σ_d (λ − λ') log λ'.
 */
import { z } from 'zod';
import { nonNegativeNumber, positiveInt, positiveNumber } from '../../config/hyperparameters.ts';
import { RandomStream, deriveSeed } from '../../engine/rng.ts';
import { POISSON } from '../../models/mixtures/poisson-mixture.ts';
import { overdispersedCounts } from '../../models/mixtures/count-data.ts';
import { randomResponsibilities } from '../../models/mixtures/responsibilities.ts';
import { judgeMixture, mixtureJudgeOptionsSchema } from './shared/mixture-verdict.ts';
import { mixtureEngineArm, mixtureEngineOptionsSchema, mixtureRunOptionsSchema, runMixture, type MixtureEngineArm } from './shared/product-mixture.ts';
import { dataSource, fileData, fileRows, fromFile, ownData } from './shared/user-data.ts';
import type { CheckResult, ClaimContext } from '../../contract/claim.ts';

/** The mixture run, its judging, over-dispersed counts, the negative control's validity and the engine arm. */
export const poissonMixtureEntropyConfigSchema = mixtureRunOptionsSchema
  .extend(mixtureJudgeOptionsSchema.shape)
  .extend({
    /**
     * Gamma-Poisson counts (src/models/mixtures/count-data.ts); plain Poisson data (shape ∞) is the harness's own comparison,
     * not a setting. Or the user's counts (verify --data).
     */
    data: z.discriminatedUnion(
      'source',
      [
        z.object({
          N: positiveInt('data points N'),
          D: positiveInt('data dimension D'),
          rateMin: positiveNumber('smallest rate'),
          rateMax: positiveNumber('largest rate'),
          dispersionShape: positiveNumber('gamma dispersion shape'),
          ...ownData,
        }),
        fileData,
      ],
      dataSource,
    ),
    /** |B| at the EM solution must exceed this for the plain identity to be a valid negative control. */
    minControlGap: nonNegativeNumber('control gap |B|'),
    engine: mixtureEngineOptionsSchema,
  })
  .superRefine((c, ctx) => {
    if (!fromFile(c.data) && c.data.rateMax < c.data.rateMin) ctx.addIssue({ code: 'custom', path: ['data', 'rateMax'], message: `allowed largest rate: a finite number ≥ the smallest rate ${c.data.rateMin}` });
    if (c.K > c.data.N) ctx.addIssue({ code: 'custom', path: ['K'], message: `allowed mixture components K: an integer 1 ≤ K ≤ N = ${c.data.N} (the data size)` });
  });

export type PoissonMixtureEntropyConfig = z.infer<typeof poissonMixtureEntropyConfigSchema>;

export async function checkPoissonMixtureEntropy(
  claimId: string,
  configs: readonly PoissonMixtureEntropyConfig[],
  ctx: ClaimContext,
): Promise<CheckResult[]> {
  const arms = new Map<string, MixtureEngineArm>();
  let wellSpecifiedB: number | undefined;
  return configs.map((config, i) => {
    ctx.progress(i / configs.length);
    const seed = deriveSeed(ctx.masterSeed, claimId, 'data');
    const synthetic = fromFile(config.data) ? null : config.data;
    // The user's counts (verify --data), else over-dispersed synthetic counts.
    const data = fromFile(config.data) ? fileRows(claimId, config.data, ctx.data) : overdispersedCounts({ ...config.data, K: config.K, seed });
    const run = runMixture(POISSON, data, config, RandomStream.at(deriveSeed(ctx.masterSeed, claimId, 'responsibilities')));
    const B = run.atConvergence.decomposition.baseMeasure;
    // The same mixture on well-specified Poisson data (same rates, no gamma multiplier): B should be tiny (computed once).
    // Only for the synthetic counts: the user's data have no generating rates to draw plain Poisson counts from.
    if (wellSpecifiedB === undefined && synthetic) {
      const plainData = overdispersedCounts({ ...synthetic, dispersionShape: Infinity, K: config.K, seed });
      const plainRun = runMixture(POISSON, plainData, { ...config, responsibilities: [], perturbation: { kind: 'none' } }, RandomStream.at(deriveSeed(ctx.masterSeed, claimId, 'responsibilities')));
      wellSpecifiedB = plainRun.atConvergence.decomposition.baseMeasure;
    }
    const key = JSON.stringify([config.data, config.K, config.maxEmIterations, config.emTolerance, config.engine]);
    let arm = arms.get(key);
    if (!arm) {
      const qs = [
        { label: 'EM posterior q', q: run.q, seed: deriveSeed(ctx.masterSeed, claimId, 'engine', 0) },
        { label: 'random q', q: randomResponsibilities(data.N, config.K, RandomStream.at(ctx.masterSeed, claimId, 'engine-q')), seed: deriveSeed(ctx.masterSeed, claimId, 'engine', 1) },
      ];
      arm = mixtureEngineArm('poisson', POISSON, data, config.K, qs, config.engine);
      arms.set(key, arm);
    }
    const controlValid = Math.abs(B) > config.minControlGap;
    return judgeMixture({
      claimId,
      natural: 'poisson',
      family: POISSON,
      run,
      arm,
      config,
      // Without a valid control the claim's own check proves nothing about B: inconclusive, not pass.
      extra: [controlValid ? 'pass' : 'inconclusive'],
      metrics: synthetic
        ? {
            baseMeasureTerm: { value: B, criterion: `|B| > ${config.minControlGap} nats (over-dispersed data make the plain identity a valid negative control)` },
            baseMeasureWellSpecified: { value: wellSpecifiedB! },
          }
        : { baseMeasureTerm: { value: B, criterion: `|B| > ${config.minControlGap} nats (the plain identity is a valid negative control only when B is that large)` } },
      notes: [
        `${config.baseMeasure === 'included' ? 'corrected identity F = S + B' : 'plain identity F = S (base measure ignored)'}; ` +
          (synthetic
            ? `B at the EM solution = ${B.toFixed(4)} nats on over-dispersed counts (gamma shape ${synthetic.dispersionShape}), ` +
              `${wellSpecifiedB!.toExponential(2)} on well-specified Poisson counts; `
            : `B at the EM solution = ${B.toFixed(4)} nats on the user's counts (${ctx.data?.file}); `) +
          `EM stopped after ${run.iterations} iterations`,
      ],
      assumptions: [
        { id: 'stationary-parameters', met: config.perturbation.kind === 'none', detail: `M-step output, perturbation ${JSON.stringify(config.perturbation)}` },
        { id: 'base-measure-accounted', met: config.baseMeasure === 'included', detail: `base measure 1/x! ${config.baseMeasure}` },
        { id: 'valid-negative-control', met: controlValid, detail: `|B| = ${Math.abs(B).toFixed(4)} vs ${config.minControlGap}` },
        { id: 'em-monotone', met: run.emMonotone, detail: 'EM log-likelihood non-decreasing' },
      ],
    });
  });
}
