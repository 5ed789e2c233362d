/**
 * The entropy sum as a diagnostic: given a trained model and data, return the
 * three entropies, the entropy sum S, the ELBO F, the gap F − S and its exact
 * decomposition (prior part R_z, decoder part R_x, base-measure term B).
 * A gap far from 0 says the model is not at a stationary point along the
 * rescaling directions (e.g. σ² not converged, π not refitted) — the
 * decomposition says which part is off. [LW22, W25, D23]
 *
 *   import { diagnose } from 'src/entropy/diagnose.ts';
 *   const d = diagnose({ kind: 'gaussian-vae', params, arch }, { x, N, D });
 *   d.relativeGap, d.decomposition.decoder  // (D/2)(1 − s/σ²)
 *
 * Mixtures and SBNs use the exact posterior of the given parameters unless a
 * q is passed; PPCA always uses exact posteriors; VAEs use their encoders.
 */
import { RandomStream } from '../engine/rng.ts';
import { decomposition, diagnosis, LOG_2PIE, type EntropyDiagnosis } from './formulas.ts';
import * as gmm from '../models/mixtures/gmm.ts';
import * as mixture from '../models/mixtures/product-mixture.ts';
import { BERNOULLI } from '../models/mixtures/bernoulli-mixture.ts';
import { POISSON } from '../models/mixtures/poisson-mixture.ts';
import * as sbn from '../models/sbn/sbn.ts';
import { diagnoseExact as diagnosePpca } from '../models/ppca/oracle.ts';
import type { PpcaParams } from '../models/ppca/params.ts';
import { diagnoseLinearVae } from '../models/linear-vae/learned-variance.ts';
import { diagnoseGaussianVae } from '../models/gaussian-vae/evaluate.ts';
import type { GaussianVaeArch, GaussianVaeParams } from '../models/gaussian-vae/params.ts';
import { diagnoseVariantVae } from '../models/variant-vae/evaluate.ts';
import type { VaeVariant, VariantVaeArch, VariantVaeParams } from '../models/variant-vae/params.ts';

export type { EntropyDiagnosis } from './formulas.ts';

export interface DataSet {
  /** N×D row-major. */
  x: ArrayLike<number>;
  N: number;
  D: number;
}

/** Engine parameters of the learned-σ² linear VAE (float32 downloads or float64). */
export interface LinearVaeEngineParams {
  W: ArrayLike<number>;
  b: ArrayLike<number>;
  V: ArrayLike<number>;
  c: ArrayLike<number>;
  /** log τ_h². */
  s: ArrayLike<number>;
  /** [log σ²]. */
  logVar: ArrayLike<number>;
}

/**
 * Your own Gaussian VAE (D23's VAE-1: N(0, I) prior, Gaussian encoder, Gaussian
 * decoder with one learned variance σ²), given as functions of a batch of rows,
 * e.g. wrapping tf.LayersModels: `encode` returns each row's latent means and
 * log-variances, `decode` each latent row's decoder mean. Rows are row-major.
 */
export interface GaussianVaeFunctions {
  latent: number;
  encode(x: Float64Array, rows: number): { mean: ArrayLike<number>; logVariance: ArrayLike<number> };
  decode(z: Float64Array, rows: number): ArrayLike<number>;
  /** The decoder variance σ² (learned, for the identity to hold at stationarity). */
  variance: number;
}

export type TrainedModel =
  | { kind: 'gmm'; params: gmm.GmmParams; q?: Float64Array }
  | { kind: 'bernoulli-mixture'; params: mixture.ProductMixtureParams; q?: Float64Array }
  | { kind: 'poisson-mixture'; params: mixture.ProductMixtureParams; q?: Float64Array }
  | { kind: 'sbn'; params: sbn.SbnParams; q?: Float64Array }
  | { kind: 'ppca'; params: PpcaParams }
  | { kind: 'linear-vae'; params: LinearVaeEngineParams; fixedVariance?: number }
  | {
      kind: 'gaussian-vae';
      params: GaussianVaeParams;
      arch: GaussianVaeArch;
      /** Monte Carlo samples per point for E_q (default 4) and the seed of their noise (default 1). */
      samples?: number;
      seed?: number;
      fixedVariance?: number;
      /** false for a model trained without latent scales ρ (default: use the stored ρ). */
      latentScale?: boolean;
    }
  | { kind: 'gaussian-vae-functions'; model: GaussianVaeFunctions; samples?: number; seed?: number }
  | {
      /** D23's VAE-2 (learned prior variances, unit-norm decoder rows) or VAE-3 (σ(z) decoder), src/models/variant-vae/params.ts. */
      kind: 'vae-variant';
      variant: VaeVariant;
      params: VariantVaeParams;
      arch: VariantVaeArch;
      /** Monte Carlo samples per point for E_q (default 4) and the seed of their noise (default 1). */
      samples?: number;
      seed?: number;
    };

