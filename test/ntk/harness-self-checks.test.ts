/**
 * The family-N harness self-checks (each turns a claim into `error`): the
 * inputs measured on the unit sphere (familyInputs, inputTensor:
 * src/claims/ntk/shared/common.ts) and ntk-lazy-training's kernel pairing
 * (kernelPairingSelfCheck: each replica's own Θ₀ through the change
 * expression gives exactly 0). Each is shown quiet on correct inputs and
 * firing on the broken input it exists for.
 */
import { Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { relativeFrobenius } from '../../src/kernels/krr.ts';
import { sphereInputs } from '../../src/models/ntk/data.ts';
import { familyInputs, inputTensor, requireOnSphere, SPHERE_TOLERANCE, sphereDeviation } from '../../src/claims/ntk/shared/common.ts';
import { NTK_BED } from '../../src/claims/ntk/shared/tiers.ts';
import { kernelPairingSelfCheck } from '../../src/claims/ntk/ntk-lazy-training.check.ts';
import type { TrainedReplica } from '../../src/claims/ntk/shared/training.ts';

/** Gaussian rows divided by √d (their expected norm) instead of their own norm: near, not on, the sphere. */
function rowsOverSqrtD(n: number, d: number, seed: number): Float64Array {
  const rng = new RandomStream(seed);
  return Float64Array.from({ length: n * d }, () => rng.normal() / Math.sqrt(d));
}

describe('inputs measured on the unit sphere', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('is quiet on the inputs every NTK claim uses (max |‖x_i‖ − 1| at rounding, far below 1e-12)', () => {
    for (const [stream, n, block] of [
      ['ntk-init-limit', NTK_BED.n, 'train'],
      ['ntk-gd', NTK_BED.n, 'train'],
      ['ntk-gd', 32, 'test'],
      ['snn-ntk', 128, 'train'],
    ] as const) {
      const data = familyInputs(1, stream, NTK_BED.d, n, block);
      expect(sphereDeviation(data.x, data.n, data.d)).toBeLessThan(1e-14);
    }
    for (const d of [8, 1024]) {
      const data = sphereInputs(64, d, 3);
      expect(requireOnSphere(data.x, 64, d, 'test')).toBeLessThan(SPHERE_TOLERANCE / 100);
    }
    const X = inputTensor(familyInputs(1, 'ntk-gd', NTK_BED.d, NTK_BED.n));
    expect(X.shape).toEqual([NTK_BED.n, NTK_BED.d]);
    X.dispose();
  });

  it('fires on rows normalised by √d instead of their own norm, on a NaN row, and on a float32 tensor off the sphere', () => {
    const d = NTK_BED.d;
    const x = rowsOverSqrtD(32, d, 7);
    const dev = sphereDeviation(x, 32, d);
    expect(dev).toBeGreaterThan(0.05);
    expect(() => requireOnSphere(x, 32, d, 'probe')).toThrow(/harness self-check: the NTK inputs \(probe, 32 × 32\) are not on the unit sphere: max \|‖x_i‖ − 1\| = .* > 1e-12/);
    // One row barely off (1e-9) is still caught: the tolerance is rounding, not sampling.
    const good = sphereInputs(4, d, 11);
    const nudged = Float64Array.from(good.x);
    for (let j = 0; j < d; j++) nudged[2 * d + j] *= 1 + 1e-9;
    expect(() => requireOnSphere(nudged, 4, d, 'nudged')).toThrow(/not on the unit sphere/);
    const nan = Float64Array.from(good.x);
    nan[5] = Number.NaN;
    expect(sphereDeviation(nan, 4, d)).toBe(Infinity);
    expect(() => inputTensor({ n: 32, d, x })).toThrow(/float32 tensor the engine uses/);
  });
});

/** A replica with a given initial and final kernel (the fields the pairing check reads). */
function replica(kernel0: Matrix, kernelT: Matrix): TrainedReplica {
  return { residuals: [], kernel0, cross0: kernel0, test0: new Float64Array(0), kernelT, testOutputs: null, divergedAt: -1, eta: 1 };
}

function randomKernel(rng: RandomStream, n: number): Matrix {
  const A = Matrix.from1DArray(n, n, Float64Array.from({ length: n * n }, () => rng.normal()));
  return A.mmul(A.transpose()).div(n);
}

describe('ntk-lazy-training kernel pairing self-check', () => {
  const rng = new RandomStream(2026);
  const n = 6;
  const widths = [64, 256];
  const seeds = 3;
  // perWidth[w][s]: Θ₀ differs across seeds and widths; Θ_T = Θ₀ + a small change.
  const perWidth = widths.map(() =>
    Array.from({ length: seeds }, () => {
      const k0 = randomKernel(rng, n);
      return replica(k0, k0.clone().add(randomKernel(rng, n).mul(0.01)));
    }),
  );
  const table = (ref: (reps: readonly TrainedReplica[], s: number, w: number) => Matrix) => (t: readonly (readonly TrainedReplica[])[]) =>
    Array.from({ length: seeds }, (_, s) => t.map((reps, w) => relativeFrobenius(reps[s].kernelT!, ref(reps, s, w))));

  it('is quiet when every replica is compared with its own Θ₀', () => {
    expect(kernelPairingSelfCheck(table((reps, s) => reps[s].kernel0), perWidth, widths)).toBeNull();
  });

  it("fires when the change is measured against seed 0's Θ₀ (the probe's index slip) or another width's", () => {
    const seedSlip = kernelPairingSelfCheck(table((reps) => reps[0].kernel0), perWidth, widths);
    expect(seedSlip).toMatch(/harness self-check: the kernel-change expression does not compare each replica with its own Θ₀ .* gives 4 non-zero change\(s\) \(must be exactly 0\): seed 1, m = 64/);
    const widthSlip = kernelPairingSelfCheck(table((_, s) => perWidth[0][s].kernel0), perWidth, widths);
    expect(widthSlip).toMatch(/gives 3 non-zero change\(s\).*seed 0, m = 256/);
  });
});
