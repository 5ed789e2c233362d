/**
 * Property-based tests over the configuration space (issue 7):
 *   1. any valid engine setting (optimiser, C, α, B, K, β, seed) trains on
 *      both gradient paths without leaking tensors, and either yields finite
 *      objectives or stops with a DivergenceError naming replica and step;
 *   2. any valid linear-VAE rate configuration passes the schema and its
 *      check yields a verdict (pass / fail / inconclusive) with a finite slope
 *      or a divergence note, never a crash or a NaN;
 *   3. any configuration with one setting pushed out of range is rejected by
 *      the schema with the setting's path and allowed range, and runClaim
 *      reports it as "error" without ever calling the check.
 * Deterministic: fast-check's seed is fixed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, useBackend, type BackendInfo } from '../../src/engine/backend.ts';
import { createTrainer } from '../../src/engine/create-trainer.ts';
import { DivergenceError } from '../../src/engine/trainer.ts';
import type { OptimizerConfig } from '../../src/engine/optimizer.ts';
import type { ReplicaSetting } from '../../src/engine/replica.ts';
import { validateConfig } from '../../src/config/hyperparameters.ts';
import { checkLinearVaeRate, type LinearVaeRateConfig } from '../../src/claims/convergence/shared/linear-vae-rate.ts';
import { runClaim } from '../../src/verify/run-claims.ts';
import { parseOverride } from '../../src/config/overrides.ts';
import sgdRate from '../../src/claims/convergence/sgd-rate-linear-vae.ts';
import type { Claim, ClaimContext } from '../../src/contract/claim.ts';
import { makeProblem } from '../engine/linear-vae-helpers.ts';

const SEED = 20261122;
let backend: BackendInfo;
beforeAll(async () => {
  backend = await useBackend('wasm');
});

const optimizerArb: fc.Arbitrary<OptimizerConfig> = fc.oneof(
  fc.constant<OptimizerConfig>({ kind: 'sgd' }),
  fc.record({
    kind: fc.constant('adam' as const),
    beta1: fc.double({ min: 0, max: 0.99, noNaN: true }),
    beta2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
    epsilon: fc.double({ min: 1e-8, max: 1e-3, noNaN: true }),
  }),
);

const N = 40;
const settingArb = (i: number): fc.Arbitrary<ReplicaSetting> =>
  fc.record({
    label: fc.constant(`r${i}`),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    schedule: fc.record({ C: fc.double({ min: 1e-5, max: 10, noNaN: true }), alpha: fc.double({ min: 0, max: 1, noNaN: true }) }),
    batchSize: fc.integer({ min: 1, max: N }),
    samples: fc.integer({ min: 1, max: 4 }),
    beta: fc.double({ min: 0, max: 5, noNaN: true }),
  });

describe('the engine over valid settings', () => {
  const problem = makeProblem({ n: N, dx: 5, dz: 2, noiseStd: 0.5, sigmaX: 0.7, seed: 3 });
  it('trains on both gradient paths without leaking tensors; objectives finite or a named divergence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((R) => fc.tuple(...Array.from({ length: R }, (_, i) => settingArb(i)))),
        optimizerArb,
        fc.constantFrom('analytic' as const, 'autodiff' as const),
        (replicas, optimizer, path) => {
          const before = tf.memory().numTensors;
          const trainer = createTrainer(problem.model, replicas, optimizer, path);
          try {
            for (let k = 0; k < 8; k++) {
              const objective = trainer.advance();
              expect(objective.every(Number.isFinite)).toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(DivergenceError);
            expect(replicas.map((r) => r.label)).toContain((err as DivergenceError).replica);
            expect((err as DivergenceError).step).toBeGreaterThanOrEqual(1);
          } finally {
            trainer.dispose();
          }
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });
});

/** Small linear-VAE rate configurations anywhere in the valid space. */
const rateConfigArb: fc.Arbitrary<LinearVaeRateConfig> = fc
  .record({
    optimizer: optimizerArb,
    schedule: fc.record({ C: fc.double({ min: 1e-4, max: 0.5, noNaN: true }), alpha: fc.double({ min: 0, max: 1, noNaN: true }) }),
    seeds: fc.integer({ min: 2, max: 3 }),
    steps: fc.integer({ min: 40, max: 80 }),
    n: fc.integer({ min: 8, max: 64 }),
    samples: fc.integer({ min: 1, max: 3 }),
    beta: fc.double({ min: 0, max: 4, noNaN: true }),
  })
  .chain((c) =>
    fc.integer({ min: 1, max: c.n }).map((batchSize) => ({
      optimizer: c.optimizer,
      schedule: c.schedule,
      seeds: c.seeds,
      steps: c.steps,
      batchSize,
      samples: c.samples,
      beta: c.beta,
      data: { n: c.n, dx: 4, dz: 2, noiseStd: 0.5 },
      sigmaX: 1,
      decades: 1,
      checkpointsPerDecade: 5,
      maxSlope: -0.35,
      maxNormalisedSlope: 0.05,
      maxAveragedSlope: -0.65,
    maxAveragingRatio: 0.1,
    })),
  );

