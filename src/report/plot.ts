/**
 * A claim's `series` as inline SVG for report.html: a vega-lite spec per
 * series, compiled to vega and rendered headless in Node (no browser, no
 * network: `renderer: 'none'` + toSVG).
 *
 * Any claim's series renders the same way (src/contract/claim.ts Series):
 *  - x against each y column; log axes where `logX` / `logY` say so (points
 *    with non-positive coordinates cannot sit on a log axis and are dropped).
 *  - Columns named "<name> lower" and "<name> upper" (separator space, _, .
 *    or -) form an interval band around the column <name>; bare "lower" and
 *    "upper" columns band the series' first measured column.
 *  - Reference columns — a name containing fit, reference, ref, predicted,
 *    prediction, theory, bound, analytic, limit, oracle or "(scaled)" — draw
 *    as dashed lines without points; every other column is a measurement,
 *    a solid line with points.
 *  - Long series are thinned to at most MAX_PLOT_POINTS x values (log-spaced
 *    when the x axis is logarithmic), so a whole training curve does not
 *    bloat the page; the caption says so.
 *  - Falsifier results that carry a series under the same key are overlaid
 *    (their measured columns, dotted, labelled "<falsifier>: <column>"), so
 *    the plot shows the claim and the mutation that must break it together.
 *    A falsifier column identical to the claim's (a run shared by both, e.g.
 *    training whose end point the falsifier perturbs) is not drawn twice.
 *  - Words are never cut: the title (the series' `title`, else "<y label>
 *    against <x label>") and both axis titles wrap onto as many lines as they
 *    need, legend entries are never truncated. Text is measured with the
 *    advance widths of DejaVu Sans (what system-ui resolves to on Linux, and
 *    wider than the usual alternatives), so the layout leaves room for it.
 *  - Labels follow the prose notation of formula.ts: `G_n`, `k^{-1/2}`,
 *    `‖Θ‖_F` are drawn with real sub- and superscripts (SVG tspans).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Series } from '../contract/claim.ts';
import { escapeXml, notationPieces } from './formula.ts';

const REFERENCE = /fit|reference|\bref\b|predict|theory|bound|analytic|limit|oracle|\(scaled\)/i;
const BAND = /^(.*?)[ _.-](lower|upper)$/i;

type Role = 'measured' | 'reference' | 'falsifier';

interface LinePoint {
  x: number;
  y: number;
  label: string;
  role: Role;
}
interface BandPoint {
  x: number;
  lower: number;
  upper: number;
  label: string;
}

export interface PlotInput {
  key: string;
  series: Series;
  /** Falsifier series under the same key, by falsifier id. */
  overlays?: { id: string; series: Series }[];
}

export interface PlotData {
  lines: LinePoint[];
  bands: BandPoint[];
  /** Points dropped (non-finite, or non-positive on a log axis). */
  dropped: number;
  /** x values before and after thinning, when the series was thinned. */
  thinned?: { from: number; to: number };
  /** Overlays (falsifier ids) left out because every column equals the claim's own. */
  sameAsClaim: string[];
}

export const MAX_PLOT_POINTS = 400;

const PLOT_WIDTH = 520;
const PLOT_HEIGHT = 260;
const FONT = 'system-ui, sans-serif';

/** Advance widths of DejaVu Sans, in em/100, for the characters 32–126. */
const ASCII_WIDTHS = [
  32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70,
  77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63,
  63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84,
];

function charWidth(ch: string): number {
  const code = ch.codePointAt(0)!;
  if (code >= 32 && code <= 126) return ASCII_WIDTHS[code - 32] / 100;
  if (/\p{M}/u.test(ch)) return 0;
  // Relations and operators are wide in DejaVu Sans (≤, −, ×: 0.84 em); letters and the rest about 0.7 em.
  return /[\u2190-\u22FF]/u.test(ch) ? 0.84 : 0.7;
}

