/**
 * The deep Gaussian VAE of [SGL25] (one hidden layer each side):
 *   encoder  h1 = f_h(W1 x + b1),  μ = f_μ(Wm h1 + bm),  log σ² = f_v(Wv h1 + bv)
 *   decoder  h2 = f_h(W2 z + b2),  G(z) = f_μ(W3 h2 + b3),  p(x|z) = N(G(z), c² I), c fixed
 *   prior    p(z) = N(0, I)
 * With activation 'soft-clip', f_h, f_μ, f_v are generalised soft-clippings
 * onto [0, 50], [−50, 50], [−20, 20] (bounded decoder mean and encoder mean,
 * log-variance bounded below: the paper's assumptions). With 'relu' (an
 * informational comparison only), f_h = ReLU and the heads are the identity.
 * Layout (row-major, weights [out, in]): W1 [H, dx], b1 [H], Wm [dz, H],
 * Wv [dz, H], bm [dz], bv [dz], W2 [H, dz], b2 [H], W3 [dx, H], b3 [dx].
 * Flattened in that order (DEEP_VAE_PARAM_NAMES), Wm and Wv form one [2dz, H]
 * head matrix and bm, bv one [2dz] head bias: the engine evaluates both
 * encoder heads with one matrix product.
 */
export interface DeepVaeDims {
  dx: number;
  hidden: number;
  dz: number;
}

export type Activation = 'soft-clip' | 'relu';

export const DEEP_VAE_PARAM_NAMES = ['W1', 'b1', 'Wm', 'Wv', 'bm', 'bv', 'W2', 'b2', 'W3', 'b3'] as const;
export type DeepVaeParamName = (typeof DEEP_VAE_PARAM_NAMES)[number];
export type DeepVaeParams = Record<DeepVaeParamName, Float64Array>;

export function deepVaeShapes({ dx, hidden: H, dz }: DeepVaeDims): Record<DeepVaeParamName, number[]> {
  return { W1: [H, dx], b1: [H], Wm: [dz, H], Wv: [dz, H], bm: [dz], bv: [dz], W2: [H, dz], b2: [H], W3: [dx, H], b3: [dx] };
}

export function zeroDeepParams(dims: DeepVaeDims): DeepVaeParams {
  const shapes = deepVaeShapes(dims);
  const out = {} as DeepVaeParams;
  for (const name of DEEP_VAE_PARAM_NAMES) out[name] = new Float64Array(shapes[name].reduce((a, b) => a * b, 1));
  return out;
}

export function deepParamCount(dims: DeepVaeDims): number {
  const shapes = deepVaeShapes(dims);
  return DEEP_VAE_PARAM_NAMES.reduce((a, n) => a + shapes[n].reduce((u, v) => u * v, 1), 0);
}

export function validateDeepDims(dims: DeepVaeDims): void {
  for (const [k, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`deep VAE ${k} = ${v}; allowed a positive integer`);
  }
}
