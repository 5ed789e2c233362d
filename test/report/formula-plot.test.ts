/**
 * Formulas (mathjs expression or TeX → MathML) and plots (a claim's series →
 * vega-lite → inline SVG), tested on their structure; the browser test checks
 * they actually render.
 */
import { describe, expect, it } from 'vitest';
import { formulaToTex, mathjsToTex, texToMathml } from '../../src/report/formula.ts';
import { MAX_PLOT_POINTS, isReferenceColumn, plotData, renderPlotSvg, thinIndices } from '../../src/report/plot.ts';
import type { Series } from '../../src/contract/claim.ts';

describe('formulas', () => {
  it.each([
    ['G_n <= C * log(n) / sqrt(n)', 'G_{n} \\le \\frac{C\\cdot\\ln\\left(n\\right)}{\\sqrt{n}}'],
    ['gamma_k = C * k^(-1/2)', '\\gamma_{k} = C\\cdot{k}^{\\frac{-1}{2}}'],
    ['F - S = D / 2 * (1 - s / sigma^2)', 'F-S = \\frac{D}{2}\\cdot\\left(1-\\frac{s}{{\\sigma}^{2}}\\right)'],
  ])('mathjs %s → TeX', (expr, tex) => {
    expect(mathjsToTex(expr)).toBe(tex);
    expect(formulaToTex(expr)).toEqual({ tex, from: 'mathjs' });
  });

  it('keeps TeX as TeX', () => {
    expect(formulaToTex('G_n = O(\\log n/\\sqrt{n})')).toEqual({ tex: 'G_n = O(\\log n/\\sqrt{n})', from: 'tex' });
    expect(mathjsToTex('E‖∇L‖² ≤ 1')).toBeNull();
  });

  it('builds MathML for fractions, roots, scripts, Greek, fences and blackboard letters', () => {
    const m = texToMathml('\\mathbb{E}\\|\\nabla L(\\theta_R)\\|^2 = O\\left(\\frac{\\log n}{\\sqrt{n}}\\right)');
    expect(m).toMatch(/^<math xmlns="http:\/\/www.w3.org\/1998\/Math\/MathML" display="block">/);
    expect(m).toContain('<mi mathvariant="normal">𝔼</mi>');
    expect(m).toContain('<msub><mi>θ</mi><mi>R</mi></msub>');
    expect(m).toContain('<msup><mo>‖</mo><mn>2</mn></msup>');
    expect(m).toContain('<mfrac><mrow><mi mathvariant="normal">log</mi><mi>n</mi></mrow><mrow><msqrt><mrow><mi>n</mi></mrow></msqrt></mrow></mfrac>');
    expect(m).toContain('<mo fence="true" stretchy="true">(</mo>');
    expect(m).toContain('<annotation encoding="application/x-tex">');
  });

  it('shows unknown commands by name and escapes markup', () => {
    expect(texToMathml('\\frobnicate{x} < y & z')).toContain('<mtext>\\frobnicate</mtext>');
    expect(texToMathml('a < b')).toContain('<mo>&lt;</mo>');
  });
});

describe('plots', () => {
  const series: Series = {
    x: [1, 10, 100, 1000],
    y: {
      G_n: [1, 0.3, 0.1, 0.03],
      'G_n lower': [0.9, 0.25, 0.08, 0.02],
      'G_n upper': [1.1, 0.35, 0.12, 0.04],
      'least-squares fit': [1, 0.3, 0.09, 0.027],
      'log n/√n (scaled)': [0, 0.2, 0.1, 0.05],
    },
    xLabel: 'iteration n',
    yLabel: 'G_n',
    logX: true,
    logY: true,
  };

  it('pairs "<name> lower/upper" into a band, tells references from measurements, drops what a log axis cannot show', () => {
    const data = plotData({ key: 'G', series, overlays: [{ id: 'constant-step', series: { ...series, y: { G_n: [0.5, 0.5, 0.5, 0.5] } } }] });
    expect(data.bands).toHaveLength(4);
    expect(new Set(data.bands.map((b) => b.label))).toEqual(new Set(['G_n']));
    const roles = Object.fromEntries(data.lines.map((p) => [p.label, p.role]));
    expect(roles).toEqual({ G_n: 'measured', 'least-squares fit': 'reference', 'log n/√n (scaled)': 'reference', 'constant-step: G_n': 'falsifier' });
    // log n/√n at n = 1 is 0: not on a log axis.
    expect(data.dropped).toBe(1);
    expect(isReferenceColumn('kernel error')).toBe(false);
    expect(isReferenceColumn('entropy sum S (predicted)')).toBe(true);
  });

  it('bands the first measured column with bare "lower"/"upper" columns', () => {
    const data = plotData({ key: 'finalG', series: { x: [8, 32, 128], y: { 'G_n at n': [3, 2, 1], lower: [2.5, 1.5, 0.5], upper: [3.5, 2.5, 1.5] }, xLabel: 'B', yLabel: 'G' } });
    expect(data.bands.map((b) => [b.label, b.lower, b.upper])).toEqual([
      ['G_n at n', 2.5, 3.5],
      ['G_n at n', 1.5, 2.5],
      ['G_n at n', 0.5, 1.5],
    ]);
    expect(new Set(data.lines.map((p) => p.label))).toEqual(new Set(['G_n at n']));
  });

  it('renders inline SVG with per-plot element ids', async () => {
    const a = await renderPlotSvg({ key: 'G', series });
    const b = await renderPlotSvg({ key: 'G', series });
    expect(a.svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(a.svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const ids = (svg: string) => [...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    for (const id of ids(a.svg)) expect(ids(b.svg)).not.toContain(id);
    expect(a.points).toBe(4 + 4 + 3);
  });

  it('thins long series to log-spaced points on a log axis, keeping both ends', () => {
    const x = Array.from({ length: 20001 }, (_, i) => i);
    const keep = thinIndices(x, 100, true);
    expect(keep.length).toBeLessThanOrEqual(101);
    expect(keep[0]).toBe(1); // x = 0 cannot sit on a log axis
    expect(keep.at(-1)).toBe(20000);
    // Log spacing: half of the 100 targets fall in the upper half of log x, [141, 20000], where
    // neighbouring targets are > 1 apart (ratio e^{ln(20000)/99} ≈ 1.105), so each keeps a distinct index.
    const upper = keep.filter((i) => i >= 141).length;
    expect(upper).toBeGreaterThanOrEqual(48);
    expect(upper).toBeLessThanOrEqual(52);
    expect(thinIndices([3, 1, 2], 100, false)).toEqual([0, 1, 2]);
    const data = plotData({ key: 'long', series: { x, y: { g: x.map((v) => 1 / (v + 1)) }, xLabel: 'n', yLabel: 'g', logX: true, logY: true } });
    expect(data.lines.length).toBeLessThanOrEqual(MAX_PLOT_POINTS + 1);
    expect(data.thinned).toEqual({ from: 20001, to: data.lines.length });
  });

  it('says which series cannot be drawn', async () => {
    await expect(renderPlotSvg({ key: 'empty', series: { ...series, y: { G_n: [0, -1, 0, -2] } } })).rejects.toThrow(/series "empty" has no plottable points/);
  });
});
