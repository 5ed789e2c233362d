/**
 * iwae-rate [SGL25, IWAE theorem]: SGD on the importance-weighted bound L_K
 * with γ_k = C k^{-1/2} reaches
 *   G_n = O( L*_K/√n + d* log n / (B K √n) ),
 * G_n = E‖∇L_K(θ_R)‖², R uniform on {0..n}.
 *
 * The paper's statement, as checked: the rate criterion of sgd-rate-linear-vae
 * on G_n (slope of log G_n ≤ −0.35 and log(G_n √n / log n) not rising, each on
 * its 95% bootstrap interval over seeds), for every arm.
 *
 * Our sharpenings (not the paper's words) and why they follow:
 *   - The test bed must tell L_K from the ELBO. With the learned diagonal
 *     encoder the linear VAE's optimum has a diagonal posterior, so q is exact
 *     there and L_K and the ELBO share their stationary points: an engine that
 *     trained the ELBO passed. We restrict the encoder to a FIXED isotropic
 *     variance, q(z|x) = N(Vx + c, e^{s₀} I) with s₀ = 0.5: it equals the
 *     posterior N(M⁻¹Wᵀ(x − b), σ_x² M⁻¹) only where σ_x² M⁻¹ = e^{s₀} I,
 *     impossible with a posterior variance ≤ 1 < e^{0.5}, so the two optima
 *     differ (and q, wider than the posterior, keeps the weights bounded).
 *     The theorem covers any smooth encoder family, so the claim is unchanged.
 *     By how much, in the claim's own metric: ‖∇L_K‖² at the ELBO's optimum
 *     (metric iwaeVsElboSeparation; quick tier 1.3–1.6, 30–55x the claim's
 *     final E‖∇L_K(θ_n)‖²). The data have a fixed spectrum (W* singular values
 *     2.5, 2, 1.5; iwae-data.ts) so this separation and the transient do not
 *     depend on the master seed.
 *   - lastDecadeSlope: the seed-averaged exact E‖∇L_K(θ_k)‖² over the last
 *     decade must decay (slope ≤ −0.375 on its upper bound). G_n is a running
 *     average that mostly shows the burn-in being averaged out; an engine that
 *     converges to another objective's optimum leaves E‖∇L_K(θ_k)‖² at a floor,
 *     which G_n's slope shows less clearly (the objective-is-elbo falsifier's G_n
 *     slope is −0.11 to −0.22, the iterates' slope −0.11 to −0.25). Near an optimum the
 *     noise ball shrinks like γ_k (slope −1/2); during the transient faster.
 *   - Arms at FIXED K (B = 8, 16 at K = 4), "G_n non-increasing in B" within
 *     10%. The old comparison across B·K = 16, 32, 64 compared (B=16, K=1) with
 *     (B=8, K=4): the ELBO's gradient norm with L_4's, norms of different
 *     functions (3 of 50 calibration seeds inconclusive there). Across K the
 *     objective itself changes (L*_K in the bound changes with it), and the
 *     IWAE encoder gradient's signal-to-noise ratio falls with K (Rainforth et
 *     al. 2018), so no monotonicity in K follows from the bound; across B at
 *     fixed K the objective is one function and only the variance term d* log n/(B K √n)
 *     moves.
 *   - Engine conformance, measured not declared (src/claims/convergence/shared/iwae-conformance.ts):
 *     kernel and TF.js autodiff against the float64 reference on identical
 *     draws; the kernel's stochastic gradient unbiased for ∇L_K (Bonferroni
 *     max-|t|, false alarm 1e-4); the reference at K = 1 unbiased for the
 *     closed-form ELBO gradient. Failure is `error`: the engine is not
 *     computing the IWAE gradient, so its rate is no evidence either way.
 *
 * Measurement: ∇L_K has no closed form (K > 1); at log-spaced checkpoints
 * (denser over the last decade) ‖∇L_K‖² over the whole data set is the
 * unbiased U-statistic of J antithetic pairs of float64 estimates (variance
 * floor subtracted), and G_n the trapezoid rule in k.
 *
 * Falsifiers: constant-step (γ_k = C: G_n plateaus or diverges) and
 * objective-is-elbo (the engine trains the mean of the K log-weights, i.e. the
 * ELBO: E‖∇L_K(θ_k)‖² floors at the predicted ‖∇L_K(θ*_ELBO)‖²).
 *
 * Your data (`verify --data FILE`): any points in R^D with D ≥ d_z (the
 * file's columns are d_x), in place of the fixed-spectrum synthetic data; the
 * claim and both falsifiers train on them, and every float64 measurement is
 * of them: ‖∇L_K‖² over all the rows, the ELBO's optimum from their moments
 * (the separation and objective-is-elbo's predicted floor), log p(x) there
 * and the engine conformance. Nothing needs a generating model: q, with its
 * fixed variance e^{s₀} > 1 ≥ any posterior variance, is not the posterior at
 * the ELBO's optimum whatever the rows. But the rows' largest principal
 * variance λ₁ must exceed e^{s₀} σ_x² (= 1.65): along a principal direction
 * of variance λ, with the encoder mean optimal for W = w u, the ELBO is
 * λw²/(2σ_x²(w² + σ_x²)) − e^{s₀}w²/(2σ_x²) + const, whose maximum is at
 * w = 0 iff λ ≤ e^{s₀} σ_x²; there L_K is stationary too (z → −z), so no run
 * can tell L_K from the ELBO. Such rows are rejected before training, naming
 * the scale needed (measured on rows with λ₁ = 1.24: separation 3e-21,
 * objective-is-elbo not caught). What else the rows set, and the verdict
 * may show: the separation (reported; assumption iwae-differs-from-elbo); the
 * step's fit to their scale (C = 0.03 was sized for the claim's own data,
 * principal variances up to ≈ 6.5: on such rows with every value tripled SGD
 * diverged within 6 steps, verdict `error` with a note to scale the rows or
 * lower --set schedule.C); and the power of the last-decade measurement: where SGD
 * leaves its transient sooner than on the claim's own data, E‖∇L_K(θ_k)‖² can
 * fall into the noise of the 3-pair estimate, the slope's bound is undefined
 * and the verdict inconclusive, with a note: more pairs (--set
 * estimatorPairs=…) measure it (measured: 120 rows in R^5, inconclusive at 3
 * pairs, pass at 6).
 */
