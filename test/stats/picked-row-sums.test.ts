/**
 * Sums of picked rows (src/stats/picked-row-sums.ts): the WebAssembly port against the
 * JavaScript specification, bitwise (Object.is), over odd and even widths, repeated and
 * out-of-order picks, J = 0, and values that make the order visible (±0, ±∞, NaN,
 * magnitudes 1e±300 whose sums depend on the order); and the forcing variable.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../src/engine/rng.ts';
import { PickedRowSums, pickedRowSumsImplementation, pickedRowSumsJs } from '../../src/stats/picked-row-sums.ts';

function rowsOf(M: number, width: number, seed: number): Float64Array {
  const rng = RandomStream.at('picked-row-sums', seed);
  const special = [0, -0, Infinity, -Infinity, NaN, 1e300, -1e300, 1e-300, 2 ** 53, 1];
  return Float64Array.from({ length: M * width }, () => (rng.uniform() < 0.05 ? special[rng.int(special.length)] : rng.normal() * 10 ** (rng.int(31) - 15)));
}

function same(rows: Float64Array, width: number, pick: number[]): void {
  const sums = new PickedRowSums(rows, width);
  const got = new Float64Array(width).fill(7);
  const want = new Float64Array(width);
  sums.sum(pick, pick.length, got);
  pickedRowSumsJs(rows, width, pick, pick.length, want);
  got.forEach((v, t) => expect(Object.is(v, want[t]), `column ${t}: ${v} vs ${want[t]}`).toBe(true));
}

describe('sums of picked rows', () => {
  it('runs as WebAssembly here, and VAE_CLAIMS_ROW_SUMS=js turns it off', () => {
    expect(pickedRowSumsImplementation()).toBe('wasm-simd');
    expect(new PickedRowSums(new Float64Array(6), 3).implementation).toBe('wasm-simd');
    process.env.VAE_CLAIMS_ROW_SUMS = 'js';
    try {
      expect(new PickedRowSums(new Float64Array(6), 3).implementation).toBe('js');
    } finally {
      delete process.env.VAE_CLAIMS_ROW_SUMS;
    }
  });

  it('equals the JavaScript bitwise: widths 1 to 9, repeated picks, no picks, special values', () => {
    for (let width = 1; width <= 9; width++) {
      const rows = rowsOf(13, width, width);
      same(rows, width, [0, 3, 3, 12, 1, 0, 7]);
      same(rows, width, []);
      same(rows, width, Array.from({ length: 200 }, (_, i) => (i * 7) % 13));
    }
  });

  it('equals it on random matrices and bootstrap picks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 1000 }), (M, width, seed) => {
        const rng = RandomStream.at('picked-row-sums-picks', seed);
        same(rowsOf(M, width, seed), width, Array.from({ length: M }, () => rng.int(M)));
      }),
      { numRuns: 100, seed: 20261202 },
    );
  });

  it('refuses picks that are not rows', () => {
    const sums = new PickedRowSums(new Float64Array(6), 3);
    expect(() => sums.sum([2], 1, new Float64Array(3))).toThrow(/not a row of 2/);
    expect(() => sums.sum([0.5], 1, new Float64Array(3))).toThrow(/not a row/);
  });
});
