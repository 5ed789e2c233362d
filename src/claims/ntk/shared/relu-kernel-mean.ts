/**
 * The wide ReLU network's empirical NTK against the analytic kernel, at the
 * precision of a few tenths of a percent (src/claims/ntk/shared/kernel-mean.ts says
 * why the block kernels at initialisation are i.i.d. draws with the analytic
 * kernel as their exact mean). Used by ntk-init-limit (the claim itself), and
 * by the gradient-descent claims on their own initial kernels Θ₀.
 *
 * Coordinates, per entry bin (diagonal and cosine bins over the kernel
 * blocks, e.g. train × train and test × train):
 *   'hidden'  the hidden layer's kernel Θ_W + Θ_b, mean Θ − K (analytic NTK minus NNGP);
 *   'readout' the readout weights' kernel Θ_a, mean K − σ_b².
 * A formula error in the derivative term moves only 'hidden', one in K only
 * 'readout' (Θ = K + derivative moves with K); the split keeps each group's
 * noise out of the other's coordinates. Control variates: the blocks'
 * parameter moments (a², ‖W‖²/d, b², expectation 1) and the diagonal bins.
 * The readout bias b0 is not a unit
 * parameter: its kernel must be σ_b² exactly, and every replica's total must
 * be the sum of its groups (checked here too).
 *
 * Also here: the engine's hand-written kernels against its own autodiff
 * (per-example tf.grads through the network's forward pass), the check that
 * the closed structure is the Jacobian's Gram matrix.
 */
import { tf } from '../../../engine/backend.ts';
import { reluKernels, type NtkFormula } from '../../../kernels/relu-ntk.ts';
import type { SphereData } from '../../../models/ntk/data.ts';
import { GROUPS, type Group, type WideReluBatch } from '../../../models/ntk/wide-relu.ts';
import type { Verdict } from '../../../stats/verdict.ts';
import type { z } from 'zod';
import type { kernelMeanSchema } from './schema.ts';
import { binLayout, binMeans, describeKernelMeanTest, kernelMeanTest, type BinLayout, type EntryBlock, type KernelMeanTestResult } from './kernel-mean.ts';

export const RELU_KERNEL_GROUPS = ['hidden', 'readout'] as const;

/** The primary controls: per block, the means of a_θ², ‖W_θ‖²/d, b_θ² (expectation 1 each; WideReluBatch.blockParameterMoments). */
export const PARAMETER_MOMENTS = ['a²', '‖W‖²/d', 'b²'] as const;

/** The kernel mean test's settings (its schema, with what each means: src/claims/ntk/shared/schema.ts). */
export type KernelMeanSettings = z.infer<typeof kernelMeanSchema>;

export function validateKernelMean(k: KernelMeanSettings, widths: readonly number[]): void {
  if (!Number.isInteger(k.blockUnits) || k.blockUnits < 2 || k.blockUnits % 2 !== 0) throw new RangeError(`kernelMean.blockUnits = ${k.blockUnits}; allowed an even integer ≥ 2`);
  for (const m of widths) if (m % k.blockUnits !== 0) throw new RangeError(`width ${m} is not a multiple of kernelMean.blockUnits = ${k.blockUnits}`);
  if (!Number.isInteger(k.offDiagonalBins) || k.offDiagonalBins < 1) throw new RangeError(`kernelMean.offDiagonalBins = ${k.offDiagonalBins}; allowed an integer ≥ 1`);
  if (!(k.falseAlarm > 0 && k.falseAlarm < 0.5)) throw new RangeError(`kernelMean.falseAlarm = ${k.falseAlarm}; allowed 0 < α < 0.5`);
  if (!(k.maxShapeResolution > 0) || !(k.maxScaleResolution > 0)) throw new RangeError(`kernelMean resolutions ${k.maxShapeResolution}, ${k.maxScaleResolution}; allowed > 0`);
}

/** A kernel mean test's verdict: rejected → fail; accepted with too coarse a resolution → inconclusive (no power). */
export function kernelMeanVerdict(t: KernelMeanTestResult, k: KernelMeanSettings): Verdict {
  if (!t.ok) return 'fail';
  return t.shapeResolution <= k.maxShapeResolution && t.scaleResolution <= k.maxScaleResolution ? 'pass' : 'inconclusive';
}

/** Kernel blocks (data and their input tensors) the test looks at. */
export interface KernelBlocks {
  blocks: EntryBlock[];
  tensors: { rows: tf.Tensor2D; cols: tf.Tensor2D }[];
  layout: BinLayout;
}

export function kernelBlocks(pairs: readonly { rows: SphereData; cols: SphereData; rowsTensor: tf.Tensor2D; colsTensor: tf.Tensor2D }[], offDiagonalBins: number): KernelBlocks {
  const blocks = pairs.map((p) => ({ rows: p.rows, cols: p.cols }));
  return { blocks, tensors: pairs.map((p) => ({ rows: p.rowsTensor, cols: p.colsTensor })), layout: binLayout(blocks, offDiagonalBins) };
}