import { defineClaim, type Falsifier, type TakesData, type Tier } from '../../contract/claim.ts';
import { dataStats, eigenSystem } from '../../models/ppca/oracle.ts';
import { SGL25 } from '../sources.ts';
import { checkIwaeRate, iwaeRateConfigSchema, type IwaeRateConfig } from './iwae-rate.check.ts';

// C = 0.03: the quick tier's last decade is then still the transient (iterates' slope −1.3 to
// −1.9, seed-to-seed spread small), where an engine optimising another objective stands out
// clearly; at C = 0.05 the B = 8 arm entered its noise ball (expected slope −1/2, against the
// −0.375 threshold), and with 8–12 seeds one master seed in 8 came out inconclusive. s₀ = 0.5,
// not 0: at s₀ = 0 the terms e^{s/2} and ½Σs of the log-weights are 1 and 0, so a bug in them
// would be invisible here; at s₀ = −0.5 the ELBO's optimum is approached so slowly that
// objective-is-elbo came out inconclusive (its iterates' slope −0.35 to −0.43). Scan of master
// seeds 1–9 (8 seeds each): the claim's last-decade upper bounds ≤ −0.87, G_n slope upper bounds
// ≤ −0.46, logGain lower bounds ≥ −0.02 (vs −0.095); objective-is-elbo's last-decade lower
// bounds ≥ −0.29 (fail: > −0.375); constant-step fails on the B = 8 arm's G_n slope.
// Conformance: 50 mean-test draws of B = 100 (power: a bias of ≈ 1 SD of a B = 100 draw per
// coordinate; the ELBO in place of L_4 shows at |t| > 20), 40 K = 1 anchor pairs.
const common = {
  optimizer: { kind: 'sgd' } as const,
  schedule: { C: 0.03, alpha: 0.5 },
  arms: [
    { batchSize: 8, samples: 4 },
    { batchSize: 16, samples: 4 },
  ],
  encoderLogVariance: 0.5,
  objective: 'iwae' as const,
  sigmaX: 1,
  decades: 2,
  lastDecadeCheckpoints: 8,
  maxSlope: -0.35,
  maxNormalisedSlope: 0.05,
  maxLastDecadeSlope: -0.375,
  tolerance: 0.1,
  conformance: { draws: 50, batchSize: 100, anchorDraws: 40, falseAlarm: 1e-4 },
  separationPairs: 32,
};

const tiers: Record<Tier, IwaeRateConfig> = {
  quick: { ...common, data: { n: 300, dx: 10, dz: 3, noiseStd: 0.5, singularValues: [2.5, 2, 1.5] }, seeds: 8, steps: 5000, checkpointsPerDecade: 5, estimatorPairs: 3 },
  full: { ...common, data: { n: 500, dx: 10, dz: 3, noiseStd: 0.5, singularValues: [2.5, 2, 1.5] }, seeds: 12, steps: 20000, checkpointsPerDecade: 8, estimatorPairs: 4 },
};

