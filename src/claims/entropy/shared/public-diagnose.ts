/**
 * The public entry point against the claims' own evaluations. Users call
 * `diagnose({ kind, params, ... }, data)` (src/entropy/diagnose.ts); the
 * entropy claims evaluate their points with the model-specific functions
 * (gmm.diagnose, mixture.diagnose, sbn.diagnose, the PPCA oracle's
 * diagnoseExact, diagnoseLinearVae, diagnoseGaussianVae), so a bug in the
 * dispatcher (the wrong family, σ for σ², a covariance averaged wrongly, the
 * default posterior of another model) would be invisible to every claim.
 * Each claim therefore hands some of the points it judges to diagnose(), in
 * the form a user would (float32 engine downloads, a q or none, a covariance
 * symmetric only within the documented tolerance, the Monte Carlo seed), and
 * requires every reported quantity to equal its own evaluation of the same
 * point. A disagreement makes the claim `error`: its own evaluation and the
 * one users get contradict each other, so the claim's verdict says nothing
 * about what users run.
 */
import { diagnose, type DataSet, type TrainedModel } from '../../../entropy/diagnose.ts';
import type { EntropyDiagnosis } from '../../../entropy/formulas.ts';
import type { CheckResult } from '../../../contract/claim.ts';

/**
 * Default allowed |diagnose() − claim| per quantity, relative to max(1, |F|)
 * (F the claim's ELBO; the relative gap |F − S|/|F| is allowed this divided by
 * |F|). Why 1e-12: the public call evaluates the same parameters with the same
 * float64 model code — the dispatcher only converts (float32 → float64 is
 * exact, e^{logVar} is the claim's own expression, (Σ + Σᵀ)/2 is built to give
 * the claim's Σ exactly, the Monte Carlo noise is the claim's), so a correct
 * dispatcher agrees bit for bit (difference 0 in every clean run). 1e-12 still
 * admits a reordered float64 sum over the ≤ 10⁵ terms of these evaluations
 * (≈ 1e-13 relative), and is far below what a dispatcher bug moves: σ for σ²,
 * the wrong family or a covariance off by the allowed asymmetry (≥ 1e-9).
 */
export const PUBLIC_DIAGNOSE_TOLERANCE = 1e-12;

export interface PublicDiagnosePoint {
  /** The point as the claim names it, e.g. "engine, seed 0, end point". */
  label: string;
  /** The model as a user hands it to diagnose(). */
  model: TrainedModel;
  data: DataSet;
  /** The claim's own evaluation of the same point. */
  expected: EntropyDiagnosis;
  /** The function that produced `expected`, for the message, e.g. "gmm.diagnose". */
  by: string;
  /** Allowed difference relative to max(1, |F|) when it cannot be exact (default PUBLIC_DIAGNOSE_TOLERANCE; say why where set). */
  tolerance?: number;
}

export interface PublicDiagnoseAgreement {
  /** One message per point where diagnose() disagrees or throws (empty when it agrees everywhere). */
  failures: string[];
  /** Largest difference over points and quantities, relative to max(1, |F|). */
  worst: number;
  points: number;
  /** The model kinds the points were handed to diagnose() as. */
  kinds: string[];
}

/** The quantities compared: every number an EntropyDiagnosis reports. */
const QUANTITIES: { name: string; get: (d: EntropyDiagnosis) => number; perF?: boolean }[] = [
  { name: 'ELBO F', get: (d) => d.elbo },
  { name: 'encoder entropy', get: (d) => d.encoderEntropy },
  { name: 'prior entropy', get: (d) => d.priorEntropy },
  { name: 'decoder entropy', get: (d) => d.decoderEntropy },
  { name: 'entropy sum S', get: (d) => d.entropySum },
  { name: 'gap F − S', get: (d) => d.gap },
  { name: 'decomposition R_z (prior part)', get: (d) => d.decomposition.prior },
  { name: 'decomposition R_x (decoder part)', get: (d) => d.decomposition.decoder },
  { name: 'decomposition B (base measure)', get: (d) => d.decomposition.baseMeasure },
  { name: 'decomposition total R_z + R_x + B', get: (d) => d.decomposition.total },
  { name: 'decomposition error |F − S − total|', get: (d) => d.decompositionError },
  { name: 'correction added to S', get: (d) => d.correction ?? 0 },
  { name: 'relative gap |F − S|/|F|', get: (d) => d.relativeGap, perF: true },
];

