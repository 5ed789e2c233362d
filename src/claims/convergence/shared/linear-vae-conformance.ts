/**
 * Engine conformance for the linear-VAE convergence claims: the theorem's
 * premises measured on the engine instead of declared.
 *   step-schedule, optimizer  the trainer applies γ_k = C k^{-α} and the stated
 *                             update rule (optimizer-probe.ts): the kernel
 *                             trainer (what the claims train with) over the
 *                             claim's whole run of `steps` iterations (its probe
 *                             model is tiny: ~0.2 s per 10⁴ steps), the TF.js
 *                             autodiff trainer over 100 (0.6 ms a step), and the
 *                             step size both trainers call at log-spaced k up to
 *                             `steps`;
 *   unbiased-gradients        the engine's stochastic gradient has the exact
 *                             gradient of the expected objective as its mean
 *                             (gradient-probe.ts), at seed 0's initial and
 *                             final iterate, for every (B, K, β) the claim's
 *                             own configuration trains with; the closed-form
 *                             kernel (what the claim trains on) at both points,
 *                             the TF.js autodiff path at the final point; and
 *                             once more on both paths at σ_x' = 0.7·σ_x (every
 *                             tier trains at σ_x = 1, where σ_x and σ_x² agree);
 *                             the same draws also have the SPREAD of the
 *                             estimator (rows uniform with replacement, ε
 *                             independent per point and sample): a rank test of
 *                             their squared deviations against draws of a float64
 *                             reference of the estimator (linear-vae-reference-
 *                             gradient.ts; src/stats/scale-test.ts);
 *   exact-measurement         the claim's measured ‖∇L‖² at seed 0's initial and
 *                             final point equals an independent sum of squares
 *                             of the exact gradient over every parameter block
 *                             (relative 1e-12; both are float64 sums of the same
 *                             numbers);
 *   mixed batches             (trainer) a replica's step in a TF.js batch mixing
 *                             B and K equals the kernel trainer's step for that
 *                             replica alone (padding must not reach a replica's
 *                             objective);
 *   kernel port               (part of unbiased-gradients) where the kernel runs
 *                             as its WebAssembly SIMD port (kernel-wasm.ts), the
 *                             port's objective and gradient equal the JavaScript
 *                             kernel's bit for bit on a few steps' draws at every
 *                             probed point: the probes above see the port, this
 *                             ties it to the readable kernel (and to the mutants,
 *                             which run the JavaScript kernel).
 * Any failure makes the claim `error`: the run measured an engine that is not
 * the algorithm the theorem is about. Run on the claim's own configuration
 * only: a falsifier that deliberately mutates the engine is judged by the
 * claim's measurement, not by these probes.
 *
 * False alarms: each gradient probe at σ_x is a Bonferroni max-|z| test at
 * 1e-4; a claim runs at most 3 settings × 3 probes, so ≤ 1e-3 per claim run.
 * The two σ_x' probes are tested at 1e-6 each, and all spread tests of one run
 * together at 1e-6 (Bonferroni over probes and coordinates; the rank test's
 * null distribution is exact, scale-test.ts). The optimiser, step-size,
 * squared-norm and mixed-batch checks are deterministic (no false alarm;
 * margins ~100x, see there).
 */
