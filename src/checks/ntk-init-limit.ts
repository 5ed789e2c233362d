/**
 * ntk-init-limit check [WH24; Jacot et al. 2018]: the empirical tangent
 * kernel of the one-hidden-layer ReLU network at random initialisation
 * converges to the analytic NTK, with relative Frobenius error ∝ m^{−1/2}.
 *
 * Per width m and seed s: Θ̂_{m,s} = J Jᵀ from the engine (batched closed
 * structure of the per-example gradients, all seeds — and every falsifier's
 * parameterisation — of a width in one replica batch), e_{m,s} =
 * ‖Θ̂ − Θ‖_F/‖Θ‖_F against the float64 analytic Θ. Statistics:
 *   slope of log(mean_s e_{m,s}) vs log m, bootstrap over seeds, must lie in
 *   the band (CLAIMS.md [−0.65, −0.35], calibration −0.49);
 *   the seed-averaged kernel at m = averagedWidth, ‖mean_s Θ̂ − Θ‖/‖Θ‖, must
 *   have its bootstrap upper bound ≤ rtol (0.05).
 * A 'standard' parameterisation makes Θ̂ grow ∝ m (slope ≈ +1); a wrong
 * analytic formula leaves an error floor (slope ≈ 0, averaged error large).
 */
import { tf } from '../engine/backend.ts';
import { deriveSeed } from '../engine/rng.ts';
import { reluKernels, type NtkFormula } from '../kernels/relu-ntk.ts';
import { matrixFrom, relativeFrobenius } from '../kernels/krr.ts';
import { WideReluBatch, type Parameterisation, type WideReluReplica } from '../models/ntk/wide-relu.ts';
import { allOf, atMost } from '../stats/verdict.ts';
import type { CheckResult, ClaimContext } from '../../theory/claim.ts';
import {
  bootstrapOverSeeds,
  familyInputs,
  inputTensor,
  intervalMetric,
  PAPER_CONSTANTS_NOTE,
  replicaSeed,
  seedMeans,
  validateSeeds,
  validateTestBed,
  validateWidths,
  widthSlope,
  withinBand,
  type NtkTestBed,
} from './ntk-common.ts';
import { Matrix } from 'ml-matrix';

export interface InitLimitConfig {
  bed: NtkTestBed;
  widths: number[];
  seeds: number;
  parameterisation: Parameterisation;
  formula: NtkFormula;
  /** Allowed range of the error-vs-width slope. */
  slopeBand: [number, number];
  /** Width at which the seed-averaged kernel is compared, and its tolerance. */
  averagedWidth: number;
  averagedRtol: number;
}

function validate(c: InitLimitConfig): void {
  validateTestBed(c.bed);
  validateWidths(c.widths);
  validateSeeds(c.seeds);
  if (!c.widths.includes(c.averagedWidth)) throw new RangeError(`averagedWidth ${c.averagedWidth} must be one of the widths ${c.widths.join(', ')}`);
  if (!(c.slopeBand[0] < c.slopeBand[1])) throw new RangeError(`slopeBand [${c.slopeBand}] must have lower < upper`);
}

