/**
 * Engine conformance for the linear-VAE convergence claims: the theorem's
 * premises measured on the engine instead of declared.
 *   step-schedule, optimizer  the trainer applies γ_k = C k^{-α} and the stated
 *                             update rule (optimizer-probe.ts), on both
 *                             gradient paths;
 *   unbiased-gradients        the engine's stochastic gradient has the exact
 *                             gradient of the expected objective as its mean
 *                             (gradient-probe.ts), at seed 0's initial and
 *                             final iterate, for every (B, K, β) the claim's
 *                             own configuration trains with; the closed-form
 *                             kernel (what the claim trains on) at both points,
 *                             the TF.js autodiff path at the final point.
 * Any failure makes the claim `error`: the run measured an engine that is not
 * the algorithm the theorem is about. Run on the claim's own configuration
 * only: a falsifier that deliberately mutates the engine is judged by the
 * claim's measurement, not by these probes.
 *
 * False alarms: each gradient probe is a Bonferroni max-|z| test at 1e-4; a
 * claim runs at most 3 settings × 3 probes, so ≤ 1e-3 per claim run. The
 * optimiser probe is deterministic (no false alarm; margin ~100x, see there).
 */
import type { AssumptionCheck } from '../../../contract/claim.ts';
import type { OptimizerConfig } from '../../../engine/optimizer.ts';
import type { ReplicaSetting } from '../../../engine/replica.ts';
import type { StepSchedule } from '../../../engine/schedule.ts';
import type { ReplicaParams } from '../../../engine/trainer.ts';
import { LinearVaeModel } from '../../../models/linear-vae/engine-model.ts';
import { dataMoments, elboGradient } from '../../../models/linear-vae/oracle.ts';
import { toFloat64Params, zeroParams, type LinearVaeParams } from '../../../models/linear-vae/params.ts';
import { probeOptimizer } from '../../shared/optimizer-probe.ts';
import { probeGradient } from '../../shared/gradient-probe.ts';

/** Draws per gradient probe: a bias of ~0.15 standard deviations of one draw is seen (mean-test.ts). */
const DRAWS = 2000;
const KERNEL_PROBE_STEPS = 2000;
const AUTODIFF_PROBE_STEPS = 100;

export interface ConformanceResult {
  ok: boolean;
  /** Measured premises, to replace the declared ones in the claim's assumption list. */
  assumptions: AssumptionCheck[];
  /** The first failure's message (for the claim's error), when not ok. */
  error?: string;
}

export interface LinearVaeConformanceInput {
  claimId: string;
  optimizer: OptimizerConfig;
  schedule: StepSchedule;
  sigmaX: number;
  dims: { dx: number; dz: number };
  data: Float64Array | Float32Array;
  /** The settings the claim's own configuration trains with, each with seed 0's initial and final parameters. */
  arms: { setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>; initial: ReplicaParams; final: ReplicaParams }[];
}

function flatExact(point: ReplicaParams, model: LinearVaeModel, input: LinearVaeConformanceInput, beta: number, moments: ReturnType<typeof dataMoments>): Float64Array {
  const p: LinearVaeParams = toFloat64Params(point, zeroParams(input.dims));
  const g = elboGradient(p, moments, input.sigmaX, beta, zeroParams(input.dims));
  const out: number[] = [];
  for (const name of Object.keys(model.paramShapes)) out.push(...(g as unknown as Record<string, Float64Array>)[name]);
  return Float64Array.from(out);
}

export function linearVaeConformance(input: LinearVaeConformanceInput): ConformanceResult {
  const failures: string[] = [];
  const assumptions: AssumptionCheck[] = [];

  const optimizerProbes = [probeOptimizer(input.optimizer, input.schedule, 'analytic', KERNEL_PROBE_STEPS), probeOptimizer(input.optimizer, input.schedule, 'autodiff', AUTODIFF_PROBE_STEPS)];
  const optimizerOk = optimizerProbes.every((p) => p.ok);
  assumptions.push({ id: 'step-schedule', met: optimizerOk && input.schedule.alpha === 0.5, detail: `γ_k = ${input.schedule.C}·k^{-${input.schedule.alpha}}; measured on the engine: ${optimizerProbes.map((p) => p.detail).join('; ')}` });
  for (const p of optimizerProbes) if (!p.ok) failures.push(`the engine's trainer does not apply the stated optimiser and step schedule: ${p.detail}`);

  const model = new LinearVaeModel({ dims: input.dims, data: input.data, sigmaX: input.sigmaX });
  const moments = dataMoments(input.data, model.dataSize, input.dims.dx);
  const details: string[] = [];
  let gradientsOk = true;
  input.arms.forEach((arm, a) => {
    const probes = [
      { path: 'analytic' as const, point: arm.initial, where: 'seed 0\'s initial point' },
      { path: 'analytic' as const, point: arm.final, where: 'seed 0\'s final iterate' },
      { path: 'autodiff' as const, point: arm.final, where: 'seed 0\'s final iterate' },
    ];
    for (const probe of probes) {
      const exact = flatExact(probe.point, model, input, arm.setting.beta, moments);
      const result = probeGradient(model, probe.point, exact, {
        setting: arm.setting,
        draws: DRAWS,
        path: probe.path,
        seedLabel: [input.claimId, a, probe.path, probe.where],
        where: probe.where,
      });
      details.push(result.detail);
      gradientsOk &&= result.ok;
      if (!result.ok) failures.push(`the engine's stochastic gradient is not unbiased for the exact gradient of the expected objective: ${result.detail}`);
    }
  });
  assumptions.push({
    id: 'unbiased-gradients',
    met: gradientsOk,
    detail: `measured on the engine: ${details.join('; ')}`,
  });
  return { ok: failures.length === 0, assumptions, ...(failures.length ? { error: `engine conformance failed: ${failures.join(' | ')}` } : {}) };
}

/** Replaces declared assumption checks by the measured ones with the same id, keeping the rest. */
export function withMeasuredAssumptions(declared: readonly AssumptionCheck[] | undefined, measured: readonly AssumptionCheck[]): AssumptionCheck[] {
  const ids = new Set(measured.map((m) => m.id));
  return [...(declared ?? []).filter((d) => !ids.has(d.id)), ...measured];
}