import type { AssumptionCheck } from '../../../contract/claim.ts';
import type { OptimizerConfig } from '../../../engine/optimizer.ts';
import { deriveSeed } from '../../../engine/rng.ts';
import { KernelTrainer } from '../../../engine/kernel-trainer.ts';
import { createTrainer } from '../../../engine/create-trainer.ts';
import { BiasedGradientLinearVae } from './falsifier-models.ts';
import type { ReplicaSetting } from '../../../engine/replica.ts';
import type { StepSchedule } from '../../../engine/schedule.ts';
import type { BatchedModel, ReplicaParams } from '../../../engine/trainer.ts';
import { LinearVaeModel, type LinearVaeModelOptions } from '../../../models/linear-vae/engine-model.ts';
import { dataMoments, elboGradient, type DataMoments } from '../../../models/linear-vae/oracle.ts';
import { toFloat64Params, zeroParams, type LinearVaeDims, type LinearVaeParams } from '../../../models/linear-vae/params.ts';
import { describeScaleTest, scaleTest } from '../../../stats/scale-test.ts';
import { probeOptimizer, probeStepSchedule } from '../../shared/optimizer-probe.ts';
import { probeGradient, type GradientProbeOptions } from '../../shared/gradient-probe.ts';
import { probeMixedBatch } from '../../shared/mixed-batch-probe.ts';
import { kernelPortProbe, paramCoordinate } from '../../shared/kernel-port-probe.ts';
import { referenceGradientDraws } from './linear-vae-reference-gradient.ts';

/** Draws per gradient probe: a bias of ~0.15 standard deviations of one draw is seen (mean-test.ts). */
const DRAWS = 2000;
/** The kernel trainer's optimiser probe runs max(this, the claim's steps). */
const KERNEL_PROBE_STEPS = 2000;
const AUTODIFF_PROBE_STEPS = 100;
/** σ_x' / σ_x of the extra probes. */
const SIGMA_FACTOR = 0.7;
/** False alarm of each σ_x' mean test, and of all spread tests of one conformance run together. */
const EXTRA_FALSE_ALARM = 1e-6;
/** Relative tolerance of the squared-norm cross-check. */
const NORM_TOLERANCE = 1e-12;

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
  dims: LinearVaeDims;
  data: Float64Array | Float32Array;
  /** The claim's iterations: the schedule is checked, and the kernel trainer probed, up to there. */
  steps: number;
  /**
   * The settings the claim's own configuration trains with, each with seed 0's initial and final
   * parameters and the ‖∇L‖² the claim measured there.
   */
  arms: { setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>; initial: ReplicaParams; final: ReplicaParams; measured: { initial: number; final: number } }[];
  /** Tests only: the engine model to probe instead of LinearVaeModel (e.g. a deliberately broken kernel). */
  engineModel?: (opts: LinearVaeModelOptions) => LinearVaeModel;
}

/** The exact gradient of the expected objective at `point`, flattened in the model's paramShapes order. */
function flatExact(point: ReplicaParams, model: BatchedModel<unknown>, dims: LinearVaeDims, sigmaX: number, beta: number, moments: DataMoments): Float64Array {
  const p: LinearVaeParams = toFloat64Params(point, zeroParams(dims));
  const g = elboGradient(p, moments, sigmaX, beta, zeroParams(dims));
  const out: number[] = [];
  for (const name of Object.keys(model.paramShapes)) out.push(...(g as unknown as Record<string, Float64Array>)[name]);
  return Float64Array.from(out);
}

interface GradientProbeSpec {
  model: LinearVaeModel;
  sigmaX: number;
  path: 'analytic' | 'autodiff';
  point: ReplicaParams;
  where: string;
  setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>;
  exact: Float64Array;
  seedLabel: (string | number)[];
  falseAlarm?: number;
  /** Probes with the same key (same point, σ_x and setting) share one set of reference draws. */
  referenceKey: string;
}

