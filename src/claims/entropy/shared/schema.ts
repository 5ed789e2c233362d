/**
 * Building blocks of the entropy claims' configuration schemas that
 * src/config/hyperparameters.ts does not provide. Every message names the
 * setting and the allowed range (`allowed <what>: <range>`), as the shared
 * blocks do: the validator probes ranges by that word.
 */
import { z } from 'zod';
import { finiteNumber, intAtLeast, intBetween, positiveInt, positiveNumber, positiveNumbers } from '../../../config/hyperparameters.ts';
import { MNIST_COUNTS, MNIST_SIDE } from '../../../data/mnist.ts';

/** Where a mixture's identity is evaluated: exact posteriors along EM, hard and random q (at least one). */
export const responsibilityKinds = z
  .array(z.enum(['exact', 'hard', 'random'], { error: 'allowed responsibilities: "exact", "hard", "random"' }), { error: 'responsibilities must be a list' })
  .min(1, { error: 'allowed responsibilities: at least one of "exact", "hard", "random"' });

/** σ² pinned at a value (> 0), or null: σ² learned. */
export const fixedDecoderVariance = positiveNumber('fixed decoder variance σ²').nullable();

/** Images per digit: every digit has at least this many in the mnist package (digit 5 has the fewest). */
const MAX_PER_DIGIT = Math.min(...MNIST_COUNTS);
const POOLS = Array.from({ length: MNIST_SIDE }, (_, i) => i + 1).filter((p) => MNIST_SIDE % p === 0);

/** Real digits (src/data/mnist.ts): the first `perDigit` images of each digit 0–9, average-pooled by `pool`. */
export const digitData = z.object({
  perDigit: intBetween('images per digit', 1, MAX_PER_DIGIT, 'the mnist package has that many of every digit; digit 5 has the fewest'),
  pool: z
    .number({ error: 'pool must be a number' })
    .refine((p) => POOLS.includes(p), { error: `allowed pool: a divisor of ${MNIST_SIDE} (${POOLS.join(', ')})` }),
});

/** Rows of a digit data set: ten digits of `perDigit` images each. */
export const digitRows = (data: { perDigit: number }): number => 10 * data.perDigit;

/**
 * A low-rank Gaussian data set (src/models/ppca/data.ts): N points in D
 * dimensions, signal variances along signal.length ≤ D principal directions,
 * isotropic noise.
 */
export const lowRankData = z
  .object({
    N: intAtLeast('data points N', 2, 'a sample covariance'),
    D: positiveInt('data dimension D'),
    signal: positiveNumbers('signal variances'),
    noiseStd: positiveNumber('data noise standard deviation'),
  })
  .superRefine((d, ctx) => {
    if (d.signal.length > d.D) {
      ctx.addIssue({ code: 'custom', path: ['signal'], message: `allowed signal variances: at most D = ${d.D} of them (one per principal direction)` });
    }
  });
