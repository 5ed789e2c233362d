/**
 * The linear VAE oracle's batched WebAssembly port (src/models/linear-vae/oracle-wasm.ts,
 * source wasm/oracle.as.ts) against the JavaScript oracle it ports,
 * squaredNorm(elboGradient(θ_r, moments, σ_x, β_r)) replica by replica (oracle.ts):
 *   - the port is what runs here (Node ≥ 20 has WebAssembly SIMD), so the comparisons are not
 *     the JavaScript oracle against itself, and VAE_CLAIMS_LINEAR_ORACLE=js turns it off;
 *   - every replica's norm is bitwise equal (Object.is) over odd and even R (the lane pairs and
 *     a lone last replica), odd and even dx and dz, β per replica (0, ½, 1, 2), σ_x ≠ 1,
 *     float32 parameters from small to overflowing (e^s = ∞ and NaN norms), one instance reused
 *     across growing and shrinking R; and on random shapes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../src/engine/rng.ts';
import { dataMoments, elboGradient, squaredNorm } from '../../src/models/linear-vae/oracle.ts';
import { LinearVaeGradientNorms, linearOracleImplementation, type BatchedLinearVaeParams } from '../../src/models/linear-vae/oracle-wasm.ts';
import { toFloat64Params, zeroParams, type LinearVaeDims } from '../../src/models/linear-vae/params.ts';

function batch(dims: LinearVaeDims, R: number, seed: number, scale = 1): BatchedLinearVaeParams {
  const rng = RandomStream.at('linear-vae-oracle-wasm-params', seed);
  const { dx, dz } = dims;
  const block = (size: number, s = scale) => Float32Array.from({ length: R * size }, () => s * rng.normal());
  return { W: block(dx * dz), b: block(dx), V: block(dz * dx), c: block(dz), s: block(dz, Math.min(scale, 2)) };
}

function momentsFor(dx: number, seed: number, n = 23) {
  const rng = RandomStream.at('linear-vae-oracle-wasm-data', seed);
  return dataMoments(Float32Array.from({ length: n * dx }, () => 1.5 * rng.normal() + 0.3), n, dx);
}

/** The JavaScript oracle, replica by replica: the specification. */
function expected(dims: LinearVaeDims, values: BatchedLinearVaeParams, R: number, moments: ReturnType<typeof dataMoments>, sigmaX: number, betas: number[]): number[] {
  const { dx, dz } = dims;
  const sizes = { W: dx * dz, b: dx, V: dz * dx, c: dz, s: dz };
  return Array.from({ length: R }, (_, r) => {
    const replica = Object.fromEntries((['W', 'b', 'V', 'c', 's'] as const).map((k) => [k, values[k].subarray(r * sizes[k], (r + 1) * sizes[k])]));
    return squaredNorm(elboGradient(toFloat64Params(replica, zeroParams(dims)), moments, sigmaX, betas[r]));
  });
}

function check(norms: LinearVaeGradientNorms, dims: LinearVaeDims, values: BatchedLinearVaeParams, R: number, moments: ReturnType<typeof dataMoments>, sigmaX: number, betas: number[]): void {
  const out = new Float64Array(R);
  norms.compute(values, R, betas, out);
  const want = expected(dims, values, R, moments, sigmaX, betas);
  for (let r = 0; r < R; r++) expect(Object.is(out[r], want[r]), `replica ${r} of ${R}: ${out[r]} vs ${want[r]}`).toBe(true);
}

describe('linear VAE oracle port: ‖∇L(θ_r)‖² for a batch of replicas', () => {
  it('runs here as WebAssembly SIMD, and VAE_CLAIMS_LINEAR_ORACLE=js turns it off', () => {
    const dims = { dx: 4, dz: 2 };
    expect(linearOracleImplementation()).toBe('wasm-simd');
    expect(new LinearVaeGradientNorms(dims, momentsFor(4, 1), 1).implementation).toBe('wasm-simd');
    process.env.VAE_CLAIMS_LINEAR_ORACLE = 'js';
    try {
      expect(linearOracleImplementation()).toBe('js');
      expect(new LinearVaeGradientNorms(dims, momentsFor(4, 1), 1).implementation).toBe('js');
    } finally {
      delete process.env.VAE_CLAIMS_LINEAR_ORACLE;
    }
  });

  for (const dims of [{ dx: 10, dz: 3 }, { dx: 5, dz: 2 }, { dx: 7, dz: 4 }, { dx: 1, dz: 1 }]) {
    it(`equals the JavaScript oracle bitwise at dx = ${dims.dx}, dz = ${dims.dz}: R = 1, 2, 3, 6, 5 on one instance, β per replica, σ_x = 0.7`, () => {
      const moments = momentsFor(dims.dx, dims.dx * 10 + dims.dz);
      const norms = new LinearVaeGradientNorms(dims, moments, 0.7);
      [1, 2, 3, 6, 5].forEach((R, i) => {
        const betas = Array.from({ length: R }, (_, r) => [1, 0.5, 0, 2][(r + i) % 4]);
        check(norms, dims, batch(dims, R, 100 + i), R, moments, 0.7, betas);
      });
    });
  }

  it('equals it on parameters from tiny to overflowing (e^s = ∞, infinite and NaN norms)', () => {
    const dims = { dx: 10, dz: 3 };
    const moments = momentsFor(10, 7);
    const norms = new LinearVaeGradientNorms(dims, moments, 1);
    for (const scale of [1e-30, 1e-3, 30, 1e15, 3e38]) check(norms, dims, batch(dims, 5, 7, scale), 5, moments, 1, [1, 1, 1, 1, 1]);
    const values = batch(dims, 3, 8);
    values.s[1] = 800; // e^s = ∞ in replica 0
    values.W[dims.dx * dims.dz + 2] = Number.NaN; // replica 1
    values.b[2 * dims.dx] = Number.POSITIVE_INFINITY; // replica 2
    check(norms, dims, values, 3, moments, 1, [1, 0.5, 2]);
  });

  it('equals it on random shapes, R and σ_x', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: 0.1, max: 3, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (dx, dz, R, sigmaX, seed) => {
        const dims = { dx, dz };
        const moments = momentsFor(dx, seed);
        const betas = Array.from({ length: R }, (_, r) => (r % 3) * 0.5);
        check(new LinearVaeGradientNorms(dims, moments, sigmaX), dims, batch(dims, R, seed), R, moments, sigmaX, betas);
      }),
      { numRuns: 60, seed: 20261202 },
    );
  });
});