export function linearVaeConformance(input: LinearVaeConformanceInput): ConformanceResult {
  const failures: string[] = [];
  const assumptions: AssumptionCheck[] = [];

  const kernelSteps = Math.max(KERNEL_PROBE_STEPS, input.steps);
  const optimizerProbes = [probeOptimizer(input.optimizer, input.schedule, 'analytic', kernelSteps), probeOptimizer(input.optimizer, input.schedule, 'autodiff', AUTODIFF_PROBE_STEPS)];
  const scheduleProbe = probeStepSchedule(input.schedule, input.steps);
  const optimizerOk = optimizerProbes.every((p) => p.ok) && scheduleProbe.ok;
  assumptions.push({
    id: 'step-schedule',
    met: optimizerOk && input.schedule.alpha === 0.5,
    detail: `γ_k = ${input.schedule.C}·k^{-${input.schedule.alpha}}; measured on the engine: ${[...optimizerProbes, scheduleProbe].map((p) => p.detail).join('; ')}`,
  });
  for (const p of optimizerProbes) if (!p.ok) failures.push(`the engine's trainer does not apply the stated optimiser and step schedule: ${p.detail}`);
  if (!scheduleProbe.ok) failures.push(`the engine's step schedule is not the stated one: ${scheduleProbe.detail}`);

  const engineModel = input.engineModel ?? ((opts: LinearVaeModelOptions) => new LinearVaeModel(opts));
  const model = engineModel({ dims: input.dims, data: input.data, sigmaX: input.sigmaX });
  const moments = dataMoments(input.data, model.dataSize, input.dims.dx);
  const name = paramCoordinate(model);
  const specs: GradientProbeSpec[] = [];
  const norms: string[] = [];
  let normsOk = true;
  input.arms.forEach((arm, a) => {
    const points = [
      { point: arm.initial, where: 'seed 0\'s initial point', measured: arm.measured.initial },
      { point: arm.final, where: 'seed 0\'s final iterate', measured: arm.measured.final },
    ];
    const exacts = points.map((q) => flatExact(q.point, model, input.dims, input.sigmaX, arm.setting.beta, moments));
    points.forEach((q, i) => {
      // Independent of oracle.squaredNorm: the sum of squares of every coordinate of every block.
      let independent = 0;
      for (const v of exacts[i]) independent += v * v;
      const error = Math.abs(q.measured - independent) / Math.max(independent, 1e-300);
      const ok = error <= NORM_TOLERANCE;
      normsOk &&= ok;
      const text = `‖∇L‖² at ${q.where} (B = ${arm.setting.batchSize}, K = ${arm.setting.samples}, β = ${arm.setting.beta}): measured ${q.measured.toPrecision(10)}, sum of squares over all ${exacts[i].length} coordinates ${independent.toPrecision(10)} (relative difference ${error.toExponential(1)}, tolerance ${NORM_TOLERANCE})`;
      norms.push(text);
      if (!ok) failures.push(`the claim's measured squared gradient norm is not the squared norm of the exact gradient: ${text}`);
    });
    specs.push(
      { model, sigmaX: input.sigmaX, path: 'analytic', point: arm.initial, where: points[0].where, setting: arm.setting, exact: exacts[0], seedLabel: [input.claimId, a, 'analytic', points[0].where], referenceKey: `${a} initial` },
      { model, sigmaX: input.sigmaX, path: 'analytic', point: arm.final, where: points[1].where, setting: arm.setting, exact: exacts[1], seedLabel: [input.claimId, a, 'analytic', points[1].where], referenceKey: `${a} final` },
      { model, sigmaX: input.sigmaX, path: 'autodiff', point: arm.final, where: points[1].where, setting: arm.setting, exact: exacts[1], seedLabel: [input.claimId, a, 'autodiff', points[1].where], referenceKey: `${a} final` },
    );
  });
  // σ_x' ≠ σ_x: a σ_x-for-σ_x² slip is invisible at σ_x = 1, the only value the tiers train with.
  const sigmaPrime = SIGMA_FACTOR * input.sigmaX;
  const primeModel = engineModel({ dims: input.dims, data: input.data, sigmaX: sigmaPrime });
  const arm0 = input.arms[0];
  const primeExact = flatExact(arm0.final, primeModel, input.dims, sigmaPrime, arm0.setting.beta, moments);
  const primeWhere = `seed 0's final iterate with σ_x = ${+sigmaPrime.toPrecision(6)}`;
  for (const path of ['analytic', 'autodiff'] as const) {
    specs.push({ model: primeModel, sigmaX: sigmaPrime, path, point: arm0.final, where: primeWhere, setting: arm0.setting, exact: primeExact, seedLabel: [input.claimId, 0, path, 'sigma-prime'], falseAlarm: EXTRA_FALSE_ALARM, referenceKey: 'sigma-prime' });
  }

  const details: string[] = [];
  const spreads: string[] = [];
  let gradientsOk = true;
  const spreadFalseAlarm = EXTRA_FALSE_ALARM / specs.length;
  const data32 = Float32Array.from(input.data);
  const references = new Map<string, Float64Array[]>();
  for (const spec of specs) {
    const draws: Float64Array[] = [];
    const opts: GradientProbeOptions & { where: string } = {
      setting: spec.setting,
      draws: DRAWS,
      path: spec.path,
      seedLabel: spec.seedLabel,
      where: spec.where,
      onDraw: (d) => draws.push(d),
      ...(spec.falseAlarm !== undefined ? { falseAlarm: spec.falseAlarm } : {}),
    };
    const result = probeGradient(spec.model, spec.point, spec.exact, opts);
    details.push(result.detail);
    gradientsOk &&= result.ok;
    if (!result.ok) failures.push(`the engine's stochastic gradient is not unbiased for the exact gradient of the expected objective: ${result.detail}`);
    let reference = references.get(spec.referenceKey);
    if (!reference) {
      reference = referenceGradientDraws({ dims: input.dims, data: data32, sigmaX: spec.sigmaX, setting: spec.setting, point: spec.point, draws: DRAWS, seedLabel: [input.claimId, spec.referenceKey] });
      references.set(spec.referenceKey, reference);
    }
    const spread = scaleTest(draws, reference, spreadFalseAlarm);
    const { batchSize: B, samples: K, beta } = spec.setting;
    const text = `${spec.path === 'analytic' ? 'kernel' : 'TF.js autodiff'} at ${spec.where} (B = ${B}, K = ${K}, β = ${beta}): ${describeScaleTest(spread, name)}`;
    spreads.push(text);
    gradientsOk &&= spread.ok;
    if (!spread.ok) failures.push(`the engine's stochastic gradient does not have the estimator's noise (rows uniform with replacement, ε independent per point and sample) against a float64 reference of it: ${text}`);
  }

  const mixed = probeMixedBatch(model, arm0.final, arm0.setting, [input.claimId, 'mixed-batch']);
  if (!mixed.ok) failures.push(`the TF.js trainer's step for a replica in a batch mixing B and K is not that replica's own step: ${mixed.detail}`);
  const port = kernelPortCheck(engineModel, input);
  if (!port.ok) failures.push(`the engine's WebAssembly kernel is not the JavaScript kernel it ports: ${port.detail}`);
  const fused = fusedStepsCheck(engineModel, {
    seedLabel: [input.claimId],
    dims: input.dims,
    data: input.data,
    sigmaX: input.sigmaX,
    optimizer: input.optimizer,
    settings: input.arms.map((arm) => ({ ...arm.setting, schedule: input.schedule })),
  });
  if (!fused.ok) failures.push(`the engine's fused SGD steps are not the JavaScript kernel's steps: ${fused.detail}`);
  assumptions.push({
    id: 'unbiased-gradients',
    met: gradientsOk && mixed.ok && port.ok && fused.ok,
    detail: `measured on the engine: ${details.join('; ')}; spread of the same draws against a float64 reference of the estimator: ${spreads.join('; ')}; ${mixed.detail}; ${port.detail}; ${fused.detail}`,
  });
  assumptions.push({ id: 'exact-measurement', met: normsOk, detail: `float64 closed-form gradient of the expected ELBO at every iterate; cross-checked: ${norms.join('; ')}` });
  return { ok: failures.length === 0, assumptions, ...(failures.length ? { error: `engine conformance failed: ${failures.join(' | ')}` } : {}) };
}

