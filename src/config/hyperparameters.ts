/**
 * The shared vocabulary of hyperparameters, as one zod schema that every
 * claim's configuration is validated against before anything trains. Claims
 * name their settings consistently (schedule.C, batchSize, samples, beta,
 * widths, optimizer.beta1, ...), so one schema covers every family; fields it
 * does not know pass through untouched. Every message states the allowed range.
 */
import { cloneConfig } from './clone.ts';
import { z } from 'zod';
import type { ConfigSchema } from '../contract/claim.ts';
import type { tf } from '../engine/backend.ts';

/** The building blocks claims compose their own schemas from (each message states the allowed range). */
export const positiveInt = (what: string) =>
  z.number({ error: `${what} must be a number` }).int({ error: `allowed ${what}: an integer ≥ 1` }).min(1, { error: `allowed ${what}: an integer ≥ 1` });

const sgdVariant = z.object({ kind: z.literal('sgd') });
const customVariant = z.object({
  kind: z.literal('custom'),
  name: z.string().min(1, { error: 'a custom optimizer needs a name' }),
  stateSize: z.number().int().min(0, { error: 'allowed stateSize: an integer ≥ 0' }),
  step: z.custom<(theta: number, g: number, state: Float64Array, offset: number, gamma: number, k: number) => number>((v) => typeof v === 'function', {
    error: "step must be a function (θ, g, state, offset, γ, k) → θ'",
  }),
});
const tfjsVariant = z.object({
  kind: z.literal('tfjs'),
  name: z.string().min(1, { error: 'a TF.js optimizer needs a name' }),
  create: z.custom<(learningRate: number) => tf.Optimizer>((v) => typeof v === 'function', {
    error: 'create must be a function (learningRate) → tf.train.Optimizer',
  }),
});
const adamVariant = z.object({
  kind: z.literal('adam'),
  beta1: z.number().min(0, { error: 'allowed Adam β1: 0 ≤ β1 < 1' }).lt(1, { error: 'allowed Adam β1: 0 ≤ β1 < 1' }),
  beta2: z.number().gt(0, { error: 'allowed Adam β2: 0 < β2 < 1' }).lt(1, { error: 'allowed Adam β2: 0 < β2 < 1' }),
  epsilon: z.number().gt(0, { error: 'allowed Adam ε > 0' }).finite(),
});
const optimizerKinds = { error: 'allowed optimizer.kind: "sgd", "adam", "custom" (a user\'s elementwise optimiser) or "tfjs" (a tf.train.Optimizer factory), the last two through the API' };
/** The optimiser of a claim's own schema (its inferred type is the engine's OptimizerConfig). */
export const optimizer = z.discriminatedUnion('kind', [sgdVariant, customVariant, tfjsVariant, adamVariant], optimizerKinds);
/** The same, tolerating extra fields (the shared schema's loose vocabulary). */
const looseOptimizer = z.discriminatedUnion('kind', [sgdVariant.loose(), customVariant.loose(), tfjsVariant.loose(), adamVariant.loose()], optimizerKinds);

export const schedule = z.object({
  C: z.number().gt(0, { error: 'allowed step constant C > 0 (finite)' }).finite({ error: 'allowed step constant C > 0 (finite)' }),
  alpha: z.number().min(0, { error: 'allowed step exponent α: 0 ≤ α ≤ 1' }).max(1, { error: 'allowed step exponent α: 0 ≤ α ≤ 1' }),
});

/** Every claim's intervals bootstrap over seeds (src/stats/bootstrap.ts), which needs at least two. */
export const seedCount = z
  .number({ error: 'seeds must be a number' })
  .int({ error: 'allowed seeds: an integer ≥ 2 (the intervals bootstrap over seeds)' })
  .min(2, { error: 'allowed seeds: an integer ≥ 2 (the intervals bootstrap over seeds)' });

export const klWeight = z.number().min(0, { error: 'allowed β ≥ 0 (finite)' }).finite({ error: 'allowed β ≥ 0 (finite)' });

