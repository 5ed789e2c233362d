/**
 * Seeded randomness. One master seed derives every stream by hashing a path of
 * labels (e.g. [master, "sgd-rate-linear-vae", "replica", 3, "noise"]), so a
 * replica's streams depend only on its own labels, never on which other
 * replicas share its batch. That is what makes "a replica trained in a batch
 * follows the same trajectory as trained alone" possible.
 *
 * Generator: xoroshiro128+ with 32-bit outputs, written out here (no generator
 * object, no calls per draw) but bit for bit pure-rand's `xoroshiro128plus`
 * (same seeding, same state layout, same outputs) and its `uniformFloat64`
 * (26 + 27 bits of two consecutive outputs); test/engine/rng-pure-rand.test.ts
 * compares every method with pure-rand over many seeds and millions of draws.
 * Normals: Box-Muller on 53-bit uniforms, both outputs used (the sine one is
 * kept for the next call, also across fillNormal calls).
 *
 * A replica's reparameterisation noise is not drawn here but from a
 * CounterNormalStream (counter-normals.ts, a subclass whose normals are
 * counter-based and filled in SIMD lanes); data, initialisation and data order are.
 */

type Label = string | number;

/** FNV-1a over the labels' text, then a murmur3 finaliser; never returns 0. */
export function deriveSeed(...path: Label[]): number {
  let h = 0x811c9dc5;
  const text = path.map(String).join('\u241f');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h >>>= 0;
  // TensorFlow.js (and many libraries) read seed 0 as "unseeded": never hand it out.
  return h === 0 ? 1 : h;
}

/** uniformFloat64: (a & MASK26)·2⁻²⁶ + (b & MASK27)·2⁻⁵³, both products and the sum exact. */
const MASK26 = 0x3ffffff;
const MASK27 = 0x7ffffff;
const SCALE26 = 1.4901161193847656e-8;
const SCALE53 = 1.1102230246251565e-16;
/** 2·π as Box-Muller's `2 * Math.PI * v` computes it first (left to right): the same double. */
const TWO_PI = 2 * Math.PI;

/**
 * A seeded stream. State: the generator's two 64-bit words as four int32
 * halves in pure-rand's layout (s01/s00 the high/low halves of s0, s11/s10 of
 * s1). Single draws step the state in the object's fields (next); fillNormal
 * runs the same step on local copies and writes them back once per call.
 */