function kindOf(m: TrainedModel): string {
  return m.kind === 'gaussian-vae' || m.kind === 'gaussian-vae-functions'
    ? `${m.kind}', samples: ${m.samples ?? 'default'}, seed: ${m.seed ?? 'default'}`
    : `${m.kind}'${'q' in m && m.q ? ', q' : ''}`;
}

/**
 * Every point through the public diagnose(): each quantity must equal the
 * claim's own evaluation within the point's tolerance. The messages name the
 * claim, the point, the quantity and both values.
 */
export function publicDiagnoseAgreement(claimId: string, points: readonly PublicDiagnosePoint[]): PublicDiagnoseAgreement {
  const failures: string[] = [];
  let worst = 0;
  for (const pt of points) {
    const call = `diagnose({ kind: '${kindOf(pt.model)} })`;
    const head = `the public diagnose() disagrees with the claim's own evaluation (${claimId}, at "${pt.label}")`;
    let got: EntropyDiagnosis;
    try {
      got = diagnose(pt.model, pt.data);
    } catch (err) {
      worst = Infinity;
      failures.push(`${head}: ${call} threw "${(err as Error).message}" where ${pt.by} evaluated the same point (F = ${pt.expected.elbo.toPrecision(12)})`);
      continue;
    }
    const tol = pt.tolerance ?? PUBLIC_DIAGNOSE_TOLERANCE;
    const F = Math.abs(pt.expected.elbo);
    const scale = Math.max(1, F);
    const mismatches: string[] = [];
    for (const q of QUANTITIES) {
      const a = q.get(got);
      const b = q.get(pt.expected);
      if (Object.is(a, b)) continue;
      // The relative gap is |F − S|/|F|: its difference is the gap's divided by |F|.
      const unit = q.perF ? scale / F : scale;
      const diff = Math.abs(a - b) / unit;
      const rel = Number.isNaN(diff) ? Infinity : diff;
      worst = Math.max(worst, rel);
      if (!(rel <= tol)) {
        mismatches.push(
          `${q.name} = ${a.toPrecision(15)} by ${call} but ${b.toPrecision(15)} by ${pt.by} ` +
            `(difference ${Math.abs(a - b).toExponential(3)}, ${rel.toExponential(2)} of ${q.perF ? '1/|F|' : 'max(1, |F|)'}, allowed ${tol.toExponential(0)})`,
        );
      }
    }
    const shown = mismatches.slice(0, MAX_QUANTITIES_SHOWN).join('; ') + (mismatches.length > MAX_QUANTITIES_SHOWN ? `; and ${mismatches.length - MAX_QUANTITIES_SHOWN} more quantities` : '');
    if (mismatches.length > 0) failures.push(`${head}: ${shown}`);
  }
  return { failures, worst, points: points.length, kinds: [...new Set(points.map((p) => p.model.kind))] };
}

/** Disagreeing quantities spelled out per point (the rest counted). */
const MAX_QUANTITIES_SHOWN = 3;

/**
 * A check's result with the agreement applied: `error` (and the first
 * disagreements as its error message) when diagnose() disagrees anywhere,
 * else unchanged but for a note of how many points agreed. Metrics untouched.
 */
export function requirePublicDiagnose(claimId: string, result: CheckResult, points: readonly PublicDiagnosePoint[]): CheckResult {
  return withPublicDiagnose(result, publicDiagnoseAgreement(claimId, points));
}

/**
 * The same with an agreement computed once for several results (e.g. the
 * points of every configuration trained in one replica batch: a falsifier's
 * settings, such as a fixed σ², then reach the claim's own verdict).
 */
export function withPublicDiagnose(result: CheckResult, a: PublicDiagnoseAgreement): CheckResult {
  if (a.failures.length === 0) {
    const note =
      `public diagnose(): ${a.points} point(s) evaluated again through diagnose({ kind, params, ... }, data) as a user calls it ` +
      `(${a.kinds.join(', ')}): every quantity equal to the claim's own evaluation (largest difference ${a.worst.toExponential(1)} of max(1, |F|))`;
    return { ...result, notes: [...(result.notes ?? []), note] };
  }
  const shown = a.failures.slice(0, 3).join(' | ') + (a.failures.length > 3 ? ` | … and ${a.failures.length - 3} more point(s)` : '');
  return { ...result, verdict: 'error', error: result.error === undefined ? shown : `${result.error} | ${shown}`, notes: [...(result.notes ?? []), ...a.failures] };
}