export async function checkInitLimit(claimId: string, configs: readonly InitLimitConfig[], ctx: ClaimContext): Promise<CheckResult[]> {
  configs.forEach(validate);
  const base = configs[0];
  for (const c of configs) {
    if (JSON.stringify([c.bed, c.widths, c.seeds]) !== JSON.stringify([base.bed, base.widths, base.seeds])) {
      throw new RangeError('ntk-init-limit: every configuration must share the test bed, widths and seeds');
    }
  }
  const { bed, widths, seeds } = base;
  const data = familyInputs(ctx.masterSeed, claimId, bed.d, bed.n);
  const hyper = { sigmaW: bed.sigmaW, sigmaB: bed.sigmaB };
  const analytic = new Map<NtkFormula, Matrix>();
  for (const c of configs) if (!analytic.has(c.formula)) analytic.set(c.formula, reluKernels(data, data, hyper, c.formula).ntk);
  const parameterisations = [...new Set(configs.map((c) => c.parameterisation))];
  // errors[config][seed][width], and every seed's kernel at the averaged width per parameterisation.
  const errors = configs.map(() => Array.from({ length: seeds }, () => new Array<number>(widths.length)));
  const kernelsAtAveraged = new Map<Parameterisation, Matrix[]>();
  const X = inputTensor(data);
  const n = bed.n;
  try {
    for (const [w, m] of widths.entries()) {
      const replicas: WideReluReplica[] = [];
      for (const p of parameterisations) {
        for (let s = 0; s < seeds; s++) {
          replicas.push({ label: `${p}, seed ${s}, m=${m}`, seed: replicaSeed(ctx.masterSeed, claimId, s, m), parameterisation: p, antisymmetric: false });
        }
      }
      const batch = new WideReluBatch({ d: bed.d, width: m, ...hyper }, replicas);
      let values: Float32Array;
      try {
        const k = batch.tangentKernels(X);
        values = k.total.dataSync() as Float32Array;
        tf.dispose([k.total, ...Object.values(k.groups)]);
      } finally {
        batch.dispose();
      }
      parameterisations.forEach((p, pi) => {
        const mats = Array.from({ length: seeds }, (_, s) => matrixFrom(values, n, n, (pi * seeds + s) * n * n));
        if (m === base.averagedWidth) kernelsAtAveraged.set(p, mats);
        configs.forEach((c, ci) => {
          if (c.parameterisation !== p) return;
          const target = analytic.get(c.formula)!;
          for (let s = 0; s < seeds; s++) errors[ci][s][w] = relativeFrobenius(mats[s], target);
        });
      });
      ctx.progress((w + 1) / widths.length, `m = ${m}`);
    }
  } finally {
    X.dispose();
  }
  return configs.map((c, ci) => {
    const target = analytic.get(c.formula)!;
    const slope = widthSlope(errors[ci], widths, { bootstrapSeed: deriveSeed(ctx.masterSeed, claimId, 'bootstrap', 'slope') });
    const mats = kernelsAtAveraged.get(c.parameterisation)!;
    const averagedError = bootstrapOverSeeds(
      seeds,
      (pick) => {
        const mean = new Matrix(n, n);
        for (const s of pick) mean.add(mats[s]);
        mean.div(pick.length);
        return relativeFrobenius(mean, target);
      },
      { bootstrapSeed: deriveSeed(ctx.masterSeed, claimId, 'bootstrap', 'averaged') },
    );
    const verdict = allOf([withinBand(slope, c.slopeBand[0], c.slopeBand[1]), atMost(averagedError, c.averagedRtol)]);
    const means = seedMeans(errors[ci]);
    const ref = widths.map((m) => means[0] * Math.sqrt(widths[0] / m));
    return {
      verdict,
      metrics: {
        slope: intervalMetric(slope, `95% interval inside [${c.slopeBand[0]}, ${c.slopeBand[1]}] (predicted −0.5)`),
        averagedKernelError: intervalMetric(averagedError, `upper bound ≤ ${c.averagedRtol} at m = ${c.averagedWidth} (${seeds} seeds averaged)`),
        ...Object.fromEntries(widths.map((m, w) => [`error_m${m}`, { value: means[w] }])),
      },
      series: {
        kernelError: {
          x: widths,
          y: { 'mean ‖Θ̂−Θ‖_F/‖Θ‖_F': means, 'm^{-1/2} (scaled)': ref },
          xLabel: 'width m',
          yLabel: 'relative Frobenius error of the empirical NTK',
          logX: true,
          logY: true,
        },
      },
      assumptions: [
        { id: 'ntk-parameterisation', met: c.parameterisation === 'ntk', detail: `parameterisation: ${c.parameterisation}` },
        { id: 'inputs-on-sphere', met: bed.d >= 8, detail: `n = ${bed.n} points uniform on S^${bed.d - 1}` },
        { id: 'analytic-kernel', met: c.formula === 'correct', detail: `analytic formula: ${c.formula}` },
      ],
      notes: [PAPER_CONSTANTS_NOTE],
    };
  });
}
