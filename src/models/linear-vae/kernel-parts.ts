/**
 * Pieces shared by the linear VAE's closed-form gradient kernels (the ELBO in
 * engine-model.ts, the IWAE bound in iwae-engine-model.ts): both start from
 * zeroed gradients, compute the encoder mean μ = V x + c of a data row, and
 * push ∂μ back to ∂V and ∂c the same way.
 */
import type { ReplicaParams } from '../../engine/trainer.ts';

export interface LinearVaeGrads {
  gW: Float64Array;
  gb: Float64Array;
  gV: Float64Array;
  gc: Float64Array;
  gs: Float64Array;
}

export function zeroedGradients(grad: Record<string, Float64Array>): LinearVaeGrads {
  return { gW: grad.W.fill(0), gb: grad.b.fill(0), gV: grad.V.fill(0), gc: grad.c.fill(0), gs: grad.s.fill(0) };
}

/** mu ← V x + c for the data row starting at `row` (dz × dx row-major V). */
export function encoderMean(p: Record<string, Float32Array>, data: Float32Array, row: number, dx: number, dz: number, mu: Float64Array): void {
  const { V, c } = p;
  for (let j = 0; j < dz; j++) {
    let a = c[j];
    for (let q = 0; q < dx; q++) a += V[j * dx + q] * data[row + q];
    mu[j] = a;
  }
}

/** ∂V += ∂μ xᵀ, ∂c += ∂μ for one data row. */
export function addEncoderGradient(g: LinearVaeGrads, gmu: Float64Array, data: Float32Array, row: number, dx: number, dz: number): void {
  for (let j = 0; j < dz; j++) {
    g.gc[j] += gmu[j];
    for (let q = 0; q < dx; q++) g.gV[j * dx + q] += gmu[j] * data[row + q];
  }
}
