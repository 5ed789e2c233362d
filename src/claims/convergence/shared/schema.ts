/**
 * Schema building blocks of the convergence family that the shared ones
 * (src/config/hyperparameters.ts) do not provide. Every message names the
 * setting and states the allowed range as `allowed <what>: <range>` (the
 * validator probes a field's range by that word).
 */
import { z } from 'zod';
import { finiteNumber, positiveInt, positiveNumber } from '../../../config/hyperparameters.ts';

/** Synthetic linear Gaussian data x = W* z + b* + noiseStd·ε (src/models/linear-vae/data.ts). */
export const linearGaussianData = z.object({
  n: positiveInt('data points n'),
  dx: positiveInt('data dimension d_x'),
  dz: positiveInt('latent dimension d_z'),
  noiseStd: positiveNumber('data noise standard deviation'),
});

/**
 * The user's rows (verify --data FILE) in place of synthetic linear Gaussian
 * data: n points in R^{d_x} (the file's rows and columns) and the model's
 * latent dimension d_z (the tier's; the rows are in ctx.data,
 * src/claims/shared/user-data.ts).
 */
export const linearFileData = z.object({
  source: z.literal('file'),
  n: positiveInt('data points n'),
  dx: positiveInt('data dimension d_x'),
  dz: positiveInt('latent dimension d_z'),
});
