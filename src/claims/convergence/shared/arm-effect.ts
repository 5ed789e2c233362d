/**
 * How one setting of SGD on the linear Gaussian VAE changes G_n at a FIXED
 * number of iterations n [SGL25]: the batch size B (batch-size-effect) or the
 * number of reparameterised samples K per data point (samples-effect).
 *
 * Every arm (one value of the setting) trains S seeds; seed s of every arm
 * shares its initialisation and random streams (common random numbers), and
 * all arms of the claim and of its falsifiers are one replica batch. The
 * exact G_n of each seed (float64 closed-form gradient at every iterate) at
 * the final n is compared between arms with a paired bootstrap over seeds:
 *   gain(a→b) = log(G_n(a) / G_n(b)) for consecutive arms a < b.
 * Criteria (each on its 95% interval):
 *   non-increasing  every consecutive gain ≥ −log(1 + tol)
 *   effective       the setting matters at all: the gain from the first arm
 *                   to the last (batch) / to the second (samples) is > 0
 *   bounded         (batch) gain(B1→B2) ≤ log(B2/B1) + log(1 + tol): no more
 *                   than the ratio of batch sizes (never a 1/B law asserted)
 *   saturating      (samples) the first gain exceeds the second: more
 *                   samples help less and less (data noise remains)
 */
import { z } from 'zod';
import type { AssumptionCheck, CheckResult, ClaimContext, Metric } from '../../../contract/claim.ts';
import { fractionBelowOne, listOf, positiveInt, requireIncreasing } from '../../../config/hyperparameters.ts';
import { deriveSeed } from '../../../engine/rng.ts';
import { logSpacedSteps } from '../../../stats/grid.ts';
import { fitRate, runningAverage, seedAverage, type RateFit } from '../../../stats/rate.ts';
import { above, pairedBootstrap } from '../../../stats/paired-bootstrap.ts';
import { allOf, atLeast, atMost, type Verdict } from '../../../stats/verdict.ts';
import { linearVaeRateConfigSchema, trainLinearVaeConfigs, withEngineConformance, type LinearVaeRateConfig, type SeedRun } from './linear-vae-rate.ts';
import { gSeries, intervalMetric } from './report.ts';
import { divergedResult, isDiverged } from '../../shared/divergence.ts';

const armSetting = z.enum(['batchSize', 'samples'], { error: 'allowed setting: "batchSize" (B) or "samples" (K)' });
export type ArmSetting = z.infer<typeof armSetting>;

/** The configuration of a batch-size or samples arm comparison, as a zod schema (every message names the setting and the allowed range). */
export const armEffectConfigSchema = z
  .object({
    /** Everything but the varied setting (its value there is ignored). */
    run: linearVaeRateConfigSchema,
    setting: armSetting,
    /** Increasing values of the setting, one arm each, e.g. [8, 32, 128]. */
    values: listOf(positiveInt('arm value (B or K)'), 'arm values', 2),
    /**
     * 'honoured': arm a trains with values[a]. 'ignored' (the falsifier): a
     * plumbing bug, every arm trains with values[0] while labelled values[a].
     */
    wiring: z.enum(['honoured', 'ignored'], { error: 'allowed wiring: "honoured" or "ignored" (the falsifier)' }),
    /** Relative tolerance of the non-increasing and ratio-bound criteria. */
    tolerance: fractionBelowOne('tolerance'),
  })
  .superRefine((c, ctx) => {
    requireIncreasing(c.values, ['values'], 'arm values', ctx);
    if (c.setting !== 'batchSize') return;
    c.values.forEach((B, i) => {
      if (B > c.run.data.n) ctx.addIssue({ code: 'custom', path: ['values', i], message: `allowed batch size B: an integer 1 ≤ B ≤ N = ${c.run.data.n} (the data size)` });
    });
  });

export type ArmEffectConfig = z.infer<typeof armEffectConfigSchema>;

export type ArmShape = 'bounded-by-ratio' | 'saturating';

const SYMBOL: Record<ArmSetting, string> = { batchSize: 'B', samples: 'K' };

