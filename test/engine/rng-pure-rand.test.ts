/**
 * RandomStream (src/engine/rng.ts) writes xoroshiro128+ out by hand; these
 * tests hold it to the implementation it replaced, bit for bit: pure-rand's
 * `xoroshiro128plus(seed)` and `uniformFloat64`, with the Box-Muller code
 * RandomStream had on top of them (copied below as the oracle). Every value
 * is compared with Object.is over edge seeds, random seeds and millions of
 * draws in mixed orders: uniform/int/normal interleaved with fillNormal and
 * fillInt of odd and even lengths (the spare normal crossing calls), and the
 * rare redraw of u = 0 from a state built to produce it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { deriveSeed, RandomStream } from '../../src/engine/rng.ts';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** RandomStream as it was on pure-rand (the code before the hand-written generator). */
class OracleStream {
  private spareNormal: number | null = null;
  constructor(readonly gen: Generator) {}
  uniform(): number {
    return uniformFloat64(this.gen);
  }
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  fillNormal(out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
    for (let i = 0; i < count; i++) out[offset + i] = this.normal();
  }
  fillInt(out: Int32Array, n: number, offset = 0, count = out.length - offset): void {
    for (let i = 0; i < count; i++) out[offset + i] = this.int(n);
  }
}

/** A small xorshift32 choosing the operations (independent of the code under test). */
function chooser(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const INT_RANGES = [1, 2, 3, 7, 10, 32, 1000, 60_000, 2 ** 31 - 1, 2 ** 32, 2 ** 40 + 3, 2.5];

/**
 * Runs `ops` random operations on both streams, compares every value with
 * Object.is (the first mismatch fails with its position), returns how many values were compared.
 */
function compareMixed(fast: RandomStream, oracle: OracleStream, ops: number, pick: (n: number) => number): number {
  let compared = 0;
  const check = (a: number, b: number, what: string) => {
    if (!Object.is(a, b)) expect.fail(`${what} after ${compared} values: ${a} !== ${b}`);
    compared++;
  };
  for (let op = 0; op < ops; op++) {
    switch (pick(7)) {
      case 0:
        check(fast.uniform(), oracle.uniform(), 'uniform');
        break;
      case 1: {
        const n = INT_RANGES[pick(INT_RANGES.length)];
        check(fast.int(n), oracle.int(n), `int(${n})`);
        break;
      }
      case 2:
      case 3:
        check(fast.normal(), oracle.normal(), 'normal');
        break;
      case 4:
      case 5: {
        // Odd and even counts, offsets, both array types; count 0 too.
        const count = pick(40);
        const offset = pick(5);
        const f64 = pick(2) === 0;
        const a = f64 ? new Float64Array(offset + count + 2) : new Float32Array(offset + count + 2);
        const b = f64 ? new Float64Array(offset + count + 2) : new Float32Array(offset + count + 2);
        a.fill(-7);
        b.fill(-7);
        if (pick(4) === 0 && offset === 0) {
          fast.fillNormal(a.subarray(0, count));
          oracle.fillNormal(b.subarray(0, count));
        } else {
          fast.fillNormal(a, offset, count);
          oracle.fillNormal(b, offset, count);
        }
        for (let i = 0; i < a.length; i++) check(a[i], b[i], `fillNormal(${f64 ? 'f64' : 'f32'}, ${offset}, ${count})[${i}]`);
        break;
      }
      default: {
        const count = pick(40);
        const offset = pick(5);
        const n = INT_RANGES[pick(INT_RANGES.length - 1)];
        const a = new Int32Array(offset + count + 1).fill(-7);
        const b = new Int32Array(offset + count + 1).fill(-7);
        fast.fillInt(a, n, offset, count);
        oracle.fillInt(b, n, offset, count);
        for (let i = 0; i < a.length; i++) check(a[i], b[i], `fillInt(${n}, ${offset}, ${count})[${i}]`);
      }
    }
  }
  return compared;
}

/** Edge seeds: small, int32 limits, uint32 limits, beyond 32 bits (reduced mod 2³² as pure-rand does), negative. */
const EDGE_SEEDS = [1, 2, 3, -1, -2, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32) + 1, 2 ** 53 - 1, -(2 ** 53 - 1), 12345, 0x811c9dc5];

