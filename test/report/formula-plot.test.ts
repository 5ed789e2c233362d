/**
 * Formulas (mathjs expression or TeX → MathML by temml), prose notation
 * (`γ_k`, `k^{-1/2}`, `$…$` typeset inline) and plots (a claim's series →
 * vega-lite → inline SVG), tested on their structure; the browser test checks
 * they actually render and fit.
 */
import { describe, expect, it } from 'vitest';
import { formulaToTex, mathjsToTex, notationPieces, plainProse, texToMathml, typesetProse } from '../../src/report/formula.ts';
import { MAX_PLOT_POINTS, isReferenceColumn, labelWidth, plotData, plotSpec, plotTitle, renderPlotSvg, thinIndices, wrapLabel } from '../../src/report/plot.ts';
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

  it('builds display MathML (temml) for fractions, roots, scripts, Greek, fences and blackboard letters', () => {
    const m = texToMathml('\\mathbb{E}\\|\\nabla L(\\theta_R)\\|^2 = O\\left(\\frac{\\log n}{\\sqrt{n}}\\right)');
    expect(m).toMatch(/^<math display="block"[^>]*>/);
    expect(m).toContain('<mi>𝔼</mi>');
    expect(m).toContain('<msub><mi>θ</mi><mi>R</mi></msub>');
    expect(m).toMatch(/<msup><mi>‖<\/mi><mn>2<\/mn><\/msup>/);
    expect(m).toMatch(/<mfrac>.*<mi>log<\/mi>.*<msqrt>.*<\/msqrt><\/mfrac>/);
    expect(m).toContain('<mo fence="true" form="prefix" stretchy="true">(</mo>');
    expect(m).toContain('<annotation encoding="application/x-tex">');
    // No script, no style sheet, no font: nothing the page would fetch.
    expect(m).not.toMatch(/<script|<link|url\(/);
  });

  it('shows unknown commands by name, escapes markup, and shows TeX that does not parse as its source', () => {
    expect(texToMathml('\\frobnicate{x} < y')).toMatch(/<mtext style="color:#cf222e;">\\frobnicate<\/mtext>/);
    expect(texToMathml('a < b')).toContain('<mo>&lt;</mo>');
    const broken = texToMathml('x & y');
    expect(broken).toContain('x &amp; y');
    expect(broken).not.toContain('<math');
    expect(() => texToMathml('x & y', true, true)).toThrow();
  });
});