// A constant step at the full C may diverge for some seeds (the IWAE bound's
// Monte Carlo KL term makes the gradient heavy-tailed): a diverged run has
// G_n → ∞ and fails the check like a plateau does (src/claims/shared/divergence.ts;
// the other runs of the batch are retrained without it).
export const constantStep: Falsifier<IwaeRateConfig> = {
  id: 'constant-step',
  description: 'Constant step γ_k = C (α = 0) for every arm: SGD settles in a noise ball whose size does not shrink (or, beyond the stability limit, diverges).',
  expected: 'G_n plateaus (slope ≳ 0) or training diverges (G_n → ∞), so the rate criterion fails',
  mutate: (c) => ({ ...c, schedule: { ...c.schedule, alpha: 0 } }),
};

/** Any points in R^D: the linear IWAE (d_x = D, the tier's d_z) trains on them; N becomes the file's row count. */
export const iwaeRateTakesData: TakesData<IwaeRateConfig> = {
  describe:
    'points in R^D, one per row (real values), any number of columns D ≥ d_z = 3 (the latent dimension; --set data.dz=…); ' +
    'N ≥ 16 rows (the largest batch B); largest principal variance > e^{s₀} σ_x² = 1.65 (else L_K and the ELBO share their optimum); ' +
    'the step C = 0.03 suits values of the claim\'s own scale (principal variances ≲ 7)',
  dimension: () => null,
  withRows: (c, rows, columns) => ({ ...c, data: { source: 'file', n: rows, dx: columns, dz: c.data.dz } }),
  checkValues: (data, c) => {
    // λ₁ ≤ e^{s₀} σ_x²: the ELBO's optimum has W = 0 (header), where L_K is stationary too (z → −z): no run can tell them apart.
    const top = eigenSystem(dataStats(data.x, data.n, data.dim)).values[0];
    const threshold = Math.exp(c.encoderLogVariance) * c.sigmaX ** 2;
    if (top > threshold) return null;
    return {
      problem:
        `the rows' largest principal variance λ₁ = ${top.toPrecision(4)} is ≤ e^{s₀} σ_x² = ${threshold.toPrecision(4)}: the ELBO's optimum then has W = 0, where L_K is stationary too, ` +
        `so the claim cannot be told from its objective-is-elbo falsifier; multiply every value by more than ${Math.sqrt(threshold / Math.max(top, Number.MIN_VALUE)).toPrecision(3)}, or lower σ_x (--set sigmaX=…)`,
    };
  },
};

export const objectiveIsElbo: Falsifier<IwaeRateConfig> = {
  id: 'objective-is-elbo',
  description: 'The engine trains the ELBO — the mean of the K log-weights instead of their log-mean-exp — while the check measures ∇L_K.',
  expected: 'E‖∇L_K(θ_k)‖² floors near ‖∇L_K(θ*_ELBO)‖² (predicted vs measured): last-decade slope ≈ 0',
  remedy: 'a test bed where q is further from the posterior at the ELBO optimum (encoderLogVariance), or larger K',
  mutate: (c) => ({ ...c, objective: 'elbo' }),
};

export default defineClaim<IwaeRateConfig>({
  id: 'iwae-rate',
  title: 'SGD on the IWAE bound reaches E‖∇L_K‖² = O(log n/√n), and G_n is non-increasing in B at fixed K',
  family: 'convergence',
  source: SGL25,
  statement:
    'SGD ascent on the importance-weighted bound L_K with γ_k = C·k^{-1/2} gives G_n = O(L*_K/√n + d* log n/(B K √n)): ' +
    'the rate O(log n/√n), and G_n at fixed n and K non-increasing in B.',
  formula: 'G_n = O\\left(\\frac{L^*_K}{\\sqrt{n}} + \\frac{d^* \\log n}{B K \\sqrt{n}}\\right)',
  assumptions: [
    { id: 'step-schedule', statement: 'Steps γ_k = C·k^{-1/2}, k ≥ 1.' },
    { id: 'sgd', statement: 'Plain SGD on the IWAE bound with reparameterised samples.' },
    {
      id: 'exact-measurement',
      statement: 'G_n uses the gradient of the expected bound over the full data set: an unbiased float64 estimate from antithetic noise pairs, variance floor subtracted (no closed form for K > 1).',
    },
    {
      id: 'iwae-differs-from-elbo',
      statement: "The test bed tells L_K from the ELBO: q cannot be the posterior at the ELBO's optimum, where ‖∇L_K‖² is far above the claim's final E‖∇L_K(θ_n)‖².",
    },
    { id: 'engine-computes-iwae', statement: "The engine's stochastic gradient is the IWAE gradient: identical-draws agreement with the float64 reference, unbiased for ∇L_K." },
  ],
  tiers,
  falsifiers: [constantStep, objectiveIsElbo],
  check: (configs, ctx) => checkIwaeRate('iwae-rate', configs, ctx),
  takesData: iwaeRateTakesData,
  schema: iwaeRateConfigSchema,
  seedCount: (c) => c.seeds,
});
