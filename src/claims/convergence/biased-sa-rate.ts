/**
 * biased-sa-rate [SGL24, the NeurIPS 2024 companion of SGL25]: stochastic
 * approximation with a biased gradient. With steps γ_n = C n^{-1/2} and a
 * gradient bias ≤ C_α n^{-α}, E‖∇V(θ_R)‖² = O(n^{-1/2} log n + n^{-2α}) for
 * α < 1/4 (R uniform on {0..n}): O(n^{-1/4}) for α = 1/8, O(log n/√n) for
 * α ≥ 1/4. The IWAE θ-gradient is such a gradient for V(θ) = log p_θ(x): its
 * bias is O(1/K), so K_n ∝ n^a samples realise α = a.
 *
 * What could be read [V] (the companion's NeurIPS poster, not the paper): the
 * rate O(n^{-1/2} log n + n^{-r}) with a "bias-type term r_n = C_r n^{-r}",
 * r < 1/2; the bias assumption ≤ C_α n^{-α}; the IWAE bias ‖E∇̂_θ L_k −
 * ∇_θ log p_θ(x)‖ ≤ C/k; and the predicted O(n^{-1/4}) for α = 1/8,
 * O(n^{-1/2} log n) for α ∈ {1/4, 1/2}.
 * OUR READING (uncertain: the theorem's text could not be read): r = 2α,
 * i.e. the squared-norm rate carries the squared bias n^{-2α}. It is the
 * reading under which the poster's two statements agree (α = 1/8 → n^{-1/4};
 * α = 1/4 → r = 1/2, the unbiased rate), and the one a smooth-objective
 * descent argument gives (the bias enters through ⟨∇V, b_k⟩ ≤ ½‖∇V‖² +
 * ½‖b_k‖²). Under r = α instead the α = 1/8 prediction would be n^{-1/8},
 * which every slope ≤ −1/8 satisfies: our a = 1/8 upper thresholds (−0.15)
 * would then be too strict by 0.025 (the measured slopes, ≈ −0.35 to −0.42,
 * are far from both).
 *
 * Test bed. The linear Gaussian model x = W z + b + σ_x ε, θ = (W, b) trained
 * by SGD ascent with the engine's IWAE θ-gradient at a FIXED encoder
 * q(z|x) = N(V* x + c* + δ, e^{s₀} I) (V*, c* the exact posterior mean map at
 * the data's maximum-likelihood decoder θ*, δ = 0.5, s₀ = 0.5): q is not the
 * posterior, so the bias is not 0 at any K (with q the posterior every L_K has
 * the θ-gradient of log p and the fixed-K falsifier could not fail), and q is
 * wider than any posterior here (variance e^{0.5} > 1 ≥ σ_x² M⁻¹), so the
 * weights are bounded. Only θ trains: with φ trained too the fixed point moves
 * with K and the bias is no longer a perturbation of ∇V alone. The engine
 * draws K_k = min(Kmax, ⌈K0·k^a⌉) at step k (ReplicaSetting.samplesSchedule,
 * kernel trainer). Warm start W₀ = W* + 0.1·N(0, 1), b₀ = b*: the theorem
 * holds from any θ₀, and near θ* the transient term is small next to the bias
 * term at CPU sizes (the bias term is the one under test). Data: N = 64
 * points in R^6, d_z = 2, W* singular values 2.5, 2 (fixed spectrum,
 * iwae-data.ts), σ_x = 1, B = 4, γ_k = 0.3 k^{-1/2}: with C = 0.1 θ_k had
 * not reached the fixed-K stationary point within the quick tier (the fixed-K
 * iterates still rose, slope +0.1 to +0.2, and dragged the a = 1/8 arm's
 * slope up); at C = 0.3 they are flat (−0.04 to −0.13).
 *
 * Arms (K0 sets where the schedule starts; a sets the bias exponent):
 *   a = 1/8, K0 = 8:  K from 8 to 23 (quick, n = 4000) and 32 (full, n = 20000).
 *                     K0 = 8, not 1: ⌈k^{1/8}⌉ takes the values 3, 4 over the
 *                     quick tier's last two decades, a staircase, not k^{1/8};
 *                     ⌈8 k^{1/8}⌉ rounds by ≤ 1/8 of K.
 *   a = 1/2, K0 = 1:  K = ⌈√k⌉, up to 64 (quick) and 142 (full).
 * The cap Kmax = 512 bounds the cost of a run configured by hand; the schema
 * rejects a run in which it would bind (K_n > Kmax), so it never changes the
 * schedule within the run: the asymptotics at the tier's n are the uncapped
 * schedule's.
 *
 * Measured: the exact g_k = ‖∇_θ V(θ_k)‖², V = (1/N) Σ log p_θ(x_i) (closed
 * form, float64, independent of the engine), at log-spaced checkpoints, seed
 * average before logs, 95% bootstrap over seeds (12 quick, 16 full).
 * Judged, per arm:
 *   - the paper's: the slope of log G_n (G_n = mean_{k≤n} g_k, the theorem's
 *     E‖∇V(θ_R)‖², R uniform) over the last two decades: a = 1/8 upper bound
 *     ≤ −0.15 (n^{-1/4}, with 0.1 of slack: no log factor to absorb, unlike
 *     the −0.35 used for log n/√n); a = 1/2 upper bound ≤ −0.35 and the slope
 *     of log(G_n √n/log n) ≤ +0.05 (sgd-rate-linear-vae's rate criterion);
 *   - ours, the bias term visible: G_n's slope of the a = 1/8 arm minus the
 *     a = 1/2 arm's (paired bootstrap over the common seeds, each resample
 *     re-averaging both arms before logs) has its lower bound ≥ 0.1: the
 *     slowly growing K sets a slower rate, as the theorem's n^{-2α} term says
 *     it must (the issue asked for "the a = 1/8 interval excludes −0.4"; see
 *     below why a paired gap instead);
 *   - ours, every arm: the slope of the iterates' g_k over the last two
 *     decades has its upper bound ≤ the arm's threshold (−0.15, −0.35): G_n
 *     is a running average that drags its past, so a floor shows there late.
 * Why the bias term shows: near θ*, θ_k tracks the stationary point θ*_K of the
 * IWAE bound with K = K_k (relaxation in ~√k/C steps ≪ k), where ∇V =
 * −bias(K); so g_k ≈ ‖bias(K_k)‖² + (a noise ball ∝ γ_k).
 * Why not "excludes −0.4": on this test bed the engine's bias decays FASTER
 * than 1/K over the K the runs use (measured exponent p ≈ 1.4 between K = 4
 * and 16, bias·K still falling: O(1/K) holds as an upper bound with
 * C = bias(1), the asymptotic 1/K regime is not reached), so the a = 1/8 arm
 * realises a bias exponent ≈ ap ≈ 0.18 (the notes report −2ap) and, with the
 * warm start's transient, G_n's slope is −0.35 to −0.49 over master seeds
 * (calibration): an absolute lower threshold at −0.4 (or −0.5) was
 * inconclusive on 5 of 100 master seeds, while the paired gap to the a = 1/2
 * arm (predicted ≥ 0.14: −2ap ≈ −0.36 against ≤ −1/2; measured 0.31–0.37,
 * intervals within [0.27, 0.44], on master seed 1 and two of those five) is
 * clear on each. Calibration of the claim as it stands (quick tier, M = 100
 * master seeds): 100 pass; fixed-k and shared-schedule caught 100/100; 3.8 s
 * a run. The premise the theorem needs, bias ≤ C n^{-α} with
 * α = 1/8, holds (bias ≤ C/K_n ≤ C n^{-1/8}/8), and its O(n^{-1/4}) is what
 * the upper thresholds judge. Test beds with p ≈ 1 at these K (a less
 * mismatched q) had biases below the noise ball: the a = 1/8 arm then
 * converged at the unbiased rate (slope −0.55) within CPU sizes.
 *
 * Premises measured on the engine (error when they fail): the engine's
 * θ-gradient bias at θ* for K = 4, 8, 16 decays at least like 1/K (the decay
 * exponent p between K = 4 and 16 with its delta-method SE: error when
 * p + 3.72 SE < 1, false alarm 1e-4); the closed-form ∇_θ log p vanishes at
 * the closed-form ML decoder (the exact side anchored); the kernel trainer
 * steps with K_k = min(Kmax, ⌈K0 k^a⌉) at every k ≤ n (a recording kernel);
 * the fixed-encoder kernel and its TF.js objective match the float64
 * reference on identical draws; the step size and SGD (optimizer-probe.ts).
 *
 * Falsifiers: fixed-k (a = 0 in every arm: the bias never vanishes, g_k
 * floors at ‖bias(K0)‖²: the a = 1/2 arm's slopes ≈ 0; the a = 1/8 arm's fall
 * to ≈ −0.1, the noise ball's decay over the floor, which its −0.15 threshold
 * does not always separate; the gap of G_n slopes turns negative) and
 * shared-schedule (the a = 1/8 arm trains with the a = 1/2 arm's schedule:
 * the gap is exactly 0, below 0.1).
 *
 * Not covered: a user's data (the test bed is built around a known θ* and a
 * fixed encoder derived from it); the learned encoder; Adam.
 */
