/**
 * Float64 evaluation of D23's VAE-2 and VAE-3 (params.ts) on a data set with
 * FIXED evaluation noise ε (K samples per point): the ELBO F, the three
 * entropies, the entropy sum S and the exact gap decomposition.
 *
 * Derivation [D] (ours; D23's code gives the entropy sums [C], not the gap).
 * Per point n, with q_n = N(ν_n, diag τ_n²), z_nk = ν_n + τ_n ε_nk, ℓ_d = log σ_d²,
 * r_d = x_nd − f_d(z):
 *   F = (1/N) Σ_n [ (1/K) Σ_k Σ_d (−½ log 2π − ½ ℓ_d − r_d² e^{−ℓ_d}/2) − KL(q_n ‖ p(z)) ],
 *   KL(q_n ‖ N(0, diag α²)) = ½ Σ_h [ (τ_h² + ν_h²)/α_h² − 1 − log τ_h² + log α_h² ].
 * The entropies (D23's elbo.py: p_z.entropy(), q_z.entropy(), p_x_z.entropy()):
 *   H_enc = (1/N) Σ_n Σ_h ½ log(2πe τ_nh²),  H_prior = Σ_h ½ log(2πe α_h²),
 *   H_dec = (1/N) Σ_n (1/K) Σ_k Σ_d ½ log(2πe σ_d²(z_nk)),   S = H_enc − H_prior − H_dec.
 * (VAE-1: α = 1, ℓ_d = log σ² for all d; VAE-2: ℓ_d = log σ²; VAE-3: α = 1,
 * and S is D23's Eq. 31, verification/VAE.py three_entropies_sigmaz:
 * −(D/2) log(2πe) − (1/N) Σ_n E_q Σ_d log σ_d(z) + (1/N) Σ_n Σ_h log τ_h.)
 * Subtracting term by term (the log 2π, the log τ² and the log α² cancel):
 *   F − S = R_x + R_z,
 *   R_x = (1/N) Σ_n (1/K) Σ_k Σ_d ½ (1 − r_d² e^{−ℓ_d}) = (D/2)(1 − u),
 *         u = (1/(N K D)) Σ_{n,k,d} r_d² / σ_d²(z_nk),
 *   R_z = −½ Σ_h (m_h / α_h² − 1),   m_h = (1/N) Σ_n (ν_nh² + τ_nh²),
 * for ANY parameters and any fixed ε (the same samples in F and S). Both parts
 * are derivatives of F along rescaling directions:
 *   R_x = −∂F/∂c for the global shift ℓ_d(z) → ℓ_d(z) + c (the logVar
 *         coordinate: VAE-2's log σ², VAE-3's shift of log σ²(z));
 *   R_z = −Σ_h ∂F/∂(log α_h²) for VAE-2 (the learned prior variances), and
 *   R_z = ½ Σ_h ∂F/∂ρ_h for VAE-3 (the latent rescaling z_h → e^{ρ} z_h with the
 *         decoder reading z e^{−ρ}, as for VAE-1: ∂F/∂ρ_h = −(m_h − 1)).
 * At a point stationary along these directions both vanish and F = S. VAE-2's
 * unit-norm constraint is not needed for the identity (α's own derivative
 * closes R_z); it removes the flat direction (z_h, W_h, α_h) → (c z_h, W_h/c, c α_h)
 * so that α is determined.
 * F is computed from its definition (per-dimension log densities, the KL in
 * closed form), the entropies from their own formulas and the parts from u
 * and m_h: three computations that agree to rounding when the code is right.
 *
 * Wrong entropy sums (the claim's falsifiers), with their exact effect, so that
 * the decomposition still explains the measured gap:
 *  - 'vae1' on VAE-3: VAE-1's H_dec = (D/2) log(2πe σ̄²) with the constant
 *    σ̄² = mean over n, k, d of σ_d²(z_nk): S drops by
 *    J = (D/2)(log σ̄² − mean ℓ) ≥ 0 (Jensen; 0 only for a constant σ²), and
 *    F − S = R_x + R_z + J, J not vanishing at stationary points.
 *  - 'standard-prior' on VAE-2: the N(0, I) prior entropy (H/2) log(2πe) with
 *    learned α: S rises by ½ Σ_h log α_h², F − S = R_x + R_z − ½ Σ_h log α_h².
 */
import { decomposition, diagnosis, gaussianEntropy1d, LOG_2PI, LOG_2PIE, type EntropyDiagnosis } from '../../entropy/formulas.ts';
import { checkVariantArch, VARIANCE_SCALE, type VaeVariant, type VariantVaeArch, type VariantVaeParams } from './params.ts';

