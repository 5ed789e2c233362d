/**
 * The stochastic network's kernel mean test (src/claims/ntk/shared/kernel-mean.ts)
 * against its analytic limit: what the block draws of StochasticLatentBatch
 * (blockKernels and blockParameterMoments) are expected to average to, shared
 * by snn-ntk and snn-krr-equivalence.
 */
import { noiseBias, STOCHASTIC_GROUPS, type StochasticGroup, type StochasticKernels } from '../../../kernels/stochastic-ntk.ts';
import type { SphereData } from '../../../models/ntk/data.ts';
import type { NoiseDraws } from '../../../models/ntk/stochastic-latent.ts';
import { binMeans, type BinLayout } from './kernel-mean.ts';

/** The primary controls of the kernel mean test (StochasticLatentBatch.blockParameterMoments), expectation 1 each. */
export const SNN_PARAMETER_MOMENTS = ['a²', '‖u‖²/d', 'b²', '‖v‖²/d', 'c²'] as const;

/**
 * The expected coordinates of the block draws: per group and bin, the limit
 * kernel plus the finite noise average's excess (src/kernels/stochastic-ntk.ts
 * noiseBias: D per group; exact on the diagonal — D for the readout, q·D for
 * the heads — and at most √(D D')·(1 or |q12|) off it, ≥ 0 times sign(q12)
 * for the monotone features readout and mean head). A one-sided bound [0, B]
 * becomes expected + B/2 with allowance B/2; the variance head's two-sided
 * bound becomes an allowance B; the quadrature error is added to every
 * allowance. Controls: the parameter moments (primary, exact) and the
 * diagonal bins (secondary).
 */
export function snnExpectedCoordinates(data: SphereData, limit: StochasticKernels, layout: BinLayout, hyper: { sigmaW: number; sigmaB: number }, c: { samples: number; noise: NoiseDraws }) {
  const { n, d } = data;
  const q = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += data.x[i * d + k] * data.x[j * d + k];
    return (hyper.sigmaW ** 2 * s) / d + hyper.sigmaB ** 2;
  };
  const cache = new Map<number, Record<StochasticGroup, number>>();
  const D = (i: number) => {
    const qi = q(i, i);
    if (!cache.has(qi)) cache.set(qi, noiseBias(qi, c.samples, c.noise));
    return cache.get(qi)!;
  };
  const nb = layout.counts.length;
  const expected: number[] = [];
  const allowance: number[] = [];
  for (const g of STOCHASTIC_GROUPS) {
    const shift = new Float64Array(n * n);
    const allow = new Float64Array(n * n);
    const value = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const e = i * n + j;
        value[e] = limit.groups[g].get(i, j);
        const factor = g === 'readout' ? 1 : q(i, j);
        if (i === j) {
          shift[e] = factor * D(i)[g];
          continue;
        }
        const bound = Math.abs(factor) * Math.sqrt(D(i)[g] * D(j)[g]);
        if (g === 'variance') allow[e] = bound;
        else {
          shift[e] = (Math.sign(factor) * bound) / 2;
          allow[e] = bound / 2;
        }
      }
    }
    const v = binMeans(layout, [value]);
    const sh = binMeans(layout, [shift]);
    const al = binMeans(layout, [allow]);
    for (let b = 0; b < nb; b++) {
      expected.push(v[b] + sh[b]);
      allowance.push(al[b] + limit.quadratureError);
    }
  }
  const P = STOCHASTIC_GROUPS.length * nb;
  for (let q = 0; q < SNN_PARAMETER_MOMENTS.length; q++) {
    expected.push(1);
    allowance.push(0);
  }
  const labels = [...STOCHASTIC_GROUPS.flatMap((g) => layout.labels.map((l) => `${g} head, ${l}`)), ...SNN_PARAMETER_MOMENTS.map((p) => `initial parameters, mean ${p}`)];
  const groupOf = [...STOCHASTIC_GROUPS.flatMap((g) => layout.labels.map(() => g as string)), ...SNN_PARAMETER_MOMENTS.map(() => 'parameters')];
  const controls = SNN_PARAMETER_MOMENTS.map((_, q) => P + q);
  const secondary = STOCHASTIC_GROUPS.map((_, gi) => gi * nb + layout.diagonal);
  return { expected, allowance, labels, groupOf, controls, secondary };
}
