/**
 * The rate criterion of [SGL25] for several KL weights β at once (β-VAE):
 * every β arm trains S common seeds on the linear Gaussian VAE, all arms of
 * the claim and of its falsifiers in one replica batch, and the SAME rate
 * verdict as sgd-rate-linear-vae (slope of log G_n ≤ maxSlope and of
 * log(G_n √n / log n) ≤ maxNormalisedSlope, 95% bootstrap upper bounds) must
 * hold for every β. G_n uses the exact gradient of the β-weighted expected
 * objective (the float64 oracle takes β).
 */
import { z } from 'zod';
import type { CheckResult, ClaimContext, Metric, Series } from '../../contract/claim.ts';
import { listOf, positiveNumber } from '../../config/hyperparameters.ts';
import { allOf } from '../../stats/verdict.ts';
import { evaluateLinearVaeRate, linearVaeRateConfigSchema, trainLinearVaeConfigs, withEngineConformance } from './shared/linear-vae-rate.ts';
import { divergedResult, isDiverged } from '../shared/divergence.ts';

/** The β-VAE rate configuration, as a zod schema (every message names the setting and the allowed range). */
export const betaRateConfigSchema = z.object({
  /** Everything but β (its value there is ignored). */
  run: linearVaeRateConfigSchema,
  /** The KL weights, one arm each. */
  betas: listOf(positiveNumber('KL weight β'), 'KL weights betas', 1),
});

export type BetaRateConfig = z.infer<typeof betaRateConfigSchema>;

export async function checkBetaRate(claimId: string, configs: readonly BetaRateConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  for (const c of configs) {
    if (c.betas.length === 0) throw new RangeError('betas: none given; allowed at least one β > 0');
    for (const b of c.betas) if (!(b > 0) || !Number.isFinite(b)) throw new RangeError(`β = ${b}; allowed a finite β > 0`);
  }
  const expanded = configs.flatMap((c) => c.betas.map((beta) => ({ ...c.run, beta })));
  const runs = trainLinearVaeConfigs(claimId, expanded, ctx);
  let offset = 0;
  const results: CheckResult[] = configs.map((c) => {
    const results = c.betas.map((_, i) => {
      const run = runs[offset + i];
      return isDiverged(run) ? divergedResult(run) : evaluateLinearVaeRate(claimId, expanded[offset + i], run, ctx.masterSeed);
    });
    offset += c.betas.length;
    const metrics: Record<string, Metric> = {};
    const series: Record<string, Series> = {};
    c.betas.forEach((beta, i) => {
      for (const [name, m] of Object.entries(results[i].metrics)) metrics[`${name}[β=${beta}]`] = m;
      for (const [name, s] of Object.entries(results[i].series ?? {})) series[`${name}[β=${beta}]`] = s;
    });
    const from = Math.max(1, Math.round(c.run.steps / 10 ** c.run.decades));
    const window = `[${from}, ${c.run.steps}]`;
    return {
      verdict: allOf(results.map((r) => r.verdict)),
      metrics,
      series,
      assumptions: [
        ...(results.find((r) => r.assumptions)?.assumptions ?? []),
        { id: 'long-window', met: c.run.steps >= 1e5 && c.run.decades >= 2, detail: `fit window ${window} (CLAIMS.md: [10³, 10⁵] at the full tier)` },
      ],
      notes: [
        `Rate per β over ${window}: ${c.betas.map((b, i) => `β=${b}: ${results[i].verdict}`).join(', ')}.`,
        ...results.flatMap((r, i) => (r.notes ?? []).map((n) => `β=${c.betas[i]}: ${n}`)),
      ],
    };
  });
  // The engine-conformance probes on the claim's own configuration: one arm per β.
  const own = configs[0].betas.length;
  results[0] = withEngineConformance(results[0], claimId, expanded.slice(0, own), runs.slice(0, own), ctx);
  return results;
}
