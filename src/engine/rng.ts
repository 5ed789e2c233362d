/**
 * Seeded randomness. One master seed derives every stream by hashing a path of
 * labels (e.g. [master, "sgd-rate-linear-vae", "replica", 3, "noise"]), so a
 * replica's streams depend only on its own labels, never on which other
 * replicas share its batch. That is what makes "a replica trained in a batch
 * follows the same trajectory as trained alone" possible.
 *
 * Generator: xoroshiro128+ from pure-rand (mutable API, 32-bit outputs).
 * Normals: Box-Muller on 53-bit uniforms, both outputs used.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

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

export class RandomStream {
  private readonly gen: ReturnType<typeof xoroshiro128plus>;
  private spareNormal: number | null = null;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed) || seed === 0) {
      throw new Error(`RandomStream seed must be a non-zero integer, got ${seed}`);
    }
    this.gen = xoroshiro128plus(seed);
  }

  /** A stream seeded from a path of labels (see deriveSeed). */
  static at(...path: Label[]): RandomStream {
    return new RandomStream(deriveSeed(...path));
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer on {0, ..., n-1}. */
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

  /** Fill `out[offset .. offset+count)` with standard normals. */
  fillNormal(out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
    for (let i = 0; i < count; i++) out[offset + i] = this.normal();
  }

  /** Fill `out[offset .. offset+count)` with uniform integers in {0..n-1}. */
  fillInt(out: Int32Array, n: number, offset = 0, count = out.length - offset): void {
    for (let i = 0; i < count; i++) out[offset + i] = this.int(n);
  }
}
