/**
 * The replicas' noise stream (src/engine/counter-normals.ts, its SIMD port
 * wasm/counter-normals.as.ts):
 *   - the generator's 64-bit arithmetic on 32-bit halves equals exact BigInt arithmetic;
 *   - its log and sin/cos are within their stated accuracy of Math.log, Math.sin, Math.cos;
 *   - the WebAssembly port gives the specification's pairs bit for bit (chunk edges, odd
 *     counts, far counters, float32 targets);
 *   - a stream's normals are a function of (seed, index): any interleaving of normal() and
 *     fillNormal gives the same numbers;
 *   - the normals are standard normal, independent within a pair, along a stream and across
 *     neighbouring seeds, at sample sizes where a 1% error in a moment or a 0.3% error in
 *     the CDF would show. Every statistical check has a stated false-alarm rate for a
 *     correct generator; with the seeds fixed the outcome is deterministic.
 */
import { describe, expect, it } from 'vitest';
import {
  counterAt,
  CounterNormalStream,
  fillPairs,
  fillPairsJs,
  keyFromSeed,
  logUnit,
  mix64,
  sinCosTurn,
  type U64,
} from '../../src/engine/counter-normals.ts';
import { counterNormalsImplementation } from '../../src/engine/counter-normals-wasm.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { normalCdf } from '../../src/stats/normal.ts';

const M64 = (1n << 64n) - 1n;
const big = (z: U64) => (BigInt(z.hi) << 32n) | BigInt(z.lo);
function mixRef(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** Distance to the next double away from zero. */
function ulp(x: number): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, Math.abs(x));
  b.setBigUint64(0, b.getBigUint64(0) + 1n);
  return b.getFloat64(0) - Math.abs(x);
}

describe('generator arithmetic (exact, against BigInt)', () => {
  const words = [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x9e3779b9, 0x12345678];
  const rng = RandomStream.at('test/counter-normals', 'words');
  const pairs: [number, number][] = [];
  for (const h of words) for (const l of words) pairs.push([h, l]);
  for (let i = 0; i < 20000; i++) pairs.push([(rng.uniform() * 2 ** 32) >>> 0, (rng.uniform() * 2 ** 32) >>> 0]);

  it('mix64 is SplitMix64 finaliser mod 2^64', () => {
    let bad = 0;
    for (const [hi, lo] of pairs) {
      const z = { hi, lo };
      mix64(z);
      if (big(z) !== mixRef((BigInt(hi) << 32n) | BigInt(lo))) bad++;
    }
    expect(bad).toBe(0);
  });

  it('counterAt(i) = κ + (i + 1)·γ mod 2^64, up to i = 2^53 − 2', () => {
    const key = keyFromSeed(12345);
    const idx = [0, 1, 2, 3, 1000, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, 2 ** 52, 2 ** 53 - 2];
    for (let i = 0; i < 2000; i++) idx.push(Math.floor(rng.uniform() * 2 ** 53) - 1);
    for (const i of idx) {
      if (i < 0) continue;
      const c = { hi: 0, lo: 0 };
      counterAt(key, i, c);
      expect(big(c)).toBe((big(key) + BigInt(i + 1) * 0x9e3779b97f4a7c15n) & M64);
    }
  });

  it('keys: κ = mix(seed·γ), different for neighbouring seeds', () => {
    const seen = new Set<bigint>();
    for (let seed = 1; seed <= 1000; seed++) {
      const k = keyFromSeed(seed);
      expect(big(k)).toBe(mixRef((BigInt(seed) * 0x9e3779b97f4a7c15n) & M64));
      seen.add(big(k));
    }
    expect(seen.size).toBe(1000);
  });
});