/** The kernel as it runs (its WebAssembly SIMD port where that loads) against the JavaScript kernel, at every arm's initial and final point (kernel-port-probe.ts). */
function kernelPortCheck(engineModel: (opts: LinearVaeModelOptions) => LinearVaeModel, input: LinearVaeConformanceInput): { ok: boolean; detail: string } {
  const opts: LinearVaeModelOptions = { dims: input.dims, data: input.data, sigmaX: input.sigmaX };
  const port = engineModel(opts);
  if (port.kernelImplementation === 'js') return { ok: true, detail: 'the kernel runs as JavaScript here (no WebAssembly port to compare)' };
  const points = input.arms.flatMap((arm) =>
    (['initial', 'final'] as const).map((where) => ({
      params: arm[where],
      setting: { schedule: input.schedule, ...arm.setting },
      where: `seed 0's ${where} point (B = ${arm.setting.batchSize}, K = ${arm.setting.samples}, β = ${arm.setting.beta})`,
    })),
  );
  return kernelPortProbe(engineModel({ ...opts, kernelImplementation: 'js' }), port, points, [input.claimId], paramCoordinate(port));
}

/** The falsifier's fused steps are compared under SGD with this schedule (whatever its claim trains with: the bias is the optimiser's input). */
const FALSIFIER_FUSED_SCHEDULE = { C: 0.01, alpha: 0.5 };