describe('prose notation', () => {
  const scripted = (text: string) => notationPieces(text).filter((p) => p.kind === 'scripted').map((p) => p.source);

  it('finds the symbols with scripts that claim texts write', () => {
    expect(scripted('SGD with step γ_k = C·k^{-1/2} gives G_n = (1/(n+1)) Σ_{k≤n} E‖∇L(θ_k)‖² = O(log n / √n).')).toEqual([
      'γ_k',
      'k^{-1/2}',
      'G_n',
      'Σ_{k≤n}',
      'θ_k',
    ]);
    expect(scripted('loss_t ≤ (1 − ηλ_min/n)^{2t} loss₀, σ²_ML, τ_h², q̄_c, π\'_c, L*_K, ‖Θ‖_F, w^0.8, W_dᵀz')).toEqual([
      'loss_t',
      '(1 − ηλ_min/n)^{2t}',
      'σ²_ML',
      'τ_h²',
      'q̄_c',
      "π'_c",
      'L*_K',
      '‖_F',
      'w^0.8',
      'W_d',
    ]);
    // Identifiers, code and plain Unicode scripts stay text.
    expect(scripted('snake_case_name, `a_b`, θ₀, ‖b‖², x_')).toEqual([]);
  });

  it('typesets scripts as inline MathML and TeX between dollars, escaping the rest', () => {
    const html = typesetProse('step γ_k = C·k^{-1/2}, $\\frac{1}{2}$, `batch_size` < 3 & \\$5');
    expect(html).toMatch(/^step <math><msub><mi>γ<\/mi><mi>k<\/mi><\/msub><\/math> = C·<math><msup><mi>k<\/mi><mrow>.*<mn>1<\/mn>.*<mn>2<\/mn><\/mrow><\/msup><\/math>/);
    expect(html).toContain('<math><mfrac><mn>1</mn><mn>2</mn></mfrac></math>');
    expect(html).toContain('<code>batch_size</code> &lt; 3 &amp; $5');
    // Words in scripts are upright, variables italic: λ_min, σ²_ML.
    expect(typesetProse('λ_min')).toContain('<mi>min</mi>');
    expect(typesetProse('σ²_ML')).toMatch(/<msubsup><mi>σ<\/mi>.*ML.*<mn>2<\/mn><\/msubsup>/);
  });

  it('plain-text formats keep the TeX and drop its dollars', () => {
    expect(plainProse('sum $S = \\sum_n H_n$ costs \\$5, alone $ stays')).toBe('sum S = \\sum_n H_n costs $5, alone $ stays');
    expect(plainProse('γ_k = C·k^{-1/2}')).toBe('γ_k = C·k^{-1/2}');
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
    const data = plotData({
      key: 'G',
      series,
      overlays: [
        { id: 'constant-step', series: { ...series, y: { G_n: [0.5, 0.5, 0.5, 0.5] } } },
        // A falsifier that shares the claim's run: the same curve, not drawn again.
        { id: 'shared-run', series },
      ],
    });
    expect(data.sameAsClaim).toEqual(['shared-run']);
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

  it('titles a plot by what it shows and never cuts a title, an axis title or a legend entry', async () => {
    expect(plotTitle(series)).toBe('G_n against iteration n');
    expect(plotTitle({ ...series, title: 'Running average of the squared gradient norm' })).toBe('Running average of the squared gradient norm');
    const long: Series = {
      ...series,
      yLabel: 'G_n = mean_{k≤n} ‖∇L(θ_k)‖² (seed average, 95% paired-bootstrap interval)',
      y: { ...series.y, 'slow-schedule: ‖∇L(θ̄_k)‖² at n = bin centre (Polyak–Ruppert, interpolated), slope -0.957': [1, 0.5, 0.2, 0.1] },
    };
    const spec = plotSpec({ key: 'G', series: long }) as unknown as { title: { text: string[] }; layer: { encoding: { y: { title?: string[] } } }[] };
    const yTitle = spec.layer.find((l) => l.encoding.y.title)!.encoding.y.title!;
    expect(yTitle.length).toBeGreaterThan(1);
    expect(yTitle.join(' ')).toBe(long.yLabel);
    expect(spec.title.text.join(' ')).toBe(`${long.yLabel} against iteration n`);
    const { svg } = await renderPlotSvg({ key: 'G', series: long });
    expect(svg).not.toContain('…');
    expect(svg).toContain('Polyak–Ruppert, interpolated), slope -0.957');
    // G_n is drawn as G with a subscript n.
    expect(svg).toMatch(/G<tspan class="sub" baseline-shift="sub" font-size="75%">n<\/tspan>/);
  });

  it('wraps labels at spaces (not inside a script) to the width they are given, measuring scripts at 75%', () => {
    expect(labelWidth('G_n', 10)).toBeLessThan(labelWidth('Gn', 10));
    expect(labelWidth('mm', 10)).toBeCloseTo(2 * 0.97 * 10);
    const lines = wrapLabel('E_{q^0.2 p^0.8} of the gradient of the bound over the full data set', 120, 12);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0].startsWith('E_{q^0.2 p^0.8}')).toBe(true);
    for (const line of lines) expect(line.includes(' ') ? labelWidth(line, 12) : 0).toBeLessThanOrEqual(120);
  });

  it('says which series cannot be drawn', async () => {
    await expect(renderPlotSvg({ key: 'empty', series: { ...series, y: { G_n: [0, -1, 0, -2] } } })).rejects.toThrow(/series "empty" has no plottable points/);
  });
});
