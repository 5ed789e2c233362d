/**
 * The linear Gaussian VAE of [SGL25]'s test bed:
 *   p(z) = N(0, I_dz),  p(x|z) = N(W z + b, σ_x² I_dx) with σ_x fixed,
 *   q(z|x) = N(V x + c, diag(exp(s))).
 * Float64 parameter layout shared by the oracle, the data generator and the
 * engine (which holds the same layout per replica in float32):
 *   W: dx*dz row-major (W[i*dz + j]),  b: dx,
 *   V: dz*dx row-major (V[j*dx + i]),  c: dz,  s: dz (log-variances).
 */
export interface LinearVaeDims {
  dx: number;
  dz: number;
}

export interface LinearVaeParams {
  W: Float64Array;
  b: Float64Array;
  V: Float64Array;
  c: Float64Array;
  s: Float64Array;
}

export const LINEAR_VAE_PARAM_NAMES = ['W', 'b', 'V', 'c', 's'] as const;
export type LinearVaeParamName = (typeof LINEAR_VAE_PARAM_NAMES)[number];

export function linearVaeShapes({ dx, dz }: LinearVaeDims): Record<LinearVaeParamName, number[]> {
  return { W: [dx, dz], b: [dx], V: [dz, dx], c: [dz], s: [dz] };
}

export function zeroParams(dims: LinearVaeDims): LinearVaeParams {
  const shapes = linearVaeShapes(dims);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return {
    W: new Float64Array(size(shapes.W)),
    b: new Float64Array(size(shapes.b)),
    V: new Float64Array(size(shapes.V)),
    c: new Float64Array(size(shapes.c)),
    s: new Float64Array(size(shapes.s)),
  };
}

/** Copy a replica's float32 parameters (as the trainers hand them out) into float64 `into` for the oracle. */
export function toFloat64Params(p: Record<string, Float32Array>, into: LinearVaeParams): LinearVaeParams {
  for (const name of LINEAR_VAE_PARAM_NAMES) into[name].set(p[name]);
  return into;
}
