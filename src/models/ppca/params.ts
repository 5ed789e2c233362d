/**
 * Probabilistic PCA (Tipping & Bishop 1999):
 *   p(z) = N(0, I_H),  p(x|z) = N(W z + μ, σ² I_D),  so  x ~ N(μ, C),  C = W Wᵀ + σ² I.
 * Exact posteriors: q_n(z) = N(M⁻¹Wᵀ(x_n − μ), σ² M⁻¹), M = WᵀW + σ² I_H.
 * Float64 layout: W is D×H row-major (W[i*H + h]), μ has length D.
 */
export interface PpcaParams {
  D: number;
  H: number;
  W: Float64Array;
  mu: Float64Array;
  /** σ². */
  variance: number;
}

export function checkPpcaParams(p: PpcaParams, who: string): void {
  const { D, H } = p;
  if (!Number.isInteger(D) || D < 1 || !Number.isInteger(H) || H < 1 || H > D) {
    throw new RangeError(`${who}: D = ${D}, H = ${H}; allowed integers 1 ≤ H ≤ D`);
  }
  if (p.W.length !== D * H || p.mu.length !== D) {
    throw new RangeError(`${who}: W has length ${p.W.length} and μ ${p.mu.length}, expected D×H = ${D * H} and D = ${D}`);
  }
  if (!(p.variance > 0) || !Number.isFinite(p.variance)) throw new RangeError(`${who}: σ² = ${p.variance}; allowed a finite σ² > 0`);
}
