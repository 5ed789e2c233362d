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
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Series } from '../contract/claim.ts';

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
}

export const MAX_PLOT_POINTS = 400;

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
  for (const overlay of input.overlays ?? []) {
    for (const name of Object.keys(overlay.series.y)) {
      if (isReferenceColumn(name) || BAND.test(name) || ['lower', 'upper'].includes(name.toLowerCase())) continue;
      addLines(overlay.series, name, `${overlay.id}: ${name}`, 'falsifier');
    }
  }
  const kept = thinIndices(series.x, MAX_PLOT_POINTS, !!series.logX).length;
  return { lines, bands, dropped, ...(kept < series.x.length ? { thinned: { from: series.x.length, to: kept } } : {}) };
}

/** The vega-lite spec for one series. */
export function plotSpec(input: PlotInput, data: PlotData = plotData(input)): vl.TopLevelSpec {
  const { series } = input;
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: series.xLabel,
    scale: series.logX ? { type: 'log' as const, nice: false } : { zero: false, nice: false },
    axis: { grid: true, tickCount: 6 },
  };
  const yScale = series.logY ? { type: 'log' as const } : { zero: false };
  // Colours in column order (claim columns, then falsifier overlays), not alphabetical.
  const labels = [...new Set(data.lines.map((p) => p.label))];
  const color = {
    field: 'label',
    type: 'nominal' as const,
    title: null,
    scale: { domain: labels },
    legend: { orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 480, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const layers: object[] = [];
  if (data.bands.length) {
    layers.push({
      data: { values: data.bands },
      mark: { type: 'area', opacity: 0.2 },
      encoding: { x, y: { field: 'lower', type: 'quantitative', title: series.yLabel, scale: yScale }, y2: { field: 'upper' }, color },
    });
  }
  layers.push({
    data: { values: data.lines },
    mark: { type: 'line', strokeWidth: 2, clip: true },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', title: series.yLabel, scale: yScale, axis: { grid: true } },
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
    title: { text: input.key, anchor: 'start', fontSize: 13 },
    width: 520,
    height: 260,
    background: 'white',
    // Long axis titles are cut to the plot's size (the caption carries them in full).
    config: {
      font: 'system-ui, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12 },
      axisX: { titleLimit: 520 },
      axisY: { titleLimit: 260 },
      legend: { labelFontSize: 11 },
    },
    layer: layers,
  } as vl.TopLevelSpec;
}

let plotCounter = 0;

/**
 * Inline SVG for one series. Element ids (clip paths, gradients) get a
 * per-plot prefix: several SVGs share one HTML document's id namespace.
 */
export async function renderPlotSvg(input: PlotInput): Promise<{ svg: string; points: number; dropped: number; thinned?: { from: number; to: number } }> {
  const data = plotData(input);
  if (data.lines.length === 0) {
    throw new Error(`series "${input.key}" has no plottable points (x: ${input.series.x.length}, columns: ${Object.keys(input.series.y).join(', ')})`);
  }
  const view = new vega.View(vega.parse(vl.compile(plotSpec(input, data)).spec), { renderer: 'none' });
  try {
    const raw = await view.toSVG();
    const prefix = `p${++plotCounter}-`;
    const svg = raw
      .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
      .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
    return { svg, points: data.lines.length, dropped: data.dropped, ...(data.thinned ? { thinned: data.thinned } : {}) };
  } finally {
    view.finalize();
  }
}
