/**
 * Polyak–Ruppert averages of the last half of the iterates, θ̄_e = mean of
 * θ_k over k ∈ (⌊e/2⌋, e], for several ends e at once, per replica, in
 * float64. With `stride` s > 1 only the iterates k ≡ 0 (mod s) enter the
 * average (the same average up to O(s/e) in the noise it removes, for 1/s of
 * the parameter downloads). Fed the iterates `wants` asks for, in increasing
 * order, it keeps one running sum per replica and a snapshot of it at each
 * window's start and end, so the memory is (2·ends + 1) vectors per replica
 * whatever the number of iterates.
 */
export class PolyakRuppertAverages {
  /** The first iterate that must be fed (every window starts at or after it). */
  readonly start: number;
  /** The last iterate that must be fed. */
  readonly end: number;
  private readonly sums: Float64Array[];
  /** snapshots.get(k)[r]: replica r's running sum after iterate k. */
  private readonly snapshots = new Map<number, Float64Array[]>();
  private readonly needed: Set<number>;
  private last = -1;

  constructor(
    readonly ends: readonly number[],
    readonly replicas: number,
    readonly size: number,
    readonly stride = 1,
  ) {
    if (ends.length === 0) throw new RangeError('Polyak–Ruppert averages need at least one window end');
    if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride ${stride}; allowed an integer ≥ 1`);
    for (const e of ends) {
      if (!Number.isInteger(e) || e < 2 * stride) throw new RangeError(`window end ${e}; allowed an integer ≥ 2·stride = ${2 * stride}`);
    }
    this.start = Math.min(...ends.map((e) => Math.floor(e / 2)));
    this.end = Math.max(...ends);
    this.needed = new Set(ends.flatMap((e) => [Math.floor(e / 2), e]));
    this.sums = Array.from({ length: replicas }, () => new Float64Array(size));
  }

  /** Does iterate k have to be fed? */
  wants(k: number): boolean {
    return k >= this.start && k <= this.end && (k % this.stride === 0 || this.needed.has(k));
  }

  /** Feed replica r's iterate k (every replica, for every k that `wants` asks for, in increasing order). */
  add(k: number, r: number, theta: ArrayLike<number>): void {
    if (!this.wants(k)) return;
    if (r === 0) {
      const expected = this.last === -1 ? this.start : this.next(this.last);
      if (k !== expected) throw new RangeError(`Polyak–Ruppert averages: iterate ${k} fed where ${expected} was due`);
      this.last = k;
    }
    const s = this.sums[r];
    if (k > this.start && k % this.stride === 0) addInto(s, theta, this.size);
    if (this.needed.has(k)) {
      let snap = this.snapshots.get(k);
      if (!snap) this.snapshots.set(k, (snap = new Array<Float64Array>(this.replicas)));
      snap[r] = Float64Array.from(s);
    }
  }

  /** θ̄ over (⌊e/2⌋, e] of replica r, for window end `e` (one of `ends`, already fed). */
  average(e: number, r: number): Float64Array {
    const from = Math.floor(e / 2);
    const a = this.snapshots.get(from)?.[r];
    const b = this.snapshots.get(e)?.[r];
    if (!a || !b) throw new RangeError(`Polyak–Ruppert average ending at ${e} for replica ${r} was not fed`);
    const m = Math.floor(e / this.stride) - Math.floor(from / this.stride);
    return Float64Array.from(b, (v, i) => (v - a[i]) / m);
  }

  /** The next iterate after k that must be fed. */
  private next(k: number): number {
    for (let j = k + 1; j <= this.end; j++) if (this.wants(j)) return j;
    return Infinity;
  }
}

/**
 * s[i] += theta[i] for i < n: each entry's one addition, as a plain loop does, so the same
 * sums. Four entries an iteration, their loads first: 1.3 ns an entry against 2.0 for the
 * plain loop here (the deep claims feed 27k-entry iterates some 10⁵ times a full-tier run).
 */
function addInto(s: Float64Array, theta: ArrayLike<number>, n: number): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const x0 = theta[i];
    const x1 = theta[i + 1];
    const x2 = theta[i + 2];
    const x3 = theta[i + 3];
    s[i] += x0;
    s[i + 1] += x1;
    s[i + 2] += x2;
    s[i + 3] += x3;
  }
  for (; i < n; i++) s[i] += theta[i];
}
