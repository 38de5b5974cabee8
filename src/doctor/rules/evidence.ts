import type { CollectedMetrics, Evidence, Finding } from '../types.js';

/** Evidence over the whole window. */
export function windowed(m: CollectedMetrics, metric: string, value: number, unit: string, threshold: number | null, source?: string): Evidence {
  return { metric, value, unit, windowS: m.windowS, threshold, ...(source ? { source } : {}) };
}

/** Evidence read from a gauge at the end of the window. */
export function gauge(metric: string, value: number, unit: string, threshold: number | null, source?: string): Evidence {
  return { metric, value, unit, windowS: 0, threshold, ...(source ? { source } : {}) };
}

export type Rule = (m: CollectedMetrics) => Finding[];

export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits).replace(/\.0+$/, '')} %`;