function float64(data: DataSet): Float64Array {
  if (data.x.length !== data.N * data.D) throw new RangeError(`diagnose: x has length ${data.x.length}, expected N×D = ${data.N * data.D}`);
  return Float64Array.from(data.x);
}

export class DiagnoseInputError extends Error {
  override name = 'DiagnoseInputError';
}

/**
 * Relative asymmetry a covariance may have and still be read as symmetric:
 * parameters written by other libraries (scikit-learn's GaussianMixture, a
 * float32 round trip) are symmetric only up to rounding, a few ulps of the
 * largest entry. 1e-8 is far above float64 rounding (2.2e-16 per operation)
 * and far below any asymmetry that would matter to the entropy sum.
 */
export const SYMMETRY_TOLERANCE = 1e-8;

/** The GMM with every full covariance replaced by (Σ + Σᵀ)/2 when it is symmetric within tolerance; a clear error beyond it. */
export function symmetricCovariances(p: gmm.GmmParams): gmm.GmmParams {
  if (p.kind !== 'full') return p;
  const { K, D } = p;
  const covs = Float64Array.from(p.covs);
  for (let c = 0; c < K; c++) {
    const o = c * D * D;
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) scale = Math.max(scale, Math.abs(covs[o + i * D + j]));
    for (let i = 0; i < D; i++) {
      for (let j = i + 1; j < D; j++) {
        const a = covs[o + i * D + j];
        const b = covs[o + j * D + i];
        worst = Math.max(worst, Math.abs(a - b));
        covs[o + i * D + j] = covs[o + j * D + i] = (a + b) / 2;
      }
    }
    if (!(worst <= SYMMETRY_TOLERANCE * scale)) {
      throw new DiagnoseInputError(
        `diagnose: covariance ${c} is not symmetric: max |Σ − Σᵀ| = ${worst.toExponential(2)}, ${(worst / scale).toExponential(2)} of its largest entry (allowed ≤ ${SYMMETRY_TOLERANCE}); pass a symmetric covariance`,
      );
    }
  }
  return { ...p, covs };
}

export function diagnose(model: TrainedModel, data: DataSet): EntropyDiagnosis {
  const x = float64(data);
  const set = { x, N: data.N, D: data.D };
  switch (model.kind) {
    case 'gmm': {
      const params = symmetricCovariances(model.params);
      return gmm.diagnose(params, model.q ?? gmm.eStep(params, set).q, set);
    }
    case 'bernoulli-mixture':
      return mixture.diagnose(BERNOULLI, model.params, model.q ?? mixture.eStep(BERNOULLI, model.params, set).q, set);
    case 'poisson-mixture':
      return mixture.diagnose(POISSON, model.params, model.q ?? mixture.eStep(POISSON, model.params, set).q, set);
    case 'sbn':
      return sbn.diagnose(model.params, model.q ?? sbn.eStep(model.params, set).q, set);
    case 'ppca':
      return diagnosePpca(model.params, x, data.N);
    case 'linear-vae': {
      const p = model.params;
      const variance = model.fixedVariance ?? Math.exp(p.logVar[0]);
      return diagnoseLinearVae(
        { W: Float64Array.from(p.W), b: Float64Array.from(p.b), V: Float64Array.from(p.V), c: Float64Array.from(p.c), s: Float64Array.from(p.s), variance },
        x,
        data.N,
        data.D,
      );
    }
    case 'gaussian-vae-functions':
      return diagnoseVaeFunctions(model.model, x, data.N, data.D, model.samples ?? 4, model.seed ?? 1);
    case 'gaussian-vae': {
      const K = model.samples ?? 4;
      if (!Number.isInteger(K) || K < 1) throw new RangeError(`diagnose: samples = ${K}; allowed an integer ≥ 1`);
      const eps = new Float64Array(data.N * K * model.arch.latent);
      RandomStream.at(model.seed ?? 1, 'entropy-diagnose').fillNormal(eps);
      return diagnoseGaussianVae(model.params, model.arch, { x, N: data.N, eps, K }, {
        fixedLogVariance: model.fixedVariance === undefined ? null : Math.log(model.fixedVariance),
        learnLatentScale: model.latentScale ?? true,
      });
    }
    case 'vae-variant': {
      const K = model.samples ?? 4;
      if (!Number.isInteger(K) || K < 1) throw new RangeError(`diagnose: samples = ${K}; allowed an integer ≥ 1`);
      const eps = new Float64Array(data.N * K * model.arch.latent);
      RandomStream.at(model.seed ?? 1, 'entropy-diagnose').fillNormal(eps);
      return diagnoseVariantVae(model.params, model.arch, model.variant, { x, N: data.N, eps, K });
    }
  }
}

