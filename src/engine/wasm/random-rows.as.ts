// AssemblyScript: RandomStream.fillInt's row draws (src/engine/rng.ts, the specification) for
// the kernels that draw their mini-batch's rows in their own module (the linear VAE kernel and
// the learned-variance kernel re-export it), bit for bit: the same i32 operations (wrapping add,
// shifts, xor) on the xoroshiro128+ state, and the same float64 ones (two exact products, their
// exact sum, one rounded product, floor). Tested through each kernel against fillInt.

const MASK26: i32 = 0x3ffffff;
const MASK27: i32 = 0x7ffffff;
const SCALE26: f64 = 1.4901161193847656e-8;
const SCALE53: f64 = 1.1102230246251565e-16;

/**
 * RandomStream.fillInt(rows, n, …, B) (src/engine/rng.ts, the specification): B uniform
 * integers in [0, n) as i32 at rowsAt, from the xoroshiro128+ state at `state` (four i32:
 * s0's high and low halves, then s1's, RandomStream.generatorState's layout), which is
 * advanced in place. The same i32 operations (wrapping add, shifts, xor) and the same
 * float64 ones (two exact products and their exact sum, one rounded product, floor).
 */
export function drawRows(state: usize, n: f64, B: i32, rowsAt: usize): void {
  let s01 = load<i32>(state);
  let s00 = load<i32>(state, 4);
  let s11 = load<i32>(state, 8);
  let s10 = load<i32>(state, 12);
  for (let i = 0; i < B; i++) {
    let out0 = s00 + s10;
    let a0 = s10 ^ s00;
    let a1 = s11 ^ s01;
    let t00 = s00;
    let t01 = s01;
    s00 = (t00 << 24) ^ (t01 >>> 8) ^ a0 ^ (a0 << 16);
    s01 = (t01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    s10 = (a1 << 5) ^ (a0 >>> 27);
    s11 = (a0 << 5) ^ (a1 >>> 27);
    const hi = out0 & MASK26;
    out0 = s00 + s10;
    a0 = s10 ^ s00;
    a1 = s11 ^ s01;
    t00 = s00;
    t01 = s01;
    s00 = (t00 << 24) ^ (t01 >>> 8) ^ a0 ^ (a0 << 16);
    s01 = (t01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    s10 = (a1 << 5) ^ (a0 >>> 27);
    s11 = (a0 << 5) ^ (a1 >>> 27);
    const u = <f64>hi * SCALE26 + <f64>(out0 & MASK27) * SCALE53;
    store<i32>(rowsAt + ((<usize>i) << 2), <i32>Math.floor(u * n));
  }
  store<i32>(state, s01);
  store<i32>(state, s00, 4);
  store<i32>(state, s11, 8);
  store<i32>(state, s10, 12);
}
