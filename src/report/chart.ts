/**
 * Chart descriptions that command sections put into their HTML rendering. The HTML shell turns
 * each into a Chart.js chart (library inlined, works offline). A spec is plain data: renderers
 * build it from report fields, they never measure.
 */
export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** Symmetric error (± absolute, same unit as values) drawn as error bars. */
  errors?: Array<number | null>;
  /** Which y axis; default 'left'. */
  axis?: 'left' | 'right';
  /** For mixed charts: draw this series as a line over bars. */
  as?: 'line' | 'bar';
  /**
   * CSS colour of the series, or one per point (bars only), e.g. green/red by verdict.
   * Default: the next colour of a colour-blind-friendly palette.
   */
  color?: string | string[];
}

export interface ChartSpec {
  /** Unique within one page; used as the canvas id. */
  id: string;
  title: string;
  type: 'line' | 'bar' | 'horizontalBar';
  /** Names the categories / x values (`labels`). For horizontalBar they run down the side. */
  xLabel: string;
  /** Names the values. For horizontalBar the value axis runs along the bottom. */
  yLabel: string;
  /** Names the values of series with axis 'right' (drawn on a second value axis). */
  y2Label?: string;
  /** Categories or x values, one per point of every series. */
  labels: Array<string | number>;
  series: ChartSeries[];
  /** Logarithmic value axis (for values spanning orders of magnitude, e.g. ops/s per task). */
  logY?: boolean;
}