/**
 * Accumulates i.i.d. block draws of the claim's replicas across batches
 * (widths): each block of `blockUnits` hidden units, its kernels scaled by
 * m/blockUnits, gives one coordinate vector [hidden bins, readout bins].
 */
export class ReluKernelDraws {
  readonly draws: Float64Array[] = [];
  /** Replicas whose b0 kernel was not σ_b², or whose total was not the sum of its groups. */
  readonly defects: string[] = [];

  /** `sigmaB`: the output bias's kernel must be σ_b² (NTK parameterisation); null skips that check (other parameterisations). */
  constructor(
    readonly kb: KernelBlocks,
    readonly blockUnits: number,
    readonly sigmaB: number | null,
  ) {}

  /**
   * Adds the draws of replicas `replicas` (indices into the batch) of a batch
   * at initialisation, and checks their totals: `kernels` is the batch's
   * tangentKernels on the first entry block (already computed by the caller).
   */
  add(batch: WideReluBatch, replicas: readonly number[], kernels: { total: ArrayLike<number>; groups: Record<Group, ArrayLike<number>> }): void {
    const m = batch.width;
    if (m % this.blockUnits !== 0) throw new RangeError(`width ${m} is not a multiple of the block size ${this.blockUnits}`);
    const blocks = m / this.blockUnits;
    const nb = this.kb.layout.counts.length;
    const perBlock: Float64Array[][] = replicas.map(() => Array.from({ length: blocks }, () => new Float64Array(2 * nb + PARAMETER_MOMENTS.length)));
    const moments = batch.blockParameterMoments(blocks, replicas);
    this.kb.tensors.forEach(({ rows, cols }, e) => {
      const parts = batch.blockKernels(rows, cols, blocks, replicas);
      const hidden = tf.tidy(() => parts.W.add(parts.b));
      const [H, A] = [hidden.dataSync(), parts.a.dataSync()];
      tf.dispose([hidden, ...Object.values(parts)]);
      const size = rows.shape[0] * cols.shape[0];
      const bins = this.kb.layout.entryBins[e];
      // Per-block sums over this block of entries (bin means are formed below over all entry blocks).
      replicas.forEach((_, ri) => {
        for (let k = 0; k < blocks; k++) {
          const off = (ri * blocks + k) * size;
          const out = perBlock[ri][k];
          for (let q = 0; q < size; q++) {
            const b = bins[q];
            if (b < 0) continue;
            out[b] += H[off + q];
            out[nb + b] += A[off + q];
          }
        }
      });
    });
    const scale = m / this.blockUnits;
    perBlock.forEach((list, ri) =>
      list.forEach((v, k) => {
        for (let b = 0; b < nb; b++) {
          v[b] *= scale / this.kb.layout.counts[b];
          v[nb + b] *= scale / this.kb.layout.counts[b];
        }
        v.set(moments[ri * blocks + k], 2 * nb);
        this.draws.push(v);
      }),
    );
    this.checkTotals(batch, replicas, kernels);
  }

  /** b0's kernel is σ_b² (float32 rounding: 1e-5 relative) and each total is the sum of its groups (1e-5 of its largest entry). */
  private checkTotals(batch: WideReluBatch, replicas: readonly number[], k: { total: ArrayLike<number>; groups: Record<Group, ArrayLike<number>> }): void {
    const { rows, cols } = this.kb.tensors[0];
    const size = rows.shape[0] * cols.shape[0];
    const sb2 = (this.sigmaB ?? 0) ** 2;
    for (const r of replicas) {
      let scale = 0;
      let diff = 0;
      let b0diff = 0;
      for (let q = r * size; q < (r + 1) * size; q++) {
        const summed = k.groups.W[q] + k.groups.b[q] + k.groups.a[q] + k.groups.b0[q];
        scale = Math.max(scale, Math.abs(k.total[q]));
        diff = Math.max(diff, Math.abs(k.total[q] - summed));
        b0diff = Math.max(b0diff, Math.abs(k.groups.b0[q] - sb2));
      }
      if (diff > 1e-5 * scale) this.defects.push(`replica ${batch.replicas[r].label}: the total kernel differs from the sum of its groups by ${diff.toExponential(2)} (> 1e-5 × ${scale.toExponential(2)})`);
      if (this.sigmaB !== null && b0diff > 1e-5 * Math.max(sb2, 1e-6)) this.defects.push(`replica ${batch.replicas[r].label}: the output bias's kernel differs from σ_b² = ${sb2} by ${b0diff.toExponential(2)}`);
    }
  }
}

