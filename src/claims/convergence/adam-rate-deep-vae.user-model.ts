/**
 * adam-rate-deep-vae on a user's own VAE (`withModel(claim, vae)`,
 * src/models/user-vae/user-vae.ts): the same training (the claim's optimiser,
 * schedule, B, K, seeds, the falsifiers' constant step and gradient bias), the
 * same measurement of ‖∇L(θ_k)‖² (the gradient of the expected ELBO over every
 * row, unbiased U-statistic over independent antithetic draws — here by TF.js
 * autodiff of the user's ELBO in float32, where the engine's model has a
 * float64 hand-written backward pass) and the same verdict.
 *
 * What the theorem assumes of the MODEL (smooth Lipschitz activations, a
 * bounded decoder mean, a fixed decoder variance, a log-variance bounded
 * below) cannot be measured on an arbitrary network: the report lists them
 * as not checked by this run, and a pass says the user's model converged at
 * the paper's rate under the claim's optimiser, not that it meets them.
 *
 * Engine conformance, measured as for the engine's model: the optimiser and
 * step size (optimizerConformance), the sampler (rows uniform, noise
 * standard normal) on the user's model's draws, seed independence (the
 * initial-spread test needs a known initial law, so it is skipped), and
 * unbiasedness: the mean of M engine stochastic gradients (the user's ELBO on
 * B rows and K draws, through the trainer) against the expected gradient over
 * every row from J antithetic draws, the two-sample Bonferroni–Welch test at
 * false alarm 1e-4 per point. This checks the engine's side (the mini-batch,
 * the weights, the noise it hands the model), not the user's ELBO itself.
 */
import type { AssumptionCheck } from '../../contract/claim.ts';
import { tf } from '../../engine/backend.ts';
import { deriveSeed, RandomStream } from '../../engine/rng.ts';
import type { ReplicaSetting } from '../../engine/replica.ts';
import { DrawMoments } from '../../stats/mean-test.ts';
import { describeTwoSampleTest, twoSampleMeanTest } from '../../stats/two-sample-mean-test.ts';
import { USER_PACKED_PARAM, UserVaeModel, userElboGradientDraws, userVaeLayout, type UserVae } from '../../models/user-vae/user-vae.ts';
import { engineGradientDraws } from '../shared/gradient-probe.ts';
import { seedIndependence } from '../shared/seed-independence.ts';
import { antitheticNoise, drawStepRows, optimizerConformance, samplerConformance, type ConformanceResult, type DeepVaeConformanceInput, type DeepVaeSeedRuns, unbiasedProbeSetting } from './adam-rate-deep-vae.conformance.ts';

export interface UserModelRun {
  parameterCount: number;
  /** The trainer's model, with the falsifiers' bias per replica. */
  model(gradientBiasOf: (r: ReplicaSetting) => Float32Array | null): UserVaeModel;
  /**
   * Gradient draws of the expected ELBO at θ for antithetic noise in the
   * interleaved layout of antitheticNoise (row i with ε, then with −ε).
   */
  gradientDraws(theta: ArrayLike<number>, noise: readonly Float64Array[], out: Float64Array[]): void;
  dispose(): void;
}

/** The user's model on `data` (row-major n × dx): its trainer model and its measurement. */
export function userModelRun(vae: UserVae, data: Float32Array, dx: number): UserModelRun {
  const blocks = userVaeLayout(vae, dx);
  const n = data.length / dx;
  // Every row twice, in the order of antitheticNoise's pairs: (x_0, ε_0), (x_0, −ε_0), (x_1, ε_1), …
  const doubled = new Float32Array(2 * data.length);
  for (let i = 0; i < n; i++) {
    doubled.set(data.subarray(i * dx, (i + 1) * dx), 2 * i * dx);
    doubled.set(data.subarray(i * dx, (i + 1) * dx), (2 * i + 1) * dx);
  }
  const rows = tf.tensor2d(doubled, [2 * n, dx]);
  return {
    parameterCount: blocks.reduce((a, b) => a + b.size, 0),
    model: (gradientBiasOf) => new UserVaeModel({ vae, data, dx, gradientBiasOf }),
    gradientDraws: (theta, noise, out) => userElboGradientDraws(vae, blocks, theta, rows, noise, out),
    dispose: () => rows.dispose(),
  };
}

