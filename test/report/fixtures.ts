/**
 * Fake claims for the report and CLI tests: real Claim objects (src/contract/claim.ts)
 * whose checks compute synthetic but seeded measurements in milliseconds —
 * no training. Together they cover what reports must render for any claim,
 * one per family at least, with the labels real claims use (long axis titles
 * with sub- and superscripts, long legend entries, long metric names,
 * statements with `γ_k`, `k^{-1/2}`, `Σ_{k≤n}` and `$…$` TeX):
 *  - fake-rate (convergence): log-log G_n with an interval band, a
 *    least-squares fit and a log n/√n reference; a falsifier overlaid on the
 *    same plot; a mathjs formula.
 *  - fake-kernel-width (ntk): kernel error vs width (log-log), a TeX formula,
 *    predicted vs measured slope on the falsifier.
 *  - fake-entropy-gap (entropy): ELBO and entropy sum over training (linear
 *    axes, negative values), the relative gap (log y) and an engine arm's
 *    gap per replica (a titled series the falsifier shares unchanged: drawn
 *    once); predictedGap/measuredGap; an assumption not met.
 *  - fake-inconclusive: verdict inconclusive, a falsifier NOT caught, a
 *    non-finite metric, points that cannot sit on a log axis.
 *  - fake-crash: the check throws → verdict error.
 * Every stream derives from the master seed and the claim id (src/engine/rng.ts),
 * so a claim's result is the same whichever shard or order runs it.
 */
import { defineClaim, type CheckResult, type Claim, type ClaimContext, type Metric } from '../../src/contract/claim.ts';
import { D23, SGL25, WH24 } from '../../src/claims/sources.ts';
import type { BackendInfo } from '../../src/engine/backend.ts';
import { RandomStream, deriveSeed } from '../../src/engine/rng.ts';
import { logSpacedSteps } from '../../src/stats/grid.ts';
import { leastSquaresLine } from '../../src/stats/least-squares.ts';
import { fitRate, runningAverage, seedAverage } from '../../src/stats/rate.ts';
import { allOf, atMost, type Verdict } from '../../src/stats/verdict.ts';
import { runClaims } from '../../src/verify/run-claims.ts';
import type { VerifyReport } from '../../src/contract/result.ts';

export const FAKE_BACKEND: BackendInfo = { name: 'cpu', tfjsVersion: '4.22.0', precision: 'float32' };

const interval = (estimate: number, lower: number, upper: number, criterion?: string): Metric => ({
  value: estimate,
  lower,
  upper,
  level: 0.95,
  ...(criterion ? { criterion } : {}),
});

// ------------------------------------------------------------------ fake-rate

interface RateConfig {
  seeds: number;
  steps: number;
  alpha: number;
}

