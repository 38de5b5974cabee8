import type { ChartSpec } from './chart.js';

/** Options every renderer receives. Terminal: colour only when stdout is a TTY and NO_COLOR unset. */
export interface RenderOptions {
  color: boolean;
  /** HTML: the name the JSON report is saved under (default: reportBaseName's), for its download and re-render hints */
  jsonFileName?: string;
  /** HTML: the report's JSON text when the caller already made it (saves making it twice) */
  jsonText?: string;
}

/** A headline figure: used in summaries and in `authz-perf report a.json b.json` comparisons. */
export interface Headline {
  /** Stable key, e.g. `abac-cel/check-uncached/opsPerSec`; comparisons join on it. */
  key: string;
  label: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
}

/** HTML for one command's section: escaped body markup plus the charts it references by id. */
export interface HtmlSection {
  body: string;
  charts: ChartSpec[];
}

/** Each command supplies one of these in src/report/sections/<command>.ts. Pure functions. */
export interface SectionRenderer<R> {
  terminal(report: R, options: RenderOptions): string;
  markdown(report: R): string;
  html(report: R): HtmlSection;
  headlines(report: R): Headline[];
}