describe('elementary functions', () => {
  it('logUnit(M) = log(M·2^-52) within 1 ulp of Math.log, over every magnitude', () => {
    const rng = RandomStream.at('test/counter-normals', 'log');
    const Ms: number[] = [1, 2, 3, 2 ** 52, 2 ** 52 - 1, 2 ** 51, 2 ** 51 + 1, 2 ** 26, 2 ** 32, 2 ** 32 - 1, 2 ** 32 + 1];
    for (let L = 1; L <= 52; L++) {
      const base = 2 ** (L - 1);
      // Around the reduction's edges: powers of two and m' near √2.
      Ms.push(base, Math.min(2 ** 52, 2 * base - 1), Math.floor(base * Math.SQRT2), Math.ceil(base * Math.SQRT2));
    }
    for (let i = 0; i < 200000; i++) Ms.push(Math.min(2 ** 52, Math.floor(2 ** (rng.uniform() * 52)) + Math.floor(rng.uniform() * 3)));
    let worst = 0;
    for (const M of Ms) {
      const want = Math.log(M * 2 ** -52);
      const got = logUnit(M);
      if (want === 0) expect(got).toBe(0);
      else worst = Math.max(worst, Math.abs(got - want) / ulp(want));
    }
    // Math.log is within 1 ulp of log; ours measured within 1 ulp of Math.log (0.5 + 0.5).
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('sinCosTurn(N) = (cos, sin)(2π·N·2^-53) within 9·2^-53, and exact at the octant points', () => {
    const rng = RandomStream.at('test/counter-normals', 'turn');
    const out = new Float64Array(2);
    let worst = 0;
    for (let i = 0; i < 200000; i++) {
      const N = Math.floor(rng.uniform() * 2 ** 53);
      sinCosTurn(N, out, 0);
      const th = 2 * Math.PI * (N * 2 ** -53);
      worst = Math.max(worst, Math.abs(out[0] - Math.cos(th)), Math.abs(out[1] - Math.sin(th)));
    }
    // Math's side rounds 2πv (|error| ≤ 2π·2⁻⁵³ ≈ 6.3·2⁻⁵³ of angle); ours reduces exactly and
    // evaluates on |x| ≤ π/4 (≤ 2 ulps of values below 1): together below 9·2⁻⁵³.
    expect(worst).toBeLessThan(9 * 2 ** -53);
    // Octant points: j·π/4 exactly → (±1, 0), (0, ±1), (±√½, ±√½).
    const r2 = Math.SQRT1_2;
    const want = [
      [1, 0],
      [r2, r2],
      [0, 1],
      [-r2, r2],
      [-1, 0],
      [-r2, -r2],
      [0, -1],
      [r2, -r2],
    ];
    for (let j = 0; j < 8; j++) {
      sinCosTurn(j * 2 ** 50, out, 0);
      expect(Math.abs(out[0] - want[j][0])).toBeLessThan(2 ** -52);
      expect(Math.abs(out[1] - want[j][1])).toBeLessThan(2 ** -52);
    }
  });
});

describe('the WebAssembly port', () => {
  it('runs here (Node 20 has WebAssembly SIMD)', () => {
    expect(counterNormalsImplementation()).toBe('wasm-simd');
  });

  it('fills the specification’s pairs bit for bit', () => {
    const cases: [number, number][] = [
      [0, 1],
      [0, 2],
      [0, 3],
      [5, 7],
      [17, 64],
      [3, 65],
      [1000, 4095],
      [1001, 4096],
      [0, 4097],
      [7, 10001],
      [2 ** 40, 9],
      [2 ** 51 - 5, 5],
    ];
    for (const seed of [1, 2, 3, 0x7fffffff, 0xfffffffe, 123456789]) {
      const key = keyFromSeed(seed);
      for (const [p0, n] of cases) {
        for (const make of [(k: number) => new Float64Array(k), (k: number) => new Float32Array(k)]) {
          const a = make(2 * n + 3);
          const b = make(2 * n + 3);
          fillPairs(key, p0, n, a, 1);
          fillPairsJs(key, p0, n, b, 1);
          for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`seed ${seed}, pairs ${p0}+${n}, index ${i}: port ${a[i]}, specification ${b[i]}`);
        }
      }
    }
  });
});

describe('a stream', () => {
  it('hands out the same normals in any interleaving of normal() and fillNormal', () => {
    const ref = new Float64Array(20000);
    new CounterNormalStream(42).fillNormal(ref);
    const s = new CounterNormalStream(42);
    const pick = RandomStream.at('test/counter-normals', 'interleave');
    const got: number[] = [];
    while (got.length < 19000) {
      const kind = pick.int(4);
      if (kind === 0) got.push(s.normal());
      else {
        const buf = new Float64Array(kind === 1 ? pick.int(4) : pick.int(300));
        s.fillNormal(buf);
        got.push(...buf);
      }
      expect(s.position).toBe(got.length);
    }
    for (let i = 0; i < got.length; i++) if (!Object.is(got[i], ref[i])) expect.fail(`normal ${i}: ${got[i]} vs ${ref[i]}`);
  });

  it('fillNormalPorted: a port\'s pairs written in place give fillNormal\'s values and state in any interleaving; a port that differs, or an array not from its memory\'s start, is refused', () => {
    // A port in JavaScript over its own memory (the specification's pairs at a byte address), as a module is.
    const memory = new Float64Array(1024);
    let calls = 0;
    const make = (wrong = false) => ({
      checked: false,
      pairs(c0hi: number, c0lo: number, n: number, out: number) {
        calls++;
        // c0 = κ + (2p₀ + 1)·γ: recover p₀ from the stream under test (key 42) by its counters.
        const key = keyFromSeed(42);
        const z: U64 = { hi: 0, lo: 0 };
        let p0 = 0;
        for (counterAt(key, 0, z); z.hi !== c0hi >>> 0 || z.lo !== c0lo >>> 0; counterAt(key, 2 * ++p0, z)) if (p0 > 30000) throw new Error('no such counter');
        fillPairsJs(key, p0, n, memory, out / 8);
        if (wrong) memory[out / 8 + 1] += 1e-9;
      },
    });
    const ref = new Float64Array(8000);
    new CounterNormalStream(42).fillNormal(ref);
    const s = new CounterNormalStream(42);
    const port = make();
    const pick = RandomStream.at('test/counter-normals', 'ported');
    const got: number[] = [];
    while (got.length < 7000) {
      const kind = pick.int(3);
      if (kind === 0) got.push(s.normal());
      else {
        const count = kind === 1 ? pick.int(4) : pick.int(200);
        const offset = pick.int(300);
        s.fillNormalPorted(memory, offset, count, port);
        got.push(...memory.subarray(offset, offset + count));
      }
      expect(s.position).toBe(got.length);
    }
    expect(calls).toBeGreaterThan(50);
    expect(port.checked).toBe(true);
    for (let i = 0; i < got.length; i++) if (!Object.is(got[i], ref[i])) expect.fail(`normal ${i}: ${got[i]} vs ${ref[i]}`);
    expect(() => new CounterNormalStream(42).fillNormalPorted(memory, 0, 64, make(true))).toThrow(/normalPairs.*specification/);
    expect(() => new CounterNormalStream(42).fillNormalPorted(memory.subarray(2), 0, 64, make())).toThrow(/byte 0/);
  });

  it('fills float32 arrays with the float64 normals rounded to nearest, at an offset', () => {
    const d = new Float64Array(101);
    new CounterNormalStream(9).fillNormal(d);
    const f = new Float32Array(110);
    new CounterNormalStream(9).fillNormal(f, 4, 101);
    for (let i = 0; i < 101; i++) expect(f[4 + i]).toBe(Math.fround(d[i]));
    expect([...f.subarray(0, 4), ...f.subarray(105)].every((x) => x === 0)).toBe(true);
  });

  it('depends on its seed only, and at(...) derives the seed as RandomStream.at does', () => {
    expect(CounterNormalStream.at('a', 1).seed).toBe(RandomStream.at('a', 1).seed);
    const a = new CounterNormalStream(5);
    const b = new CounterNormalStream(5);
    new CounterNormalStream(6).normal();
    expect(a.normal()).toBe(b.normal());
    expect(new CounterNormalStream(5).normal()).not.toBe(new CounterNormalStream(6).normal());
  });
});

describe('the normals are standard normal and independent (N = 2^21 per check)', () => {
  const N = 2 ** 21;
  // Every check below compares a z-score with 4.42: a false alarm with probability 10⁻⁵ each
  // for a correct generator (two-sided), 10⁻⁴ for the ten of them together.
  const Z = 4.42;
  const x = new Float64Array(N);
  new CounterNormalStream(20261201).fillNormal(x);

  it('mean 0, variance 1, skewness 0, kurtosis 3', () => {
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const v of x) {
      const v2 = v * v;
      m1 += v;
      m2 += v2;
      m3 += v2 * v;
      m4 += v2 * v2;
    }
    m1 /= N;
    m2 /= N;
    m3 /= N;
    m4 /= N;
    // Standard errors of the raw moments under N(0, 1): √(1/N), √(2/N), √(15/N), √(96/N).
    expect(Math.abs(m1) * Math.sqrt(N)).toBeLessThan(Z);
    expect(Math.abs(m2 - 1) / Math.sqrt(2 / N)).toBeLessThan(Z);
    expect(Math.abs(m3) / Math.sqrt(15 / N)).toBeLessThan(Z);
    expect(Math.abs(m4 - 3) / Math.sqrt(96 / N)).toBeLessThan(Z);
  });

  it('the CDF: Kolmogorov-Smirnov distance, and the tails beyond 3 and 4', () => {
    const s = Float64Array.from(x).sort();
    let D = 0;
    for (let i = 0; i < N; i++) {
      const F = normalCdf(s[i]);
      D = Math.max(D, F - i / N, (i + 1) / N - F);
    }
    // P(√N·D > 1.95) ≈ 0.001 (Kolmogorov's limit law).
    expect(D * Math.sqrt(N)).toBeLessThan(1.95);
    for (const t of [3, 4]) {
      const p = 2 * normalCdf(-t);
      const k = x.reduce((c, v) => c + (Math.abs(v) > t ? 1 : 0), 0);
      expect(Math.abs(k - N * p) / Math.sqrt(N * p * (1 - p))).toBeLessThan(Z);
    }
  });

  it('no correlation within a pair, between neighbours, or of squares (the log–trig coupling)', () => {
    const corr = (f: (i: number) => [number, number], n: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const [a, b] = f(i);
        s += a * b;
      }
      return s / n;
    };
    const half = N / 2;
    // Products of independent N(0,1) have variance 1; of centred squares (v² − 1), variance 4.
    expect(Math.abs(corr((i) => [x[2 * i], x[2 * i + 1]], half)) * Math.sqrt(half)).toBeLessThan(Z);
    expect(Math.abs(corr((i) => [x[2 * i + 1], x[2 * i + 2]], half - 1)) * Math.sqrt(half)).toBeLessThan(Z);
    expect(Math.abs(corr((i) => [x[2 * i] ** 2 - 1, x[2 * i + 1] ** 2 - 1], half)) * Math.sqrt(half / 4)).toBeLessThan(Z);
  });

  it('no correlation between the streams of neighbouring seeds', () => {
    const y = new Float64Array(N);
    new CounterNormalStream(20261202).fillNormal(y);
    let s = 0;
    for (let i = 0; i < N; i++) s += x[i] * y[i];
    expect(Math.abs(s / N) * Math.sqrt(N)).toBeLessThan(Z);
  });
});