function validate(c: ArmEffectConfig): void {
  const name = SYMBOL[c.setting];
  if (c.values.length < 2) throw new RangeError(`${name} values: ${c.values.length} given; allowed at least 2 arms`);
  c.values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} = ${v}; allowed an integer ≥ 1`);
    if (i > 0 && v <= c.values[i - 1]) throw new RangeError(`${name} values must increase, got ${c.values.join(', ')}`);
  });
  if (!(c.tolerance >= 0 && c.tolerance < 1)) throw new RangeError(`tolerance = ${c.tolerance}; allowed 0 ≤ tol < 1`);
  if (c.run.seeds < 2) throw new RangeError(`seeds = ${c.run.seeds}; allowed ≥ 2 (bootstrap over seeds)`);
}

function armConfig(c: ArmEffectConfig, a: number): LinearVaeRateConfig {
  const value = c.wiring === 'honoured' ? c.values[a] : c.values[0];
  return { ...c.run, [c.setting]: value };
}

export async function checkArmEffect(
  claimId: string,
  configs: readonly ArmEffectConfig[],
  ctx: ClaimContext,
  shape: ArmShape,
): Promise<CheckResult[]> {
  configs.forEach(validate);
  const expanded = configs.flatMap((c) => c.values.map((_, a) => armConfig(c, a)));
  const runs = trainLinearVaeConfigs(claimId, expanded, ctx);
  let offset = 0;
  const results = configs.map((c) => {
    const perArm = runs.slice(offset, offset + c.values.length);
    const armConfigs = expanded.slice(offset, offset + c.values.length);
    offset += c.values.length;
    const diverged = perArm.find(isDiverged);
    // A diverged arm has G_n → ∞: no comparison between arms can be made, and none is claimed for divergent SGD.
    if (diverged) return divergedResult(diverged);
    return evaluate(claimId, c, armConfigs, (perArm as SeedRun[][]).map((seeds) => seeds.map((r) => r.g)), ctx.masterSeed, shape);
  });
  // The engine-conformance probes on the claim's own configuration: one per arm.
  const own = configs[0].values.length;
  results[0] = withEngineConformance(results[0], claimId, expanded.slice(0, own), runs.slice(0, own), ctx);
  return results;
}

function evaluate(
  claimId: string,
  c: ArmEffectConfig,
  armConfigs: LinearVaeRateConfig[],
  perArm: Float64Array[][],
  masterSeed: number,
  shape: ArmShape,
): CheckResult {
  const sym = SYMBOL[c.setting];
  const n = c.run.steps;
  const A = c.values.length;
  const label = (a: number) => `${sym}=${c.values[a]}`;
  // Per seed: G_n at the final n.
  const finalG = perArm.map((seeds) => seeds.map((g) => runningAverage(g)[n]));
  const pairs = Array.from({ length: A - 1 }, (_, a) => a);
  const stat = (m: Float64Array): number[] => {
    const gains = pairs.map((a) => Math.log(m[a] / m[a + 1]));
    const total = Math.log(m[0] / m[A - 1]);
    const extra = shape === 'saturating' && A >= 3 ? [gains[0] - gains[1]] : [];
    return [...m, ...gains, total, ...extra];
  };
  const intervals = pairedBootstrap(finalG, stat, { bootstrapSeed: deriveSeed(masterSeed, claimId, 'paired-bootstrap') });
  const means = intervals.slice(0, A);
  const gains = intervals.slice(A, A + A - 1);
  const total = intervals[2 * A - 1];
  const saturation = intervals[2 * A];

  const slack = Math.log(1 + c.tolerance);
  const metrics: Record<string, Metric> = {};
  const verdicts: Verdict[] = [];
  means.forEach((m, a) => (metrics[`G_n[${label(a)}]`] = intervalMetric(m)));
  pairs.forEach((a) => {
    const gain = gains[a];
    const name = `logGain[${label(a)}→${label(a + 1)}]`;
    verdicts.push(atLeast(gain, -slack));
    let criterion = `lower bound ≥ ${(-slack).toFixed(3)} (non-increasing, tol ${c.tolerance})`;
    if (shape === 'bounded-by-ratio') {
      const bound = Math.log(c.values[a + 1] / c.values[a]) + slack;
      verdicts.push(atMost(gain, bound));
      criterion += `; upper bound ≤ log(${c.values[a + 1]}/${c.values[a]}) + log(1 + tol) = ${bound.toFixed(3)}`;
    }
    metrics[name] = intervalMetric(gain, criterion);
  });
  if (shape === 'bounded-by-ratio') {
    verdicts.push(above(total, 0));
    metrics[`logGain[${label(0)}→${label(A - 1)}]`] = intervalMetric(total, `lower bound > 0 (${sym} has an effect)`);
  } else {
    verdicts.push(above(gains[0], 0));
    metrics[`logGain[${label(0)}→${label(1)}]`].criterion += `; lower bound > 0 (${sym} has an effect)`;
    metrics[`logGain[${label(0)}→${label(A - 1)}]`] = intervalMetric(total);
    if (saturation) {
      verdicts.push(above(saturation, 0));
      metrics['saturation'] = intervalMetric(
        saturation,
        `logGain[${label(0)}→${label(1)}] − logGain[${label(1)}→${label(2)}]: lower bound > 0 (gains shrink)`,
      );
    }
  }

  // Informational: each arm's own rate fit over the last two decades.
  const plotN = logSpacedSteps(1, n, 20);
  const curves: Record<string, number[]> = {};
  const fits: Record<string, RateFit> = {};
  perArm.forEach((seeds, a) => {
    const steps = armConfigs[a].steps;
    const window = logSpacedSteps(Math.max(1, Math.round(steps / 10 ** armConfigs[a].decades)), steps, armConfigs[a].checkpointsPerDecade);
    const fit = fitRate(seeds, { checkpoints: window, bootstrapSeed: deriveSeed(masterSeed, claimId, 'bootstrap') });
    metrics[`slope[${label(a)}]`] = intervalMetric(fit.slope);
    const G = runningAverage(seedAverage(seeds));
    curves[`G_n (${label(a)})`] = plotN.map((k) => G[k]);
    fits[`G_n (${label(a)})`] = fit;
  });

  return {
    verdict: allOf(verdicts),
    metrics,
    series: {
      G: gSeries(plotN, curves, fits),
      finalG: {
        x: [...c.values],
        y: { [`G_n at n = ${n}`]: means.map((m) => m.estimate), lower: means.map((m) => m.lower), upper: means.map((m) => m.upper) },
        xLabel: c.setting === 'batchSize' ? 'batch size B' : 'samples per point K',
        yLabel: 'G_n (seed average, 95% paired-bootstrap interval)',
        logX: true,
        logY: true,
      },
    },
    assumptions: assumptionChecks(c, armConfigs),
    notes: [
      `Fixed number of iterations n = ${n} for every arm (not epochs); ${c.run.seeds} common seeds per arm; ` +
        `G_n at ${c.values.map((v, a) => `${sym}=${v}: ${means[a].estimate.toPrecision(4)}`).join(', ')}.`,
    ],
  };
}

function assumptionChecks(c: ArmEffectConfig, armConfigs: LinearVaeRateConfig[]): AssumptionCheck[] {
  const used = armConfigs.map((a) => a[c.setting]);
  const { C, alpha } = c.run.schedule;
  return [
    { id: 'sgd', met: c.run.optimizer.kind === 'sgd', detail: `optimiser ${c.run.optimizer.kind} (the B- and K-dependence is an SGD statement)` },
    { id: 'step-schedule', met: alpha === 0.5, detail: `γ_k = ${C}·k^{-${alpha}}, the same for every arm` },
    { id: 'fixed-iterations', met: true, detail: `every arm runs n = ${c.run.steps} iterations` },
    {
      id: 'smooth-objective',
      met: true,
      detail: 'closed-form expected ELBO: quadratic in W, b, V, c and C∞ in s (its gradient is Lipschitz on bounded sets)',
    },
    {
      id: 'unbiased-gradients',
      met: true,
      detail: `mini-batches drawn uniformly with replacement; ${c.setting === 'samples' ? `B = ${c.run.batchSize}` : `K = ${c.run.samples}`} for every arm`,
    },
    {
      id: 'setting-applied',
      met: used.every((v, a) => v === c.values[a]),
      detail: `${SYMBOL[c.setting]} actually trained per arm: ${used.join(', ')} (labelled ${c.values.join(', ')})`,
    },
    { id: 'exact-measurement', met: true, detail: 'float64 closed-form gradient of the expected ELBO at every iterate' },
  ];
}
