/**
 * The deep VAE float64 reference's WebAssembly SIMD port (src/models/deep-vae/reference-wasm.ts,
 * source wasm/reference.as.ts) against the JavaScript it ports (reference.ts's deepElboDrawsJs):
 *   - it is what deepElboDraws runs here (Node ≥ 20 has WebAssembly SIMD), so the
 *     comparisons below are not the JavaScript against itself, and
 *     VAE_CLAIMS_DEEP_REFERENCE=js turns it off at any call;
 *   - every value and every gradient coordinate of every draw are bitwise equal
 *     (Object.is), over odd and even dx, H, dz (SIMD tails) and dz = 1, soft-clip and
 *     ReLU, β ≠ 1, K ∈ {1, 2, 3}, stride > K, J = 1..5, n = 3..9 (the weight gradients'
 *     blocks of 4 points: partial, whole, across two), H a multiple of 8 or not, parameters small to overflowing
 *     (infinities and NaN), pre-activations placed exactly at, just inside and just
 *     beyond every soft-clip threshold of every layer (|s(t − lo)|, |s(t − hi)| = 40;
 *     t = lo, hi; huge) and of the port's short cut for the decoder output
 *     (s(t − hi) = −60, |t| = 2⁻³⁰), inputs longer than read, dirty gradient buffers; and once at
 *     full size (196-64-8, n = 500 digits, J = 4, the claims' antithetic noise);
 *   - the claims' run-time comparison (referencePortCheck) names the first differing
 *     coordinate, and reports when there is no port to compare;
 *   - the committed binary is what the pinned compiler makes of the source
 *     (test/engine/wasm-kernel.test.ts, for every kernel).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../src/engine/rng.ts';
import { loadDigits } from '../../src/data/mnist.ts';
import { deepElboDraws, deepElboDrawsJs, deepOffsets, unflattenDeep, type DeepElboOptions } from '../../src/models/deep-vae/reference.ts';
import { deepReferenceImplementation, deepReferenceSkipsOutput } from '../../src/models/deep-vae/reference-wasm.ts';
import { HIDDEN_RANGE, LOG_VARIANCE_RANGE, MEAN_RANGE, SOFT_CLIP_SHARPNESS, softClipWithDerivative, type ClipRange } from '../../src/models/deep-vae/soft-clip.ts';
import { deepParamCount, type Activation, type DeepVaeDims } from '../../src/models/deep-vae/params.ts';
import { antitheticNoise, referencePortCheck } from '../../src/claims/convergence/adam-rate-deep-vae.conformance.ts';

interface Case {
  dims: DeepVaeDims;
  n: number;
  K: number;
  stride: number;
  J: number;
  activation: Activation;
  beta: number;
  decoderStd: number;
  /** Parameters N(0, scale²). */
  scale: number;
  /** Biases replaced by these values (cycled), weights scaled by `weightScale`: pre-activations at chosen points. */
  biases?: { hidden: number[]; mean: number[]; logVar: number[]; output: number[]; weightScale: number };
  seed: number;
}

function inputs(c: Case) {
  const { dims, n, K, stride, J } = c;
  const P = deepParamCount(dims);
  const rng = RandomStream.at('deep-vae-reference-wasm', c.seed);
  const theta = Float64Array.from({ length: P }, () => c.scale * rng.normal());
  if (c.biases) {
    const b = c.biases;
    for (let i = 0; i < P; i++) theta[i] *= b.weightScale;
    const off = deepOffsets(dims);
    const put = (at: number, size: number, values: number[], shift: number) => {
      for (let i = 0; i < size; i++) theta[at + i] = values[(i + shift) % values.length];
    };
    put(off.b1, dims.hidden, b.hidden, c.seed);
    put(off.b2, dims.hidden, b.hidden, c.seed + 3);
    put(off.bm, dims.dz, b.mean, c.seed);
    put(off.bv, dims.dz, b.logVar, c.seed);
    put(off.b3, dims.dx, b.output, c.seed);
  }
  // Longer than read (the reference reads the first n·dx and n·stride·dz values).
  const x = Float64Array.from({ length: n * dims.dx + 3 }, () => rng.uniform());
  const eps = Array.from({ length: J }, () => Float64Array.from({ length: n * stride * dims.dz + 2 }, () => rng.normal()));
  const o: Omit<DeepElboOptions, 'eps'> = { dims, activation: c.activation, decoderStd: c.decoderStd, beta: c.beta, x, n, K, stride };
  return { theta, o, eps, P };
}