/** The drawn runs of a label: text, and sub- or superscripts (drawn at 75%). */
export function labelRuns(label: string): { text: string; script?: 'sub' | 'sup' }[] {
  const runs: { text: string; script?: 'sub' | 'sup' }[] = [];
  for (const p of notationPieces(label, { dollars: false, code: false })) {
    if (p.kind === 'text') runs.push({ text: p.text });
    else if (p.kind === 'scripted') {
      runs.push({ text: p.base });
      if (p.sub !== undefined) runs.push({ text: p.sub.replace(/[{}]/g, ''), script: 'sub' });
      if (p.sup !== undefined) runs.push({ text: p.sup.replace(/[{}]/g, ''), script: 'sup' });
    }
  }
  return runs;
}

/** Width in px of a label as drawn (scripts at 75%), bold 8% wider. */
export function labelWidth(label: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const run of labelRuns(label)) for (const ch of run.text) em += charWidth(ch) * (run.script ? 0.75 : 1);
  return em * fontSize * (bold ? 1.08 : 1);
}

// Vega measures text to lay out legends, axes and titles; without a canvas it guesses 0.8 em a character
// and counts our script markup. Measure what will be drawn instead.
(vega as unknown as { textMetrics: { width: (item: { fontSize?: number; fontWeight?: string | number }, text: unknown) => number } }).textMetrics.width = (
  item,
  text,
) => Math.max(0, ...[text ?? ''].flat().map((line) => labelWidth(String(line), item.fontSize ?? 11, item.fontWeight === 'bold' || Number(item.fontWeight) >= 600)));

/** A label broken at spaces (never inside a {…} script) into lines of at most `width` px. */
export function wrapLabel(label: string, width: number, fontSize: number, bold = false): string[] {
  const words: string[] = [];
  let depth = 0;
  let word = '';
  for (const ch of label) {
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === ' ' && depth === 0) {
      if (word) words.push(word);
      word = '';
    } else word += ch;
  }
  if (word) words.push(word);
  const lines: string[] = [];
  for (const w of words) {
    const last = lines[lines.length - 1];
    if (last !== undefined && labelWidth(`${last} ${w}`, fontSize, bold) <= width) lines[lines.length - 1] = `${last} ${w}`;
    else lines.push(w);
  }
  return lines.length ? lines : [label];
}

const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'" })[e]!);

/** SVG text content of a label: scripts become shifted tspans. */
function labelSvg(escaped: string): string {
  const runs = labelRuns(unescapeXml(escaped));
  if (runs.every((r) => !r.script)) return escaped;
  return runs
    .map((r) => (r.script ? `<tspan class="${r.script}" baseline-shift="${r.script === 'sub' ? 'sub' : 'super'}" font-size="75%">${escapeXml(r.text)}</tspan>` : escapeXml(r.text)))
    .join('');
}

/** Every text node of an SVG (inside <text>, including its line tspans) with its scripts drawn. */
function drawScripts(svg: string): string {
  return svg.replace(/(<text\b[^>]*>)([\s\S]*?)(<\/text>)/g, (_, open: string, body: string, close: string) => {
    return open + body.replace(/(^|>)([^<]+)(?=<|$)/g, (__, lead: string, content: string) => lead + labelSvg(content)) + close;
  });
}

/**
 * Indices of x to keep: all when there are at most `max`; else the points
 * nearest to `max` targets spread evenly in x (in log x on a log axis), which
 * needs x sorted; unsorted x falls back to an even stride over indices.
 */
export function thinIndices(x: readonly number[], max: number, log: boolean): number[] {
  const all = x.map((_, i) => i);
  if (x.length <= max) return all;
  const sorted = x.every((v, i) => i === 0 || v >= x[i - 1]);
  const usable = all.filter((i) => Number.isFinite(x[i]) && (!log || x[i] > 0));
  if (!sorted || usable.length < 2) {
    const stride = x.length / max;
    return [...new Set(Array.from({ length: max }, (_, k) => Math.floor(k * stride)))];
  }
  const f = (v: number) => (log ? Math.log(v) : v);
  const lo = f(x[usable[0]]);
  const hi = f(x[usable[usable.length - 1]]);
  const keep = new Set<number>([usable[0], usable[usable.length - 1]]);
  let j = 0;
  for (let k = 0; k < max; k++) {
    const target = lo + ((hi - lo) * k) / (max - 1);
    while (j + 1 < usable.length && f(x[usable[j + 1]]) <= target) j++;
    const next = Math.min(j + 1, usable.length - 1);
    keep.add(Math.abs(f(x[usable[next]]) - target) < Math.abs(f(x[usable[j]]) - target) ? usable[next] : usable[j]);
  }
  return [...keep].sort((a, b) => a - b);
}