function ctx(): ClaimContext {
  return { tier: 'quick', masterSeed: 7, backend, progress: () => {} };
}

describe('linear-VAE rate configurations', () => {
  it('every valid configuration validates and yields a verdict with a finite slope or a divergence note', async () => {
    await fc.assert(
      fc.asyncProperty(rateConfigArb, async (config) => {
        validateConfig('property', config);
        const before = tf.memory().numTensors;
        const [result] = await checkLinearVaeRate('property', [config], ctx());
        expect(['pass', 'fail', 'inconclusive']).toContain(result.verdict);
        const slope = result.metrics.slope?.value;
        const diverged = (result.notes ?? []).some((n) => /diverge/i.test(n));
        expect(diverged || Number.isFinite(slope)).toBe(true);
        expect(tf.memory().numTensors).toBe(before);
      }),
      { seed: SEED, numRuns: 15 },
    );
  });

  /** One setting pushed out of its range, with the path and the allowed-range text the error must show. */
  const outOfRange: fc.Arbitrary<[string, unknown, RegExp]> = fc.oneof(
    fc.double({ min: -10, max: 0, noNaN: true }).map((v): [string, unknown, RegExp] => ['schedule.C', v, /allowed step constant C > 0/]),
    fc.constantFrom(Infinity, NaN).map((v): [string, unknown, RegExp] => ['schedule.C', v, /allowed step constant C > 0|expected number/]),
    fc.double({ min: 1.0001, max: 10, noNaN: true }).map((v): [string, unknown, RegExp] => ['schedule.alpha', v, /0 ≤ α ≤ 1/]),
    fc.integer({ min: -5, max: 0 }).map((v): [string, unknown, RegExp] => ['batchSize', v, /allowed batch size B: an integer ≥ 1/]),
    fc.integer({ min: 2001, max: 10 ** 6 }).map((v): [string, unknown, RegExp] => ['batchSize', v, /1 ≤ B ≤ N = 2000/]),
    fc.integer({ min: -5, max: 0 }).map((v): [string, unknown, RegExp] => ['samples', v, /allowed samples K: an integer ≥ 1/]),
    fc.double({ min: 1.5, max: 9.5, noNaN: true }).filter((v) => !Number.isInteger(v)).map((v): [string, unknown, RegExp] => ['samples', v, /an integer ≥ 1/]),
    fc.double({ min: -10, max: -1e-9, noNaN: true }).map((v): [string, unknown, RegExp] => ['beta', v, /allowed β ≥ 0/]),
    fc.integer({ min: -3, max: 1 }).map((v): [string, unknown, RegExp] => ['seeds', v, /allowed seeds: an integer ≥ 2/]),
    fc.double({ min: 1, max: 5, noNaN: true }).map((v): [string, unknown, RegExp] => ['optimizer.beta1', v, /0 ≤ β1 < 1/]),
    fc.constantFrom('rmsprop', 'SGD').map((v): [string, unknown, RegExp] => ['optimizer.kind', v, /"sgd", "adam", "custom" .* or "tfjs"/]),
  );

  it('every out-of-range setting is rejected before training, naming the setting and the allowed range', async () => {
    await fc.assert(
      fc.asyncProperty(outOfRange, async ([path, value, allowed]) => {
        let checked = 0;
        const spy: Claim = {
          ...sgdRate,
          tiers: { ...sgdRate.tiers, quick: { ...(sgdRate.tiers.quick as LinearVaeRateConfig), optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } } },
          check: async () => {
            checked++;
            return [];
          },
        };
        const override = parseOverride(`${path}=${JSON.stringify(value) ?? String(value)}`);
        if (typeof value === 'number' && !Number.isFinite(value)) override.value = value; // JSON cannot spell NaN / Infinity
        const result = await runClaim(spy, { claims: [spy], tier: 'quick', seed: 1, backend, overrides: [override] });
        expect(checked).toBe(0);
        expect(result.verdict).toBe('error');
        expect(result.error).toContain(`${path} = `);
        expect(result.error).toMatch(allowed);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
