// AssemblyScript: RandomStream.fillInt's row draws (src/engine/rng.ts, the specification) for
// the kernels that draw their mini-batch's rows in their own module (the linear VAE kernel and
// the learned-variance kernel re-export it), bit for bit: the xoroshiro128+ state as two i64
// words (what the specification's four i32 halves are), and the same float64 operations (two
// exact products, their exact sum, one rounded product, floor). Tested through each kernel
// against fillInt.

const MASK26: i32 = 0x3ffffff;
const MASK27: i32 = 0x7ffffff;
const SCALE26: f64 = 1.4901161193847656e-8;
const SCALE53: f64 = 1.1102230246251565e-16;

/**
 * RandomStream.fillInt(rows, n, …, B) (src/engine/rng.ts, the specification): B uniform
 * integers in [0, n) as i32 at rowsAt, from the xoroshiro128+ state at `state` (four i32:
 * s0's high and low halves, then s1's, RandomStream.generatorState's layout), which is
 * advanced in place.
 */
export function drawRows(state: usize, n: f64, B: i32, rowsAt: usize): void {
  // s0 = (s01, s00) and s1 = (s11, s10) as 64-bit words (high half, low half): RandomStream.next()'s
  // 32-bit halves are xoroshiro128+ on these words (rotations 24 and 37, shift 16) and its output is
  // the low half of s0 + s1, so one i64 operation does each pair of i32 ones, with the same bits.
  let s0: i64 = (<i64>load<i32>(state) << 32) | <i64>load<u32>(state, 4);
  let s1: i64 = (<i64>load<i32>(state, 8) << 32) | <i64>load<u32>(state, 12);
  for (let i = 0; i < B; i++) {
    const hi = <i32>(s0 + s1) & MASK26;
    let a = s1 ^ s0;
    s0 = rotl<i64>(s0, 24) ^ a ^ (a << 16);
    s1 = rotl<i64>(a, 37);
    const lo = <i32>(s0 + s1) & MASK27;
    a = s1 ^ s0;
    s0 = rotl<i64>(s0, 24) ^ a ^ (a << 16);
    s1 = rotl<i64>(a, 37);
    const u = <f64>hi * SCALE26 + <f64>lo * SCALE53;
    store<i32>(rowsAt + ((<usize>i) << 2), <i32>Math.floor(u * n));
  }
  store<i32>(state, <i32>(s0 >>> 32));
  store<i32>(state, <i32>s0, 4);
  store<i32>(state, <i32>(s1 >>> 32), 8);
  store<i32>(state, <i32>s1, 12);
}