export function isReferenceColumn(name: string): boolean {
  return REFERENCE.test(name);
}

/** Flattens a series (and overlays) into the long format the spec reads. */
export function plotData(input: PlotInput): PlotData {
  const { series } = input;
  const ok = (x: unknown, log?: boolean): x is number => typeof x === 'number' && Number.isFinite(x) && (!log || x > 0);
  const lines: LinePoint[] = [];
  const bands: BandPoint[] = [];
  let dropped = 0;

  const columns = Object.keys(series.y);
  const bandOf = new Map<string, { lower?: string; upper?: string }>();
  for (const name of columns) {
    const m = BAND.exec(name);
    if (m && columns.includes(m[1])) {
      const entry = bandOf.get(m[1]) ?? {};
      entry[m[2].toLowerCase() as 'lower' | 'upper'] = name;
      bandOf.set(m[1], entry);
    }
  }
  const bare = (name: string) => columns.find((c) => c.toLowerCase() === name);
  const firstMeasured = columns.find((c) => !BAND.test(c) && !['lower', 'upper'].includes(c.toLowerCase()) && !isReferenceColumn(c));
  if (bare('lower') && bare('upper') && firstMeasured && !bandOf.has(firstMeasured)) {
    bandOf.set(firstMeasured, { lower: bare('lower'), upper: bare('upper') });
  }
  const bandColumns = new Set([...bandOf.values()].flatMap((b) => (b.lower && b.upper ? [b.lower, b.upper] : [])));

  const addLines = (s: Series, name: string, label: string, role: Role) => {
    const ys = s.y[name] ?? [];
    for (const i of thinIndices(s.x, MAX_PLOT_POINTS, !!series.logX)) {
      const x = s.x[i];
      const y = ys[i];
      if (ok(x, series.logX) && ok(y, series.logY)) lines.push({ x, y, label, role });
      else dropped++;
    }
  };

  for (const name of columns) {
    if (bandColumns.has(name)) continue;
    addLines(series, name, name, isReferenceColumn(name) ? 'reference' : 'measured');
    const band = bandOf.get(name);
    if (band?.lower && band.upper) {
      const lo = series.y[band.lower];
      const hi = series.y[band.upper];
      for (const i of thinIndices(series.x, MAX_PLOT_POINTS, !!series.logX)) {
        if (ok(series.x[i], series.logX) && ok(lo[i], series.logY) && ok(hi[i], series.logY)) {
          bands.push({ x: series.x[i], lower: lo[i], upper: hi[i], label: name });
        } else dropped++;
      }
    }
  }
  const same = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
    a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  const sameAsClaim: string[] = [];
  for (const overlay of input.overlays ?? []) {
    const measured = Object.keys(overlay.series.y).filter((name) => !isReferenceColumn(name) && !BAND.test(name) && !['lower', 'upper'].includes(name.toLowerCase()));
    const drawn = same(overlay.series.x, series.x) ? measured.filter((name) => !same(overlay.series.y[name], series.y[name])) : measured;
    if (measured.length > 0 && drawn.length === 0) sameAsClaim.push(overlay.id);
    for (const name of drawn) addLines(overlay.series, name, `${overlay.id}: ${name}`, 'falsifier');
  }
  const kept = thinIndices(series.x, MAX_PLOT_POINTS, !!series.logX).length;
  return { lines, bands, dropped, sameAsClaim, ...(kept < series.x.length ? { thinned: { from: series.x.length, to: kept } } : {}) };
}