export interface UserModelConformanceInput extends Pick<DeepVaeConformanceInput, 'claimId' | 'masterSeed' | 'optimizer' | 'schedule' | 'probeSteps' | 'steps' | 'seedRuns' | 'setting' | 'engineDraws' | 'referenceDraws' | 'points'> {
  vae: UserVae;
  /** The training rows as the engine holds them (float32), row-major n × dx. */
  data: Float32Array;
  dx: number;
}

export function userModelConformance(input: UserModelConformanceInput): ConformanceResult {
  const failures: string[] = [];
  const assumptions: AssumptionCheck[] = [];
  const optimizerProbeError = optimizerConformance(input, failures, assumptions);

  const { vae, data, dx } = input;
  const n = data.length / dx;
  const run = userModelRun(vae, data, dx);
  const model = run.model(() => null);
  const sampler = samplerConformance(drawStepRows(model), { dims: { dx, dz: vae.latent }, data, setting: input.setting }, deriveSeed(input.masterSeed, input.claimId, 'sampler'));
  if (!sampler.ok) failures.push(`the engine's sampler does not draw rows uniformly and standard normal noise: ${sampler.detail}`);
  let worstZ = 0;
  let unbiasedOk = true;
  const details: string[] = [];
  try {
    input.points.forEach((point, i) => {
      const engine = engineGradientDraws(model, { [USER_PACKED_PARAM]: point.theta }, { setting: unbiasedProbeSetting(input.setting, n), draws: input.engineDraws, path: 'autodiff', seedLabel: [input.masterSeed, input.claimId, 'unbiased', i] });
      const stream = RandomStream.at(input.masterSeed, input.claimId, 'unbiased-reference', i);
      const reference = new DrawMoments(run.parameterCount);
      const buffer = [new Float64Array(run.parameterCount)];
      for (let j = 0; j < input.referenceDraws; j++) {
        run.gradientDraws(point.theta, [antitheticNoise(n, vae.latent, stream)], buffer);
        reference.add(buffer[0]);
      }
      // Both sides are float32 computations here; the engine's draws are read out as θ_1 − θ (gradient-probe.ts).
      const resolution = Float64Array.from(point.theta, (t) => 2 ** -23 * Math.abs(t));
      const test = twoSampleMeanTest(engine, reference, 1e-4, resolution);
      worstZ = Math.max(worstZ, Math.abs(test.z) / test.threshold);
      const detail = `${point.where}: ${describeTwoSampleTest(test, (c) => `∂θ[${c}]`)}`;
      if (!test.ok) {
        unbiasedOk = false;
        failures.push(`the engine's stochastic gradient of the user's ELBO is not unbiased for its expected gradient at ${detail}`);
      }
      details.push(`unbiased at ${detail}`);
    });
  } finally {
    run.dispose();
  }
  assumptions.push({
    id: 'unbiased-gradients',
    met: unbiasedOk && sampler.ok,
    detail: `B = ${input.setting.batchSize} rows with replacement (the unbiasedness test draws B = ${unbiasedProbeSetting(input.setting, n).batchSize}), K = ${input.setting.samples}; measured on the engine with the user's ELBO (TF.js autodiff on both sides): sampler: ${sampler.detail}; ${details.join('; ')}`,
  });

  const seeds = input.seedRuns.map((arm: DeepVaeSeedRuns) =>
    seedIndependence(
      arm.runs.map((r) => ({ seed: r.seed, g: r.g, initial: { [USER_PACKED_PARAM]: r.theta } })),
      // The user's initial law is not known: the spread test is skipped (no random blocks).
      { scale: 1, randomBlocks: [] },
    ),
  );
  for (const s of seeds) if (!s.ok) failures.push(s.error!);
  assumptions.push({ id: 'independent-seeds', met: seeds.every((s) => s.ok), detail: `measured on the engine: ${seeds.map((s) => s.detail).join('; ')}` });

  const ok = failures.length === 0;
  return {
    ok,
    assumptions,
    ...(ok ? {} : { error: failures.join('; ') }),
    metrics: { optimizerProbeError, unbiasedMaxZRatio: worstZ, samplerRatio: sampler.worstRatio },
  };
}