export const arm = z.object({ batchSize: positiveInt('batch size B'), samples: positiveInt('samples K') }).loose();

/** Data-set sizes a batch size must not exceed: data.n (synthetic) or data.N. */
function dataRows(config: { data?: unknown }): number | undefined {
  const d = config.data as { n?: unknown; N?: unknown } | undefined;
  const n = d?.n ?? d?.N;
  return typeof n === 'number' ? n : undefined;
}

export interface HyperparameterShape {
  [key: string]: unknown;
}

export const hyperparameterSchema: z.ZodType<HyperparameterShape> = z.lazy(() =>
  z
    .object({
      optimizer: looseOptimizer.optional(),
      schedule: schedule.optional(),
      seeds: seedCount.optional(),
      steps: positiveInt('steps').optional(),
      batchSize: positiveInt('batch size B').optional(),
      samples: positiveInt('samples K').optional(),
      beta: klWeight.optional(),
      betas: z.array(z.number().gt(0, { error: 'allowed β > 0 (finite)' }).finite()).min(1, { error: 'allowed: at least one β' }).optional(),
      Ks: z.array(positiveInt('K')).min(1, { error: 'allowed: at least one K' }).optional(),
      arms: z.array(arm).min(1, { error: 'allowed: at least one (B, K) arm' }).optional(),
      widths: z.array(positiveInt('width')).min(1, { error: 'allowed: at least one width' }).optional(),
      width: positiveInt('width').optional(),
      hidden: positiveInt('hidden width').optional(),
      latent: positiveInt('latent dimension').optional(),
      H: positiveInt('latent dimension H').optional(),
      dz: positiveInt('latent dimension d_z').optional(),
      training: z.object({ seeds: seedCount, steps: positiveInt('steps'), schedule }).loose().optional(),
      phases: z.array(z.object({ optimizer: looseOptimizer, schedule, steps: positiveInt('steps') }).loose()).optional(),
      data: z
        .object({
          n: positiveInt('data points n').optional(),
          N: positiveInt('data points N').optional(),
          dx: positiveInt('data dimension d_x').optional(),
          dz: positiveInt('latent dimension d_z').optional(),
          D: positiveInt('data dimension D').optional(),
        })
        .loose()
        .optional(),
      run: hyperparameterSchema.optional(),
    })
    .loose()
    .superRefine((c, ctx) => {
      const N = dataRows(c);
      const sizes: [string, unknown][] = [['batchSize', c.batchSize], ...((c.arms as { batchSize: unknown }[] | undefined) ?? []).map((a, i): [string, unknown] => [`arms.${i}.batchSize`, a.batchSize])];
      for (const [path, B] of sizes) {
        if (N !== undefined && typeof B === 'number' && B > N) {
          ctx.addIssue({ code: 'custom', path: path.split('.'), message: `allowed batch size B: an integer 1 ≤ B ≤ N = ${N} (the data size)` });
        }
      }
    }),
);

export class InvalidConfigError extends Error {
  override name = 'InvalidConfigError';
}