/** The vega-lite spec for one series. */
/** Tick labels of a log axis: vega's (which it thins), with 1e-7 rather than 0.0000001 beyond the middle decades. */
const LOG_LABELS = { labelExpr: "datum.label === '' || (datum.value >= 1e-3 && datum.value < 1e5) ? datum.label : format(datum.value, '.0e')" };

/** What the plot shows: the series' title, else "<y label> against <x label>". */
export function plotTitle(series: Series): string {
  return series.title ?? `${series.yLabel} against ${series.xLabel}`;
}

export function plotSpec(input: PlotInput, data: PlotData = plotData(input)): vl.TopLevelSpec {
  const { series } = input;
  const yTitle = wrapLabel(series.yLabel, PLOT_HEIGHT, 12, true);
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: wrapLabel(series.xLabel, PLOT_WIDTH, 12, true),
    scale: series.logX ? { type: 'log' as const, nice: false } : { zero: false, nice: false },
    axis: { grid: true, tickCount: 6, ...(series.logX ? LOG_LABELS : {}) },
  };
  const yScale = series.logY ? { type: 'log' as const } : { zero: false };
  // Colours in column order (claim columns, then falsifier overlays), not alphabetical.
  const labels = [...new Set(data.lines.map((p) => p.label))];
  const color = {
    field: 'label',
    type: 'nominal' as const,
    title: null,
    scale: { domain: labels },
    legend: { orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const layers: object[] = [];
  if (data.bands.length) {
    layers.push({
      data: { values: data.bands },
      mark: { type: 'area', opacity: 0.2 },
      encoding: { x, y: { field: 'lower', type: 'quantitative', title: yTitle, scale: yScale }, y2: { field: 'upper' }, color },
    });
  }
  layers.push({
    data: { values: data.lines },
    mark: { type: 'line', strokeWidth: 2, clip: true },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: yScale, axis: { grid: true, ...(series.logY ? LOG_LABELS : {}) } },
      color,
      strokeDash: {
        field: 'role',
        type: 'nominal',
        title: null,
        scale: { domain: ['measured', 'reference', 'falsifier'], range: [[1, 0], [6, 4], [2, 2]] },
        legend: null,
      },
      detail: { field: 'label' },
    },
  });
  layers.push({
    data: { values: data.lines.filter((p) => p.role === 'measured') },
    mark: { type: 'point', filled: true, size: 18 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', scale: yScale },
      color,
      tooltip: [
        { field: 'label', type: 'nominal' },
        { field: 'x', type: 'quantitative' },
        { field: 'y', type: 'quantitative', format: '.4g' },
      ],
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: wrapLabel(plotTitle(series), PLOT_WIDTH, 13, true), anchor: 'start', fontSize: 13, limit: 0 },
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    background: 'white',
    padding: 8,
    // Nothing is cut: titles wrap (above), limits are off.
    config: {
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 12, titleLimit: 0, labelLimit: 0 },
      legend: { labelFontSize: 11, labelLimit: 0 },
      title: { limit: 0 },
    },
    layer: layers,
  } as vl.TopLevelSpec;
}

let plotCounter = 0;

/**
 * Inline SVG for one series. Element ids (clip paths, gradients) get a
 * per-plot prefix: several SVGs share one HTML document's id namespace.
 */
export async function renderPlotSvg(
  input: PlotInput,
): Promise<{ svg: string; points: number; dropped: number; thinned?: { from: number; to: number }; sameAsClaim: string[] }> {
  const data = plotData(input);
  if (data.lines.length === 0) {
    throw new Error(`series "${input.key}" has no plottable points (x: ${input.series.x.length}, columns: ${Object.keys(input.series.y).join(', ')})`);
  }
  const view = new vega.View(vega.parse(vl.compile(plotSpec(input, data)).spec), { renderer: 'none' });
  try {
    const raw = await view.toSVG();
    const prefix = `p${++plotCounter}-`;
    const svg = drawScripts(
      raw
        .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
        .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
        .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`),
    );
    return { svg, points: data.lines.length, dropped: data.dropped, sameAsClaim: data.sameAsClaim, ...(data.thinned ? { thinned: data.thinned } : {}) };
  } finally {
    view.finalize();
  }
}
