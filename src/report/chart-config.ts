/**
 * ChartSpec → Chart.js configuration, as plain JSON (no functions) so it can be embedded in the
 * HTML page. The page's small runtime (html-runtime.ts) adds what JSON cannot carry: tick and
 * tooltip formatters and the error-bar plugin, which reads each dataset's `errorBars`.
 */
import type { ChartSeries, ChartSpec } from './chart.js';

/** Colour-blind-friendly palette (Okabe–Ito, reordered so the first two contrast well). */
export const CHART_PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export interface ChartJsDataset {
  label: string;
  data: Array<number | null>;
  type?: 'line' | 'bar';
  /** Symmetric ± error per point; drawn by the page's error-bar plugin. */
  errorBars?: Array<number | null>;
  xAxisID?: string;
  yAxisID?: string;
  backgroundColor: string | string[];
  borderColor: string | string[];
  borderWidth: number;
  pointRadius?: number;
  tension?: number;
  fill?: boolean;
  spanGaps?: boolean;
  order?: number;
}

export interface ChartJsScale {
  type: 'linear' | 'logarithmic' | 'category';
  position?: 'left' | 'right' | 'top' | 'bottom';
  title: { display: boolean; text: string };
  beginAtZero?: boolean;
  /** Set when error bars reach past the data, so the bars are not clipped. */
  suggestedMax?: number;
  suggestedMin?: number;
  grid?: { drawOnChartArea: boolean };
}

export interface ChartJsConfig {
  type: 'line' | 'bar';
  data: { labels: Array<string | number>; datasets: ChartJsDataset[] };
  options: {
    indexAxis: 'x' | 'y';
    responsive: true;
    maintainAspectRatio: false;
    animation: false;
    interaction: { mode: 'index' | 'nearest'; intersect: boolean };
    plugins: {
      title: { display: boolean; text: string };
      legend: { display: boolean; position: 'bottom' };
    };
    scales: Record<string, ChartJsScale>;
  };
}

/** `#rrggbb` plus an alpha byte; other CSS colour syntaxes are returned unchanged. */
function withAlpha(hex: string, alpha: number): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(hex)) return hex;
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  return `${hex}${a}`;
}

/** True when any series of the spec asks for the right/secondary axis. */
function usesSecondAxis(spec: ChartSpec): boolean {
  return spec.series.some((s) => s.axis === 'right');
}

function datasetType(spec: ChartSpec, series: ChartSeries): 'line' | 'bar' {
  if (series.as) return series.as;
  return spec.type === 'line' ? 'line' : 'bar';
}

/** The Chart.js config for one spec. Horizontal bars swap the axes (value axis is x). */
export function chartJsConfig(spec: ChartSpec): ChartJsConfig {
  const horizontal = spec.type === 'horizontalBar';
  const valueAxis = horizontal ? 'x' : 'y';
  const categoryAxis = horizontal ? 'y' : 'x';
  const secondAxis = horizontal ? 'x2' : 'y2';
  const manyPoints = spec.labels.length > 60;

  const datasets: ChartJsDataset[] = spec.series.map((series, i) => {
    const colour = series.color ?? CHART_PALETTE[i % CHART_PALETTE.length]!;
    const type = datasetType(spec, series);
    const fillAlpha = type === 'bar' ? 0.75 : 0.15;
    const ds: ChartJsDataset = {
      label: series.label,
      data: series.values.map((v) => (v === null || Number.isFinite(v) ? v : null)),
      backgroundColor: Array.isArray(colour) ? colour.map((c) => withAlpha(c, fillAlpha)) : withAlpha(colour, fillAlpha),
      borderColor: colour,
      borderWidth: type === 'bar' ? 1 : 2,
    };
    if (type !== (spec.type === 'line' ? 'line' : 'bar')) {
      ds.type = type;
      // lines drawn over bars
      ds.order = type === 'line' ? 0 : 1;
    }
    if (type === 'line') {
      ds.pointRadius = manyPoints ? 0 : 3;
      ds.tension = 0.2;
      ds.fill = false;
      ds.spanGaps = false;
    }
    if (series.errors && series.errors.some((e) => e !== null && Number.isFinite(e) && e > 0)) {
      ds.errorBars = series.errors.map((e) => (e === null || Number.isFinite(e) ? e : null));
    }
    if (series.axis === 'right') {
      if (horizontal) ds.xAxisID = secondAxis;
      else ds.yAxisID = secondAxis;
    }
    return ds;
  });

  const scales: Record<string, ChartJsScale> = {
    [categoryAxis]: { type: 'category', title: { display: spec.xLabel !== '', text: spec.xLabel } },
    [valueAxis]: {
      type: spec.logY ? 'logarithmic' : 'linear',
      position: horizontal ? 'bottom' : 'left',
      title: { display: spec.yLabel !== '', text: spec.yLabel },
      ...(spec.logY ? {} : { beginAtZero: true }),
    },
  };
  const primaryReach = errorReach(spec.series.filter((s) => s.axis !== 'right'), spec.logY === true);
  Object.assign(scales[valueAxis]!, primaryReach);
  if (usesSecondAxis(spec)) {
    scales[secondAxis] = {
      type: spec.logY ? 'logarithmic' : 'linear',
      position: horizontal ? 'top' : 'right',
      title: { display: Boolean(spec.y2Label), text: spec.y2Label ?? '' },
      grid: { drawOnChartArea: false },
      ...(spec.logY ? {} : { beginAtZero: true }),
      ...errorReach(spec.series.filter((s) => s.axis === 'right'), spec.logY === true),
    };
  }

  return {
    type: spec.type === 'line' ? 'line' : 'bar',
    data: { labels: spec.labels, datasets },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: horizontal ? 'nearest' : 'index', intersect: false },
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: spec.series.length > 1, position: 'bottom' },
      },
      scales,
    },
  };
}

/** suggestedMax/Min covering value ± error of every point (empty when no series has errors). */
function errorReach(series: ChartSeries[], log: boolean): { suggestedMax?: number; suggestedMin?: number } {
  let max = -Infinity;
  let min = Infinity;
  for (const s of series) {
    if (!s.errors) continue;
    s.values.forEach((v, i) => {
      const e = s.errors?.[i];
      if (v === null || !Number.isFinite(v) || e === null || e === undefined || !Number.isFinite(e)) return;
      max = Math.max(max, v + Math.abs(e));
      min = Math.min(min, v - Math.abs(e));
    });
  }
  const reach: { suggestedMax?: number; suggestedMin?: number } = {};
  if (Number.isFinite(max)) reach.suggestedMax = max;
  if (Number.isFinite(min) && min < 0 && !log) reach.suggestedMin = min;
  return reach;
}

/** Height in CSS pixels that fits the chart: horizontal bars grow with their category count. */
export function chartHeightPx(spec: ChartSpec): number {
  if (spec.type !== 'horizontalBar') return 320;
  return Math.min(1200, Math.max(220, 90 + spec.labels.length * 26 * Math.max(1, Math.min(3, spec.series.length))));
}