/** Both implementations on the same inputs; the first difference, or null. */
function difference(c: Case): string | null {
  const { theta, o, eps, P } = inputs(c);
  const gJs = eps.map(() => new Float64Array(P).fill(Number.NaN));
  const gPort = eps.map(() => new Float64Array(P).fill(7));
  const vJs = deepElboDrawsJs(unflattenDeep(theta, c.dims), o, eps, gJs);
  const vPort = deepElboDraws(unflattenDeep(theta, c.dims), o, eps, gPort);
  for (let d = 0; d < c.J; d++) {
    if (!Object.is(vJs[d], vPort[d])) return `draw ${d}: value ${vPort[d]} (port) ≠ ${vJs[d]} (JS)`;
    const i = gJs[d].findIndex((v, k) => !Object.is(v, gPort[d][k]));
    if (i >= 0) return `draw ${d}: gradient ${i} ${gPort[d][i]} (port) ≠ ${gJs[d][i]} (JS)`;
  }
  return null;
}

/**
 * Pre-activations t at, next to and just beyond every threshold of a range: soft-clip.ts's
 * s(t − lo), s(t − hi) ∈ {±40, 0}; the port's output short cut's s(t − hi) = −60 and
 * |t| = 2⁻³⁰ (reference-wasm.ts); and huge.
 */
function thresholds({ lo, hi }: ClipRange): number[] {
  const s = SOFT_CLIP_SHARPNESS;
  const edges = [lo - 40 / s, lo, lo + 40 / s, hi - 60 / s, hi - 40 / s, hi, hi + 40 / s];
  const out = [-1e300, -1e6, 1e6, 1e300, (lo + hi) / 2, 0];
  for (const t of [2 ** -30, -(2 ** -30)]) out.push(t, t * (1 + 2 ** -52), t * (1 - 2 ** -53), t / 2);
  for (const e of edges) out.push(e, e * (1 + 2 ** -52) + 2 ** -1074, e * (1 - 2 ** -52) - 2 ** -1074, e + 1e-9, e - 1e-9, e + 0.5, e - 0.5);
  return out;
}

const BIASES = { hidden: thresholds(HIDDEN_RANGE), mean: thresholds(MEAN_RANGE), logVar: thresholds(LOG_VARIANCE_RANGE), output: thresholds(MEAN_RANGE) };