describe('RandomStream equals pure-rand xoroshiro128+ with uniformFloat64, bit for bit', () => {
  it('over edge seeds and derived seeds, 20k mixed operations each (millions of values)', () => {
    const seeds = [...EDGE_SEEDS, ...Array.from({ length: 8 }, (_, i) => deriveSeed(1, 'rng-pure-rand', i))];
    let total = 0;
    for (const seed of seeds) {
      total += compareMixed(new RandomStream(seed), new OracleStream(xoroshiro128plus(seed)), 20_000, chooser(seed ^ 0x5bd1e995));
    }
    expect(total).toBeGreaterThan(3_000_000);
  });

  it('one long stream: 2M normals in fillNormal blocks of odd length, then 1M single normals and 1M int draws', () => {
    const seed = deriveSeed(7, 'long');
    const fast = new RandomStream(seed);
    const oracle = new OracleStream(xoroshiro128plus(seed));
    const a = new Float64Array(1001);
    const b = new Float64Array(1001);
    for (let block = 0; block < 2000; block++) {
      fast.fillNormal(a);
      oracle.fillNormal(b);
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`block ${block} [${i}]: ${a[i]} !== ${b[i]}`);
    }
    for (let i = 0; i < 1_000_000; i++) {
      const x = fast.normal();
      const y = oracle.normal();
      if (!Object.is(x, y)) expect.fail(`normal ${i}: ${x} !== ${y}`);
    }
    for (let i = 0; i < 1_000_000; i++) {
      const x = fast.int(1_000_003);
      const y = oracle.int(1_000_003);
      if (x !== y) expect.fail(`int ${i}: ${x} !== ${y}`);
    }
  });

  it('over random seeds (fast-check: any safe non-zero integer)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.maxSafeInteger()).filter((s) => s !== 0), fc.integer(), (seed, opSeed) => {
        compareMixed(new RandomStream(seed), new OracleStream(xoroshiro128plus(seed)), 300, chooser(opSeed));
      }),
      { numRuns: 300 },
    );
  });

  it('redraws u = 0 exactly as before (from a state whose next uniform is 0)', () => {
    // Solve for a state whose two next outputs have zero low 26 and 27 bits: out₁ = s00 + s10 = 0
    // by s00 = −s10; out₂ = s00' + s10' where s10' = (a1 << 5) ^ (a0 >>> 27) and a1 = s11 ^ s01 is free.
    const pick = chooser(2024);
    const states: [number, number, number, number][] = [];
    while (states.length < 6) {
      const s01 = pick(2 ** 31) ^ (pick(2) << 31);
      const s10 = pick(2 ** 31) ^ (pick(2) << 31);
      const s00 = -s10 | 0;
      const a0 = s10 ^ s00;
      const s00next = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
      const x = (-s00next ^ (a0 >>> 27)) & 0x7ffffff;
      if ((x & 31) !== 0) continue;
      const a1 = (x >>> 5) | (pick(1024) << 22);
      states.push([s01, s00, a1 ^ s01, s10]);
    }
    for (const [index, state] of states.entries()) {
      expect(uniformFloat64(xoroshiro128plusFromState(state))).toBe(0); // the construction works
      for (const how of ['normal', 'fillNormal', 'uniform'] as const) {
        const fast = new RandomStream(1);
        const fields = fast as unknown as { s01: number; s00: number; s11: number; s10: number };
        [fields.s01, fields.s00, fields.s11, fields.s10] = state;
        const oracle = new OracleStream(xoroshiro128plusFromState(state));
        if (how === 'uniform') {
          expect(Object.is(fast.uniform(), oracle.uniform())).toBe(true);
        } else if (how === 'normal') {
          for (let i = 0; i < 5; i++) expect(Object.is(fast.normal(), oracle.normal()), `state ${index}, normal ${i}`).toBe(true);
        } else {
          const a = new Float64Array(5);
          const b = new Float64Array(5);
          fast.fillNormal(a);
          oracle.fillNormal(b);
          for (let i = 0; i < 5; i++) expect(Object.is(a[i], b[i]), `state ${index}, fillNormal [${i}]`).toBe(true);
        }
        compareMixed(fast, oracle, 200, chooser(index + 1));
      }
    }
  });
});