export interface VariantEvaluationSet {
  /** N×D row-major. */
  x: ArrayLike<number>;
  N: number;
  /** N×K×H standard normals. */
  eps: ArrayLike<number>;
  K: number;
}

/** Which entropy sum is tested: the variant's own (correct) one, or a falsifier's wrong one (see the header). */
export type EntropyFormula = 'own' | 'vae1' | 'standard-prior';

export interface VariantVaeDiagnosis extends EntropyDiagnosis {
  variant: VaeVariant;
  /** u = mean of r²/σ²(z): 1 at a stationary point of the shift c. */
  weightedError: number;
  /** m_h per latent. */
  secondMoments: number[];
  /** α_h² per latent (1 for VAE-3). */
  priorVariances: number[];
  /** Mean over n, k, d of log σ_d²(z_nk), and of σ_d²(z_nk). */
  meanLogVariance: number;
  meanVariance: number;
  /** The wrong formula's exact offset of F − S (0 for the variant's own entropy sum). */
  formulaMismatch: number;
}

/** y = tanh?(x W + b) for one row x; W is rows×cols row-major. */
function dense(x: ArrayLike<number>, xo: number, rows: number, W: ArrayLike<number>, b: ArrayLike<number> | null, cols: number, out: Float64Array, tanh: boolean): void {
  for (let j = 0; j < cols; j++) out[j] = b === null ? 0 : b[j];
  for (let i = 0; i < rows; i++) {
    const v = x[xo + i];
    if (v === 0) continue;
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j] += v * W[o + j];
  }
  if (tanh) for (let j = 0; j < cols; j++) out[j] = Math.tanh(out[j]);
}

/** The decoder's first layer as the variant uses it: VAE-2 normalises every latent row to unit norm. */
export function decoderFirstLayer(p: VariantVaeParams, arch: VariantVaeArch, variant: VaeVariant): Float64Array {
  const { hidden: Hd, latent: H } = arch;
  const W = Float64Array.from(p.Wd1);
  if (variant === 'vae3') return W;
  for (let h = 0; h < H; h++) {
    let n2 = 0;
    for (let j = 0; j < Hd; j++) n2 += W[h * Hd + j] ** 2;
    const inv = 1 / Math.sqrt(n2);
    for (let j = 0; j < Hd; j++) W[h * Hd + j] *= inv;
  }
  return W;
}