/** Steps compared by fusedStepsCheck: every step's draws, objectives and parameters (a replica's rows, normals and update all feed the next step). */
const FUSED_STEPS = 20;

interface FusedStepsInput {
  seedLabel: (string | number)[];
  dims: LinearVaeDims;
  data: Float64Array | Float32Array;
  sigmaX: number;
  optimizer: OptimizerConfig;
  /** The replicas' settings (one replica each); a replica of B = 3 and half the first one's step size is added. */
  settings: Omit<ReplicaSetting, 'label' | 'seed'>[];
}

/**
 * The kernel trainer's fused steps (the kernel's module drawing, stepping and updating every
 * replica in one call, where it runs: kernel-wasm.ts's FusedLinearVaeSgd) against the kernel
 * trainer's loop over the JavaScript kernel with the same optimiser, for the model `model` makes:
 * one replica per setting, and one with B = 3 (an odd count of normals per step where d_z is odd,
 * so steps start mid-pair) and half the first one's step size (so that replicas' step sizes
 * differ), FUSED_STEPS steps from the trainer's own start. Every objective and parameter after
 * every step must be the same float (Object.is). The claims train with the fused steps where
 * they run, so a bug in them (a draw, the step, the update, the optimiser they run for, a
 * falsifier's injected bias) must read `error` here rather than pass unseen.
 */
function fusedStepsCheck(model: (opts: LinearVaeModelOptions) => LinearVaeModel, input: FusedStepsInput): { ok: boolean; detail: string } {
  const opts: LinearVaeModelOptions = { dims: input.dims, data: input.data, sigmaX: input.sigmaX };
  const first = input.settings[0];
  const settings = [...input.settings, { batchSize: Math.min(3, input.data.length / input.dims.dx), samples: 1, beta: 1, schedule: { ...first.schedule, C: first.schedule.C / 2 } }];
  const replicas: ReplicaSetting[] = settings.map((setting, i) => ({ label: `fused ${i}`, seed: deriveSeed(...input.seedLabel, 'fused-steps', i), ...setting }));
  // As the claims' trainer is chosen (createTrainer): a TF.js optimiser object trains on the autodiff trainer.
  const fused = createTrainer(model(opts), replicas, input.optimizer);
  if (!(fused instanceof KernelTrainer) || !fused.isFused) {
    fused.dispose();
    return { ok: true, detail: `the kernel trainer loops over the replicas here (no fused steps to compare: they run for SGD on the WebAssembly port; the optimiser is ${input.optimizer.kind})` };
  }
  const loop = new KernelTrainer(model({ ...opts, kernelImplementation: 'js' }), replicas, input.optimizer, { fused: false });
  for (let k = 1; k <= FUSED_STEPS; k++) {
    const of = fused.advance();
    const ol = loop.advance();
    const r = of.findIndex((v, i) => !Object.is(v, ol[i]));
    if (r >= 0) return { ok: false, detail: `replica ${r}'s objective at step ${k} is ${of[r]} (fused) ≠ ${ol[r]} (JavaScript kernel, ${input.optimizer.kind})` };
    const pf = fused.viewParams().values;
    const pl = loop.viewParams().values;
    for (const name in pl) {
      const i = pl[name].findIndex((v, j) => !Object.is(v, pf[name][j]));
      if (i >= 0) return { ok: false, detail: `${name}[${i}] after step ${k} is ${pf[name][i]} (fused) ≠ ${pl[name][i]} (JavaScript kernel, ${input.optimizer.kind})` };
    }
  }
  const described = settings.map((a) => `B = ${a.batchSize}, K = ${a.samples}, β = ${a.beta}, C = ${a.schedule.C}`).join('; ');
  return { ok: true, detail: `the kernel trainer's fused SGD steps equal its loop over the JavaScript kernel bit for bit (objectives and parameters after each of ${FUSED_STEPS} steps; ${described})` };
}