describe('deep VAE float64 reference: WebAssembly SIMD port', () => {
  it('is the implementation deepElboDraws runs here, unless VAE_CLAIMS_DEEP_REFERENCE=js (read at each call)', () => {
    expect(deepReferenceImplementation()).toBe('wasm-simd');
    const before = process.env.VAE_CLAIMS_DEEP_REFERENCE;
    process.env.VAE_CLAIMS_DEEP_REFERENCE = 'js';
    try {
      expect(deepReferenceImplementation()).toBe('js');
      const c: Case = { dims: { dx: 3, hidden: 2, dz: 1 }, n: 2, K: 1, stride: 1, J: 1, activation: 'soft-clip', beta: 1, decoderStd: 1, scale: 0.5, seed: 1 };
      expect(difference(c)).toBeNull();
    } finally {
      if (before === undefined) delete process.env.VAE_CLAIMS_DEEP_REFERENCE;
      else process.env.VAE_CLAIMS_DEEP_REFERENCE = before;
    }
    expect(deepReferenceImplementation()).toBe('wasm-simd');
  });

  const dimsList: DeepVaeDims[] = [
    { dx: 1, hidden: 1, dz: 1 },
    { dx: 4, hidden: 2, dz: 2 },
    { dx: 5, hidden: 3, dz: 1 },
    { dx: 7, hidden: 6, dz: 3 },
    { dx: 8, hidden: 5, dz: 4 },
    { dx: 9, hidden: 7, dz: 5 },
    { dx: 12, hidden: 9, dz: 8 },
    // H a multiple of 8 (the W3 gradient's two-row blocks), dx past 8 and odd (W1's eight-wide blocks, pairs, tail).
    { dx: 19, hidden: 8, dz: 2 },
    { dx: 10, hidden: 16, dz: 3 },
  ];
  const shapes: { K: number; stride: number; J: number }[] = [
    { K: 1, stride: 1, J: 1 },
    { K: 2, stride: 2, J: 2 },
    { K: 3, stride: 3, J: 3 },
    { K: 1, stride: 3, J: 4 },
    { K: 2, stride: 4, J: 5 },
  ];
  it('equals the JavaScript bitwise: odd and even dims, K = 1..3, stride > K, J = 1..5, soft-clip and ReLU, β ≠ 1, small to overflowing parameters', () => {
    let seed = 0;
    let runs = 0;
    for (const dims of dimsList) {
      for (const shape of shapes) {
        for (const activation of ['soft-clip', 'relu'] as const) {
          for (const scale of [0.1, 3, 40, 400]) {
            // n = 3..9: within one block of 4 points, exactly one, and across two with a partial last.
            const c: Case = { dims, n: 3 + (seed % 7), ...shape, activation, beta: seed % 2 ? 1 : 0.37, decoderStd: seed % 3 ? 0.3 : 1.7, scale, seed: seed++ };
            expect(difference(c), JSON.stringify(c)).toBeNull();
            runs++;
          }
        }
      }
    }
    expect(runs).toBe(dimsList.length * shapes.length * 2 * 4);
  });

  it("skips the decoder output's soft-clip only where softClipWithDerivative gives f = t, f' = 1 exactly, at both sides of every threshold and on random doubles", () => {
    const out = new Float64Array(2);
    const exact = (t: number) => {
      softClipWithDerivative(t, MEAN_RANGE, out, 0);
      return Object.is(out[0], t) && out[1] === 1;
    };
    const tried: number[] = [...thresholds(MEAN_RANGE)];
    for (const t of thresholds(MEAN_RANGE)) {
      let up = t;
      let down = t;
      for (let i = 0; i < 4; i++) {
        up = up * (1 + 2 ** -52) + 2 ** -1074;
        down = down * (1 - 2 ** -52) - 2 ** -1074;
        tried.push(up, down);
      }
    }
    let skipped = 0;
    for (const t of tried) {
      const skip = deepReferenceSkipsOutput(t, MEAN_RANGE);
      expect(skip).not.toBeNull();
      if (skip) {
        skipped++;
        expect(exact(t), `t = ${t}`).toBe(true);
      }
    }
    expect(skipped).toBeGreaterThan(20);
    // The thresholds themselves: skipped just inside, not at or beyond (the condition is the one stated).
    const s = SOFT_CLIP_SHARPNESS;
    const edge = MEAN_RANGE.hi - 60 / s;
    expect([edge * (1 - 2 ** -52), edge, edge * (1 + 2 ** -52)].map((t) => deepReferenceSkipsOutput(t, MEAN_RANGE))).toEqual([true, false, false]);
    expect([2 ** -30, 2 ** -30 * (1 - 2 ** -53), -(2 ** -30), 0].map((t) => deepReferenceSkipsOutput(t, MEAN_RANGE))).toEqual([true, false, true, false]);
    const low = MEAN_RANGE.lo + 40 / s;
    expect([low * (1 + 2 ** -52), low, low * (1 - 2 ** -52)].map((t) => deepReferenceSkipsOutput(t, MEAN_RANGE))).toEqual([false, false, true]);
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.double({ min: -60, max: 60 }), fc.double({ min: -1e-8, max: 1e-8 })), (t) => !deepReferenceSkipsOutput(t, MEAN_RANGE) || exact(t)),
      { numRuns: 20_000, seed: 13 },
    );
  });

  it('equals the JavaScript bitwise with every layer\'s pre-activations at, just inside and just beyond each soft-clip threshold, and huge', () => {
    let seed = 0;
    expect(BIASES.output.length).toBeLessThanOrEqual(64);
    for (const dims of [{ dx: 65, hidden: 65, dz: 3 }, { dx: 64, hidden: 66, dz: 4 }]) {
      for (const weightScale of [0, 1e-12, 1e-3]) {
        for (let shift = 0; shift < 15; shift++) {
          for (const activation of ['soft-clip', 'relu'] as const) {
            const c: Case = { dims, n: 2, K: 2, stride: 2, J: 2, activation, beta: 0.8, decoderStd: 0.5, scale: 1, biases: { ...BIASES, weightScale }, seed: seed++ };
            expect(difference(c), `${JSON.stringify(dims)} weights ×${weightScale} shift ${shift} ${activation}`).toBeNull();
          }
        }
      }
    }
  });

  it('equals the JavaScript bitwise at full size (196-64-8, n = 500 digits, J = 4 antithetic draws), with the claims\' comparison agreeing', () => {
    const digits = loadDigits({ perDigit: 50, pool: 2 });
    const dims: DeepVaeDims = { dx: digits.dim, hidden: 64, dz: 8 };
    expect([digits.n, dims.dx]).toEqual([500, 196]);
    const P = deepParamCount(dims);
    const rng = RandomStream.at('deep-vae-reference-wasm-full');
    const theta = Float64Array.from({ length: P }, () => 0.2 * rng.normal());
    const eps = Array.from({ length: 4 }, () => antitheticNoise(digits.n, dims.dz, rng));
    const o = { dims, activation: 'soft-clip' as const, decoderStd: 0.3, x: Float64Array.from(digits.x), n: digits.n, K: 2 };
    const grads = eps.map(() => new Float64Array(P));
    const values = deepElboDraws(unflattenDeep(theta, dims), o, eps, grads);
    const check = referencePortCheck(unflattenDeep(theta, dims), o, eps, values, grads, 'the test point');
    expect(check.ok, check.detail).toBe(true);
    expect(check.detail).toContain(`all ${P} gradient coordinates of 4 draws`);
  }, 60_000);

  it('the claims\' comparison names the first differing value or coordinate, and says when there is no port', () => {
    const dims: DeepVaeDims = { dx: 4, hidden: 3, dz: 2 };
    const c: Case = { dims, n: 3, K: 2, stride: 2, J: 2, activation: 'soft-clip', beta: 1, decoderStd: 0.5, scale: 0.5, seed: 9 };
    const { theta, o, eps, P } = inputs(c);
    const p = unflattenDeep(theta, dims);
    const grads = eps.map(() => new Float64Array(P));
    const values = deepElboDraws(p, o, eps, grads);
    expect(referencePortCheck(p, o, eps, values, grads, 'here').ok).toBe(true);
    const off = deepOffsets(dims);
    grads[1][off.Wv + 1] = grads[1][off.Wv + 1] * (1 + 2 ** -52) + 2 ** -1074;
    const bad = referencePortCheck(p, o, eps, values, grads, 'here');
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/^draw 1's gradient at ∂Wv\[1\]: /);
    const badValue = referencePortCheck(p, o, eps, Float64Array.from(values, (v, d) => (d === 0 ? -v : v)), grads, 'here');
    expect(badValue.detail).toMatch(/^draw 0's ELBO/);
    const before = process.env.VAE_CLAIMS_DEEP_REFERENCE;
    process.env.VAE_CLAIMS_DEEP_REFERENCE = 'js';
    try {
      const skipped = referencePortCheck(p, o, eps, values, grads, 'here');
      expect(skipped.ok).toBe(true);
      expect(skipped.detail).toMatch(/runs as JavaScript here.*no port to compare/);
    } finally {
      if (before === undefined) delete process.env.VAE_CLAIMS_DEEP_REFERENCE;
      else process.env.VAE_CLAIMS_DEEP_REFERENCE = before;
    }
  });
});