function valueAt(config: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = config;
  for (const key of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[key];
  return v;
}

function withValueAt(config: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  const copy = cloneConfig(config) as Record<PropertyKey, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<PropertyKey, unknown>;
  target[path[path.length - 1]] = value;
  return copy;
}

/**
 * A value of the wrong type (e.g. `--set schedule.C=NaN`, which arrives as a
 * string) fails zod's type check before any range check, so its message would
 * not say what is allowed. The range is read off the schema by validating
 * extreme numbers in the field's place: the first range message for the path.
 */
function allowedRange(config: unknown, path: readonly PropertyKey[], schema: ConfigSchema<unknown>): string | undefined {
  for (const probe of [-1e308, 1e308, 0.5]) {
    const r = schema.safeParse(withValueAt(config, path, probe));
    const hit = r.success ? undefined : r.error.issues.find((i) => i.path.join('.') === path.join('.') && /allowed/.test(i.message));
    if (hit) return hit.message;
  }
  return undefined;
}

/** Throws InvalidConfigError naming the claim, every bad field, its value and the allowed range (against the claim's own schema when given). */
/** A finite number (a threshold, a scale), with a message naming the setting. */
export const finiteNumber = (what: string) => z.number({ error: `${what} must be a number` }).finite({ error: `allowed ${what}: a finite number` });
/** A finite number > 0. */
export const positiveNumber = (what: string) => finiteNumber(what).gt(0, { error: `allowed ${what}: a finite number > 0` });

/** An integer ≥ min (`why`: what the bound protects, appended to the range). */
export const intAtLeast = (what: string, min: number, why?: string) => {
  const allowed = `allowed ${what}: an integer ≥ ${min}${why ? ` (${why})` : ''}`;
  return z.number({ error: `${what} must be a number` }).int({ error: allowed }).min(min, { error: allowed });
};
/** An integer ≥ 0. */
export const nonNegativeInt = (what: string) => intAtLeast(what, 0);
/** An integer lo ≤ value ≤ hi (`why`: where the bounds come from). */
export const intBetween = (what: string, lo: number, hi: number, why: string) => {
  const allowed = `allowed ${what}: an integer ${lo} ≤ value ≤ ${hi} (${why})`;
  return z.number({ error: `${what} must be a number` }).int({ error: allowed }).min(lo, { error: allowed }).max(hi, { error: allowed });
};
/** A finite number ≥ 0. */
export const nonNegativeNumber = (what: string) => finiteNumber(what).min(0, { error: `allowed ${what}: a finite number ≥ 0` });
/** A number in [0, 1]. */
export const unitInterval = (what: string) => {
  const allowed = `allowed ${what}: 0 ≤ value ≤ 1`;
  return z.number({ error: `${what} must be a number` }).min(0, { error: allowed }).max(1, { error: allowed });
};
/** A number in (0, 1), e.g. a false-alarm rate. */
export const openUnitInterval = (what: string) => {
  const allowed = `allowed ${what}: 0 < value < 1`;
  return z.number({ error: `${what} must be a number` }).gt(0, { error: allowed }).lt(1, { error: allowed });
};
/** A number in [0, 1): a relative tolerance (criteria allow a factor 1 + tol) or a weight that must leave something over. */
export const fractionBelowOne = (what: string) => {
  const allowed = `allowed ${what}: 0 ≤ value < 1`;
  return z.number({ error: `${what} must be a number` }).min(0, { error: allowed }).lt(1, { error: allowed });
};
/** A list of at least `min` entries of `item`. */
export const listOf = <T extends z.ZodType>(item: T, what: string, min: number) =>
  z.array(item, { error: `${what} must be a list` }).min(min, { error: `allowed ${what}: at least ${min} value${min === 1 ? '' : 's'}` });
/** A non-empty list of finite numbers > 0. */
export const positiveNumbers = (what: string) => listOf(positiveNumber(what), what, 1);
/** Issues for a list that must increase strictly, at `path` (its entries' own ranges are checked by the item schema). */
export function requireIncreasing(values: readonly number[], path: PropertyKey[], what: string, ctx: z.RefinementCtx): void {
  values.forEach((v, i) => {
    if (i > 0 && !(v > values[i - 1])) ctx.addIssue({ code: 'custom', path: [...path, i], message: `allowed ${what}: strictly increasing (got ${values.join(', ')})` });
  });
}


export function validateConfig(claimId: string, config: unknown, what = 'configuration', schema: ConfigSchema<unknown> = hyperparameterSchema as ConfigSchema<unknown>): void {
  const parsed = schema.safeParse(config);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const value = valueAt(config, issue.path);
    const range = issue.code === 'invalid_type' && issue.expected === 'number' ? allowedRange(config, issue.path, schema) : undefined;
    return `${path} = ${JSON.stringify(value) ?? String(value)}: ${issue.message}${range ? `; ${range}` : ''}`;
  });
  throw new InvalidConfigError(`${claimId}: invalid ${what}: ${problems.join('; ')}`);
}