export interface InjectedBiasProbeInput {
  /** The falsifier's model: the engine with a constant bias δ in every coordinate of its stochastic ∂b. */
  model: LinearVaeModel;
  dims: LinearVaeDims;
  data: Float64Array | Float32Array;
  sigmaX: number;
  setting: Pick<ReplicaSetting, 'batchSize' | 'samples' | 'beta'>;
  point: ReplicaParams;
  bias: number;
  seedLabel: (string | number)[];
}

/**
 * Does the biased-gradient falsifier's model inject what it states? Its
 * stochastic gradient on the kernel path (what the claims train with), probed
 * like the engine's, must have mean ∇L + δ·1_b (the exact gradient plus δ in
 * every ∂b coordinate, nothing else): Bonferroni max-|z| test at false alarm
 * 1e-6. And its training: the fused steps (the bias added in the kernel's module, where they
 * run) must equal its loop over the JavaScript kernel bit for bit (fusedStepsCheck).
 */
export function probeInjectedBias(input: InjectedBiasProbeInput): { ok: boolean; detail: string } {
  const moments = dataMoments(input.data, input.model.dataSize, input.dims.dx);
  const expected = flatExact(input.point, input.model, input.dims, input.sigmaX, input.setting.beta, moments);
  let o = 0;
  for (const name of Object.keys(input.model.paramShapes)) {
    const size = input.model.paramShapes[name].reduce((a, b) => a * b, 1);
    if (name === 'b') for (let i = 0; i < size; i++) expected[o + i] += input.bias;
    o += size;
  }
  const result = probeGradient(input.model, input.point, expected, {
    setting: input.setting,
    draws: DRAWS,
    path: 'analytic',
    seedLabel: input.seedLabel,
    where: `its seed 0's initial point, against ∇L + ${input.bias}·1_b`,
    falseAlarm: EXTRA_FALSE_ALARM,
  });
  // Its training: the fused steps (with δ in the module) against its loop over the JavaScript kernel.
  const fused = fusedStepsCheck((opts) => new BiasedGradientLinearVae(opts, input.bias), {
    seedLabel: input.seedLabel,
    dims: input.dims,
    data: input.data,
    sigmaX: input.sigmaX,
    optimizer: { kind: 'sgd' },
    settings: [{ ...input.setting, schedule: FALSIFIER_FUSED_SCHEDULE }],
  });
  return { ok: result.ok && fused.ok, detail: `falsifier model with δ = ${input.bias}: ${result.detail}; ${fused.detail}` };
}

/** Replaces declared assumption checks by the measured ones with the same id, keeping the rest. */
export function withMeasuredAssumptions(declared: readonly AssumptionCheck[] | undefined, measured: readonly AssumptionCheck[]): AssumptionCheck[] {
  const ids = new Set(measured.map((m) => m.id));
  return [...(declared ?? []).filter((d) => !ids.has(d.id)), ...measured];
}
