/**
 * The final model of the TF.js-trained entropy claims (entropy-gaussian-vae,
 * entropy-vae-variants): per replica and parameter block, the float64 mean
 * of the iterates k ∈ [from, to] (Polyak–Ruppert over a fixed tail). The
 * divisor is the window's stated length; the iterates actually fed are
 * counted where they are summed, and `problem()` names a mismatch (a harness
 * self-check: a divisor off by one shrinks every parameter by 1/(N+1), which
 * the entropy identity cannot see — the gap stays explained, only slightly
 * larger, like a run that stopped short).
 */
export class TailAverage {
  private readonly sums: Record<string, Float64Array>[];
  /** The window's length: the divisor of every average. */
  private readonly count: number;
  private fed = 0;

  constructor(
    readonly from: number,
    readonly to: number,
    replicas: number,
  ) {
    this.count = to - from + 1;
    this.sums = Array.from({ length: replicas }, () => ({}));
  }

  /** Does iterate k belong to the window? */
  wants(k: number): boolean {
    return k >= this.from && k <= this.to;
  }

  /** Iterate k's parameters of every replica (call once per iterate of the window). */
  add(replica: (r: number) => Record<string, ArrayLike<number>>): void {
    this.fed++;
    this.sums.forEach((sums, r) => {
      for (const [name, v] of Object.entries(replica(r))) {
        const acc = (sums[name] ??= new Float64Array(v.length));
        for (let i = 0; i < v.length; i++) acc[i] += v[i];
      }
    });
  }

  /** Replica r's average over the window. */
  average(r: number): Record<string, Float64Array> {
    return Object.fromEntries(Object.entries(this.sums[r]).map(([name, acc]) => [name, acc.map((a) => a / this.count)]));
  }

  /** A message when the iterates fed are not the window's, else null. */
  problem(): string | null {
    return this.fed === this.count ? null : `(harness self-check) the final model's tail average divides the sums of ${this.fed} iterates by ${this.count}`;
  }
}