/**
 * The entropy sum of a Gaussian VAE given as functions [D23]: the same
 * quantities as the engine's Gaussian VAE (src/models/gaussian-vae/evaluate.ts)
 * from the user's encoder and decoder, with K reparameterised samples per
 * point drawn from a named stream:
 *   S = (1/N) Σ_n Σ_h ½ log(2πe τ_h²(x_n)) − (H/2) log(2πe) − (D/2) log(2πe σ²),
 *   F = (1/N) Σ_n [E_q log N(x_n; f(z), σ² I) − KL(q_n ‖ N(0, I))],
 *   F − S = (D/2)(1 − s/σ²) − ½ Σ_h (m_h − 1)   exactly, for the same samples,
 * with s the per-dimension mean squared error and m_h = mean of ν_h² + τ_h².
 * At a stationary point of σ² and of the prior's scale both parts vanish.
 */
function diagnoseVaeFunctions(m: GaussianVaeFunctions, x: Float64Array, N: number, D: number, K: number, seed: number): EntropyDiagnosis {
  const H = m.latent;
  if (!Number.isInteger(K) || K < 1) throw new DiagnoseInputError(`diagnose: samples = ${K}; allowed an integer ≥ 1`);
  if (!(m.variance > 0) || !Number.isFinite(m.variance)) throw new DiagnoseInputError(`diagnose: decoder variance σ² = ${m.variance}; allowed a finite σ² > 0`);
  const { mean, logVariance } = m.encode(x, N);
  if (mean.length !== N * H || logVariance.length !== N * H) throw new DiagnoseInputError(`diagnose: encode returned ${mean.length} means and ${logVariance.length} log-variances for ${N} rows of latent dimension ${H} (expected ${N * H} each)`);
  const eps = new Float64Array(N * K * H);
  RandomStream.at(seed, 'entropy-diagnose').fillNormal(eps);
  const z = new Float64Array(N * K * H);
  const m2 = new Float64Array(H);
  let kl = 0;
  let encoderEntropy = 0;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      const nu = mean[n * H + h];
      const lv = logVariance[n * H + h];
      const t2 = Math.exp(lv);
      m2[h] += nu * nu + t2;
      kl += 0.5 * (t2 + nu * nu - 1 - lv);
      encoderEntropy += 0.5 * (LOG_2PIE + lv);
      for (let k = 0; k < K; k++) z[(n * K + k) * H + h] = nu + Math.exp(0.5 * lv) * eps[(n * K + k) * H + h];
    }
  }
  const f = m.decode(z, N * K);
  if (f.length !== N * K * D) throw new DiagnoseInputError(`diagnose: decode returned ${f.length} values for ${N * K} latent rows of data dimension ${D} (expected ${N * K * D})`);
  let sq = 0;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < D; i++) {
        const r = x[n * D + i] - f[(n * K + k) * D + i];
        sq += r * r;
      }
    }
  }
  const v = m.variance;
  const s = sq / (N * K * D);
  const logLik = -0.5 * D * (Math.log(2 * Math.PI) + Math.log(v)) - (D * s) / (2 * v);
  const elbo = logLik - kl / N;
  const secondMoments = Array.from(m2, (mh) => mh / N);
  const prior = secondMoments.reduce((a, mh) => a - 0.5 * (mh - 1), 0);
  return diagnosis(
    { encoderEntropy: encoderEntropy / N, priorEntropy: 0.5 * H * LOG_2PIE, decoderEntropy: 0.5 * D * (LOG_2PIE + Math.log(v)) },
    elbo,
    decomposition(prior, 0.5 * D * (1 - s / v)),
  );
}