/** Downloads a GroupKernels (total and groups) to typed arrays and disposes it. */
export function downloadKernels(k: { total: tf.Tensor; groups: Record<Group, tf.Tensor> }): { total: Float32Array; groups: Record<Group, Float32Array> } {
  const out = { total: k.total.dataSync() as Float32Array, groups: Object.fromEntries(GROUPS.map((g) => [g, k.groups[g].dataSync() as Float32Array])) as Record<Group, Float32Array> };
  tf.dispose([k.total, ...Object.values(k.groups)]);
  return out;
}

/** Expected coordinates [hidden bins, readout bins, parameter moments] from the analytic kernels (float64) and the initialisation, labels, controls and groups. */
export function reluExpected(kb: KernelBlocks, hyper: { sigmaW: number; sigmaB: number }, formula: NtkFormula = 'correct') {
  const kernels = kb.blocks.map((b) => reluKernels(b.rows, b.cols, hyper, formula));
  const flat = (pick: (k: (typeof kernels)[number]) => { get(i: number, j: number): number }) =>
    kb.blocks.map((b, e) => Float64Array.from({ length: b.rows.n * b.cols.n }, (_, q) => pick(kernels[e]).get(Math.floor(q / b.cols.n), q % b.cols.n)));
  const hidden = binMeans(kb.layout, flat((k) => ({ get: (i, j) => k.ntk.get(i, j) - k.nngp.get(i, j) })));
  const readout = binMeans(kb.layout, flat((k) => ({ get: (i, j) => k.nngp.get(i, j) - hyper.sigmaB ** 2 })));
  const nb = kb.layout.counts.length;
  const expected = Float64Array.from([...hidden, ...readout, ...PARAMETER_MOMENTS.map(() => 1)]);
  const labels = [...RELU_KERNEL_GROUPS.flatMap((g) => kb.layout.labels.map((l) => `${g} kernel, ${l}`)), ...PARAMETER_MOMENTS.map((p) => `initial parameters, mean ${p}`)];
  const groupOf = [...RELU_KERNEL_GROUPS.flatMap((g) => kb.layout.labels.map(() => g as string)), ...PARAMETER_MOMENTS.map(() => 'parameters')];
  const controls = PARAMETER_MOMENTS.map((_, i) => 2 * nb + i);
  const secondary = kb.layout.diagonal >= 0 ? [kb.layout.diagonal, nb + kb.layout.diagonal] : [];
  return { expected, labels, groupOf, controls, secondary };
}

export interface ReluConformance {
  test: KernelMeanTestResult;
  defects: string[];
  message: string;
}

/** The mean test of the accumulated draws against the analytic kernel of `formula`. */
export function reluKernelConformance(draws: ReluKernelDraws, hyper: { sigmaW: number; sigmaB: number }, formula: NtkFormula = 'correct', falseAlarm = 1e-4): ReluConformance {
  const e = reluExpected(draws.kb, hyper, formula);
  const test = kernelMeanTest({ draws: draws.draws, expected: e.expected, labels: e.labels, controls: e.controls, secondary: e.secondary, groupOf: e.groupOf, falseAlarm });
  return { test, defects: draws.defects, message: describeKernelMeanTest(test) };
}

/**
 * Hand-written kernels (tangentKernels) against autodiff (per-example
 * tf.grads through forward) for every replica of a batch, per group and in
 * total: the largest difference relative to the group's largest entry. Both
 * are float32: sums of ≤ m·(d + 2) products agree to ~1e-6 relative; 2e-4
 * (the unit tests' tolerance) is far above rounding and far below any
 * structural error (a dropped group or multiplier moves entries by ≥ 1%).
 */
export function autodiffAgreement(batch: WideReluBatch, X: tf.Tensor2D, tolerance = 2e-4): { worst: number; group: string; ok: boolean; message: string } {
  const hand = batch.tangentKernels(X);
  const ad = batch.autodiffTangentKernels(X);
  let worst = 0;
  let group = 'total';
  try {
    for (const g of [...GROUPS, 'total'] as const) {
      const a = (g === 'total' ? ad.total : ad.groups[g]).dataSync();
      const h = (g === 'total' ? hand.total : hand.groups[g]).dataSync();
      let diff = 0;
      let scale = 1e-30;
      for (let q = 0; q < a.length; q++) {
        diff = Math.max(diff, Math.abs(a[q] - h[q]));
        scale = Math.max(scale, Math.abs(a[q]));
      }
      if (diff / scale > worst) {
        worst = diff / scale;
        group = g;
      }
    }
  } finally {
    tf.dispose([hand.total, ad.total, ...Object.values(hand.groups), ...Object.values(ad.groups)]);
  }
  const ok = worst <= tolerance;
  return {
    worst,
    group,
    ok,
    message: `hand-written tangent kernels vs autodiff (per-example tf.grads through forward, ${batch.R} replicas at m = ${batch.width}): largest difference ${worst.toExponential(2)} of the group's largest entry, in ${group === 'total' ? 'the total' : `group ${group}`} (tolerance ${tolerance})`,
  };
}