import { defineClaim, type Falsifier, type Tier } from '../../contract/claim.ts';
import { SGL24 } from '../sources.ts';
import { biasedSaConfigSchema, checkBiasedSaRate, type BiasedSaConfig } from './biased-sa-rate.check.ts';

const slowArm = { label: 'a=1/8', a: 0.125, K0: 8, maxSlope: -0.15, maxNormalisedSlope: null, maxIterateSlope: -0.15 };
const fastArm = { label: 'a=1/2', a: 0.5, K0: 1, maxSlope: -0.35, maxNormalisedSlope: 0.05, maxIterateSlope: -0.35 };

const common = {
  data: { n: 64, dx: 6, dz: 2, noiseStd: 0.5, singularValues: [2.5, 2] },
  sigmaX: 1,
  encoder: { logVariance: 0.5, meanShift: 0.5 },
  initScale: 0.1,
  schedule: { C: 0.3, alpha: 0.5 },
  batchSize: 4,
  arms: [slowArm, fastArm],
  // Predicted gap of G_n's slopes ≥ 0.14 (−2·(1/8)·1.4 against ≤ −0.5); measured 0.31–0.37 on master seeds 1 and two of
  // the first calibration's misses; fixed-k's gap −0.13 to −0.24, shared-schedule's exactly 0: 0.1 separates them.
  biasVisible: { slow: 'a=1/8', fast: 'a=1/2', minGap: 0.1 },
  Kmax: 512,
  checkpointsPerDecade: 5,
  lastDecadeCheckpoints: 8,
  decades: 2,
  iterateDecades: 2,
  // Draws of B = N = 64 rows: at K = 16 the U-statistic's relative SE of bias² is ≈ 0.04 at 2000 draws; measured SE(p) ≈ 0.015.
  premise: { Ks: [4, 8, 16], draws: 2000, z: 3.72 },
};

