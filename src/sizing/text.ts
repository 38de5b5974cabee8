/**
 * Number text for the working steps the model records (they are stored in the report, so the model
 * writes them). Delegates to the shared report formatters so every format reads the same.
 */
import { formatBytes, formatDurationMs, formatNumber } from '../util/format.js';

/** 12345.6 → "12,346"; 0.01234 → "0.0123" (`significant` digits below 10^(significant−1)). */
export function fmt(value: number, significant = 3): string {
  return formatNumber(value, significant);
}

export const fmtBytes = (bytes: number): string => formatBytes(bytes);
export const fmtMs = (ms: number): string => (ms === 0 ? '0 ms' : formatDurationMs(ms));