export function diagnoseVariantVae(
  p: VariantVaeParams,
  arch: VariantVaeArch,
  variant: VaeVariant,
  set: VariantEvaluationSet,
  opts: { entropyFormula?: EntropyFormula } = {},
): VariantVaeDiagnosis {
  checkVariantArch(arch);
  const formula = opts.entropyFormula ?? 'own';
  const { D, hidden: Hd, latent: H } = arch;
  const { N, K, x, eps } = set;
  if (x.length !== N * D) throw new RangeError(`diagnoseVariantVae: x has length ${x.length}, expected N×D = ${N * D}`);
  if (eps.length !== N * K * H) throw new RangeError(`diagnoseVariantVae: ε has length ${eps.length}, expected N×K×H = ${N * K * H}`);
  const k = VARIANCE_SCALE;
  const rho = Float64Array.from(p.rho, (v) => k * v);
  const logAlpha2 = variant === 'vae2' ? Float64Array.from(p.logAlpha, (v) => k * v) : new Float64Array(H);
  const alpha2 = logAlpha2.map(Math.exp);
  const Wd1 = decoderFirstLayer(p, arch, variant);
  const shift = k * p.logVar[0];
  const h = new Float64Array(Hd);
  const nu = new Float64Array(H);
  const lv = new Float64Array(H);
  const z = new Float64Array(H);
  const g = new Float64Array(Hd);
  const f = new Float64Array(D);
  const head = new Float64Array(D);
  const m = new Float64Array(H);
  let logLikTotal = 0;
  let klTotal = 0;
  let encoderEntropy = 0;
  let decoderEntropy = 0;
  let weighted = 0;
  let sumLogVar = 0;
  let sumVar = 0;
  for (let n = 0; n < N; n++) {
    dense(x, n * D, D, p.We1, p.be1, Hd, h, true);
    dense(h, 0, Hd, p.Wmu, p.bmu, H, nu, false);
    dense(h, 0, Hd, p.Wlv, p.blv, H, lv, false);
    for (let j = 0; j < H; j++) {
      nu[j] *= Math.exp(rho[j]);
      lv[j] += 2 * rho[j];
      const t2 = Math.exp(lv[j]);
      m[j] += nu[j] * nu[j] + t2;
      klTotal += 0.5 * ((t2 + nu[j] * nu[j]) / alpha2[j] - 1 - lv[j] + logAlpha2[j]);
      encoderEntropy += gaussianEntropy1d(t2);
    }
    for (let s = 0; s < K; s++) {
      const eo = (n * K + s) * H;
      for (let j = 0; j < H; j++) {
        const zj = nu[j] + Math.exp(0.5 * lv[j]) * eps[eo + j];
        z[j] = variant === 'vae3' ? zj * Math.exp(-rho[j]) : zj;
      }
      dense(z, 0, H, Wd1, p.bd1, Hd, g, true);
      dense(g, 0, Hd, p.Wd2, p.bd2, D, f, false);
      if (variant === 'vae3') dense(g, 0, Hd, p.Wv, null, D, head, false);
      let ll = 0;
      for (let i = 0; i < D; i++) {
        const l = variant === 'vae3' ? shift + k * p.logVarD[i] + head[i] : shift;
        const v = Math.exp(l);
        const r = x[n * D + i] - f[i];
        ll += -0.5 * (LOG_2PI + l) - (r * r) / (2 * v);
        decoderEntropy += gaussianEntropy1d(v) / K;
        weighted += (r * r) / v;
        sumLogVar += l;
        sumVar += v;
      }
      logLikTotal += ll / K;
    }
  }
  const u = weighted / (N * K * D);
  const meanLogVariance = sumLogVar / (N * K * D);
  const meanVariance = sumVar / (N * K * D);
  const secondMoments = Array.from(m, (mh) => mh / N);
  const elbo = logLikTotal / N - klTotal / N;
  let priorEntropy = 0;
  for (let j = 0; j < H; j++) priorEntropy += 0.5 * (LOG_2PIE + logAlpha2[j]);
  let prior = 0;
  for (let j = 0; j < H; j++) prior -= 0.5 * (secondMoments[j] / alpha2[j] - 1);
  const d = diagnosis(
    { encoderEntropy: encoderEntropy / N, priorEntropy, decoderEntropy: decoderEntropy / N },
    elbo,
    decomposition(prior, 0.5 * D * (1 - u)),
  );
  const own: VariantVaeDiagnosis = {
    ...d,
    variant,
    weightedError: u,
    secondMoments,
    priorVariances: Array.from(alpha2),
    meanLogVariance,
    meanVariance,
    formulaMismatch: 0,
  };
  return withEntropyFormula(own, formula, arch);
}

/**
 * The diagnosis of the same point under a wrong entropy sum (a falsifier, see
 * the header), from its primitives: the wrong S, and the decomposition with the
 * formula's exact offset J added to the part it belongs to.
 */
export function withEntropyFormula(own: VariantVaeDiagnosis, formula: EntropyFormula, arch: VariantVaeArch): VariantVaeDiagnosis {
  if (formula === 'own') return own;
  if ((formula === 'vae1' && own.variant !== 'vae3') || (formula === 'standard-prior' && own.variant !== 'vae2')) {
    throw new RangeError(`entropy formula "${formula}" is a falsifier of ${formula === 'vae1' ? 'VAE-3' : 'VAE-2'}, not of ${own.variant}`);
  }
  const { D, latent: H } = arch;
  const encoderEntropy = own.encoderEntropy;
  let { priorEntropy, decoderEntropy } = own;
  let { prior, decoder } = own.decomposition;
  let mismatch: number;
  if (formula === 'vae1') {
    // VAE-1's decoder entropy with one constant σ̄² (the mean variance): S drops by J ≥ 0.
    decoderEntropy = 0.5 * D * (LOG_2PIE + Math.log(own.meanVariance));
    mismatch = 0.5 * D * (Math.log(own.meanVariance) - own.meanLogVariance);
    decoder += mismatch;
  } else {
    // N(0, I)'s prior entropy with learned α: S rises by ½ Σ_h log α_h².
    priorEntropy = 0.5 * H * LOG_2PIE;
    mismatch = -0.5 * own.priorVariances.reduce((a, v) => a + Math.log(v), 0);
    prior += mismatch;
  }
  const d = diagnosis({ encoderEntropy, priorEntropy, decoderEntropy }, own.elbo, decomposition(prior, decoder));
  return { ...own, ...d, formulaMismatch: mismatch };
}