const tiers: Record<Tier, BiasedSaConfig> = {
  quick: { ...common, seeds: 12, steps: 4000 },
  full: { ...common, seeds: 16, steps: 20000 },
};

const fixedK: Falsifier<BiasedSaConfig> = {
  id: 'fixed-k',
  description: 'Every arm trains at a fixed K = K0 (a = 0): the IWAE gradient\'s bias never vanishes.',
  expected: 'E‖∇_θ log p(θ_k)‖² floors at ‖bias(K0)‖²: G_n and iterate slopes ≈ 0, above every arm\'s upper threshold',
  mutate: (c) => ({ ...c, arms: c.arms.map((a) => ({ ...a, a: 0 })) }),
};

const sharedSchedule: Falsifier<BiasedSaConfig> = {
  id: 'shared-schedule',
  description: "The bias-limited arm trains with the fastest arm's schedule (K_k = ⌈k^{1/2}⌉ where the claim sets ⌈8·k^{1/8}⌉): a wrong schedule exponent.",
  expected: 'the two arms train the same schedule: the gap of their G_n slopes is 0, below the criterion "the bias term is visible" (lower bound ≥ 0.1)',
  mutate: (c) => {
    const fast = c.arms.find((a) => a.label === c.biasVisible.fast)!;
    return { ...c, arms: c.arms.map((a) => (a.label === c.biasVisible.slow ? { ...a, a: fast.a, K0: fast.K0 } : a)) };
  },
};

export default defineClaim<BiasedSaConfig>({
  id: 'biased-sa-rate',
  title: 'SGD with a gradient bias O(n^{-α}) reaches E‖∇V‖² = O(n^{-1/2} log n + n^{-2α}): IWAE with K_n ∝ n^a',
  family: 'convergence',
  source: SGL24,
  statement:
    'Stochastic approximation with γ_n = C n^{-1/2} and a gradient bias ≤ C n^{-α} reaches E‖∇V(θ_R)‖² = O(n^{-1/2} log n + n^{-2α}) ' +
    '(our reading of the poster\'s n^{-r}, r = 2α): O(n^{-1/4}) for α = 1/8, O(log n/√n) for α ≥ 1/4. The IWAE θ-gradient with K_n ∝ n^a samples has bias O(n^{-a}).',
  formula: '\\mathbb{E}\\|\\nabla V(\\theta_R)\\|^2 = O\\left(\\frac{\\log n}{\\sqrt{n}} + n^{-2\\alpha}\\right),\\ \\|\\mathbb{E}\\widehat\\nabla_\\theta L_K - \\nabla_\\theta \\log p\\| \\le C/K',
  assumptions: [
    { id: 'step-schedule-half', statement: 'Steps γ_k = C·k^{-1/2}.' },
    { id: 'imperfect-encoder', statement: 'The fixed q(z|x) is not the posterior, so the bias is not 0 at any K.' },
    { id: 'bias-o-1-over-k', statement: "The engine's θ-gradient bias w.r.t. ∇_θ log p decays at least like 1/K (measured at θ*)." },
    { id: 'exact-gradient', statement: 'The closed-form ∇_θ log p (float64, independent of the engine) vanishes at the closed-form ML decoder θ* (measured).' },
    { id: 'samples-schedule', statement: 'The engine steps with K_k = min(Kmax, ⌈K0·k^a⌉) at every step (measured), the cap never binding within the run.' },
    { id: 'engine-computes-iwae', statement: "The engine's fixed-encoder IWAE gradient (kernel and TF.js) is the float64 reference's on identical draws." },
    { id: 'step-schedule', statement: 'The engine applies SGD with the stated γ_k over the whole run (measured).' },
  ],
  tiers,
  falsifiers: [fixedK, sharedSchedule],
  check: (configs, ctx) => checkBiasedSaRate('biased-sa-rate', configs, ctx),
  schema: biasedSaConfigSchema,
  seedCount: (c) => c.seeds,
});