export class RandomStream {
  /** High and low halves of s0 and s1 (int32 each). */
  private s01: number;
  private s00: number;
  private s11: number;
  private s10: number;
  /** Box-Muller's second output, waiting for the next normal (valid when hasSpare). */
  private spare = 0;
  private hasSpare = false;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed) || seed === 0) {
      throw new Error(`RandomStream seed must be a non-zero integer, got ${seed}`);
    }
    // pure-rand's xoroshiro128plus(seed): s0 = (-1, ~seed), s1 = (seed | 0, 0).
    this.s01 = -1;
    this.s00 = ~seed;
    this.s11 = seed | 0;
    this.s10 = 0;
  }

  /** A stream seeded from a path of labels (see deriveSeed). */
  static at(...path: Label[]): RandomStream {
    return new RandomStream(deriveSeed(...path));
  }

  /** One 32-bit output (int32), advancing the state: xoroshiro128+ with rotations 24/16/37 (as 32-bit halves). */
  private next(): number {
    const s00 = this.s00;
    const s01 = this.s01;
    const out = (s00 + this.s10) | 0;
    const a0 = this.s10 ^ s00;
    const a1 = this.s11 ^ s01;
    this.s00 = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
    this.s01 = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    this.s10 = (a1 << 5) ^ (a0 >>> 27);
    this.s11 = (a0 << 5) ^ (a1 >>> 27);
    return out;
  }

  /**
   * The generator's state (s0's high and low halves, then s1's) into out[at..at + 4), and back
   * (setGeneratorState): for a WebAssembly port that draws this stream's uniforms itself, with
   * next()'s arithmetic, and hands the state back. Box–Muller's spare normal is not part of it.
   */
  generatorState(out: Int32Array, at: number): void {
    out[at] = this.s01;
    out[at + 1] = this.s00;
    out[at + 2] = this.s11;
    out[at + 3] = this.s10;
  }

  setGeneratorState(from: Int32Array, at: number): void {
    this.s01 = from[at];
    this.s00 = from[at + 1];
    this.s11 = from[at + 2];
    this.s10 = from[at + 3];
  }

  /** Uniform on [0, 1): a multiple of 2⁻⁵³ from two outputs. */
  uniform(): number {
    const hi = this.next() & MASK26;
    const lo = this.next() & MASK27;
    return hi * SCALE26 + lo * SCALE53;
  }

  /** Uniform integer on {0, ..., n-1}. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    return this.boxMuller(u, this.uniform());
  }

  /** Box-Muller on u ∈ (0, 1], v ∈ [0, 1): returns the cosine output and keeps the sine one as the spare. */
  private boxMuller(u: number, v: number): number {
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(TWO_PI * v);
    this.hasSpare = true;
    return r * Math.cos(TWO_PI * v);
  }

  /** Fill `out[offset .. offset+count)` with standard normals (the same values as `count` calls of normal()). */
  fillNormal(out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
    let i = offset;
    const end = offset + count;
    if (i < end && this.hasSpare) {
      this.hasSpare = false;
      out[i++] = this.spare;
    }
    if (i >= end) return;
    let s00 = this.s00;
    let s01 = this.s01;
    let s10 = this.s10;
    let s11 = this.s11;
    for (;;) {
      let u = 0;
      let v = 0;
      // draw 0 is u (redrawn while 0, as normal() does: log 0 = −∞), draw 1 is v.
      for (let draw = 0; draw < 2; draw++) {
        let w = 0;
        do {
          // uniform(), written out: two steps of next() on the locals, 26 + 27 bits of their outputs.
          let out0 = (s00 + s10) | 0;
          let a0 = s10 ^ s00;
          let a1 = s11 ^ s01;
          let t00 = s00;
          let t01 = s01;
          s00 = (t00 << 24) ^ (t01 >>> 8) ^ a0 ^ (a0 << 16);
          s01 = (t01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
          s10 = (a1 << 5) ^ (a0 >>> 27);
          s11 = (a0 << 5) ^ (a1 >>> 27);
          const hi = out0 & MASK26;
          out0 = (s00 + s10) | 0;
          a0 = s10 ^ s00;
          a1 = s11 ^ s01;
          t00 = s00;
          t01 = s01;
          s00 = (t00 << 24) ^ (t01 >>> 8) ^ a0 ^ (a0 << 16);
          s01 = (t01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
          s10 = (a1 << 5) ^ (a0 >>> 27);
          s11 = (a0 << 5) ^ (a1 >>> 27);
          w = hi * SCALE26 + (out0 & MASK27) * SCALE53;
        } while (draw === 0 && w === 0);
        if (draw === 0) u = w;
        else v = w;
      }
      out[i++] = this.boxMuller(u, v);
      if (i === end) break; // the sine output stays the spare, for the next call
      this.hasSpare = false;
      out[i++] = this.spare;
      if (i === end) break;
    }
    this.s00 = s00;
    this.s01 = s01;
    this.s10 = s10;
    this.s11 = s11;
  }

  /** Fill `out[offset .. offset+count)` with uniform integers in {0..n-1} (the same values as `count` calls of int(n)). */
  fillInt(out: Int32Array, n: number, offset = 0, count = out.length - offset): void {
    // One int(n) at a time: the kernels draw their rows in WebAssembly (random-rows.as.ts, this
    // method's port), so only the TensorFlow.js path's batches (a few per step) come here.
    for (let i = 0; i < count; i++) out[offset + i] = this.int(n);
  }

}