function rateCheck(id: string, configs: readonly RateConfig[], ctx: ClaimContext): CheckResult[] {
  return configs.map((config, index) => {
    const perSeed = Array.from({ length: config.seeds }, (_, s) => {
      const rng = RandomStream.at(ctx.masterSeed, id, 'config', index, 'seed', s);
      const g = new Float64Array(config.steps + 1);
      for (let k = 0; k <= config.steps; k++) g[k] = 0.5 * Math.pow(k + 1, -1.2 * config.alpha) * Math.exp(0.2 * rng.normal());
      return g;
    });
    ctx.progress((index + 1) / configs.length);
    const checkpoints = logSpacedSteps(config.steps / 100, config.steps, 10);
    const fit = fitRate(perSeed, { checkpoints, resamples: 200, bootstrapSeed: deriveSeed(ctx.masterSeed, id, 'bootstrap', index) });
    const G = runningAverage(seedAverage(perSeed));
    const perSeedG = perSeed.map((g) => runningAverage(g));
    const plotSteps = logSpacedSteps(1, config.steps, 8);
    const spread = (n: number, sign: number) => {
      const values = perSeedG.map((g) => g[n]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
      return mean + (sign * 2 * sd) / Math.sqrt(values.length);
    };
    const line = leastSquaresLine(checkpoints.map(Math.log), checkpoints.map((n) => Math.log(G[n])));
    const scale = G[config.steps] / (Math.log(config.steps + 1) / Math.sqrt(config.steps));
    return {
      verdict: allOf([atMost(fit.slope, -0.35), atMost(fit.normalisedSlope, 0.05)]),
      assumptions: [{ id: 'step-schedule', met: config.alpha === 0.5, detail: `γ_k = C·k^{-${config.alpha}}` }],
      metrics: {
        slope: interval(fit.slope.estimate, fit.slope.lower, fit.slope.upper, 'upper bound ≤ -0.35'),
        normalisedSlope: interval(fit.normalisedSlope.estimate, fit.normalisedSlope.lower, fit.normalisedSlope.upper, 'upper bound ≤ 0.05'),
        finalG: { value: G[config.steps] },
      },
      series: {
        G: {
          x: plotSteps,
          y: {
            G_n: plotSteps.map((n) => G[n]),
            'G_n lower': plotSteps.map((n) => Math.max(spread(n, -1), 1e-12)),
            'G_n upper': plotSteps.map((n) => spread(n, 1)),
            'least-squares fit': plotSteps.map((n) => Math.exp(line.intercept + line.slope * Math.log(n))),
            'log n/√n (scaled)': plotSteps.map((n) => (Math.log(n + 1) / Math.sqrt(n)) * scale),
          },
          xLabel: 'iteration n',
          yLabel: 'G_n = mean_{k≤n} ‖∇L(θ_k)‖² (seed average)',
          logX: true,
          logY: true,
        },
      },
    };
  });
}

const fakeRate = defineClaim<RateConfig>({
  id: 'fake-rate',
  title: 'Fake rate: G_n decays like log n/√n',
  family: 'convergence',
  source: SGL25,
  statement: 'A synthetic stand-in for the SGD rate claim: with step γ_k = C·k^{-1/2}, G_n = (1/(n+1)) Σ_{k≤n} E‖∇L(θ_k)‖² = O(log n/√n).',
  formula: 'G_n <= C * log(n) / sqrt(n)',
  assumptions: [{ id: 'step-schedule', statement: 'γ_k = C·k^{-1/2}' }],
  tiers: { quick: { seeds: 6, steps: 2000, alpha: 0.5 }, full: { seeds: 12, steps: 20000, alpha: 0.5 } },
  seedCount: (c) => c.seeds,
  falsifiers: [
    {
      id: 'constant-step',
      description: 'α = 0: G_n plateaus.',
      expected: 'slope ≈ 0, both criteria fail',
      mutate: (c) => ({ ...c, alpha: 0 }),
    },
  ],
  check: async (configs, ctx) => rateCheck('fake-rate', configs, ctx),
});

// --------------------------------------------------------- fake-kernel-width

interface KernelConfig {
  seeds: number;
  widths: number[];
  /** Exponent of the error in m: −1/2 under NTK parameterisation. */
  exponent: number;
}

const fakeKernel = defineClaim<KernelConfig>({
  id: 'fake-kernel-width',
  title: 'Fake NTK: kernel error shrinks like m^{-1/2}',
  family: 'ntk',
  source: WH24,
  statement: 'A synthetic stand-in: the relative Frobenius error of the empirical kernel decays like m^{-1/2}.',
  formula: '\\frac{\\|\\hat\\Theta_m - \\Theta\\|_F}{\\|\\Theta\\|_F} = O\\left(m^{-1/2}\\right)',
  assumptions: [{ id: 'ntk-parameterisation', statement: 'Weights scaled by 1/√m.' }],
  tiers: {
    quick: { seeds: 5, widths: [64, 128, 256, 512, 1024, 2048, 4096, 8192], exponent: -0.5 },
    full: { seeds: 10, widths: [64, 256, 1024, 4096, 16384], exponent: -0.5 },
  },
  seedCount: (c) => c.seeds,
  falsifiers: [
    {
      id: 'standard-parameterisation',
      description: 'No 1/√m scaling: the kernel does not converge.',
      expected: 'error grows with m (slope ≈ +0.5)',
      mutate: (c) => ({ ...c, exponent: 0.5 }),
    },
  ],
  check: async (configs, ctx) =>
    configs.map((config, index) => {
      const rng = RandomStream.at(ctx.masterSeed, 'fake-kernel-width', 'config', index);
      const errors = config.widths.map((m) => 2 * Math.pow(m, config.exponent) * Math.exp(0.05 * rng.normal()));
      const x = config.widths.map(Math.log);
      const line = leastSquaresLine(x, errors.map(Math.log));
      const se = 0.03;
      const slope = interval(line.slope, line.slope - 1.96 * se, line.slope + 1.96 * se, 'in [-0.65, -0.35]');
      const verdict: Verdict = slope.lower! >= -0.65 && slope.upper! <= -0.35 ? 'pass' : slope.upper! < -0.65 || slope.lower! > -0.35 ? 'fail' : 'inconclusive';
      return {
        verdict,
        metrics: { slope, predictedSlope: { value: -0.5 }, measuredSlope: slope, errorAtWidest: { value: errors[errors.length - 1] } },
        series: {
          'kernel error': {
            x: config.widths,
            y: { 'relative Frobenius error': errors, 'fit m^{-1/2}': config.widths.map((m) => Math.exp(line.intercept) * Math.pow(m, -0.5)) },
            xLabel: 'width m',
            yLabel: '‖Θ̂ − Θ‖_F / ‖Θ‖_F',
            logX: true,
            logY: true,
          },
        },
      };
    }),
});

// ---------------------------------------------------------- fake-entropy-gap

interface EntropyConfig {
  D: number;
  steps: number;
  learnSigma: boolean;
}

const fakeEntropy = defineClaim<EntropyConfig>({
  id: 'fake-entropy-gap',
  title: 'Fake entropy sum: ELBO → sum of entropies',
  family: 'entropy',
  source: D23,
  statement:
    'A synthetic stand-in: at stationary points the ELBO equals the entropy sum $S = \\frac{1}{N}\\sum_n H[q_n] - H[\\pi] - \\sum_c \\bar q_c H_B(p_c)$; ' +
    'the relative gap |F − S|/|F| shrinks below 1%.',
  formula: 'F - S = D / 2 * (1 - s / sigma^2)',
  assumptions: [
    { id: 'learned-variance', statement: 'σ² is learned.' },
    { id: 'constant-base-measure', statement: 'The base measure is constant.' },
    { id: 'exact-posterior', statement: 'q is the exact posterior (not needed: the identity holds for any q).' },
  ],
  tiers: { quick: { D: 64, steps: 300, learnSigma: true }, full: { D: 784, steps: 3000, learnSigma: true } },
  falsifiers: [
    {
      id: 'fixed-sigma',
      description: 'σ² fixed at 1 (VAE-0): the decoder variance cannot become stationary.',
      expected: 'gap ≈ D/2',
      mutate: (c) => ({ ...c, learnSigma: false }),
    },
  ],
  check: async (configs, ctx) =>
    configs.map((config, index) => {
      const rng = RandomStream.at(ctx.masterSeed, 'fake-entropy-gap', 'config', index);
      const steps = Array.from({ length: 30 }, (_, i) => Math.round(((i + 1) * config.steps) / 30));
      const S = steps.map((t) => -0.9 * config.D - 20 * Math.exp(-t / 60));
      const floorGap = config.learnSigma ? 0 : config.D / 2;
      const F = S.map((s, i) => s - (floorGap + 30 * Math.exp(-steps[i] / 40)) * (1 + 0.01 * rng.normal()));
      const relGap = F.map((f, i) => Math.abs(f - S[i]) / Math.abs(f));
      // The engine arm's training, the same for the claim and its falsifier (which perturbs the end point only).
      const armSteps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
      const armGap = (rate: number) => armSteps.map((k) => 0.5 * Math.exp(-k / rate) + 2e-7);
      const finalGap = F[F.length - 1] - S[S.length - 1];
      const finalRel = relGap[relGap.length - 1];
      return {
        verdict: finalRel <= 0.01 ? 'pass' : 'fail',
        assumptions: [
          { id: 'learned-variance', met: config.learnSigma, detail: config.learnSigma ? 'σ² learned' : 'σ² fixed at 1' },
          { id: 'constant-base-measure', met: true, detail: 'Gaussian decoder' },
        ],
        metrics: {
          relativeGap: { value: finalRel, criterion: '≤ 0.01 at the last checkpoint' },
          predictedGap: { value: floorGap },
          measuredGap: { value: -finalGap },
          isotropicEngineGradientOverFloor: { value: 1.2, criterion: 'Σ|d_i ∂_iF| / floor ≤ 4 (premise: stationary to float32 resolution)' },
        },
        series: {
          'ELBO vs entropy sum': {
            x: steps,
            y: { 'ELBO F': F, 'entropy sum S (predicted)': S },
            xLabel: 'training step',
            yLabel: 'nats per point',
          },
          'relative gap': { x: steps, y: { '|F − S|/|F|': relGap }, xLabel: 'training step', yLabel: 'relative gap', logY: true },
          engineGap: {
            title: 'Engine arm: the gap |F − S − B| = |⟨d, ∇F⟩| (exact decomposition) while the engine trains',
            x: armSteps,
            y: { '½ EM posterior + ½ uniform q, covariance full (a long legend entry that must not be cut)': armGap(60), 'random q': armGap(30) },
            xLabel: 'training step k (full-batch SGD, γ_k = 0.3·k^{-0.1})',
            yLabel: '|F − S − B| (nats/point; B = 0 for a constant base measure)',
            logX: true,
            logY: true,
          },
        },
        notes: config.learnSigma ? ['gap closes as σ² becomes stationary'] : [],
      };
    }),
});

// -------------------------------------------------------- fake-inconclusive

const fakeInconclusive = defineClaim<{ seeds: number }>({
  id: 'fake-inconclusive',
  title: 'Fake claim whose interval straddles its threshold',
  family: 'convergence',
  source: SGL25,
  statement: 'A synthetic claim that cannot decide: the interval straddles the threshold, and its falsifier is not caught.',
  assumptions: [],
  tiers: { quick: { seeds: 3 }, full: { seeds: 3 } },
  falsifiers: [{ id: 'no-op', description: 'A mutation that changes nothing.', expected: 'should fail but cannot', mutate: (c) => ({ ...c }) }],
  check: async (configs) =>
    configs.map((_, i) => ({
      verdict: (i === 0 ? 'inconclusive' : 'pass') as Verdict,
      metrics: { slope: interval(-0.36, -0.5, -0.2, 'upper bound ≤ -0.35'), ratio: { value: Number.NaN } },
      series: {
        'with non-positive points': { x: [0, 1, 2, 3, 4], y: { y: [1, 0, -1, 2, 3] }, xLabel: 'x', yLabel: 'y', logX: true, logY: true },
      },
    })),
});

// --------------------------------------------------------------- fake-crash

const fakeCrash = defineClaim<{ size: number }>({
  id: 'fake-crash',
  title: 'Fake claim whose check throws',
  family: 'ntk',
  source: WH24,
  statement: 'A synthetic claim whose check crashes: the run records verdict error and goes on.',
  assumptions: [],
  tiers: { quick: { size: 1 }, full: { size: 1 } },
  falsifiers: [{ id: 'bigger', description: 'size × 2', expected: 'fail', mutate: (c) => ({ size: c.size * 2 }) }],
  check: async () => {
    throw new Error('synthetic failure <with markup & "quotes">');
  },
});

export const FAKE_CLAIMS: readonly Claim[] = [fakeRate, fakeKernel, fakeEntropy, fakeInconclusive, fakeCrash];
/** Only claims that pass with every falsifier caught. */
export const PASSING_FAKE_CLAIMS: readonly Claim[] = [fakeRate, fakeKernel, fakeEntropy];

export async function fixtureReport(claims: readonly Claim[] = FAKE_CLAIMS, seed = 7): Promise<VerifyReport> {
  return runClaims({ claims, tier: 'quick', seed, backend: FAKE_BACKEND, command: ['verify', '--tier', 'quick', '--seed', String(seed)] });
}

